//! The embedded default: a SQLite file, created and migrated on first start.
//!
//! WAL mode with `synchronous=NORMAL` (a killed process loses nothing acknowledged; a power
//! cut may lose the last commits), foreign keys on, and a busy timeout so that concurrent
//! writers wait for each other instead of failing. SQLite has one writer at a time, so tweet
//! ids are handed out in commit order without further care.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use sqlx::{Sqlite, Transaction};

use super::{ACQUIRE_TIMEOUT, StoreError, media, moderation};
use super::{accounts, clients, follows, notifications, search, secrets, timelines, tweets, words};

/// `Store` on a SQLite file.
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// How search statements are written here.
    pub(super) const DIALECT: words::Dialect = words::Dialect::Sqlite;

    /// `$1`'s followee ids, ascending, in one comma-separated text.
    const FOLLOWING_IDS_PACKED: &'static str = "SELECT COALESCE(group_concat(followee_id, ','), '') \
         FROM (SELECT followee_id FROM follows WHERE follower_id = $1 ORDER BY followee_id)";

    /// Open `url` (`sqlite://path`), creating the file if needed, and apply migrations;
    /// each pooled connection caches up to `cache_kib` KiB of pages.
    pub async fn connect(url: &str, pool_size: u32, cache_kib: u32) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            // Negative: a size in KiB rather than in pages.
            .pragma("cache_size", format!("-{}", cache_kib.max(1)));
        let pool = SqlitePoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    /// `BEGIN IMMEDIATE`: take the write lock up front, so the batch waits (busy timeout)
    /// rather than failing on a lock upgrade.
    async fn begin_tweet_batch(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// No one-statement path here: every batch takes the transaction path (`None`).
    async fn insert_plain_tweets(
        &self,
        _drafts: &[crate::domain::Draft],
        _created_at: i64,
    ) -> Result<Option<Vec<crate::domain::Tweet>>, StoreError> {
        Ok(None)
    }

    /// Also `BEGIN IMMEDIATE`: a write transaction that reads first (counters after an
    /// insert) must not fail on a lock upgrade, and holding the write lock from the start
    /// makes read-then-write steps inside it race-free.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Add the follow unless it exists or may not (`follows::follow_allowed!`); its id is one more than the last
    /// handed out (the one-row `follow_ids` counter, safe under the write lock `begin_write`
    /// holds).
    async fn insert_follow(
        &self,
        tx: &mut Transaction<'static, Sqlite>,
        follower_id: i64,
        followee_id: i64,
    ) -> Result<bool, sqlx::Error> {
        let inserted = sqlx::query(concat!(
            "INSERT INTO follows (follower_id, followee_id, id, created_at) \
                 SELECT $1, $2, last + 1, $3 FROM follow_ids WHERE ",
            follows::follow_allowed!(),
            " ON CONFLICT (follower_id, followee_id) DO NOTHING"
        ))
        .bind(follower_id)
        .bind(followee_id)
        .bind(crate::domain::now_micros())
        .execute(&mut **tx)
        .await?
        .rows_affected()
            > 0;
        if inserted {
            sqlx::query("UPDATE follow_ids SET last = last + 1")
                .execute(&mut **tx)
                .await?;
        }
        Ok(inserted)
    }

    /// Each of `authors`' first `limit` tweet ids past `bound` (below it, or above it when
    /// `ascending`), read from the `(author_id, id)` index: SQLite has no `LATERAL`, so one
    /// `UNION ALL` of per-author `LIMIT`ed selects, in chunks under its limit of 500 terms in a
    /// compound select. Every value is a bound parameter.
    async fn home_ids_by_author(
        &self,
        hiding: Option<i64>,
        authors: &[i64],
        bound: i64,
        ascending: bool,
        limit: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let (comparison, order) = if ascending {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        let mut ids = Vec::new();
        for chunk in authors.chunks(HOME_AUTHORS_PER_STATEMENT) {
            let mut query = sqlx::QueryBuilder::<Sqlite>::new("");
            for (i, author) in chunk.iter().enumerate() {
                if i > 0 {
                    query.push(" UNION ALL ");
                }
                query.push("SELECT id FROM (SELECT id FROM tweets WHERE author_id = ");
                query.push_bind(*author);
                query.push(format_args!(" AND id {comparison} "));
                query.push_bind(bound);
                // Reads each row, not only the index: only for a viewer who hides someone.
                if let Some(viewer) = hiding {
                    query.push(timelines::THREAD_SHOWN_TO);
                    query.push_bind(viewer);
                    query.push(timelines::THREAD_SHOWN_TO_END);
                }
                query.push(format_args!(" ORDER BY id {order} LIMIT "));
                query.push_bind(limit);
                query.push(")");
            }
            query.push(format_args!(" ORDER BY id {order} LIMIT "));
            query.push_bind(limit);
            let rows: Vec<(i64,)> = query.build_query_as().fetch_all(&self.pool).await?;
            ids.extend(rows.into_iter().map(|(id,)| id));
        }
        Ok(ids)
    }
}

/// Authors per home-timeline statement: under SQLite's 500 terms in a compound select, and
/// 4 bound values each under its 32,766.
const HOME_AUTHORS_PER_STATEMENT: usize = 400;

accounts::impl_accounts!(SqliteStore);
tweets::impl_tweets!(SqliteStore);
search::impl_search!(SqliteStore);
timelines::impl_timelines!(SqliteStore);
follows::impl_follows!(SqliteStore, Sqlite);
media::impl_media!(SqliteStore);
notifications::impl_notifications!(SqliteStore);
moderation::impl_moderation!(SqliteStore);
secrets::impl_secrets!(SqliteStore);
clients::impl_clients!(SqliteStore);
