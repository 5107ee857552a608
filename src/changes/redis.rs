//! `RedisBroker`: changes across nodes through Redis pub/sub, as an application-level
//! event bus.
//!
//! Each node publishes its own changes on one channel and hands what the others published
//! to its `Inbox`. Redis is never on the local path: while it is down a node keeps serving
//! its own sockets, reports unhealthy, logs once and reconnects with backoff. The publisher
//! keeps what it could not send and sends it when Redis is back, so a message is late rather
//! than lost. While the subscription is down, and for `SETTLE` after it is back (until every
//! other node's publisher has had time to reconnect), the node is *unsettled*: the delivery
//! loop then reads new tweets from the store itself, and caches are bypassed. Every lost or
//! regained subscription is told to the inbox (`missed`), and deletions made during an
//! outage are read back from the store when the subscription returns (`Inbox::catch_up`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::broker::Broker;
use super::change::Change;
use super::inbox::Inbox;
use crate::domain::now_micros;

/// The pub/sub channel every node shares.
const CHANNEL: &str = "chirp:announcements";
/// Longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Most PUBLISHes sent together in one pipeline.
const MAX_PIPELINE: usize = 64;
/// How long one pipeline of PUBLISHes (or a connect) may take before the connection is
/// considered broken.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);
/// How long after (re)subscribing the node keeps reading new tweets from the store: longer
/// than another node's publisher can take to notice the restart and reconnect (its backoff
/// plus one timed-out publish).
const SETTLE: Duration = Duration::from_secs(10);
/// Most messages the publisher keeps while Redis is away; beyond that the oldest go (the
/// other nodes fill tweet gaps from the store, and read deletions back after the outage).
const MAX_BACKLOG: usize = 10_000;

/// One message on the channel, as read.
#[derive(Debug, Deserialize)]
struct Envelope {
    /// The publishing node, so it can skip its own messages.
    node: u64,
    /// Named so on the wire since the first version.
    announcement: Change,
}

/// One message on the channel, as written (borrowing the change: nothing is cloned).
#[derive(Serialize)]
struct EnvelopeOut<'a> {
    node: u64,
    announcement: &'a Change,
}

/// This node's messages, encoded, for the publisher task.
#[derive(Clone)]
struct Outbox {
    node: u64,
    queue: mpsc::UnboundedSender<String>,
}

impl Outbox {
    /// Queue a change for the other nodes (never waits for Redis).
    fn send(&self, change: &Change) {
        let envelope = EnvelopeOut {
            node: self.node,
            announcement: change,
        };
        match serde_json::to_string(&envelope) {
            Ok(json) => {
                let _ = self.queue.send(json);
            }
            Err(e) => tracing::error!(error = %e, "cannot encode a change"),
        }
    }
}

/// Redis as the broker between nodes.
pub struct RedisBroker {
    outbox: Outbox,
    subscribed: Arc<AtomicBool>,
    publishing: Arc<AtomicBool>,
    /// Until when the node reads new tweets from the store (see the module doc).
    settle_until: Arc<Mutex<Instant>>,
    client: redis::Client,
}

impl RedisBroker {
    /// Start the publisher and subscriber tasks; other nodes' changes go to `inbox`. Fails
    /// only for a malformed URL; an unreachable Redis is retried in the background.
    pub fn start(url: &str, inbox: Inbox) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("--redis-url {url:?} is not a Redis URL: {e}"))?;
        let node = rand::random::<u64>();
        let subscribed = Arc::new(AtomicBool::new(false));
        let publishing = Arc::new(AtomicBool::new(true));
        let settle_until = Arc::new(Mutex::new(Instant::now() + SETTLE));
        let (queue, pending) = mpsc::unbounded_channel();
        let outbox = Outbox { node, queue };
        tokio::spawn(publish_loop(client.clone(), pending, publishing.clone()));
        tokio::spawn(subscribe_loop(
            client.clone(),
            Subscriber {
                inbox,
                subscribed: subscribed.clone(),
                settle_until: settle_until.clone(),
                outbox: outbox.clone(),
            },
        ));
        Ok(Self {
            outbox,
            subscribed,
            publishing,
            settle_until,
            client,
        })
    }
}

#[async_trait]
impl Broker for RedisBroker {
    fn publish(&self, change: &Change) {
        self.outbox.send(change);
    }

    fn subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    fn unsettled(&self) -> bool {
        !self.subscribed()
            || self
                .settle_until
                .lock()
                .map_or(true, |until| Instant::now() < *until)
    }

    fn health(&self) -> Result<(), String> {
        if !self.subscribed() {
            Err("redis unavailable: fan-out from other nodes is paused".into())
        } else if !self.publishing.load(Ordering::Relaxed) {
            Err("redis unavailable: this node cannot publish to the other nodes".into())
        } else {
            Ok(())
        }
    }

    /// The other subscribers of the channel, as Redis counts them now.
    async fn other_nodes(&self) -> Option<usize> {
        let count = async {
            let mut conn = self.client.get_multiplexed_async_connection().await.ok()?;
            let mut command = redis::cmd("PUBSUB");
            command.arg("NUMSUB").arg(CHANNEL);
            let (_, subscribers) = command
                .query_async::<(String, usize)>(&mut conn)
                .await
                .ok()?;
            Some(subscribers)
        };
        let subscribers = tokio::time::timeout(PUBLISH_TIMEOUT, count)
            .await
            .ok()
            .flatten()?;
        // This node's own subscription is one of them.
        subscribers.checked_sub(1).filter(|n| *n > 0)
    }

    fn needs_order(&self) -> bool {
        true
    }
}

/// Doubling backoff from 250 ms up to `MAX_BACKOFF`.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(5))).min(MAX_BACKOFF)
}

