//! Fan-out across nodes through Redis pub/sub, as an application-level event bus.
//!
//! Each node delivers its own announcements to its own sockets first, then publishes them on
//! one channel; every node delivers what others published to its sockets. Redis is never on
//! the local path, so while it is down a node keeps serving its own sockets, reports
//! unhealthy, logs once and reconnects with backoff. When the subscription is back, the node
//! asks the store what it missed (tweets newer than what it had delivered, deletions since
//! the outage began) and delivers that; `Seen` in the caller drops anything twice-delivered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::events::Announcement;
use crate::domain::{Page, PageCursor, now_micros};
use crate::storage::Store;

/// The pub/sub channel every node shares.
const CHANNEL: &str = "chirp:announcements";
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long one PUBLISH may take before the connection is considered broken.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);
/// Catch-up re-reads this many ids below the last delivered one, for tweets that were
/// stored just before the outage but whose announcement was lost in it.
const CATCH_UP_MARGIN: i64 = 50;
/// Catch-up re-reads deletions from this long before the outage began.
const CATCH_UP_DELETE_MARGIN_MICROS: i64 = 5_000_000;
/// Most tweets one catch-up delivers (a page at a time).
const CATCH_UP_MAX: usize = 10_000;

/// One message on the channel.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The publishing node, so it can skip its own messages.
    node: u64,
    announcement: Announcement,
}

/// Something for the delivery task: an announcement and whether to publish it onwards.
#[derive(Debug)]
pub struct Delivery {
    /// What to deliver.
    pub announcement: Announcement,
    /// True for this node's own announcements (publish to the others); false for ones that
    /// came from Redis or from catch-up.
    pub publish: bool,
}

/// Handle to the bus: publish, and ask whether Redis is answering.
pub struct RedisBus {
    node: u64,
    outbox: mpsc::UnboundedSender<String>,
    subscribed: Arc<AtomicBool>,
}

impl RedisBus {
    /// Start the publisher and subscriber tasks. Fails only for a malformed URL; an
    /// unreachable Redis is retried in the background.
    pub fn start(
        url: &str,
        deliveries: mpsc::UnboundedSender<Delivery>,
        store: Arc<dyn Store>,
        last_delivered: Arc<AtomicI64>,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("--redis-url {url:?} is not a Redis URL: {e}"))?;
        let node = rand::random::<u64>();
        let subscribed = Arc::new(AtomicBool::new(false));
        let (outbox, pending) = mpsc::unbounded_channel();
        tokio::spawn(publish_loop(client.clone(), pending));
        tokio::spawn(subscribe_loop(
            client,
            node,
            deliveries,
            store,
            last_delivered,
            subscribed.clone(),
        ));
        Ok(Self {
            node,
            outbox,
            subscribed,
        })
    }

    /// Queue an announcement for the other nodes (never waits for Redis).
    pub fn publish(&self, announcement: &Announcement) {
        let envelope = Envelope {
            node: self.node,
            announcement: announcement.clone(),
        };
        match serde_json::to_string(&envelope) {
            Ok(json) => {
                let _ = self.outbox.send(json);
            }
            Err(e) => tracing::error!(error = %e, "cannot encode announcement"),
        }
    }

    /// `Err` with a reason while the subscription is down.
    pub fn health(&self) -> Result<(), String> {
        if self.subscribed.load(Ordering::Relaxed) {
            Ok(())
        } else {
            Err("redis unavailable: fan-out to other nodes is paused".into())
        }
    }
}

/// Doubling backoff from 250 ms up to `MAX_BACKOFF`.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(5))).min(MAX_BACKOFF)
}

/// Publish queued messages in order. A connection that broke while idle is only found out
/// by using it, so a failed PUBLISH gets one fresh connection and one retry: the first
/// message after an outage is not lost. While Redis stays away, messages are dropped (the
/// other nodes catch up from the store when they resubscribe) and reconnection is tried at
/// most once per backoff step.
async fn publish_loop(client: redis::Client, mut pending: mpsc::UnboundedReceiver<String>) {
    let mut connection: Option<redis::aio::MultiplexedConnection> = None;
    let mut failures = 0u32;
    let mut retry_at = tokio::time::Instant::now();
    while let Some(message) = pending.recv().await {
        let mut attempts = 0;
        let sent = loop {
            if connection.is_none() && tokio::time::Instant::now() >= retry_at {
                match client.get_multiplexed_async_connection().await {
                    Ok(c) => {
                        if failures > 0 {
                            tracing::info!("redis publisher reconnected");
                        }
                        failures = 0;
                        connection = Some(c);
                    }
                    Err(e) => {
                        if failures == 0 {
                            tracing::warn!(error = %e, "redis publisher cannot connect; retrying with backoff");
                        }
                        retry_at = tokio::time::Instant::now() + backoff(failures);
                        failures += 1;
                    }
                }
            }
            let Some(conn) = connection.as_mut() else {
                break false;
            };
            if publish(conn, &message).await {
                break true;
            }
            connection = None;
            attempts += 1;
            if attempts == 2 {
                tracing::warn!("redis publish failed; reconnecting with backoff");
                failures = failures.max(1);
                retry_at = tokio::time::Instant::now() + backoff(0);
                break false;
            }
        };
        if !sent {
            metrics::counter!("chirp_redis_publish_dropped_total").increment(1);
        }
    }
}

