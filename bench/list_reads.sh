#!/usr/bin/env bash
# What do the block/mute/suspension filters cost the lists always read from the database?
# Seeds 1M tweets by 2,000 authors (a tenth of them replies) and one reader who hides nobody,
# straight through SQL, into a SQLite file and a PostgreSQL database (each migrated by the
# server itself), then times, through a RELEASE build with default settings, signed-in reads
# of everyone's timeline (first page and a deep `before` page), one author's tweets and an
# anonymous deep page: p50/p90 ms over RUNS sequential requests on one keep-alive connection.
#
#   bench/list_reads.sh                  # builds target/release/chirp unless CHIRP_BIN is set
#   CHIRP_BIN=<old build> bench/list_reads.sh
#
# Needs psql, sqlite3, node and PostgreSQL at $PGURL (default
# postgres://postgres@127.0.0.1:5432/test); creates and drops chirp_bench_lists.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pgurl="${PGURL:-postgres://postgres@127.0.0.1:5432/test}"
runs="${RUNS:-200}"
port="${PORT:-18971}"
db=chirp_bench_lists
benchurl="${pgurl%/*}/$db"
drop=("$db")
# shellcheck source=bench/db-lib.sh
. "$root/bench/db-lib.sh"

token_hash="$(printf 'lists-reader' | sha256sum | cut -d' ' -f1)"
seed_sql() { # DIALECT
  if [[ $1 == postgres ]]; then
    cat <<'SQL'
INSERT INTO users (username, username_key, password_hash, created_at)
  SELECT 'lists' || g, 'lists' || g, 'x', 0 FROM generate_series(1, 2001) g;
INSERT INTO tweets (author_id, text, created_at)
  SELECT 2 + (random() * 1999)::int, 'tweet ' || g, g FROM generate_series(1, 1000000) g;
UPDATE tweets SET reply_to_id = id - 1, reply_to_author_id = 2 + (id % 1999) WHERE id % 10 = 0;
SQL
  else
    cat <<'SQL'
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2001)
  INSERT INTO users (username, username_key, password_hash, created_at) SELECT 'lists' || n, 'lists' || n, 'x', 0 FROM g;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000000)
  INSERT INTO tweets (author_id, text, created_at) SELECT 2 + abs(random()) % 2000, 'tweet ' || n, n FROM g;
UPDATE tweets SET reply_to_id = id - 1, reply_to_author_id = 2 + (id % 1999) WHERE id % 10 = 0;
COMMIT;
SQL
  fi
  echo "UPDATE users SET tweet_count = (SELECT COUNT(*) FROM tweets t WHERE t.author_id = users.id);"
  echo "INSERT INTO sessions (token_hash, user_id, created_at) VALUES ('$token_hash', 1, 0);"
}

http_ms() { # PATH TOKEN-or-empty → "p50/p90"
  http_times "$1" --token "$2" --runs "$runs" --quantiles 0.5,0.9 | tr ' ' /
}

declare -A result
paths=("/api/tweets?limit=20|lists-reader" "/api/tweets?limit=20&before=500000|lists-reader"
  "/api/users/lists700/tweets?limit=20|lists-reader" "/api/tweets?limit=20&before=500000|")
run() { # NAME DATABASE_URL
  start "$2"
  for p in "${paths[@]}"; do result[$1,$p]="$(http_ms "${p%%|*}" "${p#*|}")"; done
  stop
}

echo "seeding SQLite…" >&2
start "sqlite://$tmp/bench.db" && stop
seed_sql sqlite | sqlite3 "$tmp/bench.db" >/dev/null
sqlite3 "$tmp/bench.db" 'ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
echo "seeding PostgreSQL…" >&2
psql -q "$pgurl" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
start "$benchurl" && stop
{ seed_sql postgres; echo 'VACUUM ANALYZE;'; } | psql -q -v ON_ERROR_STOP=1 "$benchurl" >/dev/null
echo "timing…" >&2
run sqlite "sqlite://$tmp/bench.db"
run postgres "$benchurl"

echo
echo "release build $bin; HTTP p50/p90 ms over $runs requests, 1M tweets"
printf '%-52s %-14s %s\n' "request" "SQLite" "PostgreSQL"
for p in "${paths[@]}"; do
  who="signed in"; [[ -z ${p#*|} ]] && who="anonymous"
  printf '%-52s %-14s %s\n' "${p%%|*} ($who)" "${result[sqlite,$p]}" "${result[postgres,$p]}"
done
