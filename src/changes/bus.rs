//! The wire between nodes: the Redis channels, what goes on them, the outbox that queues this
//! node's messages for the publisher (`redis`), and the timing both Redis tasks share.
//!
//! - `chirp:announcements` (shared): every node's changes, as `{"node", "announcement"}`;
//!   nodes skip their own.
//! - `chirp:node:<id>`: only node `id` subscribes; it publishes its barriers there (`gate`).
//! - `chirp:nodes`: presence — asks, answers and heartbeats (`settle`). Apart from the
//!   shared channel, so that nodes of older versions never see these messages.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::broker::Ack;
use super::change::Change;
use super::settle::{Presence, PresenceKind};

/// The pub/sub channel every node shares.
pub(super) const CHANNEL: &str = "chirp:announcements";
/// Longest wait between reconnection attempts.
pub(super) const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Most PUBLISHes sent together in one pipeline.
pub(super) const MAX_PIPELINE: usize = 64;
/// How long one pipeline of PUBLISHes (or a connect) may take before the connection is
/// considered broken.
pub(super) const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);
/// The channel of presence messages (`settle`): asks, answers and heartbeats.
pub(super) const NODES_CHANNEL: &str = "chirp:nodes";
/// Most messages the publisher keeps while Redis is away; beyond that the oldest go (the
/// other nodes fill tweet gaps from the store, and read deletions back after the outage).
pub(super) const MAX_BACKLOG: usize = 10_000;

/// One message on the channel, as read.
#[derive(Debug, Deserialize)]
pub(super) struct Envelope {
    /// The publishing node, so it can skip its own messages.
    pub(super) node: u64,
    /// Named so on the wire since the first version.
    pub(super) announcement: Change,
}

/// One message on the channel, as written (borrowing the change: nothing is cloned).
#[derive(Serialize)]
pub(super) struct EnvelopeOut<'a> {
    node: u64,
    announcement: &'a Change,
}

/// The channel only `node` subscribes to, for its barriers (see `gate`).
pub(super) fn node_channel(node: u64) -> String {
    format!("chirp:node:{node}")
}

/// Where a message goes.
#[derive(Clone, Copy)]
pub(super) enum To {
    /// The shared channel: changes.
    Shared,
    /// This node's own channel: its barriers.
    Myself,
    /// The nodes' channel: presence (see `settle`).
    Nodes,
}

/// One message for the publisher task.
pub(super) struct Outgoing {
    pub(super) to: To,
    pub(super) payload: String,
    /// Told once Redis answered the PUBLISH.
    pub(super) ack: Option<Ack>,
}

/// This node's messages, encoded, for the publisher task.
#[derive(Clone)]
pub(super) struct Outbox {
    pub(super) node: u64,
    pub(super) queue: mpsc::UnboundedSender<Outgoing>,
}

impl Outbox {
    /// Queue a change for the other nodes (never waits for Redis).
    pub(super) fn send(&self, change: &Change, ack: Option<Ack>) {
        let envelope = EnvelopeOut {
            node: self.node,
            announcement: change,
        };
        match serde_json::to_string(&envelope) {
            Ok(payload) => {
                let _ = self.queue.send(Outgoing {
                    to: To::Shared,
                    payload,
                    ack,
                });
            }
            Err(e) => tracing::error!(error = %e, "cannot encode a change"),
        }
    }

    /// Say `kind` on the nodes' channel.
    pub(super) fn presence(&self, kind: PresenceKind) {
        let presence = Presence {
            node: self.node,
            kind,
        };
        if let Ok(payload) = serde_json::to_string(&presence) {
            let _ = self.queue.send(Outgoing {
                to: To::Nodes,
                payload,
                ack: None,
            });
        }
    }
}

/// How many other nodes are subscribed to the shared channel, as Redis counts them now
/// (this node's own subscription is not counted); `None` when Redis does not answer.
pub(super) async fn other_subscribers(client: &redis::Client) -> Option<usize> {
    let count = async {
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
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
    subscribers.checked_sub(1)
}

/// Doubling backoff from 250 ms up to `MAX_BACKOFF`.
pub(super) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << attempt.min(5))).min(MAX_BACKOFF)
}
