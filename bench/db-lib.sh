# Sourced by the database benchmarks (list_reads.sh, home_sparse.sh, search.sh): one server
# at a time on a seeded database, and requests timed against it (bench/http-times.mjs).
# The caller sets $root (the checkout), $port, $pgurl and $drop (the PostgreSQL databases it
# makes there) first. Sourcing makes $tmp (a scratch directory, where the server's log goes)
# and $bin ($CHIRP_BIN, else a release build of this checkout), and on exit stops the server,
# removes $tmp and drops the databases.

tmp="$(mktemp -d)"
server=""
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$tmp"
  local d
  for d in "${drop[@]}"; do
    psql -q "$pgurl" -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

bin="${CHIRP_BIN:-}"
if [[ -z $bin ]]; then
  (cd "$root" && cargo build --release --bin chirp >&2)
  bin="${CARGO_TARGET_DIR:-$root/target}/release/chirp"
fi

start() { # DATABASE_URL [EXTRA FLAGS…]: run the server in the background, wait until it answers
  try_start "$@" && return
  cat "$tmp/server.log" >&2
  exit 1
}

try_start() { # DATABASE_URL [EXTRA FLAGS…]: as `start`, but a server that exits or never
  local url=$1 # answers is a failure (status 1, $server unset, its log in $tmp/server.log)
  shift
  "$bin" serve --addr "127.0.0.1:$port" --database-url "$url" --rate-limits off \
    --log-format text "$@" >"$tmp/server.log" 2>&1 &
  server=$!
  for _ in $(seq 600); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
  return 1
}

stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

http_times() { # PATH [http-times.mjs options…] → the quantiles, in ms, space-separated
  local path=$1
  shift
  node "$(dirname "${BASH_SOURCE[0]}")/http-times.mjs" --port "$port" --path "$path" "$@"
}
