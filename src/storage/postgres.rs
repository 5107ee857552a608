//! PostgreSQL, for running several Chirp nodes on one database.
//!
//! Identity columns hand out ids when a row is inserted, not when it commits, so two
//! concurrent inserts could commit out of id order and a reader paging with `after=<id>`
//! would skip the late one. Tweet inserts therefore take a transaction-scoped advisory lock:
//! ids are assigned and committed one at a time, in order, across every node.
//!
//! A batch of plain tweets (no replies, no mentions, no tags: nothing to look up or add) is stored by one
//! statement in its own implicit transaction (`PLAIN_BATCH`), so the lock is held for one
//! statement and its commit rather than across several round trips to the node.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use sqlx::{Postgres, Transaction};

use super::{ACQUIRE_TIMEOUT, StoreError, media, moderation};
use super::{accounts, clients, follows, notifications, search, secrets, timelines, tweets, words};
use crate::domain::{Draft, Tweet};

/// Advisory lock key that serialises tweet inserts ("chirp" in ASCII).
const TWEET_ORDER_LOCK: i64 = 0x63_68_69_72_70;

/// Stores plain drafts (`$1` author ids, `$2` texts, `$3` created_at, `$5` search words) in
/// one statement: takes
/// the tweet-order lock before any id is drawn (every row passes the join with `held` before
/// the insert's projection calls `nextval`), inserts in draft order, then bumps each
/// author's `tweet_count`, locking those rows in id order (the order follows use) after the
/// advisory lock (as the transaction path does), and no more strongly than the UPDATE itself
/// would (`FOR NO KEY UPDATE` lets foreign-key checks of other inserts through). Answers the new ids (`is_author` false) and
/// each author's id and display name (`is_author` true).
const PLAIN_BATCH: &str = "\
WITH held AS MATERIALIZED (SELECT pg_advisory_xact_lock($4) AS locked), \
drafts AS (SELECT d.author_id, d.text, d.words, d.ord \
    FROM unnest($1::bigint[], $2::text[], $5::text[]) WITH ORDINALITY AS d(author_id, text, words, ord)), \
inserted AS (INSERT INTO tweets (author_id, text, created_at, search) \
    SELECT d.author_id, d.text, $3, array_to_tsvector(string_to_array(d.words, ' ')) \
    FROM held, drafts d ORDER BY d.ord RETURNING id), \
authors AS MATERIALIZED (SELECT u.id, c.n FROM held, users u \
    JOIN (SELECT author_id, count(*) AS n FROM drafts GROUP BY author_id) c \
    ON c.author_id = u.id ORDER BY u.id FOR NO KEY UPDATE OF u), \
bumped AS (UPDATE users u SET tweet_count = u.tweet_count + a.n FROM authors a \
    WHERE u.id = a.id RETURNING u.id, u.display_name) \
SELECT false AS is_author, id, NULL::text AS display_name FROM inserted \
UNION ALL SELECT true, id, display_name FROM bumped";

/// The home page's ids for authors `$1`: each author's newest `$3` tweets below id `$2`
/// by the `tweets_by_author (author_id, id)` index (an index-only read), the newest `$3` of
/// them overall. For a viewer who hides nobody.
const HOME_BY_AUTHOR_BEFORE: &str = "SELECT x.id FROM unnest($1::bigint[]) AS a(id) \
     CROSS JOIN LATERAL (SELECT t.id FROM tweets t WHERE t.author_id = a.id AND t.id < $2 \
       ORDER BY t.id DESC LIMIT $3) x \
     ORDER BY x.id DESC LIMIT $3";
/// As `HOME_BY_AUTHOR_BEFORE`, the oldest `$3` above id `$2`.
const HOME_BY_AUTHOR_AFTER: &str = "SELECT x.id FROM unnest($1::bigint[]) AS a(id) \
     CROSS JOIN LATERAL (SELECT t.id FROM tweets t WHERE t.author_id = a.id AND t.id > $2 \
       ORDER BY t.id ASC LIMIT $3) x \
     ORDER BY x.id ASC LIMIT $3";
/// As `HOME_BY_AUTHOR_BEFORE`, leaving out replies to authors viewer `$4` hides (which reads
/// each row, not only the index: only for a viewer who hides someone).
const HOME_BY_AUTHOR_BEFORE_HIDING: &str = "SELECT x.id FROM unnest($1::bigint[]) AS a(id) \
     CROSS JOIN LATERAL (SELECT t.id FROM tweets t WHERE t.author_id = a.id AND t.id < $2 \
       AND (t.reply_to_author_id IS NULL OR NOT EXISTS (SELECT 1 FROM hides h \
         WHERE h.viewer_id = $4 AND h.author_id = t.reply_to_author_id)) \
       ORDER BY t.id DESC LIMIT $3) x \
     ORDER BY x.id DESC LIMIT $3";
