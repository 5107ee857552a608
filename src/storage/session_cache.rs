//! `SessionCache`: a `Store` wrapper that remembers which user each session token hash
//! belongs to, so an authenticated request costs no database round trip.
//!
//! Only for a single node: signing out forgets the session here, but another node's cache
//! would not hear of it. Bounded: when full it starts over.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use super::{Store, StoreError};
use crate::domain::{
    Draft, FollowCursor, Page, Profile, ProfilePage, ProfileUpdate, Tweet, User, Username,
};

/// Most sessions remembered at once.
const CAPACITY: usize = 100_000;

/// A store whose `session_user` answers from memory when it can.
pub struct SessionCache {
    inner: Arc<dyn Store>,
    sessions: Mutex<HashMap<String, User>>,
}

impl SessionCache {
    /// Wrap `inner`.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self {
            inner,
            sessions: Mutex::default(),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, User>> {
        // Plain data: a panic elsewhere cannot leave the map inconsistent.
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl Store for SessionCache {
    async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
        if let Some(user) = self.sessions().get(token_hash) {
            return Ok(Some(user.clone()));
        }
        let user = self.inner.session_user(token_hash).await?;
        if let Some(user) = &user {
            let mut sessions = self.sessions();
            if sessions.len() >= CAPACITY {
                sessions.clear();
            }
            sessions.insert(token_hash.to_owned(), user.clone());
        }
        Ok(user)
    }

    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        self.inner.delete_session(token_hash).await?;
        self.sessions().remove(token_hash);
        Ok(())
    }

    async fn create_user(
        &self,
        username: &Username,
        password_hash: &str,
    ) -> Result<User, StoreError> {
        self.inner.create_user(username, password_hash).await
    }

    async fn credentials(&self, username: &Username) -> Result<Option<(User, String)>, StoreError> {
        self.inner.credentials(username).await
    }

    async fn user_by_name(&self, username: &Username) -> Result<Option<User>, StoreError> {
        self.inner.user_by_name(username).await
    }

    async fn create_session(&self, token_hash: &str, user_id: i64) -> Result<(), StoreError> {
        self.inner.create_session(token_hash, user_id).await
    }

    async fn create_tweets(&self, drafts: &[Draft]) -> Result<Vec<Tweet>, StoreError> {
        self.inner.create_tweets(drafts).await
    }

    async fn tweet(&self, id: i64, viewer: Option<i64>) -> Result<Option<Tweet>, StoreError> {
        self.inner.tweet(id, viewer).await
    }

    async fn tweets(
        &self,
        author: Option<i64>,
        page: Page,
        viewer: Option<i64>,
    ) -> Result<Vec<Tweet>, StoreError> {
        self.inner.tweets(author, page, viewer).await
    }

    async fn delete_tweet(&self, id: i64, author_id: i64) -> Result<(), StoreError> {
        self.inner.delete_tweet(id, author_id).await
    }

    async fn set_like(&self, tweet_id: i64, user_id: i64, liked: bool) -> Result<(), StoreError> {
        self.inner.set_like(tweet_id, user_id, liked).await
    }

    async fn deleted_since(&self, since: i64) -> Result<Vec<i64>, StoreError> {
        self.inner.deleted_since(since).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }

    async fn profile(
        &self,
        username: &Username,
        viewer: Option<i64>,
    ) -> Result<Option<Profile>, StoreError> {
        self.inner.profile(username, viewer).await
    }

    async fn update_profile(&self, user_id: i64, update: &ProfileUpdate) -> Result<(), StoreError> {
        self.inner.update_profile(user_id, update).await
    }

    async fn set_follow(
        &self,
        follower_id: i64,
        followee_id: i64,
        on: bool,
    ) -> Result<bool, StoreError> {
        self.inner.set_follow(follower_id, followee_id, on).await
    }

    async fn followers(
        &self,
        user_id: i64,
        cursor: FollowCursor,
        viewer: Option<i64>,
    ) -> Result<ProfilePage, StoreError> {
        self.inner.followers(user_id, cursor, viewer).await
    }

    async fn following(
        &self,
        user_id: i64,
        cursor: FollowCursor,
        viewer: Option<i64>,
    ) -> Result<ProfilePage, StoreError> {
        self.inner.following(user_id, cursor, viewer).await
    }

    async fn home(&self, user_id: i64, page: Page) -> Result<Vec<Tweet>, StoreError> {
        self.inner.home(user_id, page).await
    }

    async fn following_ids(&self, user_id: i64) -> Result<Vec<i64>, StoreError> {
        self.inner.following_ids(user_id).await
    }
}
