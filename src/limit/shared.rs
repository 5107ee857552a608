//! `SharedLimits`: rate limits counted in Redis, so that every node of a cluster draws on one
//! allowance per key (N nodes no longer give N times the limit). The algorithm is GCRA (the
//! generic cell rate algorithm, the one governor runs locally): one theoretical arrival time
//! per key, moved on by one emission interval per admitted attempt, in one Lua script, so a
//! check is one atomic round trip that reads Redis's own clock (nodes' clocks do not matter).
//! Keys expire when their allowance is full again.
//!
//! Redis never fails a request: when it does not answer (in `TIMEOUT`) the caller counts the
//! attempt on this node's own limiter instead (`KeyedLimit`), a warning is logged once, and
//! Redis is tried again at most every `RETRY_EVERY`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::time::Instant;

/// Longest a check (or a connect) may take before this node counts locally.
const TIMEOUT: Duration = Duration::from_millis(500);
/// How soon Redis is tried again after it failed.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// Prefix of every limit key in Redis.
const KEY_PREFIX: &str = "chirp:limit";

/// GCRA on Redis. KEYS[1]: the key's theoretical arrival time (µs since the epoch);
/// ARGV[1]: the emission interval (µs); ARGV[2]: the burst. Returns 0 when the attempt is
/// admitted, else how many µs until the next one would be.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local next_tat = tat + interval
local over = next_tat - now - interval * burst
if over > 0 then return math.ceil(over) end
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', math.ceil((next_tat - now) / 1000))
return 0
";

/// Rate limits shared through Redis; see the module doc.
pub struct SharedLimits {
    client: redis::Client,
    script: redis::Script,
    connection: Mutex<Option<MultiplexedConnection>>,
    /// When Redis last failed, while it is failing.
    failed_at: Mutex<Option<Instant>>,
    /// Whether the fallback was logged (once per outage).
    warned: AtomicBool,
}

impl SharedLimits {
    /// Limits counted in the Redis at `url` (connected on first use). Fails only for a
    /// malformed URL.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("--redis-url {url:?} is not a Redis URL: {e}"))?;
        Ok(Self {
            client,
            script: redis::Script::new(GCRA),
            connection: Mutex::new(None),
            failed_at: Mutex::new(None),
            warned: AtomicBool::new(false),
        })
    }

    /// Count one attempt by `key` of limit `name`, which admits `burst` at once and one more
    /// every `interval`: `Some(Ok(()))` admitted, `Some(Err(wait))` refused, `None` when Redis
    /// did not answer (the caller counts locally).
    pub async fn check(
        &self,
        name: &str,
        key: &str,
        interval: Duration,
        burst: u32,
    ) -> Option<Result<(), Duration>> {
        let mut conn = self.connection().await?;
        let mut invocation = self.script.key(format!("{KEY_PREFIX}:{name}:{key}"));
        invocation
            .arg(interval.as_micros().max(1) as u64)
            .arg(burst);
        let answer = tokio::time::timeout(TIMEOUT, invocation.invoke_async::<u64>(&mut conn)).await;
        match answer {
            Ok(Ok(0)) => Some(Ok(())),
            Ok(Ok(wait)) => Some(Err(Duration::from_micros(wait))),
            Ok(Err(e)) => self.failed(&e.to_string()),
            Err(_) => self.failed("timed out"),
        }
    }

    /// The connection, made if there is none and Redis has not failed in the last
    /// `RETRY_EVERY`.
    async fn connection(&self) -> Option<MultiplexedConnection> {
        if let Some(conn) = self.connection.lock().ok()?.clone() {
            return Some(conn);
        }
        let failed_at = *self.failed_at.lock().ok()?;
        if failed_at.is_some_and(|at| at.elapsed() < RETRY_EVERY) {
            return None;
        }
        let connected =
            tokio::time::timeout(TIMEOUT, self.client.get_multiplexed_async_connection()).await;
        match connected {
            Ok(Ok(conn)) => {
                *self.connection.lock().ok()? = Some(conn.clone());
                *self.failed_at.lock().ok()? = None;
                if self.warned.swap(false, Ordering::Relaxed) {
                    tracing::info!("rate limits are shared through redis again");
                }
                Some(conn)
            }
            Ok(Err(e)) => self.failed(&e.to_string()),
            Err(_) => self.failed("connect timed out"),
        }
    }

    /// Redis failed: drop the connection, log once, count locally until it is back.
    fn failed<T>(&self, error: &str) -> Option<T> {
        if let Ok(mut conn) = self.connection.lock() {
            *conn = None;
        }
        if let Ok(mut at) = self.failed_at.lock() {
            *at = Some(Instant::now());
        }
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                error,
                "redis unavailable for rate limits; each node counts its own until it is back"
            );
        }
        metrics::counter!("chirp_rate_limit_fallbacks_total").increment(1);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_redis_leaves_the_count_to_the_node_and_is_not_retried_at_once() {
        // Nothing listens on port 1.
        let shared = SharedLimits::new("redis://127.0.0.1:1").unwrap();
        let minute = Duration::from_secs(60);
        assert_eq!(shared.check("test", "1", minute, 1).await, None);
        assert!(shared.warned.load(Ordering::Relaxed));
        assert!(shared.failed_at.lock().unwrap().is_some());
        // Within RETRY_EVERY no connection is tried: the answer is at once.
        assert_eq!(shared.check("test", "1", minute, 1).await, None);
        assert!(SharedLimits::new("not a url").is_err());
    }
}
