//! `KeyedLimit`: a rate limit per key (an account, a client address), the one limiter the
//! HTTP limits, the `watch` limit and the mention-notification limit all use. A governor
//! token bucket (GCRA) per key: it refills at the configured rate and holds up to that many,
//! so a person never notices it and a script is slowed to the rate. `None` as the quota
//! means no limit. Every refusal is counted in `chirp_rate_limited_total{limit}`.
//!
//! Memory stays bounded without a timer: every `FORGET_EVERY` checks, keys whose allowance
//! is full again are forgotten (they would be admitted exactly as a new key is).
//!
//! In a cluster a limit may be shared by every node (`KeyedLimit::shared`, `--rate-limit-store`):
//! `admit` then counts in Redis (`shared`, the same GCRA in a Lua script), and on this node's
//! own buckets only while Redis does not answer. `check` always counts on this node.

mod shared;

pub use shared::SharedLimits;

use std::fmt::Display;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Checks between two sweeps of idle keys.
const FORGET_EVERY: u64 = 4096;

/// One keyed limit; see the module doc.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    name: &'static str,
    quota: Option<Quota>,
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    /// Where `admit` counts first, when the limit is shared by the cluster.
    shared: Option<Arc<SharedLimits>>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// A limit named `name` (the metric's `limit` label) allowing `quota`, or none at all.
    pub fn new(name: &'static str, quota: Option<Quota>) -> Self {
        metrics::counter!("chirp_rate_limited_total", "limit" => name).increment(0);
        Self {
            name,
            quota,
            limiter: quota.map(RateLimiter::keyed),
            shared: None,
            checks: AtomicU64::new(0),
        }
    }

    /// `new`, counted in Redis by `admit` when `shared` is given (one allowance per key for
    /// the whole cluster).
    pub fn shared(
        name: &'static str,
        quota: Option<Quota>,
        shared: Option<Arc<SharedLimits>>,
    ) -> Self {
        Self {
            shared,
            ..Self::new(name, quota)
        }
    }

    /// Its name (the metric's `limit` label).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Count one attempt by `key`: `Ok` within the limit, else how long until the next
    /// attempt would pass.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % FORGET_EVERY == FORGET_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            self.refused();
            not_until.wait_time_from(DefaultClock::default().now())
        })
    }

    /// Count one attempt by `key` where the limit is kept: in Redis for a shared limit (on
    /// this node while Redis does not answer), else as `check`.
    pub async fn admit(&self, key: &K) -> Result<(), Duration>
    where
        K: Display,
    {
        if let (Some(shared), Some(quota)) = (&self.shared, self.quota) {
            let interval = quota.replenish_interval();
            let burst = quota.burst_size().get();
            let key = key.to_string();
            if let Some(answer) = shared.check(self.name, &key, interval, burst).await {
                return answer.inspect_err(|_| self.refused());
            }
        }
        self.check(key)
    }

    fn refused(&self) {
        metrics::counter!("chirp_rate_limited_total", "limit" => self.name).increment(1);
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU32;

    use super::*;

    #[test]
    fn each_key_has_its_own_allowance_and_none_means_no_limit() {
        let limit = KeyedLimit::new("test", Some(Quota::per_minute(NonZeroU32::new(2).unwrap())));
        assert!(limit.check(&1).is_ok() && limit.check(&1).is_ok());
        let wait = limit.check(&1).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(30));
        assert!(limit.check(&2).is_ok(), "another key");
        let off = KeyedLimit::<i64>::new("test", None);
        assert!((0..10_000).all(|_| off.check(&1).is_ok()));
    }

    #[test]
    fn forgetting_idle_keys_keeps_the_ones_still_limited() {
        let limit = KeyedLimit::new("test", Some(Quota::per_hour(NonZeroU32::new(1).unwrap())));
        assert!(limit.check(&0).is_ok());
        // Enough other keys to pass a sweep: key 0 is still spent afterwards.
        for key in 1..=FORGET_EVERY as i64 {
            let _ = limit.check(&key);
        }
        assert!(limit.check(&0).is_err());
    }
}
