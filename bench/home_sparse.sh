#!/usr/bin/env bash
# Is a home page cheap however few people one follows? Seeds 1M tweets by 2,000 authors and
# five readers who never post and follow 0, 1, 10, 200 and 1,000 of them, straight through
# SQL, into a SQLite file and a PostgreSQL database (each migrated by the server itself),
# then times `GET /api/timelines/home` (limit 20, the first page and one deep `before`
# page) through a RELEASE build of the real server with its default settings (the in-memory
# window answers when its newest 100k tweets hold enough; otherwise `Store::home`), and
# the database's part alone (the plan `Store::home` picks, `home_plan` in
# src/storage/timelines.rs: author by author, or the walk by id when that reads fewer rows).
#
#   bench/home_sparse.sh                 # builds target/release/chirp unless CHIRP_BIN is set
#   RUNS=300 bench/home_sparse.sh        # requests per reader (p50 and p90 printed)
#
# Needs psql, sqlite3, node and PostgreSQL at $PGURL (default
# postgres://postgres@127.0.0.1:5432/test); creates and drops chirp_bench_sparse. A
# benchmark, not a test: the budget (issue 18) is p50 <= 2 ms for every reader.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pgurl="${PGURL:-postgres://postgres@127.0.0.1:5432/test}"
runs="${RUNS:-300}"
port="${PORT:-18931}"
db=chirp_bench_sparse
benchurl="${pgurl%/*}/$db"
drop=("$db")
# shellcheck source=bench/db-lib.sh
. "$root/bench/db-lib.sh"

readers=(0 1 10 200 1000) # followees of readers 1..5 (users 1..5 never post)
tokens_sql() {            # one session per reader: token "sparse-reader-N"
  for i in 1 2 3 4 5; do
    printf "INSERT INTO sessions (token_hash, user_id, created_at) VALUES ('%s', %d, 0);\n" \
      "$(printf 'sparse-reader-%d' "$i" | sha256sum | cut -d' ' -f1)" "$i"
  done
}

# Authors 6..2005 each follow nobody; reader i follows the first ${readers[i-1]} authors.
seed_sql() { # DIALECT (sqlite|postgres): the seeding SQL after migrations
  if [[ $1 == postgres ]]; then
    cat <<'SQL'
INSERT INTO users (username, username_key, password_hash, created_at)
  SELECT 'sparse' || g, 'sparse' || g, 'x', 0 FROM generate_series(1, 2005) g;
INSERT INTO tweets (author_id, text, created_at)
  SELECT 6 + (random() * 1999)::int, 'tweet ' || g, g FROM generate_series(1, 1000000) g;
INSERT INTO follows (follower_id, followee_id, created_at) SELECT 2, 6, 0;
INSERT INTO follows (follower_id, followee_id, created_at) SELECT 3, g, 0 FROM generate_series(6, 15) g;
INSERT INTO follows (follower_id, followee_id, created_at) SELECT 4, g, 0 FROM generate_series(6, 205) g;
INSERT INTO follows (follower_id, followee_id, created_at) SELECT 5, g, 0 FROM generate_series(6, 1005) g;
SQL
  else
    cat <<'SQL'
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2005)
  INSERT INTO users (username, username_key, password_hash, created_at) SELECT 'sparse' || n, 'sparse' || n, 'x', 0 FROM g;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000000)
  INSERT INTO tweets (author_id, text, created_at) SELECT 6 + abs(random()) % 2000, 'tweet ' || n, n FROM g;
INSERT INTO follows (follower_id, followee_id, id, created_at) VALUES (2, 6, 1, 0);
WITH RECURSIVE g(n) AS (SELECT 6 UNION ALL SELECT n + 1 FROM g WHERE n < 15)
  INSERT INTO follows (follower_id, followee_id, id, created_at) SELECT 3, n, 100 + n, 0 FROM g;
