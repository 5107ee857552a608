#!/usr/bin/env bash
# Runs the same benchmark suite against Chirp and against the tutorial's Node stack
# (bench/baseline-node), each on a fresh SQLite database, and writes a side-by-side table
# with Chirp ÷ Node ratios to stdout and bench/results/latest.{md,json}. Each stage runs on
# one server right after the other (one load at a time), and the full suite runs three
# rounds on fresh processes and reports the median of each figure. The cluster stage runs
# two nodes of each: Chirp on a throwaway PostgreSQL database and a private Redis, Node
# sharing one SQLite file with @socket.io/redis-adapter on a private Redis.
#
#   bench/compare.sh                          the full suite: 3 rounds, ~14 min on 2 cores
#   bench/compare.sh --quick                  the same stages, smaller, 1 round (~3 min)
#   bench/compare.sh --quick --cluster-only   only the cluster stage, small (~1 min)
#   bench/compare.sh --search-only            only the search stage (Chirp alone, 1M tweets)
#
# Options: --repeat N (rounds), --only chirp|node, --no-build, --no-soak (skip the 19k-socket
# hold), --no-home (skip the home-timeline stage), --home-only (only it), --home-sockets N,
# --no-cluster (skip the cluster stage), --cluster-only (only it), --no-search (skip the
# search stage), --search-only (only it), --search-tweets N (default 1M, quick 100k), --out
# DIR (default bench/results), --publish (put the table into BENCHMARKS.md). The search stage
# (bench/search.sh: Chirp alone, search and tag timelines on SQLite and PostgreSQL, posting
# with and without the index) needs PostgreSQL and writes its own table, search.md. The
# cluster stage needs redis-server and (for Chirp) PostgreSQL at $CHIRP_TEST_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/test; a database is created beside it and dropped).
# Everything it starts it stops (trap), and it only ever talks to 127.0.0.0/8.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
OUT="$BENCH/results"
QUICK=0
BUILD=1
SERVERS=(chirp node)
REPEAT=
SOAK=1
DO_HOME=1
HOME_SOCKETS_ARG=
HOME_ONLY=0
DO_CLUSTER=1
CLUSTER_ONLY=0
PUBLISH=0
DO_SEARCH=1
SEARCH_ONLY=0
SEARCH_TWEETS_ARG=
PG_ADMIN=${CHIRP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --no-build) BUILD=0 ;;
    --only) SERVERS=("$2"); shift ;;
    --repeat) REPEAT="$2"; shift ;;
    --no-soak) SOAK=0 ;;
    --no-home) DO_HOME=0 ;;
    --home-only) HOME_ONLY=1; SOAK=0; DO_CLUSTER=0 ;;
    --no-cluster) DO_CLUSTER=0 ;;
    --cluster-only) CLUSTER_ONLY=1; DO_CLUSTER=1; SOAK=0; DO_HOME=0 ;;
    --home-sockets) HOME_SOCKETS_ARG="$2"; shift ;;
    --no-search) DO_SEARCH=0 ;;
    --search-only) SEARCH_ONLY=1; DO_SEARCH=1 ;;
    --search-tweets) SEARCH_TWEETS_ARG="$2"; shift ;;
    --publish) PUBLISH=1 ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# ----------------------------------------------------------------------------- the suite
if [[ $QUICK == 1 ]]; then
  IDLE_SOCKETS=1000;  IDLE_HOLD=4
  FAN_A_SOCKETS=200;  FAN_A_TWEETS=20
  FAN_B_SOCKETS=2000; FAN_B_TWEETS=10
  RATE_SOCKETS=500;   RATE_TPS=20; RATE_SECS=5
  POLL_CLIENTS=100;   POLL_TWEETS=5
  WRK_SECS=3; WRK_WARM=1
  SOAK_SOCKETS=2000;  SOAK_HOLD=5
  HOME_SOCKETS=1000;  HOME_AUTHORS=500;  HOME_FOLLOWS=50;  HOME_TWEETS=100000
  HOME_RATE=10;       HOME_SECS=5
  SEARCH_TWEETS=100000
  DEFAULT_REPEAT=1
else
  IDLE_SOCKETS=10000; IDLE_HOLD=10
  FAN_A_SOCKETS=1000; FAN_A_TWEETS=100
  FAN_B_SOCKETS=10000; FAN_B_TWEETS=30
  RATE_SOCKETS=5000;  RATE_TPS=20; RATE_SECS=20
  POLL_CLIENTS=500;   POLL_TWEETS=20
  WRK_SECS=10; WRK_WARM=2
  SOAK_SOCKETS=19000; SOAK_HOLD=60
  HOME_SOCKETS=10000; HOME_AUTHORS=2000; HOME_FOLLOWS=200; HOME_TWEETS=1000000
  HOME_RATE=10;       HOME_SECS=20
  SEARCH_TWEETS=1000000
  DEFAULT_REPEAT=3
