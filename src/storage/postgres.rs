//! PostgreSQL, for running several Chirp nodes on one database.
//!
//! Identity columns hand out ids when a row is inserted, not when it commits, so two
//! concurrent inserts could commit out of id order and a reader paging with `after=<id>`
//! would skip the late one. Tweet inserts therefore take a transaction-scoped advisory lock:
//! ids are assigned and committed one at a time, in order, across every node.

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use sqlx::{Postgres, Transaction};

use super::sql::shared_store_impl;
use super::{ACQUIRE_TIMEOUT, StoreError};

/// Advisory lock key that serialises tweet inserts ("chirp" in ASCII).
const TWEET_ORDER_LOCK: i64 = 0x63_68_69_72_70;

/// `Store` on PostgreSQL.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
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

    /// Any other writing transaction: no advisory lock. Follow ids need none, because lists
    /// read them newest first (a late commit lands above a reader's cursor, as a new follow).
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// Add the follow unless it exists; the identity column hands out its id.
    async fn insert_follow(
        &self,
        tx: &mut Transaction<'static, Postgres>,
        follower_id: i64,
        followee_id: i64,
    ) -> Result<bool, sqlx::Error> {
        Ok(sqlx::query(
            "INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (follower_id, followee_id) DO NOTHING",
        )
        .bind(follower_id)
        .bind(followee_id)
        .bind(crate::domain::now_micros())
        .execute(&mut **tx)
        .await?
        .rows_affected()
            > 0)
    }
}

shared_store_impl!(PostgresStore);
