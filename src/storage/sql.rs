//! The SQL both databases share, and `shared_store_impl!`, which writes the `Store` methods
//! that are identical on SQLite and PostgreSQL around a `pool` field.
//!
//! Placeholders are `$n` (both dialects accept them); counts are `COUNT(*)`, which both
//! return as 64-bit integers, so the same row types decode on either database.

use crate::domain::{Author, Draft, Tweet, User};

/// Columns and joins that make a `TweetRow`; `$1` is the viewer's user id (or NULL).
macro_rules! tweet_select {
    () => {
        "SELECT t.id, t.author_id, u.username, t.text, t.created_at, \
           (SELECT COUNT(*) FROM likes l WHERE l.tweet_id = t.id) AS like_count, \
           (SELECT COUNT(*) FROM likes l WHERE l.tweet_id = t.id AND l.user_id = $1) AS liked_by_me \
         FROM tweets t JOIN users u ON u.id = t.author_id "
    };
}

pub(super) const TWEET_BY_ID: &str = concat!(tweet_select!(), "WHERE t.id = $2");
/// `$2` = exclusive upper bound, `$3` = limit.
pub(super) const TWEETS_BEFORE: &str = concat!(
    tweet_select!(),
    "WHERE t.id < $2 ORDER BY t.id DESC LIMIT $3"
);
/// `$2` = exclusive lower bound, `$3` = limit; oldest first (the caller reverses).
pub(super) const TWEETS_AFTER: &str = concat!(
    tweet_select!(),
    "WHERE t.id > $2 ORDER BY t.id ASC LIMIT $3"
);
/// As `TWEETS_BEFORE`, `$4` = author id.
pub(super) const AUTHOR_TWEETS_BEFORE: &str = concat!(
    tweet_select!(),
    "WHERE t.author_id = $4 AND t.id < $2 ORDER BY t.id DESC LIMIT $3"
);
/// As `TWEETS_AFTER`, `$4` = author id.
pub(super) const AUTHOR_TWEETS_AFTER: &str = concat!(
    tweet_select!(),
    "WHERE t.author_id = $4 AND t.id > $2 ORDER BY t.id ASC LIMIT $3"
);

pub(super) const INSERT_USER: &str = "INSERT INTO users (username, username_key, password_hash, created_at) \
     VALUES ($1, $2, $3, $4) RETURNING id";
pub(super) const USER_BY_KEY: &str =
    "SELECT id, username, created_at, password_hash FROM users WHERE username_key = $1";
pub(super) const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, created_at) VALUES ($1, $2, $3)";
pub(super) const SESSION_USER: &str = "SELECT u.id, u.username, u.created_at, '' AS password_hash \
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";
pub(super) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";
pub(super) const DELETE_TWEET: &str = "DELETE FROM tweets WHERE id = $1 AND author_id = $2";
pub(super) const RECORD_DELETION: &str = "INSERT INTO deletions (tweet_id, deleted_at) VALUES ($1, $2) ON CONFLICT (tweet_id) DO NOTHING";
pub(super) const DELETED_SINCE: &str =
    "SELECT tweet_id FROM deletions WHERE deleted_at >= $1 ORDER BY tweet_id";
pub(super) const INSERT_LIKE: &str = "INSERT INTO likes (tweet_id, user_id, created_at) VALUES ($1, $2, $3) \
     ON CONFLICT (tweet_id, user_id) DO NOTHING";
pub(super) const DELETE_LIKE: &str = "DELETE FROM likes WHERE tweet_id = $1 AND user_id = $2";

/// A user row, with the password hash for signing in (empty where not selected).
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    pub id: i64,
    pub username: String,
    pub created_at: i64,
    pub password_hash: String,
}

impl UserRow {
    pub fn into_user(self) -> User {
        User {
            id: self.id,
            username: self.username,
            created_at: self.created_at,
        }
    }
}