fi
WRK_THREADS=2
WRK_CONNECTIONS=50
SEED_TWEETS=200
# The cluster stage: this many nodes of each, one wrk per node at once (one thread each, the
# connections split between them), WRK_SECS long after a WRK_WARM warm-up.
CLUSTER_NODES=2
CLUSTER_CONNECTIONS=$(( WRK_CONNECTIONS / CLUSTER_NODES ))
# A Chirp node bypasses its caches for SETTLE (10 s, src/changes/redis.rs) after it
# subscribes to Redis; the stage measures only once every node is past it, plus a margin.
CLUSTER_SETTLE_S=11
HOME_SOCKETS=${HOME_SOCKETS_ARG:-$HOME_SOCKETS}
SEARCH_TWEETS=${SEARCH_TWEETS_ARG:-$SEARCH_TWEETS}
[[ $SEARCH_TWEETS =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --search-tweets wants a positive number" >&2; exit 2; }
[[ $HOME_SOCKETS =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --home-sockets wants a positive number" >&2; exit 2; }

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'compare.sh: %s\n' "$*" >&2; exit 1; }
# shellcheck source=bench/cluster-lib.sh
. "$BENCH/cluster-lib.sh"
REPEAT=${REPEAT:-$DEFAULT_REPEAT}
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "--repeat wants a positive number"

# ------------------------------------------------------------------ cleanup of what we start
exec 3>&2 # the terminal's stderr, for progress from inside redirected groups
STARTED=()
cleanup() {
  local rc=$? pid
  for pid in "${STARTED[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  cluster_drop_databases
  if [[ -n "${WORK:-}" && -d "$WORK" ]]; then
    if [[ $rc == 0 ]]; then rm -rf "$WORK"; else echo "compare.sh: logs kept in $WORK" >&2; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ----------------------------------------------------------------------------- preflight
need() { command -v "$1" >/dev/null 2>&1; }
need cargo || die "cargo is needed (https://rustup.rs)"
need node || die "Node.js 20+ and npm are needed"
need npm || die "npm is needed"
if ! need wrk; then
  log "installing wrk (Debian package)"
  if [[ $(id -u) == 0 ]]; then apt-get install -y wrk >&2
  elif need sudo; then sudo apt-get install -y wrk >&2
  else die "wrk is missing: apt-get install wrk"; fi
fi

TICKS=$(getconf CLK_TCK)
if [[ $BUILD == 1 ]]; then
  log "building chirp and loadgen (release)"
  (cd "$ROOT" && cargo build --release -p chirp -p loadgen) >&2
fi
CHIRP="$ROOT/target/release/chirp"
LOADGEN="$ROOT/target/release/loadgen"
[[ -x $LOADGEN ]] || die "missing $LOADGEN: run without --no-build"
if [[ " ${SERVERS[*]} " == *" chirp "* && ! -x $CHIRP ]]; then die "missing $CHIRP: run without --no-build"; fi
# The search stage: Chirp alone, on SQLite and PostgreSQL, its own table (bench/search.sh).
run_search() {
  [[ $DO_SEARCH == 1 ]] || return 0
  if ! need psql || ! psql -Atq "$PG_ADMIN" -c 'SELECT 1' >/dev/null 2>&1; then
    [[ $SEARCH_ONLY == 0 ]] || die "the search stage needs PostgreSQL at $PG_ADMIN"
    log "SKIPPING the search stage: PostgreSQL does not answer at $PG_ADMIN"
    return 0
  fi
  log "the search stage: $SEARCH_TWEETS tweets (bench/search.sh)"
  # Posting beside a build without search when $CHIRP_OFF_BIN names one (bench/search.sh).
  CHIRP_BIN="$CHIRP" OFF_BIN="${CHIRP_OFF_BIN:-}" TWEETS="$SEARCH_TWEETS" PGURL="$PG_ADMIN" OUT="$OUT/search.md" \
    ROUNDS="$([[ $QUICK == 1 ]] && echo 1 || echo 3)" "$BENCH/search.sh"
}
if [[ $SEARCH_ONLY == 1 ]]; then
  mkdir -p "$OUT"
  run_search
  exit 0
fi

# npm ci wipes node_modules and compiles better-sqlite3 (minutes on 2 cores): only when the
# lockfile is newer than what is installed.
NODE_DIR="$BENCH/baseline-node"
if [[ ! -f $NODE_DIR/node_modules/.package-lock.json || $NODE_DIR/package-lock.json -nt $NODE_DIR/node_modules/.package-lock.json ]]; then
  log "installing the Node baseline (npm ci)"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund) >&2
fi

if [[ $DO_CLUSTER == 1 ]]; then
  why=
  need redis-server && need redis-cli || why="redis-server is missing (apt-get install redis-server)"
  if [[ -z $why && " ${SERVERS[*]} " == *" chirp "* ]]; then
    if ! need psql; then why="psql is missing (apt-get install postgresql-client)"
    elif ! psql -Atq "$PG_ADMIN" -c 'SELECT 1' >/dev/null 2>&1; then why="PostgreSQL does not answer at $PG_ADMIN (set CHIRP_TEST_POSTGRES_URL)"; fi
  fi
  if [[ -n $why ]]; then
    [[ $CLUSTER_ONLY == 0 ]] || die "the cluster stage cannot run: $why"
    log "SKIPPING the cluster stage: $why"
    DO_CLUSTER=0
  fi
fi

# The servers and loadgen inherit this: thousands of sockets need thousands of descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (( $(ulimit -n) < IDLE_SOCKETS + 100 )); then
  die "the open-file limit is $(ulimit -n); the suite needs more than $IDLE_SOCKETS sockets per process"
fi
if [[ $SOAK == 1 ]] && (( $(ulimit -n) < SOAK_SOCKETS + 100 )); then
  log "the open-file limit ($(ulimit -n)) is below $SOAK_SOCKETS sockets: skipping the soak stage"
  SOAK=0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chirp-bench.XXXXXX")
mkdir -p "$OUT"

# --------------------------------------------------------------------------- /proc readers
cpu_s() { # CPU seconds (utime + stime) of a pid
  local stat; stat=$(<"/proc/$1/stat") || { echo 0; return; }
  awk -v t="$TICKS" '{ printf "%.3f", ($12 + $13) / t }' <<<"${stat##*) }"
}
status_kib() { # a kB field of /proc/pid/status (VmRSS, VmHWM)
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }

# ----------------------------------------------------------------------- server lifecycle
declare -A PID_OF URL_OF TOKEN_OF

start_server() { # name instance → PID_OF[name], URL_OF[name]
  local name=$1 dir="$WORK/run$ROUND/$1/$2"
  local logf="$dir/server.log" pid url=
  mkdir -p "$dir"
  case "$name" in
    # Rate limits off: the load generator posts far faster than any person; and it puts
    # thousands of sockets on each of its source addresses.
    chirp) NO_COLOR=1 "$CHIRP" serve --addr 127.0.0.1:0 --database-url "sqlite://$dir/chirp.db" --rate-limits off --max-sockets-per-address 0 >"$logf" 2>&1 & ;;
    node) node "$BENCH/baseline-node/server.js" --port 0 --db "$dir/node.db" >"$logf" 2>&1 & ;;
    *) die "unknown server $name" ;;
  esac
  pid=$!
  STARTED+=("$pid")
  for _ in $(seq 300); do
    url=$(grep -aoE 'listening on http://127\.[0-9.]+:[0-9]+' "$logf" | head -1 | sed 's/listening on //') || true
    [[ -n $url ]] && break
    kill -0 "$pid" 2>/dev/null || { cat "$logf" >&2; die "$name exited at start"; }
    sleep 0.1
  done
  [[ -n $url ]] || { cat "$logf" >&2; die "$name did not say where it listens within 30 s"; }
  PID_OF[$name]=$pid
  URL_OF[$name]=$url
  log "$name ($2): pid $pid at $url"
}

