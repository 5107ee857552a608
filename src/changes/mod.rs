//! The vocabulary of change and its one path: whatever changes what someone sees (a tweet
//! stored or deleted, a like, a follow, a profile, a notification, a sign-out) is published
//! here once, goes through a broker to the other nodes, and reaches every registered
//! listener — the sockets, the feed's caches, the session cache — the same way whether there
//! is one node (`MemoryBroker`) or many (`RedisBroker`).
//!
//! Each listener hears a change as soon as this node learns of it (`Listener::heard`: its own
//! as published, others' as they arrive) and is then delivered it in order, once
//! (`Listener::deliver`, on one task per node: new tweets in id order on every node, any gap
//! filled from the store). Coherence (`coherent`: may a cache answer now?) and the sign-out
//! confirmation (`end_session`) live here too, once. Modelled on centrifuge's `Hub` beside
//! a `Broker` with a memory broker for one node.
//!
//! # Follows and tweets in one order across nodes
//!
//! A tweet stored after a follow (or unfollow, block, mute) was answered is routed by it on
//! every node. Three parts make it so, each leaning on one Redis guarantee — a subscriber
//! receives messages in the order the PUBLISH commands ran, across channels:
//!
//! - a follow is answered only once Redis took its PUBLISH (`publish_acknowledged`), and
//!   after this node delivered it; so any tweet stored after the answer is published after it;
//! - routing changes are never held behind a gap in tweet order (`Change::is_ordered`): a
//!   follow is delivered as soon as it is heard, so before any tweet heard after it;
//! - a tweet a node did not get over Redis (its own, or one read from the store) waits at the
//!   `gate` for a barrier the node publishes to itself after it: when the barrier is back,
//!   every follow published before the tweet was stored has been delivered.
//!
//! The alternative, tweets carrying the store's follow watermark and nodes holding them until
//! they applied follows up to it, needs a sequence on every follow write and the tweet
//! writer; the barrier needs neither, costs one small PUBLISH per batch of a node's own
//! tweets and delays their local delivery by one Redis round trip (level within noise in
//! BENCHMARKS.md). While Redis is down nothing waits: follows answer at once and tweets are
//! delivered locally, as before, and routes are read again from the store when it is back.
//! A tweet stored *before* a follow change was answered may be routed either way.
//!
//! # Layout
//!
//! - `change`: `Change`, split by audience (`Event`, `Stale`, `Control`), and its wire form.
//! - `listener`: the `Listener` trait.
//! - `broker`: the `Broker` trait and `MemoryBroker`; `redis`: `RedisBroker` and its
//!   publisher, `subscriber` its subscriber, `bus` the channels and messages between them,
//!   `settle` when a node that has just subscribed has heard from every other node.
//! - `inbox`: what arrives from other nodes; `sign_out`: counting their confirmations.
//! - `delivery`, `order`, `gate`, `seen`, `store_reads`: the delivery loop — in order, each
//!   once, gaps and sweeps read from the store, and in one order with other nodes' follows.
//! - `sessions`: the session cache as a listener.
//! - `log`: the ordered log of delivered events that clients resume from (Socket.IO
//!   recovery, Mastodon SSE `Last-Event-ID`).

mod broker;
mod bus;
mod change;
mod delivery;
mod gate;
mod inbox;
mod listener;
mod log;
mod order;
mod redis;
mod seen;
mod sessions;
mod settle;
mod sign_out;
mod store_reads;
mod subscriber;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

pub use change::{Change, Control, Event, Stale, Tweeted};
pub use listener::{Listener, Listeners};
pub use log::{ChangeLog, Marks};

use broker::{Broker, MemoryBroker};
use delivery::{Delivery, InOrder, Queued};
use inbox::Inbox;
use redis::RedisBroker;
use seen::Seen;
use sign_out::Confirmations;

use crate::storage::Store;

/// Longest `publish_acknowledged` waits for the broker (as long as one PUBLISH may take).
const ACK_WAIT: Duration = Duration::from_secs(2);
/// Longest a sign-out waits for the other nodes to confirm it (see `Changes::end_session`).
const SIGN_OUT_ECHO_WAIT: Duration = Duration::from_secs(2);

/// What `Changes::start` needs.
pub struct ChangesConfig {
    /// Where tweets are read back from to fill gaps, and deletions after an outage.
    pub store: Arc<dyn Store>,
    /// Redis URL for a cluster; `None` for one node alone.
    pub redis_url: Option<String>,
    /// The newest tweet id in the store at start: ordering never reaches below it.
    pub newest_tweet_id: i64,
}

/// Handle to the path of change: publish, and ask whether caches may answer. Cheap to clone.
#[derive(Clone)]
pub struct Changes {
    queue: mpsc::UnboundedSender<Queued>,
    broker: Arc<dyn Broker>,
    listeners: Listeners,
    confirmations: Arc<Confirmations>,
}

