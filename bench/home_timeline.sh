#!/usr/bin/env bash
# How fast is a home timeline page? Seeds 2,000 users, 1M tweets (random authors) and
# follows (user 1 follows 1,000 accounts, user 2 follows 10, everyone else 20) straight
# through SQL into a throwaway PostgreSQL database and a SQLite file, both migrated with
# Chirp's own migrations, then times the walk by id Chirp runs for many authors
# (src/storage/timelines.rs, HOME_BEFORE) and, for comparison, the `author_id IN (…)` shape
# it does not use. Few authors are read author by author: bench/home_sparse.sh times that.
#
#   bench/home_timeline.sh            # PostgreSQL at $PGURL (default postgres://postgres@127.0.0.1:5432/test)
#   RUNS=9 bench/home_timeline.sh     # runs per query (the median is printed)
#
# Needs psql and sqlite3. Creates and drops the database chirp_bench_home; the SQLite file
# lives in a temporary directory. Prints the median execution time of each query in ms.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pgurl="${PGURL:-postgres://postgres@127.0.0.1:5432/test}"
runs="${RUNS:-7}"
db=chirp_bench_home
benchurl="${pgurl%/*}/$db"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"; psql -q "$pgurl" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true' EXIT

# The two query shapes; :v is the viewer, :b the `before` bound.
select_cols="SELECT t.id, t.author_id, u.username, u.display_name, t.text, t.created_at,
  (SELECT COUNT(*) FROM likes l WHERE l.tweet_id = t.id) AS like_count,
  (SELECT COUNT(*) FROM likes l WHERE l.tweet_id = t.id AND l.user_id = :v) AS liked_by_me
FROM tweets t JOIN users u ON u.id = t.author_id"
chirp_query="$select_cols
WHERE (t.author_id = :v OR EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = :v AND f.followee_id = t.author_id))
  AND t.id < :b ORDER BY t.id DESC LIMIT 20"
in_query="$select_cols
WHERE t.author_id IN (SELECT f.followee_id FROM follows f WHERE f.follower_id = :v UNION ALL SELECT :v)
  AND t.id < :b ORDER BY t.id DESC LIMIT 20"

median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'; }

echo "seeding PostgreSQL ($benchurl)…"
psql -q "$pgurl" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null 2>&1
for f in "$root"/migrations/postgres/*.sql; do psql -q -v ON_ERROR_STOP=1 "$benchurl" -f "$f" >/dev/null; done
psql -q -v ON_ERROR_STOP=1 "$benchurl" >/dev/null <<'SQL'
INSERT INTO users (username, username_key, password_hash, created_at)
  SELECT 'user' || g, 'user' || g, 'x', 0 FROM generate_series(1, 2000) g;
INSERT INTO tweets (author_id, text, created_at)
  SELECT 1 + (random() * 1999)::int, 'tweet ' || g, g FROM generate_series(1, 1000000) g;
INSERT INTO follows (follower_id, followee_id, created_at) SELECT 1, g, 0 FROM generate_series(2, 1001) g;
INSERT INTO follows (follower_id, followee_id, created_at) SELECT 2, g, 0 FROM generate_series(3, 12) g;
INSERT INTO follows (follower_id, followee_id, created_at)
  SELECT u, 1 + ((u + k * 97) % 2000), 0 FROM generate_series(3, 2000) u, generate_series(1, 20) k
  WHERE 1 + ((u + k * 97) % 2000) <> u ON CONFLICT DO NOTHING;
VACUUM ANALYZE;
SQL

echo "seeding SQLite ($tmp/bench.db)…"
{
  cat "$root"/migrations/sqlite/*.sql
  cat <<'SQL'
PRAGMA synchronous = OFF;
BEGIN;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 2000)
  INSERT INTO users (username, username_key, password_hash, created_at) SELECT 'user' || n, 'user' || n, 'x', 0 FROM g;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000000)
  INSERT INTO tweets (author_id, text, created_at) SELECT 1 + abs(random()) % 2000, 'tweet ' || n, n FROM g;
WITH RECURSIVE g(n) AS (SELECT 2 UNION ALL SELECT n + 1 FROM g WHERE n < 1001)
  INSERT INTO follows (follower_id, followee_id, id, created_at) SELECT 1, n, n, 0 FROM g;
WITH RECURSIVE g(n) AS (SELECT 3 UNION ALL SELECT n + 1 FROM g WHERE n < 12)
  INSERT INTO follows (follower_id, followee_id, id, created_at) SELECT 2, n, 10000 + n, 0 FROM g;
WITH RECURSIVE u(n) AS (SELECT 3 UNION ALL SELECT n + 1 FROM u WHERE n < 2000),
               k(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM k WHERE m < 20)
  INSERT OR IGNORE INTO follows (follower_id, followee_id, id, created_at)
  SELECT n, 1 + ((n + m * 97) % 2000), 100000 + n * 100 + m, 0 FROM u, k WHERE 1 + ((n + m * 97) % 2000) <> n;
UPDATE follow_ids SET last = (SELECT MAX(id) FROM follows);
COMMIT;
ANALYZE;
SQL
} | sqlite3 "$tmp/bench.db" >/dev/null

pg_ms() { # QUERY VIEWER BEFORE
  for _ in $(seq "$runs"); do
    printf 'EXPLAIN (ANALYZE, TIMING OFF) %s\n' "$1" |
      psql -qAt "$benchurl" -v v="$2" -v b="$3" | sed -n 's/^Execution Time: \([0-9.]*\) ms/\1/p'
  done | median
}
sqlite_ms() { # QUERY VIEWER BEFORE — sqlite3's timer counts whole ms, so time 100 runs in
  # one process and subtract 100 runs of `SELECT 1` (start-up and output).
  local sql="${1//:v/$2}" reps=100
  sql="${sql//:b/$3}"
  for _ in $(seq "$runs"); do
    local t0 t1 t2
    t0=$(date +%s%N)
    for _ in $(seq $reps); do printf 'SELECT 1;\n'; done | sqlite3 "$tmp/bench.db" >/dev/null
    t1=$(date +%s%N)
    for _ in $(seq $reps); do printf '%s;\n' "$sql"; done | sqlite3 "$tmp/bench.db" >/dev/null
    t2=$(date +%s%N)
    echo "$(( (t2 - t1) - (t1 - t0) ))" | awk -v n=$reps '{ print $1 / n / 1e6 }'
  done | median
}

max=9223372036854775807
printf '\n%-34s %12s %12s\n' "home page (limit 20), median ms" PostgreSQL SQLite
for shape in chirp in; do
  q=chirp_query
  [[ $shape == in ]] && q=in_query
  for v in 1 2; do
    for b in $max 500000; do
      follows=$([[ $v == 1 ]] && echo 1000 || echo 10)
      where=$([[ $b == "$max" ]] && echo "first page" || echo "before=500000")
      label="$shape, $follows follows, $where"
      printf '%-34s %12s %12s\n' "$label" "$(pg_ms "${!q}" "$v" "$b")" "$(sqlite_ms "${!q}" "$v" "$b")"
    done
  done
done
