//! Storage: narrow traits per concern (`Accounts`, `Sessions`, `Tweets`, `Timelines`,
//! `Search`, `Follows`, `Notifications`, `Moderation`, `MediaRows`, `Health`, and the Mastodon
//! API's `Clients`), their union `Store`, and one implementation per
//! database (`sqlite`, `postgres`), chosen by the URL's scheme in `connect`.
//!
//! Each concern's SQL lives in a file of its own (`accounts`, `tweets`, `timelines`,
//! `search`, `follows`, `notifications`) with a macro that implements its trait on both databases from
//! the same SQL. What differs is in `sqlite.rs` and `postgres.rs`: connecting and migrating;
//! how tweet ids are made to commit in order (SQLite's single writer, PostgreSQL's advisory
//! lock and its one-statement batch of plain tweets); how follow ids are drawn (a counter
//! row, an identity column); packing followee ids into one text; and the home timeline's
//! per-author walk (PostgreSQL `LATERAL`, SQLite a `UNION ALL` of per-author selects).
//! A cache wraps only the trait it caches (`SessionCache` is a `Sessions`). Storage knows
//! nothing about HTTP.

mod accounts;
mod clients;
mod error;
mod follows;
mod media;
mod moderation;
mod moderation_rows;
mod notifications;
mod postgres;
mod search;
mod secrets;
mod session_cache;
mod sqlite;
mod timelines;
mod tweets;
mod words;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use clients::{AuthCode, ClientApp, ClientToken, Clients, Marker, NewClientApp};
pub use error::{Constraint, StoreError};
pub use postgres::PostgresStore;
pub use search::TagUse;
pub use secrets::{SECRET_BYTES, Secrets};
pub use session_cache::SessionCache;
pub use sqlite::SqliteStore;

use crate::domain::{
    Description, Draft, FollowCursor, Hide, LogAction, LogEntry, NewMedia, NewNotification,
    NewReport, Notification, Page, Profile, ProfilePage, ProfileUpdate, Report, Role, SearchQuery,
    StoredMedia, Tweet, User, Username,
};

/// Accounts and their profiles.
#[async_trait]
pub trait Accounts: Send + Sync + 'static {
    /// Create an account. `Conflict(Username)` when the name is taken (case-insensitively).
    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> Result<User, StoreError>;
    /// The user and their password hash, for signing in.
    async fn credentials(&self, username: &Username) -> Result<Option<(User, String)>, StoreError>;
    /// Look a user up by name, case-insensitively.
    async fn user_by_name(&self, username: &Username) -> Result<Option<User>, StoreError>;
    /// A user's profile by name (case-insensitively), as `viewer` sees it.
    async fn profile(
        &self,
        username: &Username,
        viewer: Option<i64>,
    ) -> Result<Option<Profile>, StoreError>;
    /// Change what `update` sets, both fields or neither. `NotFound` for an unknown user.
    async fn update_profile(&self, user_id: i64, update: &ProfileUpdate) -> Result<(), StoreError>;
    /// Up to `limit` accounts to suggest following, most-followed first, leaving out
    /// `viewer` and whom they already follow: what an empty home timeline shows instead.
    async fn suggestions(
        &self,
        viewer: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Profile>, StoreError>;
}

/// Signed-in sessions, by the hash of their token: the one concern that is cached
/// (`SessionCache`), so it is a trait of its own.
#[async_trait]
pub trait Sessions: Send + Sync + 'static {
    /// Remember a session by the hash of its token.
    async fn create_session(&self, token_hash: &str, user_id: i64) -> Result<(), StoreError>;
    /// Who a session (by token hash) belongs to, if it still exists.
    async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError>;
    /// Forget a session.
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError>;
}

