#!/usr/bin/env bash
# Does hiding cost fan-out anything? (issue 20) The home stage of compare.sh, Chirp only, in
# two variants on the same seed: `plain` (nobody hides anyone) and `hides` (a share of the
# viewers, 10% by default, each block or mute 5 of the 20 most followed authors; blocks also
# remove the follows). Rounds alternate which variant goes first, each run on a fresh
# process and a freshly seeded SQLite file, so a noisy neighbour hits both alike. loadgen
# judges every delivery against the graph: `to_hider` (a tweet delivered to a viewer who
# hides its author) must be 0, and nothing may be missed.
#
#   bench/home_hides.sh                  10,000 sockets, 2,000 authors, 200 follows each,
#                                        1M tweets, 10 tweets/s for 20 s, 3 rounds (~10 min)
#   bench/home_hides.sh --quick          1,000 sockets, 500 authors, 50 follows, 100k tweets,
#                                        10 tweets/s for 5 s, 1 round
#
# Options: --rounds N, --sockets N, --share S (default 0.1), --seconds S, --popular F (a share
# F of the tweets by the 20 most followed authors, the ones hidden, instead of authors picked
# uniformly as in compare.sh: the hidden authors then post, and the check has something to
# withhold), --no-build (use $CARGO_TARGET_DIR/release/{chirp,loadgen} as they are), --out
# DIR (default bench/results).
# Appends one JSON line per run to DIR/home_hides.jsonl and prints a Markdown summary: the
# median server CPU per delivery and per tweet of each variant, their ratio, and the
# deliveries checked. Needs node with bench/baseline-node's better-sqlite3 (for the seeder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
OUT="$BENCH/results"
BUILD=1
ROUNDS=3 SOCKETS=10000 AUTHORS=2000 FOLLOWS=200 TWEETS=1000000 RATE=10 SECS=20
SHARE=0.1
POPULAR=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) ROUNDS=1 SOCKETS=1000 AUTHORS=500 FOLLOWS=50 TWEETS=100000 SECS=5 ;;
    --rounds) ROUNDS="$2"; shift ;;
    --sockets) SOCKETS="$2"; shift ;;
    --share) SHARE="$2"; shift ;;
    --seconds) SECS="$2"; shift ;;
    --popular) POPULAR="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --out) OUT="$2"; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'home_hides.sh: %s\n' "$*" >&2; exit 1; }

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ $BUILD == 1 ]]; then
  log "building chirp and loadgen (release)"
  (cd "$ROOT" && cargo build --release -p chirp -p loadgen) >&2
