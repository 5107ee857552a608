#!/usr/bin/env bash
# Follow rate (issue 24): every ordered pair of N fresh users follows, then unfollows, with
# 64 requests in flight (`loadgen follows`), on Chirp with SQLite and with PostgreSQL and on
# the Node baseline (SQLite), each on a fresh database and a fresh process.
#
#   bench/follows.sh [--users N] [--in-flight M] [--only chirp-sqlite|chirp-postgres|node]
#
# CHIRP_BIN (default target/release/chirp) and LOADGEN_BIN (target/release/loadgen) are
# used as they are: build them first (`cargo build --release -p chirp -p loadgen`). Chirp
# runs with rate limits off, as in compare.sh. PostgreSQL: a throwaway database beside
# $CHIRP_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test), dropped after.
# One JSON line per server on stdout; a summary on stderr. Traffic stays on 127.0.0.0/8.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CHIRP=${CHIRP_BIN:-$TARGET/release/chirp}
LOADGEN=${LOADGEN_BIN:-$TARGET/release/loadgen}
PG=${CHIRP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
USERS=150 IN_FLIGHT=64 ONLY=
while [[ $# -gt 0 ]]; do
  case $1 in
    --users) USERS=$2; shift 2 ;;
    --in-flight) IN_FLIGHT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d)
PID= DB=
cleanup() {
  [[ -n $PID ]] && { kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }
  [[ -n $DB ]] && psql "$PG" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

run() { # name, then the server command (it must print "listening on http://…")
  local name=$1 url=; shift
  [[ -z $ONLY || $ONLY == "$name" ]] || return 0
  "$@" >"$WORK/$name.log" 2>&1 &
  PID=$!
  for _ in $(seq 300); do
    url=$(grep -aoE 'listening on http://127\.[0-9.]+:[0-9]+' "$WORK/$name.log" | head -1 | sed 's/listening on //') || true
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || { cat "$WORK/$name.log" >&2; exit 1; }
  echo "$name at $url (pid $PID)" >&2
  "$LOADGEN" --url "$url" --sources none --server-pid "$PID" follows \
    --users "$USERS" --in-flight "$IN_FLIGHT" | tail -1 | sed "s/^{/{\"server\":\"$name\",/"
  kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; PID=
}

run chirp-sqlite env NO_COLOR=1 "$CHIRP" serve --addr 127.0.0.1:0 \
  --database-url "sqlite://$WORK/chirp.db" --rate-limits off
if [[ -z $ONLY || $ONLY == chirp-postgres ]]; then
  DB=chirp_follows_$$
  psql "$PG" -qc "CREATE DATABASE $DB" >/dev/null
  run chirp-postgres env NO_COLOR=1 "$CHIRP" serve --addr 127.0.0.1:0 \
    --database-url "${PG%/*}/$DB" --rate-limits off
fi
run node node "$BENCH/baseline-node/server.js" --port 0 --db "$WORK/node.db"
