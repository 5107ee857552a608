//! The feed's hot paths: posting (a writer that stores tweets in batches, in order, and
//! announces them) and the first timeline page (served from memory while nothing changed).
//!
//! Why a writer task: the database takes one writer at a time anyway, so tweets posted
//! concurrently are queued and stored together in one transaction; ids, commits and
//! announcements then all follow the same order, and a burst costs one commit, not many.

mod first_page;
mod writer;

use std::sync::Arc;

use bytes::Bytes;

pub use first_page::FirstPage;

use crate::domain::{Draft, ProfileUpdate, Tweet};
use crate::realtime::Realtime;
use crate::storage::{Store, StoreError};

/// Handle to the feed. Cheap to clone.
#[derive(Clone)]
pub struct Feed {
    store: Arc<dyn Store>,
    writer: writer::Writer,
    first_page: Option<Arc<FirstPage>>,
}

impl Feed {
    /// Start the writer. `cache_first_page` is only safe when this process is the only one
    /// writing (no other node could change the page behind its back).
    pub fn start(store: Arc<dyn Store>, realtime: Realtime, cache_first_page: bool) -> Self {
        let first_page = cache_first_page.then(|| Arc::new(FirstPage::default()));
        let writer = writer::Writer::start(store.clone(), realtime, first_page.clone());
        Self {
            store,
            writer,
            first_page,
        }
    }

    /// Store a tweet and announce it; answers once it is committed.
    pub async fn post(&self, draft: Draft) -> Result<Tweet, StoreError> {
        self.writer.post(draft).await
    }

    /// The newest `limit` tweets as an anonymous visitor sees them, as the JSON body of
    /// `GET /api/tweets` — from memory when nothing changed since it was last read.
    pub async fn newest_json(&self, limit: i64) -> Result<Bytes, StoreError> {
        match &self.first_page {
            Some(cache) => cache.get_or_load(&*self.store, limit).await,
            None => first_page::load(&*self.store, limit).await,
        }
    }

    /// Follow (`on`) or unfollow `followee`; answers whether anything changed.
    ///
    /// The one door every follow change goes through, so that the realtime side can keep its
    /// "who watches whose tweets" indexes current here, on every node (the announcement is
    /// wired by the realtime work). Nothing cached depends on follows yet: the cached first
    /// page is the anonymous everyone timeline, which shows no follow state.
    pub async fn follow(&self, follower: i64, followee: i64, on: bool) -> Result<bool, StoreError> {
        self.store.set_follow(follower, followee, on).await
    }

    /// Change a profile. Tweets show their author's display name, so cached pages go.
    pub async fn update_profile(
        &self,
        user_id: i64,
        update: &ProfileUpdate,
    ) -> Result<(), StoreError> {
        self.store.update_profile(user_id, update).await?;
        self.changed();
        Ok(())
    }

    /// Something on the timeline changed (a like, a deletion): forget cached pages.
    pub fn changed(&self) {
        if let Some(cache) = &self.first_page {
            cache.invalidate();
        }
    }
}
