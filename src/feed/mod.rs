//! The feed is the only thing that changes what a timeline shows: posting (a writer that
//! stores tweets in batches, in order, and publishes them), deleting, liking, following,
//! profiles — each stores the change, then publishes it (`changes::Changes::publish`), which
//! drops what the caches hold before the caller answers and tells every socket and node, so
//! a new kind of change cannot forget a step. The notifications those changes make (reply,
//! mention, like, follow) are made here too, after the change is stored (a tweet's by the
//! notifier task, off the write path: `notifier`). It also serves the
//! first timeline page and home pages from memory (`Caches`, a listener of changes) while
//! they may be trusted (`Changes::coherent`: always on one node; in a cluster, while the
//! broker is settled).
//!
//! Why a writer task: the database takes one writer at a time anyway, so tweets posted
//! concurrently are queued and stored together in one transaction; ids, commits and
//! announcements then all follow the same order, and a burst costs one commit, not many.
//! Follows and unfollows have a writer of their own (`follow_writer`) for the same reasons.

mod accounts;
mod caches;
mod first_page;
mod follow_writer;
mod home_pages;
mod notifications;
mod notifier;
mod safety;
mod search_backfill;
mod trending;
mod writer;

use std::sync::Arc;

use bytes::Bytes;

pub use accounts::{SignUpError, sign_up};
pub use caches::Caches;
pub use first_page::FirstPage;
pub use home_pages::{FromMemory, HomePages, Viewpoint};
pub use notifier::NotificationLimits;
pub use search_backfill::{backfill_search, index_pending_words};
pub use trending::{Trend, Trending};

use crate::changes::{Change, Changes};
use crate::domain::{Draft, NewNotification, NotificationKind, Page, ProfileUpdate, Tweet};
use crate::storage::{FollowChange, Store, StoreError};

/// Handle to the feed. Cheap to clone.
#[derive(Clone)]
pub struct Feed {
    store: Arc<dyn Store>,
    changes: Changes,
    writer: writer::Writer,
    follows: follow_writer::FollowWriter,
    caches: Arc<Caches>,
    clustered: bool,
}

/// How the feed runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct FeedConfig {
    /// How many notifications tweets may make.
    pub notifications: NotificationLimits,
    /// Other nodes change follows too (Redis): a home page then reads its viewer's
    /// followees from the store every time, since another node's follow reaches this one's
    /// memory only a moment after its answer. On a single node every follow passes through
    /// this feed, so the list in memory is exact.
    pub clustered: bool,
}

impl Feed {
    /// Start the tweet and follow writers (and the notifier they share, making tweets'
    /// notifications within `config.notifications`). `caches` must be registered as a listener with `changes`
    /// (`Changes::start`), or they would never hear what went stale.
    pub fn start(
        store: Arc<dyn Store>,
        changes: Changes,
        caches: Arc<Caches>,
        config: FeedConfig,
    ) -> Self {
        let notifier =
            notifier::Notifier::start(store.clone(), changes.clone(), config.notifications);
        let writer = writer::Writer::start(
            store.clone(),
            changes.clone(),
            notifier.clone(),
            config.notifications,
        );
        let follows = follow_writer::FollowWriter::start(store.clone(), changes.clone(), notifier);
        Self {
            store,
            changes,
            writer,
            follows,
            caches,
            clustered: config.clustered,
        }
    }

    /// Store a tweet and announce it; answers once it is committed and the notifications
    /// it makes (if any) are made, so a reply's notification is listed by the time its
    /// poster hears back. The writer itself never waits for notifications.
    pub async fn post(&self, draft: Draft) -> Result<Tweet, StoreError> {
        let posted = self.writer.post(draft).await?;
        if let Some(notified) = posted.notified {
            notified.wait().await;
        }
        Ok(posted.tweet)
    }

    /// The newest `limit` tweets as an anonymous visitor sees them, as the JSON body of
    /// `GET /api/tweets` — from memory when nothing changed since it was last read.
    pub async fn newest_json(&self, limit: i64) -> Result<Bytes, StoreError> {
        if self.changes.coherent() {
            self.caches
                .first_page
                .get_or_load(&*self.store, limit)
                .await
        } else {
            first_page::load(&*self.store, limit).await
        }
    }

    /// A page of `user`'s home timeline (their tweets and their followees', newest first)
    /// as the JSON body of `GET /api/timelines/home`: from memory when it can be
    /// (`HomePages`), else read from the store.
    pub async fn home_json(&self, user: i64, page: Page) -> Result<Bytes, StoreError> {
        let mut known = None;
        if self.changes.coherent() {
            let home = &self.caches.home;
            match home.page(&*self.store, user, page, self.clustered).await? {
                FromMemory::Page(json) => return Ok(json),
                FromMemory::Miss(viewpoint) => known = viewpoint,
            }
        }
        let tweets = match known {
            Some(v) => {
                self.store
                    .home_of(user, &v.followees, &v.hidden, page)
                    .await?
            }
            None => self.store.home(user, page).await?,
        };
        first_page::encode(&tweets)
    }

    /// The top tags of the last 24 hours (`GET /api/tags/trending`), from memory.
    pub async fn trending(&self) -> Result<Vec<Trend>, StoreError> {
        self.caches.trending.top(&*self.store).await
    }

    /// Delete `author`'s tweet and publish the deletion (cached pages go, sockets are
    /// told). `NotFound` when `author` has no such tweet.
    pub async fn delete(&self, id: i64, author: i64) -> Result<(), StoreError> {
        self.store.delete_tweet(id, author).await?;
        self.changes.publish(Change::deleted(id));
        Ok(())
    }

    /// Like (`true`) or unlike a tweet as `user` (idempotent) and forget cached pages (they
    /// carry like counts). A like notifies the tweet's `author` (once ever per tweet and
    /// liker: unliking leaves the notification, liking again makes none).
    pub async fn set_like(
        &self,
        tweet: i64,
        author: i64,
        user: i64,
        liked: bool,
    ) -> Result<(), StoreError> {
        self.store.set_like(tweet, user, liked).await?;
        self.changes.publish(Change::liked(tweet));
        if liked {
            notifications::notify(
                &*self.store,
                &self.changes,
                &[NewNotification {
                    recipient: author,
                    kind: NotificationKind::Like,
                    actor: user,
                    tweet: Some(tweet),
                    report: None,
                }],
            )
            .await;
        }
        Ok(())
    }

    /// Follow (`on`) or unfollow `followee`; answers whether anything changed.
    ///
    /// The one door every follow change goes through: the follow writer stores it with
    /// whatever other follows are queued (one transaction) and publishes it (here at once,
    /// then on every node) and its notification before the caller answers — in a cluster,
    /// once Redis has taken it (`Changes::publish_acknowledging`) — so `home` watchers on
    /// every node are routed by it from the next tweet on, wherever that tweet is posted. The cached first page shows no
    /// follow state; the follower's cached followee list (for home pages) is dropped before
    /// the answer.
    pub async fn follow(&self, follower: i64, followee: i64, on: bool) -> Result<bool, StoreError> {
        self.follows
            .apply(FollowChange {
                follower,
                followee,
                on,
            })
            .await
    }

    /// Change a profile. Tweets show their author's display name, so cached pages go.
    pub async fn update_profile(
        &self,
        user_id: i64,
        update: &ProfileUpdate,
    ) -> Result<(), StoreError> {
        self.store.update_profile(user_id, update).await?;
        self.changes.publish(Change::profile_changed(user_id));
        Ok(())
    }
}
