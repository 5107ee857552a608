# Sourced by bench/compare.sh and bench/cluster100k.sh (not run on its own): starting a
# cluster on one box — a private redis-server, a throwaway PostgreSQL database, and
# `chirp serve` nodes or Node baseline processes (bench/baseline-node/server.js with
# @socket.io/redis-adapter, all sharing one SQLite file) on both.
#
# The caller provides: `die MESSAGE` and `log MESSAGE`; the array STARTED (every pid started
# here is appended, for the caller's exit trap to stop); CHIRP (the chirp binary), NODE_DIR
# (bench/baseline-node) and PG_ADMIN (a postgres:// URL of an existing database on the server
# to create databases on). The caller's exit trap should call `cluster_drop_databases`.
# Everything listens on 127.0.0.1 only.

CLUSTER_DBS=()         # databases created here and not dropped yet
CLUSTER_DB_POOL=${CLUSTER_DB_POOL:-}  # --db-pool-size of each chirp node; empty: chirp's default

cluster_free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# cluster_wait_listening LOGFILE PID → prints the URL the server's log says it listens on
cluster_wait_listening() {
  local url=
  for _ in $(seq 600); do
    url=$(grep -aoE 'listening on http://127\.[0-9.]+:[0-9]+' "$1" | head -1 | sed 's/listening on //') || true
    [[ -n $url ]] && { echo "$url"; return 0; }
    kill -0 "$2" 2>/dev/null || { cat "$1" >&2; return 1; }
    sleep 0.1
  done
  cat "$1" >&2; return 1
}

# cluster_start_redis DIR → REDIS_URL, REDIS_PID: a private redis-server on a free port,
# nothing persisted.
cluster_start_redis() {
  local port; port=$(cluster_free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$1/redis.log" 2>&1 &
  REDIS_PID=$!
  STARTED+=("$REDIS_PID")
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited: $(cat "$1/redis.log")"
    sleep 0.1
  done
  redis-cli -p "$port" ping >/dev/null 2>&1 || die "redis-server did not answer on port $port"
  REDIS_URL="redis://127.0.0.1:$port"
}

# cluster_create_database NAME → PG_URL: a fresh database NAME on PG_ADMIN's server.
cluster_create_database() {
  psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null ||
    die "cannot create database $1 on ${PG_ADMIN%/*}"
  CLUSTER_DBS+=("$1")
  PG_URL="${PG_ADMIN%/*}/$1"
}

# cluster_drop_database NAME
cluster_drop_database() {
  local keep=() db
  psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1 ||
    { echo "could not drop database $1" >&2; return 1; }
  for db in "${CLUSTER_DBS[@]}"; do [[ $db == "$1" ]] || keep+=("$db"); done
  CLUSTER_DBS=("${keep[@]}")
}

# cluster_drop_databases: every database created here and not dropped yet (for exit traps).
cluster_drop_databases() {
  local db
  for db in "${CLUSTER_DBS[@]}"; do cluster_drop_database "$db" || true; done
}

# cluster_pg_backends DATABASE → the pids of PostgreSQL's backends serving it (when the
# server runs on this machine, their CPU can be read from /proc).
cluster_pg_backends() {
  psql -Atq "$PG_ADMIN" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$1'" 2>/dev/null || true
}

# cluster_start_node KIND INDEX DIR → appends to PIDS and URLS. chirp: on PG_URL and
# REDIS_URL, rate limits off; node: DIR/node.db (shared by every process of DIR) and
# REDIS_URL. Start the first node alone: it creates the schema.
cluster_start_node() {
  local kind=$1 i=$2 dir=$3 pid url
  case "$kind" in
    chirp) NO_COLOR=1 "$CHIRP" serve --addr 127.0.0.1:0 --database-url "$PG_URL" \
             ${CLUSTER_DB_POOL:+--db-pool-size "$CLUSTER_DB_POOL"} \
             --redis-url "$REDIS_URL" --rate-limits off --max-sockets-per-address 0 >"$dir/server$i.log" 2>&1 & ;;
    node) node "$NODE_DIR/server.js" --port 0 --db "$dir/node.db" --redis-url "$REDIS_URL" >"$dir/server$i.log" 2>&1 & ;;
    *) die "unknown server kind $kind" ;;
  esac
  pid=$!
  STARTED+=("$pid")
  url=$(cluster_wait_listening "$dir/server$i.log" "$pid") || die "$kind node $i did not start (log: $dir/server$i.log)"
  PIDS+=("$pid"); URLS+=("$url")
}

# cluster_wait_subscribed LOGFILE PID: until a chirp node's log says it subscribed to the
# Redis fan-out (its settle period starts then); prints the time it noticed (Unix seconds).
cluster_wait_subscribed() {
  for _ in $(seq 300); do
    if grep -aq 'subscribed to redis fan-out' "$1"; then date +%s.%N; return 0; fi
    kill -0 "$2" 2>/dev/null || { cat "$1" >&2; return 1; }
    sleep 0.1
  done
  cat "$1" >&2; return 1
}
