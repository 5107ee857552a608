#!/usr/bin/env bash
# The chaos soak: tests/cluster/chaos.test.mjs run long. Three nodes on one PostgreSQL
# database and a private redis-server, official socket.io-client sockets on each, posting on
# all three, Redis killed and restarted every few seconds, one node killed with SIGKILL and
# restarted; it fails unless every socket that stayed connected got every acknowledged tweet
# once, in id order. Each run appends its figures as one JSON line to bench/results/chaos.jsonl.
#
#   bench/chaos.sh [--runs N] [--seconds S] [--sockets N] [--posters N] [--release]
#
# Defaults: 1 run of 120 s, 16 anonymous sockets per node (plus one signed in), 2 posting loops
# per node: ≥100,000 deliveries per run on the debug build. --release builds and uses the
# release binary. Needs what the test command needs: PostgreSQL (CHIRP_TEST_POSTGRES_URL,
# default postgres://postgres@127.0.0.1:5432/test), redis-server on PATH, node_modules.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

runs=1 seconds=120 sockets=16 posters=2 profile=debug
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --sockets) sockets=$2; shift 2 ;;
    --posters) posters=$2; shift 2 ;;
    --release) profile=release; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ $profile == release ]]; then cargo build --release --bin chirp; else cargo build --bin chirp; fi
[[ -d node_modules ]] || npm ci --no-audit --no-fund

export CHIRP_BIN="${CARGO_TARGET_DIR:-$root/target}/$profile/chirp"
export CHIRP_CHAOS_SECONDS=$seconds CHIRP_CHAOS_SOCKETS=$sockets CHIRP_CHAOS_POSTERS=$posters
export CHIRP_CHAOS_REPORT="$root/bench/results/chaos.jsonl"
mkdir -p "$(dirname "$CHIRP_CHAOS_REPORT")"

failed=0
for ((i = 1; i <= runs; i++)); do
  echo "==> chaos run $i of $runs ($seconds s, $sockets+1 sockets and $posters posters per node, $profile build)"
  if ! node --test --test-concurrency=1 --test-reporter=spec tests/cluster/chaos.test.mjs; then
    failed=$((failed + 1))
  fi
  tail -1 "$CHIRP_CHAOS_REPORT"
done
echo "$((runs - failed)) of $runs runs passed; figures in $CHIRP_CHAOS_REPORT"
((failed == 0))
