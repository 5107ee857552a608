//! Rate limits: how often one client address may sign in or sign up, and how often one
//! account may post, like, follow, edit its profile and mark notifications read (each a
//! write whose cost reaches every node). Over a limit the answer is 429 `rate_limited` with
//! `Retry-After` (whole seconds until the next attempt would pass).
//!
//! Each limit is a flag (`0` turns that one off) and `--rate-limits off` lifts every one at
//! once, for load tests. Each limiter is a `limit::KeyedLimit`, a token bucket per key; in a
//! cluster (`--rate-limit-store`, by default whenever --redis-url is set) its buckets are
//! kept in Redis, one allowance per key for every node (`limit::SharedLimits`).
//! Sign-ups and sign-ins have separate buckets, so making accounts cannot use up anyone's sign-in attempts (and the reverse).
//!
//! Behind a reverse proxy every request comes from the proxy's address; from a trusted proxy
//! (`--trusted-proxies`: loopback and private ranges by default) the client address is read
//! from `X-Forwarded-For` instead (`caps::client_address`). Nobody else can set it.

use std::fmt::Display;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use governor::Quota;

use super::error::ApiError;
use crate::caps::{TrustedProxies, warn_if_proxy_refused};
use crate::config::{ServeConfig, Switch};
use crate::limit::{KeyedLimit, SharedLimits};

/// One keyed limit (per address or per account) as the API answers it: over it, 429.
#[derive(Clone)]
pub struct Limiter<K: Hash + Eq + Clone>(Arc<KeyedLimit<K>>);

impl<K: Hash + Eq + Clone + Display> Limiter<K> {
    /// A limit named `name` (for metrics) allowing `quota`, or none at all; counted in
    /// `shared` when given.
    fn new(name: &'static str, quota: Option<Quota>, shared: Option<Arc<SharedLimits>>) -> Self {
        Self(Arc::new(KeyedLimit::shared(name, quota, shared)))
    }

    /// No limit.
    pub fn unlimited(name: &'static str) -> Self {
        Self::new(name, None, None)
    }

    /// The limit itself, to share its buckets with another API (the Mastodon one).
    pub fn shared(&self) -> Arc<KeyedLimit<K>> {
        self.0.clone()
    }

    /// Its name (`sign_in`, `posts`…), as the metric's `limit` label.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Count one attempt by `key`: `Ok` if it is within the limit, else 429 with how long
    /// to wait.
    pub async fn check(&self, key: &K) -> Result<(), ApiError> {
        self.0.admit(key).await.map_err(|wait| {
            // Round up: a client told "1" after 1.4 s would be refused once more.
            ApiError::RateLimited(wait.as_millis().div_ceil(1000).max(1) as u64)
        })
    }
}

/// A limit per account (user id): posts, likes, follows.
pub type AccountLimiter = Limiter<i64>;

/// Every rate limit of the server, shared by the handlers through `AppState`.
#[derive(Clone)]
pub struct RateLimits {
    /// Sign-in attempts per client address (`--auth-rate-limit`, per minute).
    pub sign_in: Limiter<IpAddr>,
    /// Sign-ups per client address (`--signup-rate-limit`, per hour).
    pub sign_up: Limiter<IpAddr>,
    /// Tweets per account (`--post-rate-limit`, per minute).
    pub posts: AccountLimiter,
    /// Likes and unlikes per account (`--like-rate-limit`, per minute).
    pub likes: AccountLimiter,
    /// Follows and unfollows per account (`--follow-rate-limit`, per minute). Handlers
    /// that change follows call `state.limits.follows.check(&user.id).await?` first.
    pub follows: AccountLimiter,
    /// Profile edits per account (`--profile-rate-limit`, per minute): each one drops
    /// cached pages on every node.
    pub profile_edits: AccountLimiter,
    /// Marking notifications read, per account (`--mark-read-rate-limit`, per minute).
    pub mark_read: AccountLimiter,
    /// Blocks and unblocks per account (`--block-rate-limit`, per minute).
    pub blocks: AccountLimiter,
    /// Mutes and unmutes per account (`--mute-rate-limit`, per minute).
    pub mutes: AccountLimiter,
    /// Reports per account (`--report-rate-limit`, per hour).
    pub reports: AccountLimiter,
    trusted_proxies: TrustedProxies,
}

