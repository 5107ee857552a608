//! `RedisBroker`: changes across nodes through Redis pub/sub, as an application-level
//! event bus.
//!
//! Each node publishes its own changes on one channel and hands what the others published
//! to its `Inbox`. Redis is never on the local path: while it is down a node keeps serving
//! its own sockets, reports unhealthy, logs once and reconnects with backoff. The publisher
//! keeps what it could not send and sends it when Redis is back, so a message is late rather
//! than lost. While the subscription is down, and after it is back until every other node
//! has been heard from (its publisher is back too: `settle`, at most `SETTLE`), the node is
//! *unsettled*: the delivery loop then reads new tweets from the store itself, and caches
//! are bypassed. Every node says it is alive on the nodes' channel every `HEARTBEAT_EVERY`,
//! so that one which is still reconnecting after a Redis restart is known. Every lost or
//! regained subscription is told to the inbox (`missed`), and deletions made during an
//! outage are read back from the store when the subscription returns (`Inbox::catch_up`).
//!
//! Besides the shared channel each node subscribes to one of its own (`chirp:node:<id>`),
//! where it publishes its barriers (see `gate`): Redis writes every PUBLISH to each
//! subscriber's connection as the command runs, across channels, so a barrier comes back
//! after every message any node published before it. A change published with an `Ack` is
//! acknowledged once Redis answered its PUBLISH; while Redis is not taking messages the ack
//! is dropped at once, so nobody waits on an outage.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::broker::{Ack, Broker};
use super::bus::{
    CHANNEL, MAX_BACKLOG, MAX_PIPELINE, NODES_CHANNEL, Outbox, Outgoing, PUBLISH_TIMEOUT, To,
    backoff, node_channel, other_subscribers,
};
use super::change::Change;
use super::inbox::Inbox;
use super::settle::{HEARTBEAT_EVERY, PresenceKind, Settle};
use super::subscriber::{Subscriber, subscribe_loop};

/// Redis as the broker between nodes.
pub struct RedisBroker {
    outbox: Outbox,
    subscribed: Arc<AtomicBool>,
    publishing: Arc<AtomicBool>,
    /// False while the node reads new tweets from the store (see the module doc).
    settled: Arc<AtomicBool>,
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
        let settled = Arc::new(AtomicBool::new(false));
        let (queue, pending) = mpsc::unbounded_channel();
        let outbox = Outbox { node, queue };
        tokio::spawn(publish_loop(
            client.clone(),
            node_channel(node),
            pending,
            publishing.clone(),
        ));
        tokio::spawn(heartbeat_loop(outbox.clone(), publishing.clone()));
        tokio::spawn(subscribe_loop(
            client.clone(),
            Subscriber {
                inbox,
                subscribed: subscribed.clone(),
                settled: settled.clone(),
                outbox: outbox.clone(),
                settle: Settle::default(),
            },
        ));
        Ok(Self {
            outbox,
            subscribed,
            publishing,
            settled,
            client,
        })
    }
}

#[async_trait]
impl Broker for RedisBroker {
    fn publish(&self, change: &Change, ack: Option<Ack>) {
        // While Redis does not take messages nobody waits for it (the ack is dropped).
        let ack = ack.filter(|_| self.publishing.load(Ordering::Relaxed));
        self.outbox.send(change, ack);
    }

    fn barrier(&self, ticket: u64) {
        let _ = self.outbox.queue.send(Outgoing {
            to: To::Myself,
            payload: ticket.to_string(),
            ack: None,
        });
    }

    fn in_step(&self) -> bool {
        self.subscribed() && self.publishing.load(Ordering::Relaxed)
    }

    fn subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }

    fn unsettled(&self) -> bool {
        !self.subscribed() || !self.settled.load(Ordering::Relaxed)
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
        other_subscribers(&self.client).await.filter(|n| *n > 0)
    }

    fn needs_order(&self) -> bool {
        true
    }
}

/// Say "alive" on the nodes' channel every `HEARTBEAT_EVERY`, while Redis takes messages.
async fn heartbeat_loop(outbox: Outbox, publishing: Arc<AtomicBool>) {
    let mut every = tokio::time::interval(HEARTBEAT_EVERY);
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if outbox.queue.is_closed() {
            return;
        }
        if publishing.load(Ordering::Relaxed) {
            outbox.presence(PresenceKind::Alive);
        }
    }
}

/// Publish queued messages in order, keeping (up to `MAX_BACKLOG`) what Redis did not take
/// until it does. A connection that broke while idle is only found out by using it, so a
/// failed PUBLISH gets a fresh connection at once; a connection that cannot be made is
/// retried with backoff, while messages wait. `publishing` is false from the first failure
/// until everything waiting has been sent.
async fn publish_loop(
    client: redis::Client,
    node_channel: String,
    mut pending: mpsc::UnboundedReceiver<Outgoing>,
    publishing: Arc<AtomicBool>,
) {
    let mut backlog: VecDeque<Outgoing> = VecDeque::new();
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
            if !publish(conn, &node_channel, backlog.range(..n)).await {
                break;
            }
            for sent in backlog.drain(..n) {
                if let Some(ack) = sent.ack {
                    let _ = ack.send(());
                }
            }
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
    node_channel: &str,
    messages: impl Iterator<Item = &'a Outgoing>,
) -> bool {
    let mut pipeline = redis::pipe();
    for message in messages {
        let channel = match message.to {
            To::Shared => CHANNEL,
            To::Myself => node_channel,
            To::Nodes => NODES_CHANNEL,
        };
        pipeline
            .cmd("PUBLISH")
            .arg(channel)
            .arg(message.payload.as_str());
    }
    let sent = tokio::time::timeout(PUBLISH_TIMEOUT, pipeline.query_async::<()>(conn)).await;
    matches!(sent, Ok(Ok(())))
}
