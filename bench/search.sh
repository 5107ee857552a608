#!/usr/bin/env bash
# Search at scale (issue 21): seeds TWEETS tweets (default 1M) of Zipf-distributed words, 10%
# of them with hashtags (bench/search-seed.mjs), by 2,000 authors over the last 30 days,
# straight through SQL into a SQLite file and a PostgreSQL database (each migrated by the
# server itself), with every row the server writes when it stores a tweet: the text, its tags
# (`tags_json` and `tweet_tags`) and its search words (SQLite's `tweet_words` FTS5 table,
# PostgreSQL's `tweets.search` tsvector), written by the server itself: the tweets are loaded
# as plain rows and the server's backfill (which indexes tweets stored before search existed)
# indexes them when it starts; the script waits for it. Then, through a
# RELEASE build with its default settings, times `GET /api/search` for a common word, two
# words, a rare word, a prefix and a tag, and `GET /api/tags/{name}/tweets`: p50/p99 ms over
# RUNS sequential requests on one keep-alive connection, signed in as a reader who hides
# nobody. Last, posting throughput (wrk, 2 threads x 50 connections, POST_SECONDS s, a new
# tweet of Zipf-drawn words per request, a tenth with a tag) with the index and without it,
# alternating, ROUNDS rounds, each run on a fresh copy of its seeded database: "without" is
# OFF_BIN, a build without search (say, of the commit before it; its own databases hold the
# same tweets, unindexed), or else this build with OFF_FLAGS; neither set, no posting.
#
#   bench/search.sh                      # builds target/release/chirp unless CHIRP_BIN is set
#   TWEETS=100000 RUNS=200 bench/search.sh
#   ONLY=sqlite bench/search.sh          # or ONLY=postgres
#   NO_POST=1 bench/search.sh            # the searches only
#   POST_ONLY=1 OFF_BIN=<build without search> bench/search.sh   # posting only
#
# Needs psql, sqlite3, node, wrk and PostgreSQL at $PGURL (default
# postgres://postgres@127.0.0.1:5432/test); creates and drops chirp_bench_search. Prints a
# Markdown table (and writes it to $OUT, default bench/results/search.md). A benchmark, not
# a test: issue 21 asks p99 <= 50 ms for every query at 1M tweets, and posting with the
# index at >= 80% of the throughput without it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
here="$root/bench"
pgurl="${PGURL:-postgres://postgres@127.0.0.1:5432/test}"
tweets="${TWEETS:-1000000}"
runs="${RUNS:-300}"
rounds="${ROUNDS:-3}"
post_seconds="${POST_SECONDS:-8}"
port="${PORT:-18951}"
out="${OUT:-$here/results/search.md}"
db=chirp_bench_search
benchurl="${pgurl%/*}/$db"
backends=(sqlite postgres)
[[ -n ${ONLY:-} ]] && backends=("$ONLY")

