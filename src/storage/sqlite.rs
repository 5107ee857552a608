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

use super::sql::{self, shared_store_impl};
use super::{ACQUIRE_TIMEOUT, StoreError};
use crate::domain::{Tweet, TweetText, User, now_micros};

/// `Store` on a SQLite file.
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Open `url` (`sqlite://path`), creating the file if needed, and apply migrations.
    pub async fn connect(url: &str, pool_size: u32) -> anyhow::Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(pool_size.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }
}

shared_store_impl!(SqliteStore {
    async fn create_tweet(&self, author: &User, text: &TweetText) -> Result<Tweet, StoreError> {
        let created_at = now_micros();
        let (id,): (i64,) = sqlx::query_as(sql::INSERT_TWEET)
            .bind(author.id)
            .bind(text.as_str())
            .bind(created_at)
            .fetch_one(&self.pool)
            .await?;
        Ok(sql::new_tweet(id, author, text.as_str(), created_at))
    }
});
