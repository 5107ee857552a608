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
use crate::storage::{Store, StoreError};

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
pub async fn load(store: &dyn Store, limit: i64) -> Result<Bytes, StoreError> {
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
    pub async fn get_or_load(&self, store: &dyn Store, limit: i64) -> Result<Bytes, StoreError> {
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
    use crate::domain::{
        Author, Draft, FollowCursor, Profile, ProfilePage, ProfileUpdate, User, Username,
    };

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
        }
    }

    #[async_trait]
    impl Store for Timeline {
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

        async fn create_user(&self, _: &Username, _: &str) -> Result<User, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn credentials(&self, _: &Username) -> Result<Option<(User, String)>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn user_by_name(&self, _: &Username) -> Result<Option<User>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn create_session(&self, _: &str, _: i64) -> Result<(), StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn session_user(&self, _: &str) -> Result<Option<User>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn delete_session(&self, _: &str) -> Result<(), StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn create_tweets(&self, _: &[Draft]) -> Result<Vec<Tweet>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn tweet(&self, _: i64, _: Option<i64>) -> Result<Option<Tweet>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn delete_tweet(&self, _: i64, _: i64) -> Result<(), StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn set_like(&self, _: i64, _: i64, _: bool) -> Result<(), StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn deleted_since(&self, _: i64) -> Result<Vec<i64>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn ping(&self) -> Result<(), StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn profile(
            &self,
            _: &Username,
            _: Option<i64>,
        ) -> Result<Option<Profile>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn update_profile(&self, _: i64, _: &ProfileUpdate) -> Result<(), StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn set_follow(&self, _: i64, _: i64, _: bool) -> Result<bool, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn followers(
            &self,
            _: i64,
            _: FollowCursor,
            _: Option<i64>,
        ) -> Result<ProfilePage, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn following(
            &self,
            _: i64,
            _: FollowCursor,
            _: Option<i64>,
        ) -> Result<ProfilePage, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn home(&self, _: i64, _: Page) -> Result<Vec<Tweet>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn recent_authors(&self, _: i64) -> Result<Vec<(i64, i64, Option<i64>)>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn tweets_by_ids(
            &self,
            _: &[i64],
            _: i64,
        ) -> Result<HashMap<i64, Tweet>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn following_ids(&self, _: i64) -> Result<Vec<i64>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn replies(&self, _: i64, _: Page, _: Option<i64>) -> Result<Vec<Tweet>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn notify(
            &self,
            _: &[crate::domain::NewNotification],
        ) -> Result<Vec<(crate::domain::Notification, i64)>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn notifications(
            &self,
            _: i64,
            _: i64,
            _: i64,
        ) -> Result<Vec<crate::domain::Notification>, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn unread_count(&self, _: i64) -> Result<i64, StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn mark_read(&self, _: i64, _: i64) -> Result<(), StoreError> {
            unreachable!("FirstPage only reads pages")
        }
        async fn suggestions(&self, _: Option<i64>, _: i64) -> Result<Vec<Profile>, StoreError> {
            unreachable!("FirstPage only reads pages")
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