stop_server() { # name
  local pid=${PID_OF[$1]}
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

record_total() { # name instance: the server process's CPU and peak RSS over its whole life
  local pid=${PID_OF[$1]} hwm
  hwm=$(status_kib "$pid" VmHWM)
  printf '{"run":%d,"server":"%s","stage":"total_%s","pid":%s,"server_cpu_s":%s,"server_hwm_kib":%s}\n' \
    "$ROUND" "$1" "$2" "$pid" "$(cpu_s "$pid")" "${hwm:-0}" >>"$RESULTS"
}

# --------------------------------------------------------------------------------- stages
# measure SERVER STAGE TOOL ARGS… : runs a load tool, records the server's CPU and memory
# around it, the tool's own CPU, and the last JSON line the tool printed.
measure() {
  local server=$1 name=$2; shift 2
  local pid=${PID_OF[$server]} dir="$WORK/run$ROUND/$server"
  local out="$dir/$name.out" tool_t="$dir/$name.time"
  log "round $ROUND/$REPEAT, $server: $name"
  sleep 1 # let the previous stage's sockets finish closing
  local cpu0 t0 cpu1 t1 rc=0
  cpu0=$(cpu_s "$pid"); t0=$(date +%s.%N)
  TIMEFORMAT='%3U %3S'
  { time "$@" >"$out" 2> >(tee -a "$dir/tools.log" >&3) ; } 2>"$tool_t" || rc=$?
  t1=$(date +%s.%N); cpu1=$(cpu_s "$pid")
  kill -0 "$pid" 2>/dev/null || die "$server died during $name (logs: $dir/*/server.log)"
  local result; result=$(grep -a '^{' "$out" | tail -1)
  [[ -n $result ]] || result='{"error":"no JSON line from the tool"}'
  [[ $rc == 0 ]] || log "$server: $name exited with $rc"
  local tool_cpu; tool_cpu=$(tail -1 "$tool_t" | awk '{ printf "%.3f", $1 + $2 }')
  printf '{"run":%d,"server":"%s","stage":"%s","exit":%d,"wall_s":%s,"server_cpu_s":%s,"server_rss_kib":%s,"server_hwm_kib":%s,"tool_cpu_s":%s,"result":%s}\n' \
    "$ROUND" "$server" "$name" "$rc" "$(fsub "$t1" "$t0")" "$(fsub "$cpu1" "$cpu0")" \
    "$(status_kib "$pid" VmRSS)" "$(status_kib "$pid" VmHWM)" "${tool_cpu:-0}" "$result" \
    >>"$RESULTS"
  LAST_RESULT=$result
}

measure_wrk() { # server stage script url [env…]
  local server=$1 name=$2 script=$3 url=$4; shift 4
  # Warm up (JITs, caches, connection pools) without recording, then measure.
  env "$@" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_WARM}s" -s "$script" "$url" >/dev/null 2>&1 || true
  measure "$server" "$name" env "$@" wrk -t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"${WRK_SECS}s" --latency -s "$script" "$url"
}