/// Publish queued messages in order, keeping (up to `MAX_BACKLOG`) what Redis did not take
/// until it does. A connection that broke while idle is only found out by using it, so a
/// failed PUBLISH gets a fresh connection at once; a connection that cannot be made is
/// retried with backoff, while messages wait. `publishing` is false from the first failure
/// until everything waiting has been sent.
async fn publish_loop(
    client: redis::Client,
    mut pending: mpsc::UnboundedReceiver<String>,
    publishing: Arc<AtomicBool>,
) {
    let mut backlog: VecDeque<String> = VecDeque::new();
    let mut connection: Option<redis::aio::MultiplexedConnection> = None;
    let mut failures = 0u32;
    loop {
        if backlog.is_empty() {
            match pending.recv().await {
                Some(message) => backlog.push_back(message),
                None => return,
            }
        }
        while let Ok(message) = pending.try_recv() {
            backlog.push_back(message);
        }
        if backlog.len() > MAX_BACKLOG {
            let dropped = backlog.len() - MAX_BACKLOG;
            backlog.drain(..dropped);
            metrics::counter!("chirp_redis_publish_dropped_total").increment(dropped as u64);
        }
        let fresh = connection.is_none();
        let conn = match connection.as_mut() {
            Some(conn) => conn,
            None => {
                let connected = tokio::time::timeout(
                    PUBLISH_TIMEOUT,
                    client.get_multiplexed_async_connection(),
                )
                .await;
                match connected {
                    Ok(Ok(c)) => connection.insert(c),
                    Ok(Err(_)) | Err(_) => {
                        publishing.store(false, Ordering::Relaxed);
                        if failures == 0 {
                            tracing::warn!("redis publisher cannot connect; retrying with backoff");
                        }
                        tokio::time::sleep(backoff(failures)).await;
                        failures += 1;
                        continue;
                    }
                }
            }
        };
        while !backlog.is_empty() {
            let n = backlog.len().min(MAX_PIPELINE);
            if !publish(conn, backlog.range(..n)).await {
                break;
            }
            backlog.drain(..n);
        }
        if backlog.is_empty() {
            if failures > 0 {
                tracing::info!(failures, "redis publisher reconnected");
            }
            failures = 0;
            publishing.store(true, Ordering::Relaxed);
            continue;
        }
        // Redis did not take a message: reconnect at once, unless this connection was new.
        connection = None;
        publishing.store(false, Ordering::Relaxed);
        if failures == 0 {
            tracing::warn!("redis publish failed; reconnecting with backoff");
        }
        if fresh {
            tokio::time::sleep(backoff(failures)).await;
        }
        failures += 1;
    }
}

/// One PUBLISH per message, in order, sent as one pipeline (one write, one wait) and
/// bounded in time; true when Redis took them all. On false all of them are sent again:
/// one may then arrive twice, just as after a single PUBLISH whose answer was lost (new
/// tweets are dropped as repeats by id on the receiving node).
async fn publish<'a>(
    conn: &mut redis::aio::MultiplexedConnection,
    messages: impl Iterator<Item = &'a String>,
) -> bool {
    let mut pipeline = redis::pipe();
    for message in messages {
        pipeline.cmd("PUBLISH").arg(CHANNEL).arg(message.as_str());
    }
    let sent = tokio::time::timeout(PUBLISH_TIMEOUT, pipeline.query_async::<()>(conn)).await;
    matches!(sent, Ok(Ok(())))
}

/// What the subscriber task holds.
struct Subscriber {
    inbox: Inbox,
    subscribed: Arc<AtomicBool>,
    settle_until: Arc<Mutex<Instant>>,
    /// For the answers the inbox gives (sign-out confirmations).
    outbox: Outbox,
}

impl Subscriber {
    /// One message from the channel: another node's change goes to the inbox, and its
    /// answer (if any) back to the other nodes. This node's own messages are skipped.
    fn received(&self, envelope: Envelope) {
        if envelope.node == self.outbox.node {
            return;
        }
        if let Some(answer) = self.inbox.received(envelope.announcement) {
            self.outbox.send(&answer);
        }
    }
}

/// Stay subscribed; every (re)subscription starts a settle period, and after an outage the
/// deletions made during it are read back from the store (`Inbox::catch_up`).
async fn subscribe_loop(client: redis::Client, sub: Subscriber) {
    let Subscriber {
        inbox,
        subscribed,
        settle_until,
        ..
    } = &sub;
    let mut failures = 0u32;
    // When the subscription was lost (UTC microseconds), for reading back deletions.
    let mut outage: Option<i64> = None;
    loop {
        let mut pubsub = match client.get_async_pubsub().await {
            Ok(p) => p,
            Err(e) => {
                if failures == 0 {
                    tracing::warn!(error = %e, "redis unavailable; fan-out to other nodes paused, retrying with backoff");
                    outage.get_or_insert(now_micros());
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
        // Settle first, then say subscribed: the delivery task must not see a settled bus
        // before another node's publisher had time to come back.
        if let Ok(mut until) = settle_until.lock() {
            *until = Instant::now() + SETTLE;
        }
        inbox.missed();
        subscribed.store(true, Ordering::Relaxed);
        metrics::gauge!("chirp_redis_up").set(1.0);
        if let Some(since) = outage.take() {
            let caught_up = inbox.catch_up(since).await;
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
            sub.received(envelope);
        }
        drop(messages);
        subscribed.store(false, Ordering::Relaxed);
        inbox.missed();
        metrics::gauge!("chirp_redis_up").set(0.0);
        outage = Some(now_micros());
        tracing::warn!("redis subscription lost; fan-out to other nodes paused, reconnecting");
    }
}