impl RateLimits {
    /// The limits `config` asks for (none at all with `--rate-limits off`), counted in
    /// `shared` when given (see `ClusterArgs::rate_limit_redis`).
    pub fn new(config: &ServeConfig, shared: Option<Arc<SharedLimits>>) -> Self {
        let on = config.limits.rate_limits == Switch::On;
        let per_minute = |n: u32| NonZeroU32::new(n).filter(|_| on).map(Quota::per_minute);
        let per_hour = |n: u32| NonZeroU32::new(n).filter(|_| on).map(Quota::per_hour);
        let limits = &config.limits;
        let minute = |name, n| Limiter::new(name, per_minute(n), shared.clone());
        let hour = |name, n| Limiter::new(name, per_hour(n), shared.clone());
        Self {
            sign_in: Limiter::new(
                "sign_in",
                per_minute(limits.auth_rate_limit),
                shared.clone(),
            ),
            sign_up: Limiter::new(
                "sign_up",
                per_hour(limits.signup_rate_limit),
                shared.clone(),
            ),
            posts: minute("posts", limits.post_rate_limit),
            likes: minute("likes", limits.like_rate_limit),
            follows: minute("follows", limits.follow_rate_limit),
            profile_edits: minute("profile_edits", limits.profile_rate_limit),
            mark_read: minute("mark_read", limits.mark_read_rate_limit),
            blocks: minute("blocks", limits.block_rate_limit),
            mutes: minute("mutes", limits.mute_rate_limit),
            reports: hour("reports", limits.report_rate_limit),
            trusted_proxies: TrustedProxies::new(&config.server.trusted_proxies),
        }
    }

    /// The client's address (see `caps::client_address`).
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        crate::caps::client_address(peer, headers, &self.trusted_proxies)
    }

    /// Count one attempt from the request's client address against `limiter`.
    pub(super) async fn check_address(
        &self,
        limiter: &Limiter<IpAddr>,
        parts: &Parts,
    ) -> Result<(), ApiError> {
        match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => {
                let refused = limiter.check(&self.client(peer.ip(), &parts.headers)).await;
                if refused.is_err() {
                    let what = format!("the {} rate limit", limiter.name());
                    let trusted = &self.trusted_proxies;
                    warn_if_proxy_refused(&what, peer.ip(), &parts.headers, trusted);
                }
                refused
            }
            // Only in-process tests call the router without a peer address.
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let mut config = ServeConfig::defaults();
        config.server.trusted_proxies = "10.0.0.1".parse().unwrap();
        let limits = RateLimits::new(&config, None);
        assert_eq!(limits.client(proxy, &forwarded("203.0.113.7")), client);
        // The client may prepend anything; the proxy appends the real address last.
        assert_eq!(
            limits.client(proxy, &forwarded("1.2.3.4, 203.0.113.7")),
            client
        );
        assert_eq!(
            limits.client(proxy, &forwarded("203.0.113.7, 10.0.0.1")),
            client
        );
        assert_eq!(limits.client(proxy, &forwarded("garbage")), proxy);
        assert_eq!(limits.client(proxy, &HeaderMap::new()), proxy);
        // From anyone else the header is ignored.
        assert_eq!(limits.client(client, &forwarded("1.2.3.4")), client);
    }

    #[tokio::test]
    async fn zero_turns_one_limit_off_and_the_switch_turns_off_all() {
        let mut config = ServeConfig::defaults();
        config.limits.post_rate_limit = 1;
        config.limits.like_rate_limit = 0;
        let limits = RateLimits::new(&config, None);
        assert!(limits.posts.check(&7).await.is_ok());
        assert!(matches!(
            limits.posts.check(&7).await,
            Err(ApiError::RateLimited(s)) if (1..=60).contains(&s)
        ));
        assert!(
            limits.posts.check(&8).await.is_ok(),
            "another account is unaffected"
        );
        for _ in 0..1000 {
            assert!(limits.likes.check(&7).await.is_ok());
        }
        config.limits.rate_limits = Switch::Off;
        let off = RateLimits::new(&config, None);
        for _ in 0..1000 {
            assert!(off.posts.check(&7).await.is_ok());
            assert!(off.sign_in.check(&[127, 0, 0, 1].into()).await.is_ok());
        }
    }
}