run_stage() { # server stage
  local s=$1 st=$2
  local L=("$LOADGEN" --url "${URL_OF[$s]}" --server-pid "${PID_OF[$s]}")
  case "$st" in
    seed)
      measure "$s" seed "${L[@]}" seed --users 1 --tweets "$SEED_TWEETS" --prefix seed
      TOKEN_OF[$s]=$(sed -nE 's/.*"token":"([^"]+)".*/\1/p' <<<"$LAST_RESULT")
      [[ -n ${TOKEN_OF[$s]} ]] || die "$s: seeding gave no token: $LAST_RESULT" ;;
    idle) measure "$s" idle "${L[@]}" idle --sockets "$IDLE_SOCKETS" --hold-secs "$IDLE_HOLD" ;;
    fanout_a) measure "$s" fanout_a "${L[@]}" fanout --sockets "$FAN_A_SOCKETS" --tweets "$FAN_A_TWEETS" ;;
    fanout_b) measure "$s" fanout_b "${L[@]}" fanout --sockets "$FAN_B_SOCKETS" --tweets "$FAN_B_TWEETS" ;;
    rate) measure "$s" rate "${L[@]}" rate --sockets "$RATE_SOCKETS" --rate "$RATE_TPS" --seconds "$RATE_SECS" --drain-secs 90 ;;
    soak) measure "$s" soak "${L[@]}" fanout --sockets "$SOAK_SOCKETS" --tweets 1 --hold-secs "$SOAK_HOLD" ;;
    polling) measure "$s" polling "${L[@]}" polling --clients "$POLL_CLIENTS" --tweets "$POLL_TWEETS" ;;
    http_get) measure_wrk "$s" http_get "$BENCH/wrk/get.lua" "${URL_OF[$s]}/api/tweets?limit=20" ;;
    http_post) measure_wrk "$s" http_post "$BENCH/wrk/post.lua" "${URL_OF[$s]}" CHIRP_TOKEN="${TOKEN_OF[$s]}" ;;
    home) measure "$s" home "${L[@]}" home --graph "$WORK/run$ROUND/graph.txt" --sockets "$HOME_SOCKETS" \
            --rate "$HOME_RATE" --seconds "$HOME_SECS" --drain-secs 60 ;;
    http_home) measure_wrk "$s" http_home "$BENCH/wrk/home.lua" "${URL_OF[$s]}" \
                 CHIRP_GRAPH="$WORK/run$ROUND/graph.txt" CHIRP_HOME_USERS="$HOME_SOCKETS" ;;
  esac
}

# The home stage's server: started once on a fresh database (so it migrates it), stopped,
# seeded straight into SQLite with bench/home-seed.mjs (same seed: same users, tokens,
# follows and tweets on both servers), started again.
start_home_server() { # name
  local name=$1 dir="$WORK/run$ROUND/$1/home"
  start_server "$name" home
  stop_server "$name"
  log "seeding $name: $(( HOME_SOCKETS > HOME_AUTHORS ? HOME_SOCKETS : HOME_AUTHORS )) users, $HOME_FOLLOWS follows each of $HOME_AUTHORS authors, $HOME_TWEETS tweets"
  node "$BENCH/home-seed.mjs" --kind "$name" --db "$dir/$name.db" --users "$HOME_SOCKETS" \
    --authors "$HOME_AUTHORS" --follows "$HOME_FOLLOWS" --tweets "$HOME_TWEETS" \
    --graph "$WORK/run$ROUND/graph.txt" >&2 || die "seeding $name for the home stage failed"
  start_server "$name" home
}

