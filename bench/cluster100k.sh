#!/usr/bin/env bash
# 100,000 sockets over six processes, one tweet to all: Chirp (six `chirp serve` nodes on one
# throwaway PostgreSQL database and one redis-server of its own) beside the Node baseline (six
# `server.js` processes with the official @socket.io/redis-adapter on their own redis-server,
# sharing one SQLite file in WAL mode). One load-generator process per node holds that node's
# sockets (one process may hold ~19.9k descriptors), each from its own source addresses; once
# every process has all its sockets connected, one tweet is posted on the first node, and
# each process reports its last delivery in Unix microseconds. Reported per cluster: sockets
# connected, delivered, missed, dropped, time from just before the POST to the last delivery
# anywhere, and each node's RSS holding its sockets.
#
#   bench/cluster100k.sh                           6 nodes × 16,667 sockets (100,002)
#   bench/cluster100k.sh --sockets-per-node 3000   a reduced run
#
# Options: --nodes N (6), --sockets-per-node N (16667), --only chirp|node, --no-build,
# --timeout S (the whole run, default 1200), --out DIR (default bench/results: one JSON line
# per cluster is appended to cluster100k.jsonl); CHIRP_BIN / LOADGEN_BIN pick other binaries.
# Everything it starts is stopped and the database dropped on exit, also on failure, Ctrl-C
# or the timeout. Traffic stays on 127.0.0.0/8.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
OUT="$BENCH/results"
NODES=6
PER_NODE=16667
SERVERS=(chirp node)
BUILD=1
TIMEOUT=1200
PG_ADMIN=${CHIRP_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --nodes) NODES="$2"; shift ;;
    --sockets-per-node) PER_NODE="$2"; shift ;;
    --only) SERVERS=("$2"); shift ;;
    --no-build) BUILD=0 ;;
    --timeout) TIMEOUT="$2"; shift ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'cluster100k.sh: %s\n' "$*" >&2; exit 1; }
NODE_DIR="$BENCH/baseline-node"
CLUSTER_DB_POOL=4 # six nodes on one PostgreSQL server
# shellcheck source=bench/cluster-lib.sh
. "$BENCH/cluster-lib.sh"
for n in "$NODES" "$PER_NODE" "$TIMEOUT"; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "numbers must be positive: $n"; done
(( NODES <= 50 )) || die "--nodes is at most 50"

# ------------------------------------------------------------------ cleanup of what we start
STARTED=()
WORK=
WATCHDOG=
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  if [[ -n $WATCHDOG ]]; then
    kill $(ps -o pid= --ppid "$WATCHDOG" 2>/dev/null) "$WATCHDOG" 2>/dev/null || true
  fi
  for pid in "${STARTED[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${STARTED[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  cluster_drop_databases
  if [[ -n $WORK && -d $WORK ]]; then
    if [[ $rc == 0 ]]; then rm -rf "$WORK"; else echo "cluster100k.sh: logs kept in $WORK" >&2; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'echo "cluster100k.sh: stopped (timeout or TERM)" >&2; exit 124' TERM
# The whole run is bounded: the watchdog TERMs this script, whose trap stops everything.
# (Its output goes nowhere, so a pipe from this script closes when the script ends.)
( sleep "$TIMEOUT" && kill -TERM $$ ) </dev/null >/dev/null 2>&1 &
WATCHDOG=$!

# ----------------------------------------------------------------------------- preflight
for c in cargo node psql redis-server curl; do command -v "$c" >/dev/null || die "$c is needed"; done
if [[ $BUILD == 1 ]]; then
  log "building chirp and loadgen (release)"
  (cd "$ROOT" && cargo build --release -p chirp -p loadgen) >&2
fi
CHIRP=${CHIRP_BIN:-$ROOT/target/release/chirp}
LOADGEN=${LOADGEN_BIN:-$ROOT/target/release/loadgen}
[[ -x $CHIRP && -x $LOADGEN ]] || die "missing release binaries: run without --no-build"
if [[ ! -f $NODE_DIR/node_modules/.package-lock.json || $NODE_DIR/package-lock.json -nt $NODE_DIR/node_modules/.package-lock.json ]]; then
  log "installing the Node baseline (npm ci)"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund) >&2
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) >= PER_NODE + 200 )) || die "the open-file limit $(ulimit -n) is below $PER_NODE sockets per process"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/chirp-100k.XXXXXX")
mkdir -p "$OUT"

rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

