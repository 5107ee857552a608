#!/usr/bin/env bash
# A/B of POST /api/tweets between two chirp binaries: each round starts each binary on a fresh
# SQLite database, signs one user in, runs wrk (2 threads x 50 connections x 8 s,
# bench/wrk/post.lua) and prints requests/s and the server's CPU per request; old and new
# alternate so that whatever else the machine does hits both alike.
#
#   bench/post-ab.sh OLD_BIN NEW_BIN [ROUNDS (default 3)]
#   WRK_SCRIPT=bench/wrk/post-words.lua bench/post-ab.sh …   (another request body)
#
# Needs wrk, curl and python3. Talks only to 127.0.0.1.
set -euo pipefail
[[ $# -ge 2 ]] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
old=$1 new=$2 rounds=${3:-3}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ticks=$(getconf CLK_TCK)

run() { # NAME BIN PORT
  local dir pid token c0 c1 requests rps
  dir=$(mktemp -d)
  "$2" serve --addr "127.0.0.1:$3" --database-url "sqlite://$dir/chirp.db" --rate-limits off >"$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$3/healthz" >/dev/null && break; sleep 0.1; done
  curl -fs -XPOST "127.0.0.1:$3/api/users" -H 'content-type: application/json' \
    -d '{"username":"bench","password":"benchbench"}' >/dev/null
  token=$(curl -fs -XPOST "127.0.0.1:$3/api/sessions" -H 'content-type: application/json' \
    -d '{"username":"bench","password":"benchbench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  c0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  out=$(CHIRP_TOKEN=$token wrk -t2 -c50 -d8s -s "${WRK_SCRIPT:-$here/wrk/post.lua}" "http://127.0.0.1:$3" 2>/dev/null)
  c1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
  requests=$(grep -o '"requests": *[0-9]*' <<<"$out" | grep -o '[0-9]*$')
  rps=$(grep -o 'Requests/sec: *[0-9.]*' <<<"$out" | grep -o '[0-9.]*$')
  awk -v n="$1" -v r="$rps" -v q="$requests" -v c=$((c1 - c0)) -v t="$ticks" \
    'BEGIN { printf "%s  %8.0f requests/s  %6.1f us CPU per request\n", n, r, c / t * 1e6 / q }'
  kill "$pid"; wait "$pid" 2>/dev/null || true; rm -rf "$dir"
}

for i in $(seq "$rounds"); do
  run old "$old" 18961
  run new "$new" 18962
done