# The servers in the order they take stage number $1 of this round: each stage runs on one
# server right after the other, so a noisy neighbour hits both alike, and who goes first
# alternates from stage to stage and from round to round.
order() {
  if (( ($1 + ROUND) % 2 == 0 )); then printf '%s\n' "${SERVERS[@]}"
  else printf '%s\n' "${SERVERS[@]}" | tac; fi
}

run_round() {
  local s st i=0
  [[ $HOME_ONLY == 1 || $CLUSTER_ONLY == 1 ]] || run_main_and_polling
  run_home
  run_cluster
}

run_main_and_polling() {
  for s in "${SERVERS[@]}"; do start_server "$s" main; done
  for st in seed idle fanout_a fanout_b rate http_get http_post; do
    for s in $(order $i); do run_stage "$s" "$st"; done
    i=$((i + 1))
  done
  # Near the per-process open-file limit, held past two heartbeats, then one tweet to all:
  # once, in the first round.
  if [[ $SOAK == 1 && $ROUND == 1 ]]; then
    for s in $(order $i); do run_stage "$s" soak; done
  fi
  for s in "${SERVERS[@]}"; do record_total "$s" main; stop_server "$s"; done
  # Long-polling gets processes of their own: memory the socket stages freed would
  # otherwise be reused by the polling sessions and flatter their per-client figure.
  for s in "${SERVERS[@]}"; do start_server "$s" polling; done
  for s in $(order $i); do run_stage "$s" polling; done
  for s in "${SERVERS[@]}"; do record_total "$s" polling; stop_server "$s"; done
}

run_home() {
  # Home timelines: fresh processes on seeded databases (memory per home socket is measured
  # from before the first connect), the socket run, then wrk on the home endpoint.
  if [[ $DO_HOME == 1 ]]; then
    for s in "${SERVERS[@]}"; do start_home_server "$s"; done
    for s in $(order $i); do run_stage "$s" home; done
    for s in $(order $((i + 1))); do run_stage "$s" http_home; done
    for s in "${SERVERS[@]}"; do record_total "$s" home; stop_server "$s"; done
  fi
}

# -------------------------------------------------------------------------- cluster stage
# CLUSTER_NODES nodes of each server on one box: Chirp's on a throwaway PostgreSQL database
# and a private redis-server; Node's (server.js --redis-url, the official
# @socket.io/redis-adapter) sharing one SQLite file (WAL) and a private redis-server. Seeded
# on the first node; wrk runs on every node at once; CPU is summed over the nodes, and
# separately over what they lean on (PostgreSQL's backends for the database, Redis).
declare -A CL_PIDS CL_URLS CL_REDIS CL_DB CL_TOKEN
SETTLED_AT=0

fadd() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }
sum_cpu() { local p t=0; for p in "$@"; do t=$(fadd "$t" "$(cpu_s "$p")"); done; echo "$t"; }
aux_pids() { # kind → the redis-server pid, and PostgreSQL's backends serving its database
  echo "${CL_REDIS[$1]}"
  if [[ -n ${CL_DB[$1]} ]]; then cluster_pg_backends "${CL_DB[$1]}"; fi
}
cpu_snapshot() { local p; for p in $(aux_pids "$1"); do echo "$p $(cpu_s "$p")"; done; }
cpu_delta() { # before after → CPU seconds spent between (a pid absent before counts from 0)
  awk 'FILENAME == ARGV[1] { a[$1] = $2; next } { d += $2 - ($1 in a ? a[$1] : 0) } END { printf "%.3f", d }' "$1" "$2"
}
mem_sum() { # field pids… → summed kB
  local f=$1 p t=0; shift
  for p in "$@"; do t=$(( t + $(status_kib "$p" "$f") )); done
  echo "$t"
}
cache_hits() { # kind → Chirp's cache hits summed over its nodes ("first_page sessions"), else "null null"
  if [[ $1 != chirp ]]; then echo "null null"; return; fi
  local u fp=0 ss=0 m
  for u in ${CL_URLS[$1]}; do
    m=$(curl -sf "$u/metrics") || continue
    fp=$(( fp + $(awk -F'[ ]' '/^chirp_cache_hits_total\{cache="first_page"\}/ { printf "%d", $2 }' <<<"$m") + 0 ))
    ss=$(( ss + $(awk -F'[ ]' '/^chirp_cache_hits_total\{cache="sessions"\}/ { printf "%d", $2 }' <<<"$m") + 0 ))
  done
  echo "$fp $ss"
}