/// Tweets one at a time: storing, deleting, liking, and reading them by id.
#[async_trait]
pub trait Tweets: Send + Sync + 'static {
    /// Store tweets in one transaction, in order. Ids are handed out in commit order, so
    /// they grow with time (on every node).
    async fn create_tweets(&self, drafts: &[Draft]) -> Result<Vec<Tweet>, StoreError>;
    /// One tweet as `viewer` sees it.
    async fn tweet(&self, id: i64, viewer: Option<i64>) -> Result<Option<Tweet>, StoreError>;
    /// Delete a tweet written by `author_id`. `NotFound` when there is no such tweet of theirs.
    async fn delete_tweet(&self, id: i64, author_id: i64) -> Result<(), StoreError>;
    /// Like (`true`) or unlike a tweet; idempotent.
    async fn set_like(&self, tweet_id: i64, user_id: i64, liked: bool) -> Result<(), StoreError>;
    /// Ids of tweets deleted at or after `since` (UTC microseconds), for catching up.
    async fn deleted_since(&self, since: i64) -> Result<Vec<i64>, StoreError>;
    /// The newest `limit` tweets as (id, author id, parent id and parent's author id if a
    /// reply), newest first: what home pages are picked from in memory (`feed::HomePages`).
    async fn recent_authors(&self, limit: i64) -> Result<Vec<RecentTweet>, StoreError>;
    /// The tweets with these ids that still exist, as `viewer` sees them, by id (ids of 0,
    /// "no tweet", are skipped).
    async fn tweets_by_ids(
        &self,
        ids: &[i64],
        viewer: i64,
    ) -> Result<HashMap<i64, Tweet>, StoreError>;
}

/// A recent tweet as home pages pick from it: (id, author, parent, parent's author).
pub type RecentTweet = (i64, i64, Option<i64>, Option<i64>);

/// Lists of tweets, paged: everyone's, one author's, a home timeline, a thread's replies.
#[async_trait]
pub trait Timelines: Send + Sync + 'static {
    /// A page of tweets, newest first; only `author`'s when given.
    async fn tweets(
        &self,
        author: Option<i64>,
        page: Page,
        viewer: Option<i64>,
    ) -> Result<Vec<Tweet>, StoreError>;
    /// A page of `user_id`'s home timeline (their tweets and their followees'), newest
    /// first, as they see it. Costs about the same however few people they follow.
    async fn home(&self, user_id: i64, page: Page) -> Result<Vec<Tweet>, StoreError>;
    /// As `home`, when the caller knows whom `user_id` follows and hides already
    /// (`followees`, `hidden`: the feed's memory, sorted), which saves reading them again.
    async fn home_of(
        &self,
        user_id: i64,
        followees: &[i64],
        hidden: &[i64],
        page: Page,
    ) -> Result<Vec<Tweet>, StoreError>;
    /// The direct replies to `parent`, **oldest first**, after `page`'s `After` id (from the
    /// first when `Newest`; `Before` is the caller's to refuse).
    async fn replies(
        &self,
        parent: i64,
        page: Page,
        viewer: Option<i64>,
    ) -> Result<Vec<Tweet>, StoreError>;
}

/// Hashtags and search: tweets by words, tags and author; people by name; the tag uses
/// trending starts from; indexing tweets stored before search existed.
#[async_trait]
pub trait Search: Send + Sync + 'static {
    /// A page of the tweets `query` matches, as `viewer` sees them (hidden authors and, for
    /// replies, hidden parents' authors left out before the page is cut), newest first.
    async fn search_tweets(
        &self,
        query: &SearchQuery,
        page: Page,
        viewer: Option<i64>,
    ) -> Result<Vec<Tweet>, StoreError>;
    /// Up to `limit` people whose username or display name begins with `prefix`, ignoring
    /// case, most followed first, as `viewer` sees them; suspended ones only when
    /// `with_suspended`.
    async fn search_users(
        &self,
        prefix: &str,
        viewer: Option<i64>,
        with_suspended: bool,
        limit: i64,
    ) -> Result<Vec<Profile>, StoreError>;
    /// Every tag use stored at or after `since` (UTC microseconds), oldest first.
    async fn tag_uses_since(&self, since: i64) -> Result<Vec<TagUse>, StoreError>;
    /// Index up to `batch` of the newest tweets stored before search existed (tags and
    /// words); answers the highest id still to index (0 when every tweet is indexed).
    async fn backfill_search(&self, batch: i64) -> Result<i64, StoreError>;
    /// Move up to `batch` of the oldest tweets' words waiting for the search index into it
    /// (SQLite; nothing to do on PostgreSQL); answers how many moved.
    async fn index_pending_words(&self, batch: i64) -> Result<u64, StoreError>;
    /// Key every display name not yet keyed for people search; answers how many.
    async fn key_display_names(&self) -> Result<u64, StoreError>;
}

/// One follow (`on`) or unfollow of a batch (`Follows::set_follows`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowChange {
    /// Who follows (or stops).
    pub follower: i64,
    /// Whom.
    pub followee: i64,
    /// Follow (`true`) or unfollow.
    pub on: bool,
}

