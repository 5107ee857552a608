//! How often one account (all its sockets together), or one client address when signed out,
//! may change the timeline it watches (`--watch-rate-limit`, per minute). Each `watch` costs
//! reads and a change of the watch index under its lock, so an unthrottled script on many
//! sockets slows everyone's reads; a person flipping pages never reaches the limit.
//!
//! A governor token bucket per key, as the HTTP limits (`http::limit`) use: it refills at
//! the configured rate and holds up to that many.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Whose allowance a `watch` counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Watcher {
    /// A signed-in account, over all its sockets on this node.
    User(i64),
    /// An anonymous socket's client address (behind trusted proxies, the forwarded one).
    Address(IpAddr),
}

/// Checks after which keys whose allowance is full again are forgotten (bounds memory).
const FORGET_EVERY: u64 = 4096;

/// The per-watcher limit on `watch` changes; `None` inside means unlimited.
pub struct WatchLimit {
    limiter: Option<DefaultKeyedRateLimiter<Watcher>>,
    checks: AtomicU64,
}

impl WatchLimit {
    /// At most `per_minute` changes a minute per watcher (`None`: no limit).
    pub fn new(per_minute: Option<NonZeroU32>) -> Self {
        metrics::counter!("chirp_rate_limited_total", "limit" => "watch").increment(0);
        Self {
            limiter: per_minute.map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            checks: AtomicU64::new(0),
        }
    }

    /// Count one `watch` by `who`: whether it is within the limit. A socket with neither
    /// an account nor a known address (in-process tests only) is not limited.
    pub fn admit(&self, who: Option<Watcher>) -> bool {
        let (Some(limiter), Some(who)) = (&self.limiter, who) else {
            return true;
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            limiter.retain_recent();
        }
        let admitted = limiter.check_key(&who).is_ok();
        if !admitted {
            metrics::counter!("chirp_rate_limited_total", "limit" => "watch").increment(1);
        }
        admitted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_watcher_has_its_own_allowance() {
        let limit = WatchLimit::new(NonZeroU32::new(2));
        let ann = Some(Watcher::User(1));
        let address = Some(Watcher::Address([127, 0, 0, 2].into()));
        assert!(limit.admit(ann) && limit.admit(ann));
        assert!(!limit.admit(ann), "a third within the minute");
        assert!(limit.admit(address) && limit.admit(Some(Watcher::User(2))));
        assert!(limit.admit(None), "no key, no limit");
        let off = WatchLimit::new(None);
        assert!((0..1000).all(|_| off.admit(ann)));
    }
}