run_cluster() { # kind
  local kind=$1 dir="$WORK/$1" i
  mkdir -p "$dir"
  PIDS=(); URLS=()
  cluster_start_redis "$dir"
  if [[ $kind == chirp ]]; then cluster_create_database "chirp_bench_100k_$$"; fi
  # The first node creates the schema; the others start once it listens.
  for i in $(seq 0 $((NODES - 1))); do cluster_start_node "$kind" "$i" "$dir"; done
  log "$kind: $NODES nodes at ${URLS[*]}"
  local creds='{"username":"bigposter","password":"loadgen password"}' token
  curl -sf -X POST -H 'content-type: application/json' -d "$creds" "${URLS[0]}/api/users" >/dev/null
  token=$(curl -sf -X POST -H 'content-type: application/json' -d "$creds" "${URLS[0]}/api/sessions" |
    sed -nE 's/.*"token":"([^"]+)".*/\1/p')
  [[ -n $token ]] || die "$kind: could not sign the poster in"
  local rss0=()
  for i in "${!PIDS[@]}"; do rss0+=("$(rss_kib "${PIDS[$i]}")"); done

  # One listener process per node, each on its own eight source addresses.
  local lpids=() t_connect=$(date +%s.%N)
  for i in "${!URLS[@]}"; do
    "$LOADGEN" --url "${URLS[$i]}" --server-pid "${PIDS[$i]}" --sources "127.0.$((i + 1)).2-127.0.$((i + 1)).9" \
      --connect-concurrency 100 --threads 1 \
      listen --sockets "$PER_NODE" --ready-file "$dir/ready$i" --timeout-secs 600 --deliver-secs 60 \
      >"$dir/listen$i.out" 2>"$dir/listen$i.log" &
    lpids+=("$!"); STARTED+=("$!")
  done
  log "$kind: connecting $((NODES * PER_NODE)) sockets ($NODES processes)"
  local ready
  while :; do
    ready=0
    for i in "${!URLS[@]}"; do [[ -s $dir/ready$i ]] && ready=$((ready + 1)); done
    (( ready == NODES )) && break
    for i in "${!lpids[@]}"; do
      if ! kill -0 "${lpids[$i]}" 2>/dev/null && [[ ! -s $dir/ready$i ]]; then
        cat "$dir/listen$i.log" >&2; die "$kind: listener $i exited before its sockets were connected"
      fi
    done
    sleep 0.5
  done
  local connect_s; connect_s=$(awk -v a="$t_connect" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  log "$kind: all connected in ${connect_s} s; settling 3 s, then one tweet"
  sleep 3
  local rss1=() hwm=()
  for i in "${!PIDS[@]}"; do rss1+=("$(rss_kib "${PIDS[$i]}")"); done
  local t0; t0=$(date +%s%6N)
  local post_s
  post_s=$(curl -sf -o "$dir/post.json" -w '%{time_total}' -X POST -H 'content-type: application/json' \
    -H "authorization: Bearer $token" -d '{"text":"One tweet to a hundred thousand sockets."}' \
    "${URLS[0]}/api/tweets") || die "$kind: the POST failed"
  for i in "${!lpids[@]}"; do wait "${lpids[$i]}" || log "$kind: listener $i exited with $?"; done
  for i in "${!PIDS[@]}"; do hwm+=("$(hwm_kib "${PIDS[$i]}")"); done
  # Put the processes' figures together.
  node - "$kind" "$NODES" "$PER_NODE" "$t0" "$connect_s" "$post_s" "${rss0[*]}" "${rss1[*]}" "${hwm[*]}" "$dir"/listen*.out <<'JS' | tee -a "$OUT/cluster100k.jsonl"
const fs = require('fs');
const [kind, nodes, perNode, t0, connectS, postS, rss0, rss1, hwm, ...outs] = process.argv.slice(2);
const res = outs.map((f) => JSON.parse(fs.readFileSync(f, 'utf8').trim().split('\n').filter((l) => l.startsWith('{')).pop() || '{"error":"no JSON"}'));
const sum = (k) => res.reduce((a, r) => a + (Number(k(r)) || 0), 0);
const last = Math.max(...res.map((r) => r.last_delivery_unix_us ?? 0));
const ids = new Set(res.map((r) => r.tweet_id));
const n = (s) => s.split(' ').map(Number);
console.log(JSON.stringify({
  date: new Date().toISOString(), kind, nodes: +nodes, sockets_per_node: +perNode,
  wanted: +nodes * +perNode, connected: sum((r) => r.connect?.connected), connect_failed: sum((r) => r.connect?.failed),
  connect_s: +connectS, delivered: sum((r) => r.delivered), missed: sum((r) => r.missed),
  dropped: sum((r) => r.disconnected), duplicates: sum((r) => r.duplicates), one_tweet_id: ids.size === 1,
  post_answered_ms: Math.round(Number(postS) * 1e4) / 10,
  time_to_last_ms: last ? Math.round((last - Number(t0)) / 100) / 10 : null,
  time_to_last_ms_per_node: res.map((r) => (r.last_delivery_unix_us ? Math.round((r.last_delivery_unix_us - Number(t0)) / 100) / 10 : null)),
  rss_mib_before: n(rss0).map((k) => Math.round(k / 102.4) / 10), rss_mib_holding: n(rss1).map((k) => Math.round(k / 102.4) / 10),
  hwm_mib: n(hwm).map((k) => Math.round(k / 102.4) / 10),
  errors: res.filter((r) => r.error).map((r) => r.error),
}));
JS
  for pid in "${PIDS[@]}" "$REDIS_PID"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}" "$REDIS_PID"; do for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; done
  if [[ $kind == chirp ]]; then cluster_drop_database "chirp_bench_100k_$$"; fi
}

for s in "${SERVERS[@]}"; do
  case "$s" in chirp|node) run_cluster "$s" ;; *) die "unknown server $s" ;; esac
done
log "appended to $OUT/cluster100k.jsonl"
