//! Storage: one `Store` trait, one implementation per database (`sqlite`, `postgres`),
//! chosen by the URL's scheme in `connect`.
//!
//! Both implementations run the same SQL (`sql.rs`) wherever the dialects agree; only
//! connecting, migrating and ordering tweet ids differ. Storage knows nothing about HTTP.

mod error;
mod postgres;
mod session_cache;
mod sql;
mod sqlite;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use error::StoreError;
pub use postgres::PostgresStore;
pub use session_cache::SessionCache;
pub use sqlite::SqliteStore;

use crate::domain::{
    Draft, FollowCursor, NewNotification, Notification, Page, Profile, ProfilePage, ProfileUpdate,
    Tweet, User, Username,
};

/// Everything Chirp keeps. Implementations must be cheap to share (`Arc<dyn Store>`).
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Create an account. `Conflict` when the name is taken (case-insensitively).
    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> Result<User, StoreError>;
    /// The user and their password hash, for signing in.
    async fn credentials(&self, username: &Username) -> Result<Option<(User, String)>, StoreError>;
    /// Look a user up by name, case-insensitively.
    async fn user_by_name(&self, username: &Username) -> Result<Option<User>, StoreError>;
    /// Remember a session by the hash of its token.
    async fn create_session(&self, token_hash: &str, user_id: i64) -> Result<(), StoreError>;
    /// Who a session (by token hash) belongs to, if it still exists.
    async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError>;
    /// Forget a session.
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Store tweets in one transaction, in order. Ids are handed out in commit order, so
    /// they grow with time (on every node).
    async fn create_tweets(&self, drafts: &[Draft]) -> Result<Vec<Tweet>, StoreError>;
    /// One tweet as `viewer` sees it.
    async fn tweet(&self, id: i64, viewer: Option<i64>) -> Result<Option<Tweet>, StoreError>;
    /// A page of tweets, newest first; only `author`'s when given.
    async fn tweets(
        &self,
        author: Option<i64>,
        page: Page,
        viewer: Option<i64>,
    ) -> Result<Vec<Tweet>, StoreError>;
    /// Delete a tweet written by `author_id`. `NotFound` when there is no such tweet of theirs.
    async fn delete_tweet(&self, id: i64, author_id: i64) -> Result<(), StoreError>;
    /// Like (`true`) or unlike a tweet; idempotent.
    async fn set_like(&self, tweet_id: i64, user_id: i64, liked: bool) -> Result<(), StoreError>;
    /// Ids of tweets deleted at or after `since` (UTC microseconds), for catching up.
    async fn deleted_since(&self, since: i64) -> Result<Vec<i64>, StoreError>;
    /// Answer when the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// A user's profile by name (case-insensitively), as `viewer` sees it.
    async fn profile(
        &self,
        username: &Username,
        viewer: Option<i64>,
    ) -> Result<Option<Profile>, StoreError>;
    /// Change what `update` sets, both fields or neither. `NotFound` for an unknown user.
    async fn update_profile(&self, user_id: i64, update: &ProfileUpdate) -> Result<(), StoreError>;
    /// Follow (`on`) or unfollow; idempotent. Both users' counters move in the same
    /// transaction, so they stay exact under concurrency. Answers whether anything changed;
    /// `NotFound` when either user does not exist.
    async fn set_follow(
        &self,
        follower_id: i64,
        followee_id: i64,
        on: bool,
    ) -> Result<bool, StoreError>;
    /// Who follows `user_id`, most recent follow first.
    async fn followers(
        &self,
        user_id: i64,
        cursor: FollowCursor,
        viewer: Option<i64>,
    ) -> Result<ProfilePage, StoreError>;
    /// Whom `user_id` follows, most recent follow first.
    async fn following(
        &self,
        user_id: i64,
        cursor: FollowCursor,
        viewer: Option<i64>,
    ) -> Result<ProfilePage, StoreError>;
    /// A page of `user_id`'s home timeline (their tweets and their followees'), newest
    /// first, as they see it.
    async fn home(&self, user_id: i64, page: Page) -> Result<Vec<Tweet>, StoreError>;
    /// The newest `limit` tweets as (id, author id, parent id for a reply), newest first:
    /// what home pages are picked from in memory (`feed::HomePages`; the parent, so that
    /// deleting a reply marks its parent's reply count changed).
    async fn recent_authors(&self, limit: i64) -> Result<Vec<(i64, i64, Option<i64>)>, StoreError>;
    /// The tweets with these ids that still exist, as `viewer` sees them, by id (ids of 0,
    /// "no tweet", are skipped).
    async fn tweets_by_ids(
        &self,
        ids: &[i64],
        viewer: i64,
    ) -> Result<HashMap<i64, Tweet>, StoreError>;
    /// Everyone `user_id` follows, by id: what a `home` watcher's index needs.
    async fn following_ids(&self, user_id: i64) -> Result<Vec<i64>, StoreError>;
    /// The direct replies to `parent`, **oldest first**, after `page`'s `After` id (from the
    /// first when `Newest`; `Before` is the caller's to refuse).
    async fn replies(
        &self,
        parent: i64,
        page: Page,
        viewer: Option<i64>,
    ) -> Result<Vec<Tweet>, StoreError>;
    /// Make these notifications, each unless its (recipient, kind, actor, tweet) had one
    /// already (a unique constraint decides, so concurrent makers cannot both win). Answers
    /// the ones made, as their recipients see them, each with the recipient's unread count
    /// just after it.
    async fn notify(&self, new: &[NewNotification])
    -> Result<Vec<(Notification, i64)>, StoreError>;
    /// A page of `recipient`'s notifications, newest first, below id `before`.
    async fn notifications(
        &self,
        recipient: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError>;
    /// How many of `recipient`'s notifications are unread.
    async fn unread_count(&self, recipient: i64) -> Result<i64, StoreError>;
    /// Mark `recipient`'s notifications with an id up to `up_to` read.
    async fn mark_read(&self, recipient: i64, up_to: i64) -> Result<(), StoreError>;
    /// Up to `limit` accounts to suggest following, most-followed first, leaving out
    /// `viewer` and whom they already follow: what an empty home timeline shows instead.
    async fn suggestions(
        &self,
        viewer: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Profile>, StoreError>;
}

/// How to reach the database.
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// `sqlite://path` or `postgres://…`.
    pub url: String,
    /// Connections in the pool.
    pub pool_size: u32,
    /// SQLite only: KiB of page cache per connection.
    pub sqlite_cache_kib: u32,
}

/// Open (creating and migrating if needed) the database the URL names.
pub async fn connect(config: &StoreConfig) -> anyhow::Result<Arc<dyn Store>> {
    let url = config.url.as_str();
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            SqliteStore::connect(url, config.pool_size, config.sqlite_cache_kib).await?,
        ))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            PostgresStore::connect(url, config.pool_size).await?,
        ))
    } else {
        anyhow::bail!(
            "unsupported database URL {url:?}: use sqlite://PATH or postgres://USER@HOST/DB"
        )
    }
}

/// How long a request waits for a pooled connection before answering 503.
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
