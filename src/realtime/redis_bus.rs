//! Fan-out across nodes through Redis pub/sub, as an application-level event bus.
//!
//! Each node publishes its own announcements on one channel and hands what the others
//! published to its delivery task, which puts everything in tweet-id order and fills any gap
//! from the store (`order`). Redis is never on the local path: while it is down a node keeps
//! serving its own sockets, reports unhealthy, logs once and reconnects with backoff. The
//! publisher keeps what it could not send and sends it when Redis is back, so a message is
//! late rather than lost. While the subscription is down, and for `SETTLE` after it is back
//! (until every other node's publisher has had time to reconnect), the node is *unsettled*:
//! the delivery task then reads new tweets from the store itself. Deletions made during an
//! outage are read back from the store when the subscription returns.
//!
//! Caches stay coherent through the same channel: the subscriber tells a `BusHook` of every
//! other node's announcement as it arrives (before delivering it) and of every lost or
//! regained subscription, so a node can drop what it cached. Each node confirms another's
//! sign-out once its cache forgot it (`SessionForgotten`), and the signing-out node waits
//! for as many confirmations as Redis counts other subscribers (`others_forget`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::events::Announcement;
use crate::domain::now_micros;
use crate::storage::Store;

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
/// Catch-up re-reads deletions from this long before the outage began.
const CATCH_UP_DELETE_MARGIN_MICROS: i64 = 5_000_000;

/// What the subscriber tells a node's caches (see the module doc).
pub enum BusNews<'a> {
    /// Another node announced this (told before it is delivered here).
    Heard(&'a Announcement),
    /// The subscription was lost or has just come back: announcements may have been missed.
    Lost,
}

/// Called by the subscriber for each piece of `BusNews`. Must be quick: it runs on the
/// subscriber task.
pub type BusHook = Arc<dyn Fn(BusNews<'_>) + Send + Sync>;

/// A sign-out of this node waiting for the other nodes to confirm it.
struct Waiter {
    remaining: usize,
    done: oneshot::Sender<()>,
}

/// Sign-outs of this node waiting for confirmations, by token hash.
type Echoes = Arc<Mutex<HashMap<String, Vec<Waiter>>>>;

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
    publishing: Arc<AtomicBool>,
    /// Until when the node reads new tweets from the store (see the module doc).
    settle_until: Arc<Mutex<Instant>>,
    echoes: Echoes,
    hook: Option<BusHook>,
    client: redis::Client,
}

