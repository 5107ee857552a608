//! `SessionCache`: a `Sessions` wrapper that remembers which user each session token hash
//! belongs to, so an authenticated request costs no database round trip.
//!
//! Signing out here forgets the session at once. In a cluster another node's sign-out must be
//! told (`forget`, from the bus, before that node answers its sign-out) and the cache trusted
//! only while the bus can tell it (`trust_only_while`); when the bus may have missed
//! something, `forget_all`. A read that raced a sign-out never puts the session back: signed
//! out tokens are kept as tombstones for `TOMBSTONE_TTL` and never served, and everything read
//! before a `forget_all` is filed under an old generation and never served.
//!
//! Bounded by a `moka` cache: when full, the sessions least likely to be used again make room
//! (not everyone at once), and an entry is re-read from the store after `TIME_TO_LIVE`, so a
//! session removed behind this node's back (by an operator, in SQL) stops working within that
//! time. Unknown tokens are never remembered.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use moka::sync::Cache;

use super::{Sessions, StoreError};
use crate::domain::User;

/// Most sessions remembered at once (~100 bytes each).
const CAPACITY: u64 = 100_000;
/// How long a remembered session is trusted before the store is asked again.
const TIME_TO_LIVE: Duration = Duration::from_secs(10 * 60);
/// How long a signed-out token is remembered as such: longer than any store read that may
/// have started before the sign-out takes to finish.
const TOMBSTONE_TTL: Duration = Duration::from_secs(2 * 60);

/// When the cache may be trusted (see `trust_only_while`).
type Gate = Box<dyn Fn() -> bool + Send + Sync>;

/// Sessions whose `session_user` answers from memory when it can. Only sessions pass
/// through it: the app keeps it beside the store (`AppState::sessions`).
pub struct SessionCache {
    inner: Arc<dyn Sessions>,
    /// Token hash → the user, and the generation it was read in.
    sessions: Cache<String, (u64, User)>,
    /// Token hashes signed out lately (see the module doc).
    ended: Cache<String, ()>,
    generation: AtomicU64,
    gate: OnceLock<Gate>,
}

impl SessionCache {
    /// Wrap `inner`.
    pub fn new(inner: Arc<dyn Sessions>) -> Self {
        Self::with_capacity(inner, CAPACITY)
    }

    fn with_capacity(inner: Arc<dyn Sessions>, capacity: u64) -> Self {
        Self {
            inner,
            sessions: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(TIME_TO_LIVE)
                .build(),
            ended: Cache::builder()
                .max_capacity(capacity)
                .time_to_live(TOMBSTONE_TTL)
                .build(),
            generation: AtomicU64::new(0),
            gate: OnceLock::new(),
        }
    }

    /// Answer from memory only while `trusted()` holds (in a cluster: while the bus is up and
    /// settled, so every other node's sign-out reaches `forget`); otherwise read the store.
    /// Set once; without it the cache is always trusted (one node alone).
    pub fn trust_only_while(&self, trusted: impl Fn() -> bool + Send + Sync + 'static) {
        if self.gate.set(Box::new(trusted)).is_err() {
            tracing::warn!("the session cache's gate was set twice; keeping the first");
        }
    }

    /// A session was signed out (here or on another node): never answer it from memory again.
    pub fn forget(&self, token_hash: &str) {
        self.ended.insert(token_hash.to_owned(), ());
        self.sessions.invalidate(token_hash);
    }

    /// Sign-outs may have been missed: forget every session, and anything being read now.
    pub fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.sessions.invalidate_all();
    }

    fn trusted(&self) -> bool {
        self.gate.get().is_none_or(|trusted| trusted())
    }
}