WITH RECURSIVE g(n) AS (SELECT 6 UNION ALL SELECT n + 1 FROM g WHERE n < 205)
  INSERT INTO follows (follower_id, followee_id, id, created_at) SELECT 4, n, 1000 + n, 0 FROM g;
WITH RECURSIVE g(n) AS (SELECT 6 UNION ALL SELECT n + 1 FROM g WHERE n < 1005)
  INSERT INTO follows (follower_id, followee_id, id, created_at) SELECT 5, n, 10000 + n, 0 FROM g;
UPDATE follow_ids SET last = (SELECT MAX(id) FROM follows);
COMMIT;
SQL
  fi
  cat <<'SQL'
UPDATE users SET
  tweet_count = (SELECT COUNT(*) FROM tweets t WHERE t.author_id = users.id),
  following_count = (SELECT COUNT(*) FROM follows f WHERE f.follower_id = users.id),
  followers_count = (SELECT COUNT(*) FROM follows f WHERE f.followee_id = users.id);
SQL
  tokens_sql
}

# HTTP: p50 and p90 of RUNS sequential requests per reader over one keep-alive connection.
http_ms() { # PATH_QUERY → one line per reader: "p50 p90"
  for i in 1 2 3 4 5; do
    http_times "/api/timelines/home$1" --token "sparse-reader-$i" --runs "$runs" --quantiles 0.5,0.9
  done
}