impl Changes {
    /// Start the broker (Redis when `config.redis_url` is set) and the delivery task, telling
    /// `listeners`, fixed from now on. Fails only for a malformed Redis URL.
    pub fn start(config: ChangesConfig, listeners: Vec<Arc<dyn Listener>>) -> anyhow::Result<Self> {
        metrics::counter!("chirp_announcement_gaps_filled_total").increment(0);
        metrics::counter!("chirp_announcements_from_store_total").increment(0);
        let listeners: Listeners = listeners.into();
        let confirmations = Arc::new(Confirmations::default());
        let (queue, pending) = mpsc::unbounded_channel();
        let broker: Arc<dyn Broker> = match &config.redis_url {
            Some(url) => Arc::new(RedisBroker::start(
                url,
                Inbox {
                    listeners: listeners.clone(),
                    queue: queue.clone(),
                    confirmations: confirmations.clone(),
                    store: config.store.clone(),
                },
            )?),
            None => Arc::new(MemoryBroker),
        };
        Ok(Self::run(
            broker,
            listeners,
            confirmations,
            (queue, pending),
            config,
        ))
    }

    /// Spawn the delivery task over `broker`.
    fn run(
        broker: Arc<dyn Broker>,
        listeners: Listeners,
        confirmations: Arc<Confirmations>,
        (queue, pending): (
            mpsc::UnboundedSender<Queued>,
            mpsc::UnboundedReceiver<Queued>,
        ),
        config: ChangesConfig,
    ) -> Self {
        let ordered = broker
            .needs_order()
            .then(|| InOrder::new(config.newest_tweet_id, config.store, &*broker));
        let delivery = Delivery {
            listeners: listeners.clone(),
            broker: broker.clone(),
            seen: Seen::default(),
            ordered,
        };
        tokio::spawn(delivery.run(pending));
        Self {
            queue,
            broker,
            listeners,
            confirmations,
        }
    }

    /// Publish a change this node made: every listener hears it now (so caches drop what it
    /// changed before the caller answers anyone), then it is delivered in order, here and
    /// on every other node.
    pub fn publish(&self, change: Change) {
        self.queue_own(change, None);
    }

    /// `publish`, then wait (at most `ACK_WAIT`) until the broker has handed the change on:
    /// in a cluster, until Redis took it, so that anything stored after this returns (a
    /// tweet on another node) comes to every node after it. Returns at once for one node
    /// alone and while Redis is down. Follows are published so (`feed::Feed::follow`).
    pub async fn publish_acknowledged(&self, change: Change) {
        self.publish_acknowledging(change).await;
    }

    /// `publish` now, answering what `publish_acknowledged` waits for: a future ready once
    /// the broker has handed the change on (at most `ACK_WAIT`), for a caller that publishes
    /// several changes before waiting (the follow writer's batch).
    pub fn publish_acknowledging(
        &self,
        change: Change,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let (ack, acked) = oneshot::channel();
        self.queue_own(change, Some(ack));
        async move {
            if tokio::time::timeout(ACK_WAIT, acked).await.is_err() {
                tracing::debug!("a change was not acknowledged by the broker in time");
            }
        }
    }

    fn queue_own(&self, change: Change, ack: Option<broker::Ack>) {
        listener::heard(&self.listeners, &change);
        // The delivery task lives as long as the process; a send fails only at shutdown.
        if self.queue.send(Queued::Own(change, ack)).is_err() {
            tracing::debug!("change dropped: shutting down");
        }
    }

    /// A session was signed out: publish it, so that every node forgets it and ends the
    /// sockets that authenticated with it. While subscribed, this waits (at most
    /// `SIGN_OUT_ECHO_WAIT`) until every other subscribed node has said it forgot the
    /// session (`Control::SessionForgotten`), so the answer to the sign-out cannot overtake
    /// it: the next request, to any node, is refused. A node that is not subscribed
    /// bypasses its session cache and flushes it when it resubscribes.
    pub async fn end_session(&self, token_hash: &str) {
        let waiting = if self.broker.subscribed() {
            self.broker
                .other_nodes()
                .await
                .map(|others| self.confirmations.expect(token_hash, others))
        } else {
            None
        };
        self.publish(Change::session_ended(token_hash));
        if let Some(confirmed) = waiting
            && tokio::time::timeout(SIGN_OUT_ECHO_WAIT, confirmed)
                .await
                .is_err()
        {
            self.confirmations.give_up(token_hash);
            tracing::warn!("not every node confirmed a sign-out in time");
        }
    }

    /// Whether this node may answer from its caches: always on its own; in a cluster, while
    /// the broker is subscribed and settled, so that every other node's change reaches the
    /// listeners a moment after it was made. Otherwise read the store.
    pub fn coherent(&self) -> bool {
        !self.broker.unsettled()
    }

    /// `coherent` as a function that holds only the broker, for a cache built before this
    /// handle (the session cache under the store).
    pub fn coherence(&self) -> impl Fn() -> bool + Send + Sync + 'static {
        let broker = self.broker.clone();
        move || !broker.unsettled()
    }

    /// Whether changes reach the other nodes and theirs come here: always for one node; in
    /// a cluster, while subscribed and publishing.
    pub async fn health(&self) -> Result<(), String> {
        self.broker.health()
    }
}