fi
CHIRP="$TARGET/release/chirp"
LOADGEN="$TARGET/release/loadgen"
[[ -x $CHIRP && -x $LOADGEN ]] || die "missing $CHIRP or $LOADGEN: run without --no-build"
NODE_DIR="$BENCH/baseline-node"
if [[ ! -f $NODE_DIR/node_modules/.package-lock.json ]]; then
  log "installing the seeder's better-sqlite3 (npm ci in bench/baseline-node)"
  (cd "$NODE_DIR" && npm ci --no-audit --no-fund) >&2
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) > SOCKETS + 100 )) || die "the open-file limit $(ulimit -n) is too low for $SOCKETS sockets"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/chirp-hides.XXXXXX")
PID=
cleanup() {
  local rc=$?
  if [[ -n $PID ]] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null || true
  fi
  if [[ $rc == 0 ]]; then rm -rf "$WORK"; else echo "home_hides.sh: logs kept in $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$OUT"
RESULTS="$OUT/home_hides.jsonl"
STAMP=$(date -u +%Y-%m-%dT%H:%M:%SZ)

start() { # dir log-name → PID, URL
  local logf="$1/$2.log"
  NO_COLOR=1 "$CHIRP" serve --addr 127.0.0.1:0 --database-url "sqlite://$1/chirp.db" \
    --rate-limits off --max-sockets-per-address 0 >"$logf" 2>&1 &
  PID=$!
  URL=
  for _ in $(seq 300); do
    URL=$(grep -aoE 'listening on http://127\.[0-9.]+:[0-9]+' "$logf" | head -1 | sed 's/listening on //') || true
    [[ -n $URL ]] && return
    kill -0 "$PID" 2>/dev/null || { cat "$logf" >&2; die "chirp exited at start"; }
    sleep 0.1
  done
  die "chirp did not say where it listens within 30 s"
}
stop() {
  kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$PID" 2>/dev/null || true
  PID=
}

run() { # round variant
  local round=$1 variant=$2 dir="$WORK/$1-$2" share=0
  [[ $variant == hides ]] && share=$SHARE
  mkdir -p "$dir"
  start "$dir" migrate && stop # the server creates its schema
  log "round $round, $variant: seeding (hide share $share)"
  node "$BENCH/home-seed.mjs" --kind chirp --db "$dir/chirp.db" --users "$SOCKETS" --authors "$AUTHORS" \
    --follows "$FOLLOWS" --tweets "$TWEETS" --hide-share "$share" --graph "$dir/graph.txt" >&2
  start "$dir" server
  local load0 load1 result stat0 stat1
  load0=$(cut -d' ' -f1-3 /proc/loadavg)
  stat0=$(head -1 /proc/stat)
  log "round $round, $variant: $SOCKETS home sockets, $RATE tweets/s for $SECS s (load average $load0)"
  result=$("$LOADGEN" --url "$URL" --server-pid "$PID" home --graph "$dir/graph.txt" --sockets "$SOCKETS" \
    --rate "$RATE" --seconds "$SECS" --drain-secs 60 --top-authors 20 --top-share "$POPULAR" | grep -a '^{' | tail -1)
  load1=$(cut -d' ' -f1-3 /proc/loadavg)
  stat1=$(head -1 /proc/stat)
  stop
  [[ -n $result ]] || die "loadgen printed no result"
  # How busy both cores were over the whole run (this server, loadgen and everyone else).
  local busy
  busy=$(printf '%s\n%s\n' "$stat0" "$stat1" | awk '{ idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i }
    NR == 1 { i0 = idle; t0 = total } NR == 2 { printf "%.3f", 1 - (idle - i0) / (total - t0) }')
  printf '{"at":"%s","round":%d,"variant":"%s","share":%s,"load_before":"%s","load_after":"%s","machine_busy":%s,"result":%s}\n' \
    "$STAMP" "$round" "$variant" "$share" "$load0" "$load1" "$busy" "$result" | tee -a "$RESULTS" >/dev/null
  rm -rf "$dir"
}

for ((r = 1; r <= ROUNDS; r++)); do
  if (( r % 2 )); then run "$r" plain; run "$r" hides; else run "$r" hides; run "$r" plain; fi
done

# The summary of this invocation's runs.
STAMP="$STAMP" RESULTS="$RESULTS" node --input-type=module -e '
import { readFileSync } from "node:fs";
const runs = readFileSync(process.env.RESULTS, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((r) => r.at === process.env.STAMP);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const of = (v) => runs.filter((r) => r.variant === v).map((r) => r.result);
const row = (v) => {
  const rs = of(v);
  const perDelivery = median(rs.map((r) => r.server.cpu_us_per_delivery));
  const perTweet = median(rs.map((r) => (r.server.cpu_s * 1e6) / r.posted));
  return { v, rs, perDelivery, perTweet };
};
const [plain, hides] = [row("plain"), row("hides")];
const fmt = (x) => x.toFixed(1);
const first = runs[0].result;
console.log(`home stage: ${first.sockets} sockets, ${first.authors} authors, ${first.follows_per_user ?? "?"} follows (first user), ${first.rate} tweets/s for ${first.seconds} s, ${first.top_share * 100}% of tweets by the ${first.top_authors} most followed; ${runs.length / 2} round(s)`);
console.log("");
console.log("| variant | server CPU per delivery (median) | server CPU per tweet (median) | deliveries (each run) | withheld from muting followers (each run) | missed | to a viewer hiding the author | wrong / dup / to author | online viewers hiding someone | load average before → after | both cores busy (each run) |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const { v, rs, perDelivery, perTweet } of [plain, hides]) {
  const runsOf = runs.filter((r) => r.variant === v);
  console.log(`| ${v} | ${fmt(perDelivery)} µs | ${fmt(perTweet)} µs | ${rs.map((r) => r.delivered).join(", ")} | ${rs.map((r) => r.withheld).join(", ")} | ${sum(rs.map((r) => r.missed))} | ${sum(rs.map((r) => r.to_hider))} | ${sum(rs.map((r) => r.wrong_recipient))} / ${sum(rs.map((r) => r.duplicates))} / ${sum(rs.map((r) => r.to_author))} | ${rs.map((r) => r.online_hiders).join(", ")} | ${runsOf.map((r) => `${r.load_before.split(" ")[0]} → ${r.load_after.split(" ")[0]}`).join("; ")} | ${runsOf.map((r) => `${Math.round(r.machine_busy * 100)}%`).join(", ")} |`);
}
console.log("");
console.log(`hides ÷ plain, CPU per delivery: ${(hides.perDelivery / plain.perDelivery).toFixed(3)}; per tweet: ${(hides.perTweet / plain.perTweet).toFixed(3)}`);
'