start_cluster() { # kind
  local kind=$1 dir="$WORK/run$ROUND/cluster-$1" i t PIDS=() URLS=()
  mkdir -p "$dir"
  cluster_start_redis "$dir"
  CL_REDIS[$kind]=$REDIS_PID
  CL_DB[$kind]=
  if [[ $kind == chirp ]]; then
    CL_DB[$kind]="chirp_bench_cluster_$$_$ROUND"
    cluster_create_database "${CL_DB[$kind]}"
  fi
  # The first node creates the schema; the others start once it listens.
  for i in $(seq 0 $((CLUSTER_NODES - 1))); do cluster_start_node "$kind" "$i" "$dir"; done
  CL_PIDS[$kind]="${PIDS[*]}"
  CL_URLS[$kind]="${URLS[*]}"
  if [[ $kind == chirp ]]; then
    for i in "${!PIDS[@]}"; do
      t=$(cluster_wait_subscribed "$dir/server$i.log" "${PIDS[$i]}") || die "chirp node $i did not subscribe to Redis"
      SETTLED_AT=$(awk -v a="$SETTLED_AT" -v b="$t" -v s="$CLUSTER_SETTLE_S" 'BEGIN { printf "%.3f", (b + s > a ? b + s : a) }')
    done
  fi
  log "$kind cluster: pids ${PIDS[*]} at ${URLS[*]}, $REDIS_URL${CL_DB[$kind]:+, database ${CL_DB[$kind]}}"
}

seed_cluster() { # kind: SEED_TWEETS tweets by one user, on the first node
  local kind=$1 dir="$WORK/run$ROUND/cluster-$1" pids=(${CL_PIDS[$1]}) urls=(${CL_URLS[$1]}) out result
  out="$dir/seed.out"
  log "round $ROUND/$REPEAT, $kind: cluster_seed ($SEED_TWEETS tweets on the first node)"
  "$LOADGEN" --url "${urls[0]}" --server-pid "${pids[0]}" seed --users 1 --tweets "$SEED_TWEETS" --prefix seed \
    >"$out" 2> >(tee -a "$dir/tools.log" >&3) || die "$kind: seeding the cluster failed"
  result=$(grep -a '^{' "$out" | tail -1)
  CL_TOKEN[$kind]=$(sed -nE 's/.*"token":"([^"]+)".*/\1/p' <<<"$result")
  [[ -n ${CL_TOKEN[$kind]} ]] || die "$kind: seeding the cluster gave no token: $result"
}

