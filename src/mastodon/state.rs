//! `MastodonState`: what the Mastodon handlers reach — the same store, sessions, feed, path
//! of change, password hasher, media service and rate limits as Chirp's own API (one instance of each,
//! shared, so an act costs the same allowance through either API), plus what only this API
//! keeps in memory (the `Idempotency-Key`s of recent posts).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use super::error::MastoError;
use super::streams::Streams;
use crate::auth::Hasher;
use crate::caps::TrustedProxies;
use crate::changes::Changes;
use crate::config::Registrations;
use crate::feed::Feed;
use crate::limit::KeyedLimit;
use crate::media::Media;
use crate::origin::OriginPolicy;
use crate::storage::{Sessions, Store};

/// How long a post's `Idempotency-Key` is remembered (Mastodon keeps them an hour).
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(3600);
/// Keys remembered at most (per node).
const IDEMPOTENCY_KEYS: u64 = 100_000;

/// The rate limits this API shares with Chirp's own (the same buckets).
#[derive(Clone)]
pub struct Limits {
    /// Sign-in attempts per client address (the password grant, the consent page).
    pub sign_in: Arc<KeyedLimit<IpAddr>>,
    /// Sign-ups per client address.
    pub sign_up: Arc<KeyedLimit<IpAddr>>,
    /// Posts per account.
    pub posts: Arc<KeyedLimit<i64>>,
    /// Likes per account.
    pub likes: Arc<KeyedLimit<i64>>,
    /// Follows per account.
    pub follows: Arc<KeyedLimit<i64>>,
    /// Profile edits per account.
    pub profile_edits: Arc<KeyedLimit<i64>>,
    /// Blocks per account.
    pub blocks: Arc<KeyedLimit<i64>>,
    /// Mutes per account.
    pub mutes: Arc<KeyedLimit<i64>>,
    /// Reports per account.
    pub reports: Arc<KeyedLimit<i64>>,
    /// Marking notifications read (markers, dismissals) per account.
    pub mark_read: Arc<KeyedLimit<i64>>,
}

impl Limits {
    /// Count one attempt by `key` against `limit`: 429 with the wait when over it.
    pub async fn check<K: std::hash::Hash + Eq + Clone + std::fmt::Display>(
        limit: &KeyedLimit<K>,
        key: &K,
    ) -> Result<(), MastoError> {
        limit.admit(key).await.map_err(MastoError::limited)
    }
}

/// The services behind `MastodonState`.
pub struct Services {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Sessions through the session cache (ending a token's session goes here).
    pub sessions: Arc<dyn Sessions>,
    /// The path of change (ending sessions on every node).
    pub changes: Changes,
    /// Posting, deleting, liking, following, safety acts.
    pub feed: Feed,
    /// The password-hashing threads.
    pub hasher: Hasher,
    /// Image uploads: the same limits and workers as Chirp's own `POST /api/media`.
    pub media: Arc<Media>,
    /// The shared rate limits.
    pub limits: Limits,
    /// Which proxies may say who the client is.
    pub trusted_proxies: TrustedProxies,
    /// Whether anyone may sign up.
    pub registrations: Registrations,
    /// The origin rule for the session cookie (the consent page).
    pub origins: Arc<OriginPolicy>,
    /// The server's public URL (`--public-url`), else each request's `Host` is used.
    pub public_url: Option<String>,
    /// This node's streams (a listener of changes, registered at start).
    pub streams: Arc<Streams>,
    /// Recent posts by (account, `Idempotency-Key`): a retried post answers the first.
    pub idempotency: moka::sync::Cache<(i64, String), Arc<tokio::sync::OnceCell<i64>>>,
}

impl Services {
    /// A cache for `Idempotency-Key`s, as `idempotency` wants it.
    pub fn idempotency_cache() -> moka::sync::Cache<(i64, String), Arc<tokio::sync::OnceCell<i64>>>
    {
        moka::sync::Cache::builder()
            .max_capacity(IDEMPOTENCY_KEYS)
            .time_to_live(IDEMPOTENCY_TTL)
            .build()
    }
}

/// What every Mastodon handler can reach: one `Arc`.
#[derive(Clone)]
pub struct MastodonState(Arc<Services>);

impl MastodonState {
    /// Share `services` with every handler.
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for MastodonState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}