/// Who follows whom.
#[async_trait]
pub trait Follows: Send + Sync + 'static {
    /// Apply `changes` in order, in one transaction; each is idempotent. The users'
    /// counters move in the same transaction, so they stay exact under concurrency. One
    /// answer per change: whether it changed anything, or `NotFound` when either user does
    /// not exist, `Blocked` when a block stands between them (a follow; that change only).
    /// `Err` when the transaction as a whole failed.
    async fn set_follows(
        &self,
        changes: &[FollowChange],
    ) -> Result<Vec<Result<bool, StoreError>>, StoreError>;
    /// Follow (`on`) or unfollow, alone (`set_follows` of one change).
    async fn set_follow(
        &self,
        follower_id: i64,
        followee_id: i64,
        on: bool,
    ) -> Result<bool, StoreError> {
        let change = FollowChange {
            follower: follower_id,
            followee: followee_id,
            on,
        };
        self.set_follows(&[change])
            .await?
            .pop()
            .unwrap_or(Err(StoreError::NotFound))
    }
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
    /// Everyone `user_id` follows, by id, ascending: what a `home` watcher's index needs.
    async fn following_ids(&self, user_id: i64) -> Result<Vec<i64>, StoreError>;
}

/// Notifications and their unread counts.
#[async_trait]
pub trait Notifications: Send + Sync + 'static {
    /// Make these notifications, each unless its (recipient, kind, actor, tweet) had one
    /// already (a unique constraint decides, so concurrent makers cannot both win). Answers
    /// the ones made, in the order asked, as their recipients see them, each with the
    /// recipient's unread count just after it. A fixed few statements however many.
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
}

/// What a block or mute changed (`Moderation::set_block`, `set_mute`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HideChange {
    /// Whether anything changed at all (idempotent repeats change nothing).
    pub changed: bool,
    /// The follows a block removed, as (follower, followee).
    pub unfollowed: Vec<(i64, i64)>,
    /// For each (viewer, author) pair touched: whether the viewer hides the author now (for
    /// any reason: a block either way or a mute).
    pub hidden: Vec<(i64, i64, bool)>,
}

/// An account's role and whether it is suspended, read fresh (never cached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// What the account may do.
    pub role: Role,
    /// Whether it is suspended.
    pub suspended: bool,
}

/// Blocks, mutes, roles, suspensions, reports and the moderation log.
#[async_trait]
pub trait Moderation: Send + Sync + 'static {
    /// Block (`on`) or unblock; idempotent. A block removes any follow between the two, both
    /// ways (with the counts), and the notifications between them, in the same transaction.
    /// `NotFound` when either user does not exist.
    async fn set_block(
        &self,
        blocker: i64,
        blocked: i64,
        on: bool,
    ) -> Result<HideChange, StoreError>;
    /// Mute (`on`) or unmute; idempotent. With `notifications`, the muted person's
    /// notifications to the muter are removed and no more are made.
    async fn set_mute(
        &self,
        muter: i64,
        muted: i64,
        on: bool,
        notifications: bool,
    ) -> Result<HideChange, StoreError>;
    /// Whom `user` blocks or mutes, most recent first.
    async fn hides_list(
        &self,
        user: i64,
        hide: Hide,
        cursor: FollowCursor,
    ) -> Result<ProfilePage, StoreError>;
    /// Every author `viewer` must not see in lists (whom they block, are blocked by or mute,
    /// and every suspended account; only the latter for `None`), sorted.
    async fn hidden_authors(&self, viewer: Option<i64>) -> Result<Vec<i64>, StoreError>;
    /// Whom `viewer` blocks, is blocked by or mutes, sorted: what the watch index keeps.
    async fn hides_of(&self, viewer: i64) -> Result<Vec<i64>, StoreError>;
    /// Whether a block stands between `a` and `b`, either way.
    async fn blocked_between(&self, a: i64, b: i64) -> Result<bool, StoreError>;
    /// A user's role and suspension, read now (`None`: no such user).
    async fn standing(&self, user: i64) -> Result<Option<Standing>, StoreError>;
    /// Set a role and log it (`actor` `None`: from the shell). `NotFound` for no such user.
    async fn set_role(&self, user: i64, role: Role, actor: Option<i64>) -> Result<(), StoreError>;
    /// Suspend (`reason` given) or unsuspend, and log it. `None` when it already was so;
    /// else the token hashes of the sessions a suspension ended.
    async fn set_suspended(
        &self,
        user: i64,
        actor: i64,
        reason: Option<&str>,
    ) -> Result<Option<Vec<String>>, StoreError>;
    /// File a report (its tweets already checked to be the target's); answers its id.
    async fn create_report(&self, report: &NewReport) -> Result<i64, StoreError>;
    /// Open (`open`) or resolved reports below id `before`, newest first.
    async fn reports(&self, open: bool, before: i64, limit: i64)
    -> Result<Vec<Report>, StoreError>;
    /// One report.
    async fn report(&self, id: i64) -> Result<Option<Report>, StoreError>;
    /// Resolve a report (idempotent: a resolved one stays as it was, and is logged once).
    /// `None` for no such report.
    async fn resolve_report(
        &self,
        id: i64,
        actor: i64,
        note: Option<&str>,
    ) -> Result<Option<Report>, StoreError>;
    /// Append one entry to the moderation log.
    async fn log_moderation(
        &self,
        actor: Option<i64>,
        action: LogAction,
        target: i64,
        note: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Log entries below id `before`, newest first.
    async fn moderation_log(&self, before: i64, limit: i64) -> Result<Vec<LogEntry>, StoreError>;
    /// Every moderator and admin (not suspended): whom a report notifies.
    async fn moderators(&self) -> Result<Vec<i64>, StoreError>;
}

