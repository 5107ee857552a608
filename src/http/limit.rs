//! Slowing down password guessing: sign-up and sign-in attempts are rate-limited per client
//! address (`--auth-rate-limit` per minute, bursting to the same number; 0 turns it off).
//! Over the limit the answer is 429 `rate_limited` with `Retry-After`.
//!
//! Behind a reverse proxy every request comes from the proxy's address; list the proxies in
//! `--trusted-proxies` and the client address is read from `X-Forwarded-For` instead (the
//! rightmost entry that is not itself a trusted proxy). Nobody else can set it.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::{ApiError, AppState};

/// The per-address limiter for authentication attempts (`None`: unlimited).
#[derive(Clone, Default)]
pub struct AuthLimiter {
    limiter: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    trusted_proxies: Arc<[IpAddr]>,
}

impl AuthLimiter {
    /// Allow `per_minute` attempts per address per minute (0 means no limit), reading the
    /// client address from `X-Forwarded-For` when the peer is one of `trusted_proxies`.
    pub fn new(per_minute: u32, trusted_proxies: &[IpAddr]) -> Self {
        Self {
            limiter: NonZeroU32::new(per_minute)
                .map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))),
            trusted_proxies: trusted_proxies.into(),
        }
    }

    /// Forget addresses whose allowance is full again (keeps memory bounded).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.retain_recent();
        }
    }

    /// The client's address: the peer's, or, behind a trusted proxy, the rightmost
    /// `X-Forwarded-For` entry that is not a trusted proxy.
    fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusted_proxies.contains(&peer) {
            return peer;
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .collect::<Vec<_>>();
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !self.trusted_proxies.contains(ip))
            .unwrap_or(peer)
    }
}

/// Extractor that admits an authentication attempt or answers 429.
pub struct AuthAttempt;

impl FromRequestParts<AppState> for AuthAttempt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let limits = &state.auth_limiter;
        let (Some(limiter), Some(ConnectInfo(peer))) = (
            &limits.limiter,
            parts.extensions.get::<ConnectInfo<SocketAddr>>(),
        ) else {
            return Ok(Self);
        };
        match limiter.check_key(&limits.client(peer.ip(), &parts.headers)) {
            Ok(()) => Ok(Self),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(ApiError::RateLimited(wait.as_secs().max(1)))
            }
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
        let limits = AuthLimiter::new(10, &[proxy]);
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
}