/// One PUBLISH, bounded in time; true when Redis took it.
async fn publish(conn: &mut redis::aio::MultiplexedConnection, message: &str) -> bool {
    let mut command = redis::cmd("PUBLISH");
    command.arg(CHANNEL).arg(message);
    let sent = tokio::time::timeout(PUBLISH_TIMEOUT, command.query_async::<i64>(conn)).await;
    matches!(sent, Ok(Ok(_)))
}

/// Stay subscribed; after every outage, catch up from the store.
async fn subscribe_loop(
    client: redis::Client,
    node: u64,
    deliveries: mpsc::UnboundedSender<Delivery>,
    store: Arc<dyn Store>,
    last_delivered: Arc<AtomicI64>,
    subscribed: Arc<AtomicBool>,
) {
    let mut failures = 0u32;
    // Set when a subscription is lost: (last tweet id delivered, when).
    let mut outage: Option<(i64, i64)> = None;
    loop {
        let mut pubsub = match client.get_async_pubsub().await {
            Ok(p) => p,
            Err(e) => {
                if failures == 0 {
                    tracing::warn!(error = %e, "redis unavailable; fan-out to other nodes paused, retrying with backoff");
                    outage.get_or_insert((last_delivered.load(Ordering::Relaxed), now_micros()));
                }
                tokio::time::sleep(backoff(failures)).await;
                failures += 1;
                continue;
            }
        };
        if let Err(e) = pubsub.subscribe(CHANNEL).await {
            tracing::warn!(error = %e, "redis subscribe failed; retrying");
            tokio::time::sleep(backoff(failures)).await;
            failures += 1;
            continue;
        }
        subscribed.store(true, Ordering::Relaxed);
        metrics::gauge!("chirp_redis_up").set(1.0);
        if let Some((last_id, since)) = outage.take() {
            let caught_up = catch_up(&*store, &deliveries, last_id, since).await;
            tracing::info!(failures, caught_up, "redis back; fan-out resumed");
        } else {
            tracing::info!("subscribed to redis fan-out");
        }
        failures = 0;
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            let Ok(envelope) = serde_json::from_slice::<Envelope>(message.get_payload_bytes())
            else {
                tracing::warn!("ignoring a malformed message on {CHANNEL}");
                continue;
            };
            if envelope.node != node {
                let _ = deliveries.send(Delivery {
                    announcement: envelope.announcement,
                    publish: false,
                });
            }
        }
        drop(messages);
        subscribed.store(false, Ordering::Relaxed);
        metrics::gauge!("chirp_redis_up").set(0.0);
        outage = Some((last_delivered.load(Ordering::Relaxed), now_micros()));
        tracing::warn!("redis subscription lost; fan-out to other nodes paused, reconnecting");
    }
}

/// Deliver what was stored or deleted while the subscription was down. Returns how many
/// announcements were queued (the delivery task drops any already delivered).
async fn catch_up(
    store: &dyn Store,
    deliveries: &mpsc::UnboundedSender<Delivery>,
    last_id: i64,
    since: i64,
) -> usize {
    let mut queued = 0;
    let mut cursor = (last_id - CATCH_UP_MARGIN).max(0);
    while queued < CATCH_UP_MAX {
        let page = Page {
            limit: 100,
            cursor: PageCursor::After(cursor),
        };
        let tweets = match store.tweets(None, page, None).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "catch-up could not read tweets");
                break;
            }
        };
        let Some(newest) = tweets.first() else { break };
        cursor = newest.id;
        // Pages come newest first; deliver oldest first.
        for tweet in tweets.into_iter().rev() {
            let announcement = Announcement::Tweet {
                id: tweet.id,
                author: tweet.author,
                reply_to: None,
            };
            let _ = deliveries.send(Delivery {
                announcement,
                publish: false,
            });
            queued += 1;
        }
    }
    match store
        .deleted_since(since - CATCH_UP_DELETE_MARGIN_MICROS)
        .await
    {
        Ok(ids) => {
            for id in ids {
                let _ = deliveries.send(Delivery {
                    announcement: Announcement::Deleted { id },
                    publish: false,
                });
                queued += 1;
            }
        }
        Err(e) => tracing::warn!(error = %e, "catch-up could not read deletions"),
    }
    queued
}