/// Image attachments' rows (their files live in the media store: `media`).
#[async_trait]
pub trait MediaRows: Send + Sync + 'static {
    /// Record an upload whose files are stored.
    async fn create_media(&self, new: &NewMedia) -> Result<StoredMedia, StoreError>;
    /// One upload, attached or not.
    async fn media(&self, id: i64) -> Result<Option<StoredMedia>, StoreError>;
    /// The upload `id` if it is `owner`'s and not attached to a tweet yet.
    async fn free_upload(&self, id: i64, owner: i64) -> Result<Option<StoredMedia>, StoreError>;
    /// Change the alt text of `owner`'s upload while it is not attached; whether it was.
    async fn set_description(
        &self,
        id: i64,
        owner: i64,
        description: &Description,
    ) -> Result<bool, StoreError>;
    /// A tweet's images, in order (also after the tweet is deleted, until removed).
    async fn tweet_media(&self, tweet_id: i64) -> Result<Vec<StoredMedia>, StoreError>;
    /// Up to `limit` rows whose files should go: uploads never attached, made before
    /// `made_before` (UTC microseconds), and images of tweets deleted since then.
    async fn stale_media(
        &self,
        made_before: i64,
        limit: i64,
    ) -> Result<Vec<StoredMedia>, StoreError>;
    /// Forget one upload's row (its files are removed first).
    async fn delete_media(&self, id: i64) -> Result<(), StoreError>;
}

/// Whether the database answers (`/healthz`).
#[async_trait]
pub trait Health: Send + Sync + 'static {
    /// Answer when the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Everything Chirp keeps: the union of the concerns, implemented for anything that
/// implements them all. Implementations must be cheap to share (`Arc<dyn Store>`); code that
/// needs one concern takes that trait (`&dyn Timelines`), and an `Arc<dyn Store>` coerces.
pub trait Store:
    Accounts
    + Sessions
    + Tweets
    + Timelines
    + Search
    + Follows
    + Notifications
    + Moderation
    + MediaRows
    + Health
    + Secrets
    + Clients
{
}

impl<T> Store for T where
    T: Accounts
        + Sessions
        + Tweets
        + Timelines
        + Search
        + Follows
        + Notifications
        + Moderation
        + MediaRows
        + Health
        + Secrets
        + Clients
{
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
/// Display names stored before people search existed are keyed here, once (a few ms).
pub async fn connect(config: &StoreConfig) -> anyhow::Result<Arc<dyn Store>> {
    let url = config.url.as_str();
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url, config.pool_size, config.sqlite_cache_kib).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PostgresStore::connect(url, config.pool_size).await?)
    } else {
        anyhow::bail!(
            "unsupported database URL {url:?}: use sqlite://PATH or postgres://USER@HOST/DB"
        )
    };
    let keyed = store.key_display_names().await?;
    if keyed > 0 {
        tracing::info!(keyed, "display names keyed for people search");
    }
    Ok(store)
}

/// How long a request waits for a pooled connection before answering 503.
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A SQLite store in a temporary directory (gone with the `TempDir`), with one user, `ada`:
/// for unit tests.
#[cfg(test)]
pub(crate) async fn test_store() -> (tempfile::TempDir, Arc<dyn Store>, User) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("chirp.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url, 2, 512).await.unwrap());
    let ada = store
        .create_user(&Username::parse("ada").unwrap(), "hash")
        .await
        .unwrap();
    (dir, store, ada)
}
