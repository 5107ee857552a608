#!/usr/bin/env bash
# What Socket.IO connection state recovery costs (issue 24): the idle and fan-out stages of
# compare.sh against one release server started with `--socket-recovery ask` (the default:
# the load generator's sockets do not ask, so they get the same bytes as before) and with
# `--socket-recovery all` (every socket gets a pid and each event with its offset: one more
# encoding per event, shared by all of them). Rounds alternate the two; prints one JSON line
# per stage and a table of medians. Sends traffic only to 127.0.0.0/8.
#
#   bench/recovery.sh                  # 3 rounds, 5,000 idle sockets, 1,000 × 100 fan-out
#   ROUNDS=1 IDLE_SOCKETS=1000 bench/recovery.sh
#
# Needs the release binaries: `cargo build --release -p chirp -p loadgen` (CARGO_TARGET_DIR
# respected).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
CHIRP="${CHIRP_RELEASE:-$target/release/chirp}"
LOADGEN="${LOADGEN:-$target/release/loadgen}"
ROUNDS="${ROUNDS:-3}"
IDLE_SOCKETS="${IDLE_SOCKETS:-5000}"
FAN_SOCKETS="${FAN_SOCKETS:-1000}"
FAN_TWEETS="${FAN_TWEETS:-100}"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
work="$(mktemp -d)"
server_pid=""
cleanup() { [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start() { # mode
  local log="$work/server-$1.log"
  rm -f "$work/chirp.db"*
  "$CHIRP" serve --addr 127.0.0.1:0 --database-url "sqlite://$work/chirp.db" \
    --rate-limits off --max-sockets-per-address 0 --socket-recovery "$1" >"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do
    url=$(sed -nE 's/.*listening on (http:\/\/[0-9.:]+).*/\1/p' "$log" | head -1)
    [[ -n $url ]] && return 0
    sleep 0.1
  done
  echo "chirp did not start: $(cat "$log")" >&2
  exit 1
}

stop() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

results="$work/results.jsonl"
for round in $(seq "$ROUNDS"); do
  for mode in ask all; do
    start "$mode"
    idle=$("$LOADGEN" --url "$url" --server-pid "$server_pid" idle --sockets "$IDLE_SOCKETS" --hold-secs 5 | grep -a '^{' | tail -1)
    sleep 1
    fan=$("$LOADGEN" --url "$url" --server-pid "$server_pid" fanout --sockets "$FAN_SOCKETS" --tweets "$FAN_TWEETS" | grep -a '^{' | tail -1)
    stop
    line=$(node -e '
      const [mode, round, idle, fan] = process.argv.slice(1);
      const i = JSON.parse(idle), f = JSON.parse(fan);
      console.log(JSON.stringify({ round: +round, mode,
        idle_bytes_per_socket: i.bytes_per_socket,
        fanout_cpu_us_per_delivery: f.server && f.server.cpu_us_per_delivery,
        fanout_missed: f.missed, fanout_duplicates: f.duplicates,
        fanout_last_p50_ms: f.time_to_last && f.time_to_last.p50_ms }));
    ' "$mode" "$round" "$idle" "$fan")
    echo "$line" | tee -a "$results"
  done
done

node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const median = (xs) => { const s = xs.filter((x) => x != null).sort((a, b) => a - b); return s.length ? s[Math.floor((s.length - 1) / 2)] : null; };
  console.log("\n| --socket-recovery | idle bytes per socket | fan-out server CPU per delivery (µs) | missed | duplicates |");
  console.log("|---|---|---|---|---|");
  for (const mode of ["ask", "all"]) {
    const rows = lines.filter((l) => l.mode === mode);
    console.log(`| ${mode} | ${median(rows.map((r) => r.idle_bytes_per_socket))} | ${median(rows.map((r) => r.fanout_cpu_us_per_delivery))} | ${rows.reduce((s, r) => s + (r.fanout_missed || 0), 0)} | ${rows.reduce((s, r) => s + (r.fanout_duplicates || 0), 0)} |`);
  }
' "$results"