impl RedisBus {
    /// Start the publisher and subscriber tasks. Fails only for a malformed URL; an
    /// unreachable Redis is retried in the background.
    pub fn start(
        url: &str,
        deliveries: mpsc::UnboundedSender<Delivery>,
        store: Arc<dyn Store>,
        hook: Option<BusHook>,
    ) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)
            .map_err(|e| anyhow::anyhow!("--redis-url {url:?} is not a Redis URL: {e}"))?;
        let node = rand::random::<u64>();
        let subscribed = Arc::new(AtomicBool::new(false));
        let publishing = Arc::new(AtomicBool::new(true));
        let settle_until = Arc::new(Mutex::new(Instant::now() + SETTLE));
        let echoes = Echoes::default();
        let (outbox, pending) = mpsc::unbounded_channel();
        tokio::spawn(publish_loop(client.clone(), pending, publishing.clone()));
        tokio::spawn(subscribe_loop(
            client.clone(),
            Subscriber {
                node,
                deliveries,
                store,
                subscribed: subscribed.clone(),
                settle_until: settle_until.clone(),
                hook: hook.clone(),
                echoes: echoes.clone(),
                outbox: outbox.clone(),
            },
        ));
        Ok(Self {
            node,
            outbox,
            subscribed,
            publishing,
            settle_until,
            echoes,
            hook,
            client,
        })
    }

    /// Before publishing a `SessionEnded`: resolves to a receiver that completes when every
    /// other node subscribed now (as Redis counts them) has confirmed it forgot the session;
    /// `None` when there is no other node, or Redis cannot say (then there is nothing to
    /// wait for: a node that lost Redis bypasses its cache).
    pub async fn others_forget(&self, token_hash: &str) -> Option<oneshot::Receiver<()>> {
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
        let remaining = subscribers.checked_sub(1).filter(|n| *n > 0)?;
        let (done, rx) = oneshot::channel();
        self.echoes
            .lock()
            .ok()?
            .entry(token_hash.to_owned())
            .or_default()
            .push(Waiter { remaining, done });
        Some(rx)
    }

    /// Tell the caches of an announcement that did not come over the bus (a tweet read from
    /// the store to fill a gap or in a sweep).
    pub fn heard(&self, announcement: &Announcement) {
        if let Some(hook) = &self.hook {
            hook(BusNews::Heard(announcement));
        }
    }

    /// Stop waiting for confirmations of `token_hash` (they did not all come in time).
    pub fn stop_waiting(&self, token_hash: &str) {
        if let Ok(mut echoes) = self.echoes.lock() {
            echoes.remove(token_hash);
        }
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

    /// Whether the subscription is up: what the other nodes publish can arrive.
    pub fn subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    /// True while the subscription is down or only recently back: some other node's
    /// announcements may not come over the bus, so new tweets are read from the store.
    pub fn unsettled(&self) -> bool {
        !self.subscribed()
            || self
                .settle_until
                .lock()
                .map_or(true, |until| Instant::now() < *until)
    }

    /// `Err` with a reason while the subscription is down or this node's announcements
    /// cannot be published.
    pub fn health(&self) -> Result<(), String> {
        if !self.subscribed() {
            Err("redis unavailable: fan-out from other nodes is paused".into())
        } else if !self.publishing.load(Ordering::Relaxed) {
            Err("redis unavailable: this node cannot publish to the other nodes".into())
        } else {
            Ok(())
        }
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
/// one may then arrive twice, just as after a single PUBLISH whose answer was lost (tweet
/// announcements are dropped as repeats by id on the receiving node).
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
    node: u64,
    deliveries: mpsc::UnboundedSender<Delivery>,
    store: Arc<dyn Store>,
    subscribed: Arc<AtomicBool>,
    settle_until: Arc<Mutex<Instant>>,
    hook: Option<BusHook>,
    echoes: Echoes,
    outbox: mpsc::UnboundedSender<String>,
}

impl Subscriber {
    fn tell(&self, news: BusNews<'_>) {
        if let Some(hook) = &self.hook {
            hook(news);
        }
    }

    /// One message from the channel: another node's announcement goes to the caches, then
    /// to the delivery task; another node's sign-out is confirmed once the caches forgot it;
    /// a confirmation counts towards this node's waiting sign-out.
    fn received(&self, envelope: Envelope) {
        if envelope.node == self.node {
            return;
        }
        if let Announcement::SessionForgotten { token_hash } = &envelope.announcement {
            self.confirmed(token_hash);
            return;
        }
        self.tell(BusNews::Heard(&envelope.announcement));
        if let Announcement::SessionEnded { token_hash } = &envelope.announcement {
            let confirm = Envelope {
                node: self.node,
                announcement: Announcement::SessionForgotten {
                    token_hash: token_hash.clone(),
                },
            };
            if let Ok(json) = serde_json::to_string(&confirm) {
                let _ = self.outbox.send(json);
            }
        }
        let _ = self.deliveries.send(Delivery {
            announcement: envelope.announcement,
            publish: false,
        });
    }

    /// One more node forgot `token_hash`: wake the sign-outs that have all they waited for.
    fn confirmed(&self, token_hash: &str) {
        let Ok(mut echoes) = self.echoes.lock() else {
            return;
        };
        let Some(waiters) = echoes.remove(token_hash) else {
            return;
        };
        let mut still = Vec::new();
        for mut waiter in waiters {
            waiter.remaining = waiter.remaining.saturating_sub(1);
            if waiter.remaining == 0 {
                let _ = waiter.done.send(());
            } else {
                still.push(waiter);
            }
        }
        if !still.is_empty() {
            echoes.insert(token_hash.to_owned(), still);
        }
    }
}

/// Stay subscribed; every (re)subscription starts a settle period, and after an outage the
/// deletions made during it are read back from the store.
async fn subscribe_loop(client: redis::Client, sub: Subscriber) {
    let Subscriber {
        node: _,
        deliveries,
        store,
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
        sub.tell(BusNews::Lost);
        subscribed.store(true, Ordering::Relaxed);
        metrics::gauge!("chirp_redis_up").set(1.0);
        if let Some(since) = outage.take() {
            let caught_up = catch_up_deletions(&**store, deliveries, since).await;
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
        sub.tell(BusNews::Lost);
        metrics::gauge!("chirp_redis_up").set(0.0);
        outage = Some(now_micros());
        tracing::warn!("redis subscription lost; fan-out to other nodes paused, reconnecting");
    }
}

/// Queue the deletions made since shortly before the outage began (the delivery task drops
/// any already announced). New tweets need no catch-up here: the delivery task reads them
/// from the store while the bus is unsettled. Returns how many were queued.
async fn catch_up_deletions(
    store: &dyn Store,
    deliveries: &mpsc::UnboundedSender<Delivery>,
    since: i64,
) -> usize {
    match store
        .deleted_since(since - CATCH_UP_DELETE_MARGIN_MICROS)
        .await
    {
        Ok(ids) => {
            let queued = ids.len();
            for id in ids {
                let _ = deliveries.send(Delivery {
                    announcement: Announcement::Deleted { id },
                    publish: false,
                });
            }
            queued
        }
        Err(e) => {
            tracing::warn!(error = %e, "catch-up could not read deletions");
            0
        }
    }
}