median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'; }
authors_of() { # READER → its authors (followees and itself), comma-separated
  local n=${readers[$1 - 1]} list="$1"
  for ((a = 6; a < 6 + n; a++)); do list+=",$a"; done
  echo "$list"
}
# Whether `Store::home` reads READER's page author by author (src/storage/timelines.rs,
# `home_plan`): up to 8 authors always; up to 256 when authors × their tweets ≤ all tweets.
per_author() { # READER DIALECT
  local n=$((${readers[$1 - 1]} + 1)) share
  ((n <= 8)) && return 0
  ((n > 256)) && return 1
  share="SELECT CAST(COALESCE((SELECT SUM(u.tweet_count) FROM users u WHERE u.id = $1 OR u.id IN (SELECT f.followee_id FROM follows f WHERE f.follower_id = $1)), 0) AS BIGINT) || ' ' || CAST(COALESCE((SELECT MAX(t.id) FROM tweets t), 0) AS BIGINT)"
  if [[ $2 == postgres ]]; then share="$(psql -qAt "$benchurl" -c "$share")"; else share="$(sqlite3 "$tmp/bench.db" "$share")"; fi
  read -r written total <<<"$share"
  ((n * written <= total))
}
# The ids query `Store::home` runs (author by author or the walk, as `per_author` says).
pg_query() { # READER BEFORE
  local authors; authors="$(authors_of "$1")"
  if per_author "$1" postgres; then
    echo "SELECT x.id FROM unnest('{$authors}'::bigint[]) AS a(id) CROSS JOIN LATERAL (SELECT t.id FROM tweets t WHERE t.author_id = a.id AND t.id < $2 ORDER BY t.id DESC LIMIT 20) x ORDER BY x.id DESC LIMIT 20"
  else
    echo "SELECT t.id FROM tweets t WHERE (t.author_id = $1 OR EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followee_id = t.author_id)) AND t.id < $2 ORDER BY t.id DESC LIMIT 20"
  fi
}
sqlite_query() { # READER BEFORE
  local authors sep="" q=""; authors="$(authors_of "$1")"
  if per_author "$1" sqlite; then
    for a in ${authors//,/ }; do
      q+="$sep SELECT id FROM (SELECT id FROM tweets WHERE author_id = $a AND id < $2 ORDER BY id DESC LIMIT 20)"
      sep=" UNION ALL"
    done
    echo "$q ORDER BY id DESC LIMIT 20"
  else
    echo "SELECT t.id FROM tweets t WHERE (t.author_id = $1 OR EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = $1 AND f.followee_id = t.author_id)) AND t.id < $2 ORDER BY t.id DESC LIMIT 20"
  fi
}
pg_ms() { # READER BEFORE
  local q; q="$(pg_query "$1" "$2")"
  for _ in $(seq 9); do
    psql -qAt "$benchurl" -c "EXPLAIN (ANALYZE, TIMING OFF) $q" | sed -n 's/^Execution Time: \([0-9.]*\) ms/\1/p'
  done | median
}
sqlite_ms() { # READER BEFORE: 100 runs in one process, less 100 of `SELECT 1`
  local q reps=100 t0 t1 t2; q="$(sqlite_query "$1" "$2")"
  for _ in $(seq 5); do
    t0=$(date +%s%N)
    for _ in $(seq $reps); do printf 'SELECT 1;\n'; done | sqlite3 "$tmp/bench.db" >/dev/null
    t1=$(date +%s%N)
    for _ in $(seq $reps); do printf '%s;\n' "$q"; done | sqlite3 "$tmp/bench.db" >/dev/null
    t2=$(date +%s%N)
    echo "$(( (t2 - t1) - (t1 - t0) ))" | awk -v n=$reps '{ print $1 / n / 1e6 }'
  done | median
}

declare -A http_first http_deep db_first db_deep
run() { # NAME DATABASE_URL
  start "$2"
  mapfile -t first < <(http_ms "?limit=20")
  mapfile -t deep < <(http_ms "?limit=20&before=500000")
  stop
  for i in 1 2 3 4 5; do
    http_first[$1,$i]="${first[$i - 1]}"
    http_deep[$1,$i]="${deep[$i - 1]}"
    if [[ $1 == postgres ]]; then
      db_first[$1,$i]="$(pg_ms "$i" 9223372036854775807)"
      db_deep[$1,$i]="$(pg_ms "$i" 500000)"
    else
      db_first[$1,$i]="$(sqlite_ms "$i" 9223372036854775807)"
      db_deep[$1,$i]="$(sqlite_ms "$i" 500000)"
    fi
  done
}

echo "seeding SQLite ($tmp/bench.db)…" >&2
start "sqlite://$tmp/bench.db" && stop
seed_sql sqlite | sqlite3 "$tmp/bench.db" >/dev/null
sqlite3 "$tmp/bench.db" 'ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
echo "seeding PostgreSQL ($benchurl)…" >&2
psql -q "$pgurl" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
start "$benchurl" && stop
{ seed_sql postgres; echo 'VACUUM ANALYZE;'; } | psql -q -v ON_ERROR_STOP=1 "$benchurl" >/dev/null

echo "timing SQLite…" >&2
run sqlite "sqlite://$tmp/bench.db"
echo "timing PostgreSQL…" >&2
run postgres "$benchurl"

printf '\nGET /api/timelines/home?limit=20 at 1M tweets, release build; HTTP p50/p90 ms over %s requests; db = the query alone, median ms\n' "$runs"
printf '%-10s %-7s | %-15s %-15s %8s %8s\n' followees page "HTTP SQLite" "HTTP Postgres" "db SQLite" "db PG"
for i in 1 2 3 4 5; do
  for page in first deep; do
    if [[ $page == first ]]; then
      hs="${http_first[sqlite,$i]}" hp="${http_first[postgres,$i]}" ds="${db_first[sqlite,$i]}" dp="${db_first[postgres,$i]}"
      label=first
    else
      hs="${http_deep[sqlite,$i]}" hp="${http_deep[postgres,$i]}" ds="${db_deep[sqlite,$i]}" dp="${db_deep[postgres,$i]}"
      label="<500000"
    fi
    printf '%-10s %-7s | %-15s %-15s %8s %8s\n' "${readers[$i - 1]}" "$label" "${hs/ //}" "${hp/ //}" "$ds" "$dp"
  done
done
