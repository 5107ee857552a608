//! `FirstPage`: the anonymous first page of the timeline, kept as ready-to-send JSON.
//!
//! A generation counter is bumped on every change; a cached page is served only if it was
//! loaded in the current generation. A reader that loads while a write lands stores its
//! page under the old generation, so it is never served stale.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde::Serialize;

use crate::domain::{Page, PageCursor, Tweet};
use crate::storage::{StoreError, Timelines};

/// Cached pages by `limit`, each with the generation it was loaded in.
#[derive(Default)]
pub struct FirstPage {
    generation: AtomicU64,
    pages: Mutex<HashMap<i64, (u64, Bytes)>>,
}

/// The JSON shape of a timeline answer.
#[derive(Serialize)]
struct TweetList<'a> {
    tweets: &'a [Tweet],
}

/// Read the newest `limit` tweets and encode them.
pub async fn load(store: &dyn Timelines, limit: i64) -> Result<Bytes, StoreError> {
    let tweets = store
        .tweets(
            None,
            Page {
                limit,
                cursor: PageCursor::Newest,
            },
            None,
        )
        .await?;
    encode(&tweets)
}

/// A timeline answer's JSON body: `{"tweets": [...]}`.
pub fn encode(tweets: &[Tweet]) -> Result<Bytes, StoreError> {
    let json = serde_json::to_vec(&TweetList { tweets }).map_err(anyhow::Error::from)?;
    Ok(Bytes::from(json))
}

impl FirstPage {
    /// The page from memory if current, else from the store (and remembered).
    pub async fn get_or_load(
        &self,
        store: &dyn Timelines,
        limit: i64,
    ) -> Result<Bytes, StoreError> {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some((cached_in, json)) = self.lock().get(&limit)
            && *cached_in == generation
        {
            metrics::counter!("chirp_cache_hits_total", "cache" => "first_page").increment(1);
            return Ok(json.clone());
        }
        let json = load(store, limit).await?;
        self.lock().insert(limit, (generation, json.clone()));
        Ok(json)
    }

    /// Forget every cached page.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (u64, Bytes)>> {
        // The map holds plain data; a panic elsewhere cannot leave it inconsistent.
        self.pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use async_trait::async_trait;
    use tokio::sync::{Notify, Semaphore};

    use super::*;
    use crate::domain::Author;

    /// A timeline in memory whose first page read can be held between reading and
    /// answering, to stand for a slow query that read the database before a write landed.
    #[derive(Default)]
    struct Timeline {
        ids: Mutex<Vec<i64>>,
        reads: AtomicUsize,
        /// When set, the first read waits for a permit after taking its snapshot…
        hold: Option<Semaphore>,
        /// …and says so here.
        read_taken: Notify,
    }

    impl Timeline {
        fn held() -> Self {
            Self {
                hold: Some(Semaphore::new(0)),
                ..Self::default()
            }
        }

        fn push(&self, id: i64) {
            self.ids.lock().unwrap().push(id);
        }
    }

    fn tweet(id: i64) -> Tweet {
        Tweet {
            id,
            author: Author {
                id: 1,
                username: "ada".into(),
                display_name: String::new(),
            },
            text: format!("tweet {id}"),
            created_at: 0,
            like_count: 0,
            liked_by_me: false,
            reply_to: None,
            reply_count: 0,
            mentions: Vec::new(),
            tags: Vec::new(),
            media: Vec::new(),
        }
    }

    #[async_trait]
    impl Timelines for Timeline {
        async fn tweets(
            &self,
            _author: Option<i64>,
            page: Page,
            _viewer: Option<i64>,
        ) -> Result<Vec<Tweet>, StoreError> {
            let first = self.reads.fetch_add(1, Ordering::SeqCst) == 0;
            let ids = self.ids.lock().unwrap().clone();
            let newest = ids
                .iter()
                .rev()
                .take(page.limit as usize)
                .map(|&id| tweet(id));
            let snapshot: Vec<Tweet> = newest.collect();
            if let Some(hold) = self.hold.as_ref().filter(|_| first) {
                self.read_taken.notify_one();
                hold.acquire().await.unwrap().forget();
            }
            Ok(snapshot)
        }

        async fn home(&self, _: i64, _: Page) -> Result<Vec<Tweet>, StoreError> {
            unreachable!("FirstPage only reads the first page of everyone's")
        }
        async fn home_of(
            &self,
            _: i64,
            _: &[i64],
            _: &[i64],
            _: Page,
        ) -> Result<Vec<Tweet>, StoreError> {
            unreachable!("FirstPage only reads the first page of everyone's")
        }
        async fn replies(&self, _: i64, _: Page, _: Option<i64>) -> Result<Vec<Tweet>, StoreError> {
            unreachable!("FirstPage only reads the first page of everyone's")
        }
    }

    fn page_ids(json: &Bytes) -> Vec<i64> {
        let page: serde_json::Value = serde_json::from_slice(json).unwrap();
        page["tweets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    }

    #[tokio::test]
    async fn a_page_is_read_once_per_limit_until_invalidated() {
        let store = Timeline::default();
        let cache = FirstPage::default();
        store.push(1);
        store.push(2);
        assert_eq!(
            page_ids(&cache.get_or_load(&store, 20).await.unwrap()),
            [2, 1]
        );
        assert_eq!(
            page_ids(&cache.get_or_load(&store, 20).await.unwrap()),
            [2, 1]
        );
        assert_eq!(
            store.reads.load(Ordering::SeqCst),
            1,
            "the second is from memory"
        );
        assert_eq!(page_ids(&cache.get_or_load(&store, 1).await.unwrap()), [2]);
        assert_eq!(
            store.reads.load(Ordering::SeqCst),
            2,
            "each limit is its own page"
        );

        store.push(3);
        cache.invalidate();
        assert_eq!(
            page_ids(&cache.get_or_load(&store, 20).await.unwrap()),
            [3, 2, 1]
        );
        assert_eq!(page_ids(&cache.get_or_load(&store, 1).await.unwrap()), [3]);
        assert_eq!(store.reads.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_loader_that_read_before_an_invalidate_never_has_its_page_served() {
        let store = std::sync::Arc::new(Timeline::held());
        let cache = std::sync::Arc::new(FirstPage::default());
        store.push(1);

        // A reader takes its snapshot ([1]) and is held before it can store the page.
        let stale = tokio::spawn({
            let (store, cache) = (store.clone(), cache.clone());
            async move { cache.get_or_load(&*store, 20).await.unwrap() }
        });
        store.read_taken.notified().await;

        // A tweet is stored and the cache told, while that reader is still out.
        store.push(2);
        cache.invalidate();

        // The stale reader finishes: it answers its own caller what it read…
        store.hold.as_ref().unwrap().add_permits(1);
        assert_eq!(page_ids(&stale.await.unwrap()), [1]);

        // …but the page it stored is never served: the next reader reads again.
        assert_eq!(
            page_ids(&cache.get_or_load(&*store, 20).await.unwrap()),
            [2, 1]
        );
        assert_eq!(store.reads.load(Ordering::SeqCst), 2);

        // And that fresh page is served from memory from now on.
        assert_eq!(
            page_ids(&cache.get_or_load(&*store, 20).await.unwrap()),
            [2, 1]
        );
        assert_eq!(store.reads.load(Ordering::SeqCst), 2);
    }
}