#[async_trait]
impl Sessions for SessionCache {
    async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        if !self.trusted() {
            return self.inner.session_user(token_hash).await;
        }
        let generation = self.generation.load(Ordering::Acquire);
        if let Some((read_in, user)) = self.sessions.get(token_hash)
            && read_in == generation
            && !self.ended.contains_key(token_hash)
        {
            metrics::counter!("chirp_cache_hits_total", "cache" => "sessions").increment(1);
            return Ok(Some(user));
        }
        let user = self.inner.session_user(token_hash).await?;
        if let Some(user) = &user
            && !self.ended.contains_key(token_hash)
        {
            self.sessions
                .insert(token_hash.to_owned(), (generation, user.clone()));
        }
        Ok(user)
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.inner.delete_session(token_hash).await?;
        self.forget(token_hash);
        Ok(())
    }

    async fn create_session(&self, token_hash: &str, user_id: i64) -> Result<(), StoreError> {
        self.inner.create_session(token_hash, user_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Username;
    use crate::storage::Store;

    /// A SQLite store in a temporary directory, with two users.
    async fn sqlite() -> (tempfile::TempDir, Arc<dyn Store>, User, User) {
        let (dir, store, ada) = crate::storage::test_store().await;
        let grace = store
            .create_user(&Username::parse("grace").unwrap(), "hash")
            .await
            .unwrap();
        (dir, store, ada, grace)
    }

    #[tokio::test]
    async fn a_session_is_read_once_then_served_from_memory_until_signed_out() {
        let (_dir, store, ada, _) = sqlite().await;
        let cache = SessionCache::new(store.clone());
        cache.create_session("token-a", ada.id).await.unwrap();
        assert_eq!(
            cache.session_user("token-a").await.unwrap(),
            Some(ada.clone())
        );

        // Gone from the store behind the cache's back (another node signing out): still
        // answered from memory. This is why, in a cluster, other nodes' sign-outs must
        // reach `forget` (over the bus) and the cache is trusted only while the bus is up.
        store.delete_session("token-a").await.unwrap();
        assert_eq!(cache.session_user("token-a").await.unwrap(), Some(ada));

        // Signing out through the cache forgets it at once.
        cache.delete_session("token-a").await.unwrap();
        assert_eq!(cache.session_user("token-a").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_sign_out_heard_from_another_node_is_never_served_again() {
        let (_dir, store, ada, _) = sqlite().await;
        let cache = SessionCache::new(store.clone());
        cache.create_session("token-a", ada.id).await.unwrap();
        cache.create_session("token-b", ada.id).await.unwrap();
        cache.session_user("token-a").await.unwrap();
        cache.session_user("token-b").await.unwrap();

        // Another node signs token-a out and says so over the bus.
        store.delete_session("token-a").await.unwrap();
        cache.forget("token-a");
        assert_eq!(cache.session_user("token-a").await.unwrap(), None);
        assert_eq!(
            cache.session_user("token-b").await.unwrap(),
            Some(ada.clone())
        );

        // The bus lost messages: nothing read before is trusted.
        store.delete_session("token-b").await.unwrap();
        cache.forget_all();
        assert_eq!(cache.session_user("token-b").await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_untrusted_cache_reads_the_store_every_time() {
        let (_dir, store, ada, _) = sqlite().await;
        let cache = SessionCache::new(store.clone());
        let trusted = Arc::new(std::sync::atomic::AtomicBool::new(false));
        cache.trust_only_while({
            let trusted = trusted.clone();
            move || trusted.load(Ordering::Relaxed)
        });
        cache.create_session("token-a", ada.id).await.unwrap();
        assert_eq!(
            cache.session_user("token-a").await.unwrap(),
            Some(ada.clone())
        );
        store.delete_session("token-a").await.unwrap();
        assert_eq!(cache.session_user("token-a").await.unwrap(), None);
        cache.sessions.run_pending_tasks();
        assert_eq!(cache.sessions.entry_count(), 0, "nothing remembered");

        trusted.store(true, Ordering::Relaxed);
        cache.create_session("token-b", ada.id).await.unwrap();
        cache.session_user("token-b").await.unwrap();
        store.delete_session("token-b").await.unwrap();
        assert_eq!(cache.session_user("token-b").await.unwrap(), Some(ada));
    }

    #[tokio::test]
    async fn unknown_tokens_are_not_remembered() {
        let (_dir, store, ada, _) = sqlite().await;
        let cache = SessionCache::new(store.clone());
        assert_eq!(cache.session_user("later").await.unwrap(), None);
        store.create_session("later", ada.id).await.unwrap();
        assert_eq!(cache.session_user("later").await.unwrap(), Some(ada));
    }

    #[tokio::test]
    async fn a_full_cache_stays_bounded_and_keeps_answering_right() {
        let (_dir, store, ada, grace) = sqlite().await;
        let cache = SessionCache::with_capacity(store, 10);
        let owner = |i: usize| if i.is_multiple_of(2) { &ada } else { &grace };
        for i in 0..100 {
            cache
                .create_session(&format!("token-{i}"), owner(i).id)
                .await
                .unwrap();
            cache.session_user(&format!("token-{i}")).await.unwrap();
        }
        cache.sessions.run_pending_tasks();
        assert!(
            cache.sessions.entry_count() <= 10,
            "{} sessions kept",
            cache.sessions.entry_count()
        );
        for i in 0..100 {
            assert_eq!(
                cache
                    .session_user(&format!("token-{i}"))
                    .await
                    .unwrap()
                    .as_ref(),
                Some(owner(i)),
                "token-{i}"
            );
        }
    }
}