/// As `HOME_BY_AUTHOR_AFTER`, leaving out replies to authors viewer `$4` hides.
const HOME_BY_AUTHOR_AFTER_HIDING: &str = "SELECT x.id FROM unnest($1::bigint[]) AS a(id) \
     CROSS JOIN LATERAL (SELECT t.id FROM tweets t WHERE t.author_id = a.id AND t.id > $2 \
       AND (t.reply_to_author_id IS NULL OR NOT EXISTS (SELECT 1 FROM hides h \
         WHERE h.viewer_id = $4 AND h.author_id = t.reply_to_author_id)) \
       ORDER BY t.id ASC LIMIT $3) x \
     ORDER BY x.id ASC LIMIT $3";

/// `Store` on PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// How search statements are written here.
    pub(super) const DIALECT: words::Dialect = words::Dialect::Postgres;

    /// `$1`'s followee ids, ascending, in one comma-separated text.
    const FOLLOWING_IDS_PACKED: &'static str = "SELECT COALESCE(string_agg(followee_id::text, ',' ORDER BY followee_id), '') \
         FROM follows WHERE follower_id = $1";

    /// Connect to `url` and apply migrations.
    pub async fn connect(url: &str, pool_size: u32) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(url)?.application_name("chirp");
        let pool = PgPoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }

    /// A transaction holding the tweet-order lock until it commits.
    async fn begin_tweet_batch(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(TWEET_ORDER_LOCK)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Store `drafts` with `PLAIN_BATCH` when none is a reply, mentions anyone or carries
    /// images; `None`
    /// leaves them to the transaction path.
    async fn insert_plain_tweets(
        &self,
        drafts: &[Draft],
        created_at: i64,
    ) -> Result<Option<Vec<Tweet>>, StoreError> {
        if drafts.iter().any(|d| {
            d.reply_to.is_some()
                || !d.mentions.is_empty()
                || !d.tags.is_empty()
                || !d.media.is_empty()
        }) {
            return Ok(None);
        }
        let authors: Vec<i64> = drafts.iter().map(|d| d.author.id).collect();
        let texts: Vec<&str> = drafts.iter().map(|d| d.text.as_str()).collect();
        let words: Vec<&str> = drafts.iter().map(|d| d.words.as_str()).collect();
        let rows: Vec<(bool, i64, Option<String>)> = sqlx::query_as(PLAIN_BATCH)
            .bind(&authors)
            .bind(&texts)
            .bind(created_at)
            .bind(TWEET_ORDER_LOCK)
            .bind(&words)
            .fetch_all(&self.pool)
            .await?;
        let mut ids = Vec::with_capacity(drafts.len());
        let mut names = std::collections::HashMap::new();
        for (is_author, id, name) in rows {
            if is_author {
                names.insert(id, name.unwrap_or_default());
            } else {
                ids.push(id);
            }
        }
        let ids = tweets::in_draft_order(ids, drafts.len())?;
        let resolved = tweets::Resolved::default();
        Ok(Some(
            ids.into_iter()
                .zip(drafts)
                .map(|(id, draft)| {
                    let name = names.get(&draft.author.id).map_or("", String::as_str);
                    tweets::new_tweet(id, draft, name, created_at, &resolved)
                })
                .collect(),
        ))
    }

    /// Any other writing transaction: no advisory lock. Follow ids need none, because lists
    /// read them newest first (a late commit lands above a reader's cursor, as a new follow).
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// Add the follow unless it exists or may not (`follows::follow_allowed!`); the identity column hands out
    /// its id.
    async fn insert_follow(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        follower_id: i64,
        followee_id: i64,
    ) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(concat!(
            "INSERT INTO follows (follower_id, followee_id, created_at) \
                 SELECT $1, $2, $3 WHERE ",
            follows::follow_allowed!(),
            " ON CONFLICT (follower_id, followee_id) DO NOTHING"
        ))
        .bind(follower_id)
        .bind(followee_id)
        .bind(crate::domain::now_micros())
        .execute(&mut **tx)
        .await?
        .rows_affected()
            > 0)
    }

    /// Each of `authors`' first `limit` tweet ids past `bound` (below it, or above it when
    /// `ascending`), one index walk per author (`HOME_BY_AUTHOR_*`), in one statement.
    async fn home_ids_by_author(
        &self,
        hiding: Option<i64>,
        authors: &[i64],
        bound: i64,
        ascending: bool,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let query = match (ascending, hiding.is_some()) {
            (true, false) => HOME_BY_AUTHOR_AFTER,
            (false, false) => HOME_BY_AUTHOR_BEFORE,
            (true, true) => HOME_BY_AUTHOR_AFTER_HIDING,
            (false, true) => HOME_BY_AUTHOR_BEFORE_HIDING,
        };
        let rows: Vec<(i64,)> = sqlx::query_as(query)
            .bind(authors)
            .bind(bound)
            .bind(limit)
            .bind(hiding)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }
}

accounts::impl_accounts!(PostgresStore);
tweets::impl_tweets!(PostgresStore);
search::impl_search!(PostgresStore);
timelines::impl_timelines!(PostgresStore);
follows::impl_follows!(PostgresStore, Postgres);
media::impl_media!(PostgresStore);
notifications::impl_notifications!(PostgresStore);
moderation::impl_moderation!(PostgresStore);
secrets::impl_secrets!(PostgresStore);
clients::impl_clients!(PostgresStore);
