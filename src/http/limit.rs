//! Slowing down password guessing: sign-up and sign-in attempts are rate-limited per client
//! address (`--auth-rate-limit` per minute, bursting to the same number; 0 turns it off).
//! Over the limit the answer is 429 `rate_limited` with `Retry-After`.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::{ApiError, AppState};

/// The per-address limiter for authentication attempts (`None`: unlimited).
#[derive(Clone, Default)]
pub struct AuthLimiter(Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>);

impl AuthLimiter {
    /// Allow `per_minute` attempts per address per minute; 0 means no limit.
    pub fn new(per_minute: u32) -> Self {
        Self(
            NonZeroU32::new(per_minute).map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))),
        )
    }

    /// Forget addresses whose allowance is full again (keeps memory bounded).
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
        }
    }
}

/// Extractor that admits an authentication attempt or answers 429.
pub struct AuthAttempt;

impl FromRequestParts<AppState> for AuthAttempt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (Some(limiter), Some(ConnectInfo(peer))) = (
            &state.auth_limiter.0,
            parts.extensions.get::<ConnectInfo<SocketAddr>>(),
        ) else {
            return Ok(Self);
        };
        match limiter.check_key(&peer.ip()) {
            Ok(()) => Ok(Self),
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(ApiError::RateLimited(wait.as_secs().max(1)))
            }
        }
    }
}