/// A tweet row as `tweet_select!` produces it.
#[derive(sqlx::FromRow)]
pub(super) struct TweetRow {
    pub id: i64,
    pub author_id: i64,
    pub username: String,
    pub text: String,
    pub created_at: i64,
    pub like_count: i64,
    pub liked_by_me: i64,
}

impl From<TweetRow> for Tweet {
    fn from(row: TweetRow) -> Self {
        Tweet {
            id: row.id,
            author: Author {
                id: row.author_id,
                username: row.username,
            },
            text: row.text,
            created_at: row.created_at,
            like_count: row.like_count,
            liked_by_me: row.liked_by_me > 0,
        }
    }
}

/// Implements `Store` for a struct with a `pool` field and an inherent
/// `begin_tweet_batch()` that opens the transaction tweets are inserted in (where each
/// database makes sure ids commit in order).
macro_rules! shared_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Store for $store {
            async fn create_tweets(
                &self,
                drafts: &[$crate::domain::Draft],
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                if drafts.is_empty() {
                    return Ok(Vec::new());
                }
                let created_at = $crate::domain::now_micros();
                let mut insert =
                    sqlx::QueryBuilder::new("INSERT INTO tweets (author_id, text, created_at) ");
                insert.push_values(drafts, |mut row, draft| {
                    row.push_bind(draft.author.id)
                        .push_bind(draft.text.as_str())
                        .push_bind(created_at);
                });
                insert.push(" RETURNING id");
                let mut tx = self.begin_tweet_batch().await?;
                let rows: Vec<(i64,)> = insert.build_query_as().fetch_all(&mut *tx).await?;
                // Inside the batch transaction nobody else inserts tweets, so the rows took
                // consecutive ids in VALUES order; RETURNING's own order is not promised.
                let mut ids: Vec<i64> = rows.into_iter().map(|(id,)| id).collect();
                ids.sort_unstable();
                if ids.len() != drafts.len() {
                    return Err(anyhow::anyhow!(
                        "inserted {} tweets, expected {}",
                        ids.len(),
                        drafts.len()
                    )
                    .into());
                }
                let tweets = ids
                    .into_iter()
                    .zip(drafts)
                    .map(|(id, draft)| $crate::storage::sql::new_tweet(id, draft, created_at))
                    .collect();
                tx.commit().await?;
                Ok(tweets)
            }

            async fn create_user(
                &self,
                username: &$crate::domain::Username,
                password_hash: &str,
            ) -> Result<$crate::domain::User, $crate::storage::StoreError> {
                let created_at = $crate::domain::now_micros();
                let (id,): (i64,) = sqlx::query_as($crate::storage::sql::INSERT_USER)
                    .bind(username.as_str())
                    .bind(username.key())
                    .bind(password_hash)
                    .bind(created_at)
                    .fetch_one(&self.pool)
                    .await?;
                Ok($crate::domain::User {
                    id,
                    username: username.as_str().to_owned(),
                    created_at,
                })
            }

            async fn credentials(
                &self,
                username: &$crate::domain::Username,
            ) -> Result<Option<($crate::domain::User, String)>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::sql::UserRow> =
                    sqlx::query_as($crate::storage::sql::USER_BY_KEY)
                        .bind(username.key())
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|mut r| {
                    let hash = std::mem::take(&mut r.password_hash);
                    (r.into_user(), hash)
                }))
            }

            async fn user_by_name(
                &self,
                username: &$crate::domain::Username,
            ) -> Result<Option<$crate::domain::User>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::sql::UserRow> =
                    sqlx::query_as($crate::storage::sql::USER_BY_KEY)
                        .bind(username.key())
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map($crate::storage::sql::UserRow::into_user))
            }

            async fn create_session(
                &self,
                token_hash: &str,
                user_id: i64,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::sql::INSERT_SESSION)
                    .bind(token_hash)
                    .bind(user_id)
                    .bind($crate::domain::now_micros())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session_user(
                &self,
                token_hash: &str,
            ) -> Result<Option<$crate::domain::User>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::sql::UserRow> =
                    sqlx::query_as($crate::storage::sql::SESSION_USER)
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map($crate::storage::sql::UserRow::into_user))
            }

            async fn delete_session(
                &self,
                token_hash: &str,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::sql::DELETE_SESSION)
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn tweet(
                &self,
                id: i64,
                viewer: Option<i64>,
            ) -> Result<Option<$crate::domain::Tweet>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::sql::TweetRow> =
                    sqlx::query_as($crate::storage::sql::TWEET_BY_ID)
                        .bind(viewer)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn tweets(
                &self,
                author: Option<i64>,
                page: $crate::domain::Page,
                viewer: Option<i64>,
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                use $crate::domain::PageCursor;
                use $crate::storage::sql;
                let (query, bound, ascending) = match (page.cursor, author.is_some()) {
                    (PageCursor::After(id), false) => (sql::TWEETS_AFTER, id, true),
                    (PageCursor::After(id), true) => (sql::AUTHOR_TWEETS_AFTER, id, true),
                    (PageCursor::Before(id), false) => (sql::TWEETS_BEFORE, id, false),
                    (PageCursor::Before(id), true) => (sql::AUTHOR_TWEETS_BEFORE, id, false),
                    (PageCursor::Newest, false) => (sql::TWEETS_BEFORE, i64::MAX, false),
                    (PageCursor::Newest, true) => (sql::AUTHOR_TWEETS_BEFORE, i64::MAX, false),
                };
                let mut q = sqlx::query_as::<_, sql::TweetRow>(query)
                    .bind(viewer)
                    .bind(bound)
                    .bind(page.limit);
                if let Some(author) = author {
                    q = q.bind(author);
                }
                let rows = q.fetch_all(&self.pool).await?;
                let mut tweets: Vec<$crate::domain::Tweet> =
                    rows.into_iter().map(Into::into).collect();
                if ascending {
                    tweets.reverse();
                }
                Ok(tweets)
            }

            async fn delete_tweet(
                &self,
                id: i64,
                author_id: i64,
            ) -> Result<(), $crate::storage::StoreError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query($crate::storage::sql::DELETE_TWEET)
                    .bind(id)
                    .bind(author_id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::storage::StoreError::NotFound);
                }
                sqlx::query($crate::storage::sql::RECORD_DELETION)
                    .bind(id)
                    .bind($crate::domain::now_micros())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_like(
                &self,
                tweet_id: i64,
                user_id: i64,
                liked: bool,
            ) -> Result<(), $crate::storage::StoreError> {
                let query = if liked {
                    sqlx::query($crate::storage::sql::INSERT_LIKE)
                        .bind(tweet_id)
                        .bind(user_id)
                        .bind($crate::domain::now_micros())
                } else {
                    sqlx::query($crate::storage::sql::DELETE_LIKE)
                        .bind(tweet_id)
                        .bind(user_id)
                };
                query.execute(&self.pool).await.map_err(|e| match e {
                    // The tweet vanished between the caller's check and the insert.
                    sqlx::Error::Database(ref db) if db.is_foreign_key_violation() => {
                        $crate::storage::StoreError::NotFound
                    }
                    other => other.into(),
                })?;
                Ok(())
            }

            async fn deleted_since(
                &self,
                since: i64,
            ) -> Result<Vec<i64>, $crate::storage::StoreError> {
                let rows: Vec<(i64,)> = sqlx::query_as($crate::storage::sql::DELETED_SINCE)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn ping(&self) -> Result<(), $crate::storage::StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}

pub(super) use shared_store_impl;

/// The tweet a successful insert produced, as its author sees it.
pub(super) fn new_tweet(id: i64, draft: &Draft, created_at: i64) -> Tweet {
    Tweet {
        id,
        author: Author {
            id: draft.author.id,
            username: draft.author.username.clone(),
        },
        text: draft.text.as_str().to_owned(),
        created_at,
        like_count: 0,
        liked_by_me: false,
    }
}