off_bin="${OFF_BIN:-}"
read -r -a off_flags <<<"${OFF_FLAGS:-}"
# Without a build or flags to compare with, there is nothing to set posting beside.
if [[ -z $off_bin && ${#off_flags[@]} == 0 && -z ${NO_POST:-} ]]; then
  echo "no OFF_BIN (a build without search) nor OFF_FLAGS: posting is not measured" >&2
  NO_POST=1
fi

drop=("$db" "${db}_seeded" "${db}_off")
# shellcheck source=bench/db-lib.sh
. "$here/db-lib.sh"

reader_token=search-reader
poster_token=search-poster
hash() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# Users 1 (the reader) and 2001.. are not authors; authors are users 2..2001.
users_sql() { # DIALECT
  if [[ $1 == postgres ]]; then
    echo "INSERT INTO users (username, username_key, password_hash, created_at)
      SELECT 'search' || g, 'search' || g, 'x', 0 FROM generate_series(1, 2002) g;"
  else
    echo "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2002)
      INSERT INTO users (username, username_key, password_hash, created_at) SELECT 'search' || n, 'search' || n, 'x', 0 FROM g;"
  fi
  echo "INSERT INTO sessions (token_hash, user_id, created_at) VALUES ('$(hash $reader_token)', 1, 0);"
  echo "INSERT INTO sessions (token_hash, user_id, created_at) VALUES ('$(hash $poster_token)', 2002, 0);"
}

# The tweets go in as plain rows; `search_backfill.upto` then tells the server to index every
# one of them (tags, `tags_json`, search words) with its own code when it starts, newest first
# in batches, as it does for tweets stored before search existed (src/storage/search.rs).
seed_sqlite() { # FILE
  {
    echo "PRAGMA synchronous = OFF;"
    echo "BEGIN;"
    users_sql sqlite
    cat <<SQL
CREATE TEMP TABLE seed (id INTEGER, author_id INTEGER, created_at INTEGER, text TEXT);
.mode tabs
.import $tmp/seed/tweets.tsv seed
INSERT INTO tweets (id, author_id, text, created_at) SELECT id, author_id, text, created_at FROM seed ORDER BY id;
UPDATE users SET tweet_count = (SELECT COUNT(*) FROM tweets t WHERE t.author_id = users.id);
COMMIT;
SQL
  } | sqlite3 -bail "$1" >/dev/null
}

seed_postgres() { # DATABASE URL
  {
    echo "SET synchronous_commit = off;"
    echo "BEGIN;"
    users_sql postgres
    cat <<SQL
CREATE TEMP TABLE seed (id BIGINT, author_id BIGINT, created_at BIGINT, text TEXT);
\\copy seed FROM '$tmp/seed/tweets.tsv'
INSERT INTO tweets (id, author_id, text, created_at) OVERRIDING SYSTEM VALUE
  SELECT id, author_id, text, created_at FROM seed ORDER BY id;
SELECT setval(pg_get_serial_sequence('tweets', 'id'), (SELECT MAX(id) FROM tweets));
UPDATE users SET tweet_count = (SELECT COUNT(*) FROM tweets t WHERE t.author_id = users.id);
COMMIT;
SQL
  } | psql -q -v ON_ERROR_STOP=1 "$1" >/dev/null
}

index_size() { # BACKEND URL → MiB the search index and the tag rows take on disk
  if [[ $1 == sqlite ]]; then
    sqlite3 "${2#sqlite://}" "SELECT printf('%.0f', SUM(pgsize) / 1048576.0) FROM dbstat
      WHERE name LIKE 'tweet_words%' OR name LIKE 'tweet_tags%' OR name = 'sqlite_autoindex_tweet_tags_1'"
  else
    psql -Atq "$2" -c "SELECT round((pg_relation_size('tweets_search') + pg_total_relation_size('tweet_tags')) / 1048576.0)"
  fi
}

sql() { # BACKEND URL STATEMENT → its answer
  if [[ $1 == sqlite ]]; then sqlite3 "${2#sqlite://}" "$3"; else psql -Atq "$2" -c "$3"; fi
}

# A database migrated by BIN and seeded with the tweets, unindexed: sets $url.
seed() { # BACKEND NAME BIN
  local bin=$3
  if [[ $1 == sqlite ]]; then
    url="sqlite://$tmp/$2.db"
  else
    psql -q "$pgurl" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS ${db}_$2 WITH (FORCE)" \
      -c "CREATE DATABASE ${db}_$2" >/dev/null
    url="${pgurl%/*}/${db}_$2"
  fi
  start "$url" && stop
  "seed_$1" "${url#sqlite://}"
}

# The statistics the planners use, as a database in use would have them.
analyze() { # BACKEND URL
  if [[ $1 == sqlite ]]; then
    sqlite3 "${2#sqlite://}" 'ANALYZE tweets; ANALYZE users; PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
    if [[ $(sql sqlite "$2" "SELECT COUNT(*) FROM sqlite_master WHERE name = 'tweet_tags'") == 1 ]]; then
      sqlite3 "${2#sqlite://}" 'ANALYZE tweet_tags;' >/dev/null
    fi
  else
    psql -q "$2" -c 'VACUUM ANALYZE' >/dev/null
  fi
}

# Have the server index every seeded tweet (its backfill, told that all of them are still to
# index), wait until it has, then analyze.
index_seeded() { # BACKEND URL
  local t0=$SECONDS left
  sql "$1" "$2" 'UPDATE search_backfill SET upto = (SELECT MAX(id) FROM tweets)' >/dev/null
  # On SQLite a start-up write can wait out its 5 s busy timeout behind the backfill's
  # back-to-back batches, and the server exits ("database is locked"): start it again (the
  # batches done are kept).
  local tries=0
  until try_start "$2"; do
    ((++tries < 10)) || { cat "$tmp/server.log" >&2; exit 1; }
    echo "the server did not start during the backfill ($(grep -o 'error: .*' "$tmp/server.log" | head -1)); again" >&2
  done
  while left=$(sql "$1" "$2" 'SELECT upto FROM search_backfill') && ((left > 0)); do
    ((SECONDS - t0 < 3600)) || { echo "the backfill is stuck at $left" >&2; exit 1; }
    sleep 2
  done
  stop
  backfill_s[$1]=$((SECONDS - t0))
  analyze "$1" "$2"
}

http_ms() { # PATH MIN-ITEMS → "p50 / p99" (ms), the first answer holding MIN-ITEMS or more
  http_times "$1" --token "$reader_token" --runs "$runs" --quantiles 0.5,0.99 --min-items "$2" | sed 's| | / |'
}

post_rate() { # → requests/s of POST /api/tweets with words and tags (wrk), all answered 201
  local json
  json=$(CHIRP_TOKEN=$poster_token wrk -t2 -c50 -d"${post_seconds}s" -s "$here/wrk/post-words.lua" \
    "http://127.0.0.1:$port" 2>/dev/null | grep '^{"requests"')
  node -e 'const r = JSON.parse(process.argv[1]); const e = Object.values(r.errors).reduce((a, b) => a + b, 0);
    if (e) { console.error("wrk errors", JSON.stringify(r.errors)); process.exit(1); }
    console.log(Math.round(r.requests_per_s))' "$json"
}

probe() { node -e "const p = require('$tmp/seed/probes.json').probes['$1']; console.log(p.$2)"; }
uri() { node -e "console.log(encodeURIComponent(process.argv[1]))" "$1"; }

echo "generating $tweets tweets…" >&2
mkdir -p "$tmp/seed"
node "$here/search-seed.mjs" --out "$tmp/seed" --tweets "$tweets" --first-user 2

names=(common two_words rare prefix tag)
declare -A path label result backfill_s rss index_mib
for n in "${names[@]}"; do
  path[$n]="/api/search?q=$(uri "$(probe "$n" q)")&limit=20"
  label[$n]="search \`$(probe "$n" q)\` ($(probe "$n" matches) tweets match)"
done
names+=(tag_list)
path[tag_list]="/api/tags/$(probe tag tag)/tweets?limit=20"
label[tag_list]="\`GET /api/tags/$(probe tag tag)/tweets\` ($(probe tag matches) tweets)"

expect() { local m; m=$(probe "${1/tag_list/tag}" matches); ((m < 20)) && echo "$m" || echo 20; }

for b in "${backends[@]}"; do
  echo "seeding $b…" >&2
  seed "$b" seeded "$bin"
  index_seeded "$b" "$url"
  if [[ -n ${POST_ONLY:-} ]]; then continue; fi
  echo "timing searches on $b…" >&2
  start "$url"
  for n in "${names[@]}"; do result[$b,$n]="$(http_ms "${path[$n]}" "$(expect "$n")")"; done
  rss[$b]=$(awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$server/status")
  stop
  index_mib[$b]=$(index_size "$b" "$url")
done

# Posting: with the search index and without it, alternating, each run on a fresh copy of its
# seeded database, so that both write beside TWEETS tweets (and the indexed one into an index
# of them).
declare -A posts
if [[ -z ${NO_POST:-} ]]; then
  off_desc="this build with \`${off_flags[*]}\`"
  [[ -n $off_bin ]] && off_desc="\`$off_bin\`, a build without search"
  for b in "${backends[@]}"; do
    if [[ -n $off_bin ]]; then
      echo "seeding $b for the build without search…" >&2
      seed "$b" off "$off_bin"
      analyze "$b" "$url"
    fi
    for i in $(seq "$rounds"); do
      for mode in on off; do
        run_bin=$bin flags=() from=seeded
        if [[ $mode == off ]]; then
          if [[ -n $off_bin ]]; then run_bin=$off_bin from=off; else flags=("${off_flags[@]}"); fi
        fi
        if [[ $b == sqlite ]]; then
          rm -f "$tmp/run.db" "$tmp/run.db-wal" "$tmp/run.db-shm" # a stale WAL would be replayed
          cp "$tmp/$from.db" "$tmp/run.db"
          url="sqlite://$tmp/run.db"
        else
          psql -q "$pgurl" -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
            -c "CREATE DATABASE $db TEMPLATE ${db}_$from" >/dev/null
          url=$benchurl
        fi
        echo "posting on $b, index $mode, round $i…" >&2
        bin=$run_bin start "$url" "${flags[@]}"
        posts[$b,$mode]+="$(post_rate) "
        stop
      done
    done
  done
  rm -f "$tmp/run.db" "$tmp/run.db-wal" "$tmp/run.db-shm"
fi

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

row() { # LABEL ARRAY-NAME: one row of the table, a cell per backend
  local -n row_cells=$2
  printf '| %s |' "$1"
  for b in "${backends[@]}"; do printf ' %s |' "${row_cells[$b]}"; done
  echo
}
header() { # FIRST-COLUMN
  printf '| %s |' "$1"; for b in "${backends[@]}"; do printf ' %s |' "$b"; done; echo
  printf '|---|'; for _ in "${backends[@]}"; do printf -- '---|'; done; echo
}

{
  tags=$(node -e "console.log(require('$tmp/seed/probes.json').tag_rows)")
  echo "release build \`$bin\`; $tweets tweets with $tags tag uses; indexing them (the server's backfill): $(
    for b in "${backends[@]}"; do printf '%s %s s; ' "$b" "${backfill_s[$b]}"; done)"
  if [[ -z ${POST_ONLY:-} ]]; then
    echo
    echo "HTTP p50 / p99 ms over $runs sequential requests (limit 20, signed in):"
    echo
    header request
    for n in "${names[@]}"; do
      declare -A cells=()
      for b in "${backends[@]}"; do cells[$b]=${result[$b,$n]}; done
      row "${label[$n]}" cells
    done
    row "search index and tag rows on disk, MiB" index_mib
    row "server RSS after the searches, MiB" rss
  fi
  if [[ -z ${NO_POST:-} ]]; then
    echo
    echo "POST /api/tweets, wrk 2 threads x 50 connections x ${post_seconds} s, median of $rounds (each run's requests/s in brackets); without the index: $off_desc"
    echo
    header posting
    for mode in on off; do
      declare -A cells=()
      for b in "${backends[@]}"; do cells[$b]="$(median "${posts[$b,$mode]}") (${posts[$b,$mode]% })"; done
      row "index $mode, requests/s" cells
    done
    declare -A cells=()
    for b in "${backends[@]}"; do
      cells[$b]=$(awk -v a="$(median "${posts[$b,on]}")" -v b="$(median "${posts[$b,off]}")" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    done
    row "with the index / without" cells
  fi
} | tee "$out"
