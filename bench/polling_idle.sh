#!/usr/bin/env bash
# Memory per idle long-polling client (issue 24): a fresh `chirp serve` on SQLite, N
# long-polling Socket.IO clients (`loadgen idle --polling`: each holds one GET), the server's
# RSS growth over them. One "idle:" line on stderr, the JSON figures on stdout.
#
#   bench/polling_idle.sh [N]    (default 2000)
#
# CHIRP_BIN (default target/release/chirp) and LOADGEN_BIN (target/release/loadgen): build
# them first (`cargo build --release -p chirp -p loadgen`). Traffic stays on 127.0.0.1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
CHIRP=${CHIRP_BIN:-$TARGET/release/chirp}
LOADGEN=${LOADGEN_BIN:-$TARGET/release/loadgen}
N=${1:-2000}
WORK=$(mktemp -d)
NO_COLOR=1 "$CHIRP" serve --addr 127.0.0.1:0 --database-url "sqlite://$WORK/chirp.db" \
  --rate-limits off --max-sockets-per-address 0 >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
URL=
for _ in $(seq 300); do
  URL=$(grep -aoE 'listening on http://127\.[0-9.]+:[0-9]+' "$WORK/server.log" | head -1 | sed 's/listening on //') || true
  [[ -n $URL ]] && break
  sleep 0.1
done
[[ -n $URL ]] || { cat "$WORK/server.log" >&2; exit 1; }
"$LOADGEN" --url "$URL" --sources none --server-pid "$PID" idle --polling --sockets "$N" --hold-secs 6 | tail -1
