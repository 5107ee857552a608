//! Collects deliveries of `newTweet` from every client and turns them into figures.
//!
//! A delivery can arrive before the POST that caused it has answered (the id is not known
//! yet), so deliveries of an id with no start time are held until `start` names it; the
//! latency is always measured from the instant taken just before the POST was sent (or, in
//! open-loop mode, from the instant it was scheduled).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{Value, json};

#[derive(Default)]
struct PerTweet {
    count: usize,
    first: Option<Instant>,
    last: Option<Instant>,
}

struct Inner {
    started: HashMap<i64, Instant>,
    held: HashMap<i64, Vec<Instant>>,
    tweets: HashMap<i64, PerTweet>,
    latency_us: Histogram<u64>,
    deliveries: u64,
    last_delivery: Option<Instant>,
}

/// Shared by every client task; one short lock per delivery.
pub struct Recorder {
    inner: Mutex<Inner>,
    /// Sockets (or polling sessions) that completed the Socket.IO connect.
    pub connected: AtomicUsize,
    /// Connects that failed, and the first reason seen.
    pub connect_failed: AtomicUsize,
    pub first_error: Mutex<Option<String>>,
    /// Connected clients that were closed by the server or the network during the run.
    pub disconnected: AtomicUsize,
    /// `newTweet` deliveries that reached the author's own socket (the contract forbids it).
    pub to_author: AtomicU64,
    /// A socket saw the same tweet id twice, or an older id after a newer one.
    pub duplicates: AtomicU64,
}

impl Recorder {
    pub fn new() -> Self {
        Recorder {
            inner: Mutex::new(Inner {
                started: HashMap::new(),
                held: HashMap::new(),
                tweets: HashMap::new(),
                // 1 µs … 10 min, 3 significant digits.
                latency_us: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds"),
                deliveries: 0,
                last_delivery: None,
            }),
            connected: AtomicUsize::new(0),
            connect_failed: AtomicUsize::new(0),
            first_error: Mutex::new(None),
            disconnected: AtomicUsize::new(0),
            to_author: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panicking client task must not take the figures down with it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn connect_error(&self, err: String) {
        self.connect_failed.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
        first.get_or_insert(err);
    }

    /// A client received `newTweet` for `id` at `at`.
    pub fn deliver(&self, id: i64, at: Instant) {
        let mut g = self.lock();
        g.deliveries += 1;
        g.last_delivery = Some(g.last_delivery.map_or(at, |l| l.max(at)));
        let t = g.tweets.entry(id).or_default();
        t.count += 1;
        t.first = Some(t.first.map_or(at, |f| f.min(at)));
        t.last = Some(t.last.map_or(at, |l| l.max(at)));
        match g.started.get(&id).copied() {
            Some(t0) => record(&mut g.latency_us, at.saturating_duration_since(t0)),
            None => g.held.entry(id).or_default().push(at),
        }
    }

    /// Tweet `id` was posted at `t0`: deliveries are measured from there.
    pub fn start(&self, id: i64, t0: Instant) {
        let mut g = self.lock();
        g.started.insert(id, t0);
        if let Some(held) = g.held.remove(&id) {
            for at in held {
                record(&mut g.latency_us, at.saturating_duration_since(t0));
            }
        }
    }

    /// Deliveries of `id` so far, and when the last one arrived.
    pub fn tweet(&self, id: i64) -> (usize, Option<Instant>) {
        let g = self.lock();
        g.tweets.get(&id).map_or((0, None), |t| (t.count, t.last))
    }

    /// Deliveries of tweets this run posted (ids given to `start`).
    pub fn own_deliveries(&self) -> u64 {
        let g = self.lock();
        g.started
            .keys()
            .filter_map(|id| g.tweets.get(id))
            .map(|t| t.count as u64)
            .sum()
    }

    /// Every delivery so far, whoever posted.
    pub fn deliveries(&self) -> u64 {
        self.lock().deliveries
    }

    /// Every tweet id seen so far, with its deliveries and the last one's instant.
    pub fn seen(&self) -> Vec<(i64, usize, Option<Instant>)> {
        let g = self.lock();
        g.tweets
            .iter()
            .map(|(id, t)| (*id, t.count, t.last))
            .collect()
    }

    pub fn last_delivery(&self) -> Option<Instant> {
        self.lock().last_delivery
    }

    /// Deliveries of ids this run never posted (someone else was posting).
    pub fn foreign_deliveries(&self) -> u64 {
        let g = self.lock();
        g.held.values().map(|v| v.len() as u64).sum()
    }

    pub fn latency_summary(&self) -> Value {
        summarize_us(&self.lock().latency_us)
    }
}

fn record(h: &mut Histogram<u64>, d: Duration) {
    h.saturating_record((d.as_micros() as u64).max(1));
}

fn ms(us: u64) -> f64 {
    (us as f64 / 1000.0 * 1000.0).round() / 1000.0
}

/// count, mean and percentiles in milliseconds of a histogram of microseconds.
pub fn summarize_us(h: &Histogram<u64>) -> Value {
    if h.is_empty() {
        return json!({ "count": 0 });
    }
    json!({
        "count": h.len(),
        "mean_ms": ms(h.mean().round() as u64),
        "p50_ms": ms(h.value_at_quantile(0.50)),
        "p90_ms": ms(h.value_at_quantile(0.90)),
        "p99_ms": ms(h.value_at_quantile(0.99)),
        "p999_ms": ms(h.value_at_quantile(0.999)),
        "max_ms": ms(h.max()),
    })
}

/// A histogram for per-tweet figures such as the time to the last delivery.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds")
}

pub fn record_duration(h: &mut Histogram<u64>, d: Duration) {
    record(h, d);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_before_the_post_answers_are_measured_from_its_start() {
        let r = Recorder::new();
        let t0 = Instant::now();
        r.deliver(7, t0 + Duration::from_millis(5));
        r.start(7, t0);
        r.deliver(7, t0 + Duration::from_millis(9));
        let s = r.latency_summary();
        assert_eq!(s["count"], 2);
        assert!((s["max_ms"].as_f64().unwrap() - 9.0).abs() < 0.05);
        assert_eq!(r.tweet(7).0, 2);
        assert_eq!(r.own_deliveries(), 2);
        assert_eq!(r.foreign_deliveries(), 0);
    }
}