# measure_cluster KIND STAGE SCRIPT PATH [env…]: one wrk per node, all at once.
measure_cluster() {
  local kind=$1 name=$2 script=$3 path=$4; shift 4
  local dir="$WORK/run$ROUND/cluster-$kind" pids=(${CL_PIDS[$kind]}) urls=(${CL_URLS[$kind]})
  local i wp=() rc=0 c=$CLUSTER_CONNECTIONS
  log "round $ROUND/$REPEAT, $kind: $name (wrk on ${#urls[@]} nodes at once, $c connections each)"
  for i in "${!urls[@]}"; do
    env "$@" wrk -t1 -c"$c" -d"${WRK_WARM}s" -s "$script" "${urls[$i]}$path" >/dev/null 2>&1 &
    wp+=("$!"); STARTED+=("$!")
  done
  for i in "${wp[@]}"; do wait "$i" || true; done
  sleep 1
  local cpu0 cpu1 t0 t1 hits0 hits1
  cpu_snapshot "$kind" >"$dir/$name.aux0"
  hits0=$(cache_hits "$kind")
  cpu0=$(sum_cpu "${pids[@]}"); t0=$(date +%s.%N)
  wp=()
  for i in "${!urls[@]}"; do
    ( TIMEFORMAT='%3U %3S'
      time env "$@" wrk -t1 -c"$c" -d"${WRK_SECS}s" --latency -s "$script" "${urls[$i]}$path" \
        >"$dir/$name.$i.out" 2>>"$dir/tools.log" ) 2>"$dir/$name.$i.time" &
    wp+=("$!"); STARTED+=("$!")
  done
  for i in "${wp[@]}"; do wait "$i" || rc=$?; done
  t1=$(date +%s.%N); cpu1=$(sum_cpu "${pids[@]}")
  cpu_snapshot "$kind" >"$dir/$name.aux1"
  hits1=$(cache_hits "$kind")
  for i in "${pids[@]}"; do kill -0 "$i" 2>/dev/null || die "$kind node $i died during $name (logs: $dir)"; done
  [[ $rc == 0 ]] || log "$kind: a wrk of $name exited with $rc"
  local tool_cpu=0
  for i in "${!urls[@]}"; do
    tool_cpu=$(fadd "$tool_cpu" "$(tail -1 "$dir/$name.$i.time" | awk '{ printf "%.3f", $1 + $2 }')")
  done
  # One result for the cluster: requests summed, latencies of the slower node.
  local result
  result=$(node -e '
    const fs = require("fs");
    const rs = process.argv.slice(1).map((f) => {
      const l = fs.readFileSync(f, "utf8").split("\n").filter((x) => x.startsWith("{")).pop();
      return l ? JSON.parse(l) : null;
    });
    if (rs.some((r) => !r)) { console.log(JSON.stringify({ error: "no JSON line from a wrk", nodes: rs })); process.exit(0); }
    const sum = (k) => rs.reduce((a, r) => a + k(r), 0);
    const max = (k) => Math.max(...rs.map(k));
    const requests = sum((r) => r.requests);
    const errors = {};
    for (const k of Object.keys(rs[0].errors)) errors[k] = sum((r) => r.errors[k]);
    const latency_us = { mean: requests ? Math.round((10 * sum((r) => r.latency_us.mean * r.requests)) / requests) / 10 : null };
    for (const k of ["p50", "p90", "p99", "p999", "max"]) latency_us[k] = max((r) => r.latency_us[k]);
    console.log(JSON.stringify({ requests, duration_us: max((r) => r.duration_us), bytes: sum((r) => r.bytes),
      requests_per_s: Math.round(10 * sum((r) => r.requests_per_s)) / 10, errors, latency_us, nodes: rs }));
  ' "$dir/$name".*.out)
  local fp0 ss0 fp1 ss1
  read -r fp0 ss0 <<<"$hits0"; read -r fp1 ss1 <<<"$hits1"
  local hits=null
  [[ $fp0 == null ]] || hits="{\"first_page\":$((fp1 - fp0)),\"sessions\":$((ss1 - ss0))}"
  printf '{"run":%d,"server":"%s","stage":"%s","nodes":%d,"exit":%d,"wall_s":%s,"server_cpu_s":%s,"aux_cpu_s":%s,"server_rss_kib":%s,"server_hwm_kib":%s,"tool_cpu_s":%s,"cache_hits":%s,"result":%s}\n' \
    "$ROUND" "$kind" "$name" "${#pids[@]}" "$rc" "$(fsub "$t1" "$t0")" "$(fsub "$cpu1" "$cpu0")" \
    "$(cpu_delta "$dir/$name.aux0" "$dir/$name.aux1")" "$(mem_sum VmRSS "${pids[@]}")" \
    "$(mem_sum VmHWM "${pids[@]}")" "$tool_cpu" "$hits" "$result" >>"$RESULTS"
}

stop_cluster() { # kind: record the nodes' whole-life CPU and peak RSS, stop everything, drop the database
  local kind=$1 pids=(${CL_PIDS[$1]}) p
  # Whole life of the nodes; of Redis and of the PostgreSQL backends still connected.
  printf '{"run":%d,"server":"%s","stage":"total_cluster","pids":"%s","server_cpu_s":%s,"aux_cpu_s":%s,"server_hwm_kib":%s}\n' \
    "$ROUND" "$kind" "${pids[*]}" "$(sum_cpu "${pids[@]}")" \
    "$(cpu_snapshot "$kind" | awk '{ t += $2 } END { printf "%.3f", t }')" \
    "$(mem_sum VmHWM "${pids[@]}")" >>"$RESULTS"
  for p in "${pids[@]}" "${CL_REDIS[$kind]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}" "${CL_REDIS[$kind]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [[ -n ${CL_DB[$kind]} ]]; then cluster_drop_database "${CL_DB[$kind]}" || true; fi
}

run_cluster() {
  [[ $DO_CLUSTER == 1 ]] || return 0
  local kind wait
  SETTLED_AT=0
  for kind in "${SERVERS[@]}"; do start_cluster "$kind"; done
  for kind in $(order 0); do seed_cluster "$kind"; done
  wait=$(awk -v a="$SETTLED_AT" -v b="$(date +%s.%N)" 'BEGIN { d = a - b; printf "%.1f", (d > 0 ? d : 0) }')
  if [[ $wait != 0.0 ]]; then
    log "waiting ${wait} s for the Chirp nodes' settle period (caches are bypassed in it)"
    sleep "$wait"
  fi
  for kind in $(order 0); do measure_cluster "$kind" cluster_get "$BENCH/wrk/get.lua" "/api/tweets?limit=20"; done
  for kind in $(order 1); do measure_cluster "$kind" cluster_post "$BENCH/wrk/post.lua" "" CHIRP_TOKEN="${CL_TOKEN[$kind]}"; done
  for kind in "${SERVERS[@]}"; do stop_cluster "$kind"; done
}

# ----------------------------------------------------------------------------------- run
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
# Busy CPU of the whole machine (user, nice, system, irq, softirq, steal), to tell how much
# other work shared the cores during the run.
busy_s() { awk -v t="$TICKS" '$1 == "cpu" { printf "%.1f", ($2 + $3 + $4 + $7 + $8 + $9) / t }' /proc/stat; }
started=$(date +%s)
busy0=$(busy_s); load0=$(cut -d' ' -f1-3 /proc/loadavg)
for ROUND in $(seq "$REPEAT"); do run_round; done
busy1=$(busy_s); load1=$(cut -d' ' -f1-3 /proc/loadavg)

META="$WORK/meta.json"
cat >"$META" <<EOF
{
  "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "quick": $([[ $QUICK == 1 ]] && echo true || echo false),
  "rounds": $REPEAT,
  "rebuilt": $([[ $BUILD == 1 ]] && echo true || echo false),
  "machine_busy_cpu_s": $(fsub "$busy1" "$busy0"),
  "loadavg_start": "$load0",
  "loadavg_end": "$load1",
  "seconds": $(( $(date +%s) - started )),
  "cpu": "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo | tr -d '"')",
  "cores": $(nproc),
  "memory_gib": $(awk '/MemTotal/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo),
  "kernel": "$(uname -r)",
  "os": "$(. /etc/os-release && echo "$PRETTY_NAME")",
  "open_files": $(ulimit -n),
  "rustc": "$(rustc --version)",
  "node": "$(node --version)",
  "wrk": "$(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }')",
  "chirp_commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- src Cargo.toml 2>/dev/null || echo '+dirty')",
  "node_packages": $(cd "$BENCH/baseline-node" && node -e '
    const l = require("./package-lock.json").packages;
    const v = (n) => l["node_modules/" + n]?.version;
    console.log(JSON.stringify({ express: v("express"), "socket.io": v("socket.io"), "better-sqlite3": v("better-sqlite3"), ws: v("ws") }));'),
  "suite": {
    "idle": [$IDLE_SOCKETS, $IDLE_HOLD], "fanout_a": [$FAN_A_SOCKETS, $FAN_A_TWEETS],
    "fanout_b": [$FAN_B_SOCKETS, $FAN_B_TWEETS], "rate": [$RATE_SOCKETS, $RATE_TPS, $RATE_SECS],
    "polling": [$POLL_CLIENTS, $POLL_TWEETS], "wrk": [$WRK_THREADS, $WRK_CONNECTIONS, $WRK_SECS],
    "soak": $([[ $SOAK == 1 ]] && echo "[$SOAK_SOCKETS, $SOAK_HOLD]" || echo null),
    "home": $([[ $DO_HOME == 1 ]] && echo "[$HOME_SOCKETS, $HOME_AUTHORS, $HOME_FOLLOWS, $HOME_TWEETS, $HOME_RATE, $HOME_SECS]" || echo null),
    "cluster": $([[ $DO_CLUSTER == 1 ]] && echo "[$CLUSTER_NODES, $CLUSTER_CONNECTIONS, $WRK_SECS, $CLUSTER_SETTLE_S]" || echo null),
    "main": $([[ $HOME_ONLY == 0 && $CLUSTER_ONLY == 0 ]] && echo true || echo false)
  }
}
EOF
node "$BENCH/report.mjs" "$META" "$RESULTS" "$OUT/latest.md" "$OUT/latest.json"
node "$BENCH/charts.mjs" "$OUT/latest.json" "$OUT"
cat "$OUT/latest.md"
if [[ $PUBLISH == 1 ]]; then
  # The charts of this run under the table (paths relative to BENCHMARKS.md).
  charts="$(realpath --relative-to="$ROOT" "$OUT")"
  printf '\n![Delivery latency against sockets reached](%s/latency.svg)\n![Server memory against idle WebSockets](%s/memory.svg)\n![Chirp ÷ Node, every bar](%s/ratios.svg)\n' \
    "$charts" "$charts" "$charts" >>"$OUT/latest.md"
  # Replace the table between the markers in BENCHMARKS.md with this run's.
  node -e '
    const fs = require("fs");
    const [doc, table] = process.argv.slice(1);
    const text = fs.readFileSync(doc, "utf8");
    const re = /(<!-- latest-run:start -->\n)[\s\S]*?(<!-- latest-run:end -->)/;
    if (!re.test(text)) { console.error("no latest-run markers in " + doc); process.exit(1); }
    fs.writeFileSync(doc, text.replace(re, (_, a, b) => a + fs.readFileSync(table, "utf8") + b));
  ' "$ROOT/BENCHMARKS.md" "$OUT/latest.md"
  log "published the table in BENCHMARKS.md"
fi
log "wrote $OUT/latest.md and $OUT/latest.json in $(( $(date +%s) - started )) s"
run_search
