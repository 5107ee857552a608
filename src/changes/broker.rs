//! `Broker`: how changes reach the other nodes and how their changes come back — the one
//! seam between a single node and a cluster. `MemoryBroker` is one node alone (nothing to
//! send, nothing to miss); `RedisBroker` (in `redis`) is a cluster. The delivery loop,
//! ordering, coherence and the sign-out confirmation are the same code for both.

use async_trait::async_trait;
use tokio::sync::oneshot;

use super::change::Change;

/// Told once the broker has handed a change on (Redis answered its PUBLISH); dropped untold
/// when it cannot (no other nodes, or the broker is down).
pub type Ack = oneshot::Sender<()>;

/// A way to exchange changes with other nodes.
#[async_trait]
pub trait Broker: Send + Sync {
    /// Send this node's change to the others; never waits for them. `ack`, if any, is told
    /// once the change is on its way (see `Ack`).
    fn publish(&self, change: &Change, ack: Option<Ack>);

    /// Publish barrier `ticket`, which comes back to this node's inbox (`Inbox::passed`)
    /// after every change any node published before it (see `gate`).
    fn barrier(&self, _ticket: u64) {}

    /// Whether barriers come back now (subscribed and publishing).
    fn in_step(&self) -> bool {
        false
    }

    /// Whether other nodes' changes can arrive now.
    fn subscribed(&self) -> bool;

    /// True while some other node's change may not arrive (the subscription is down or only
    /// recently back): caches are bypassed and new tweets are read from the store.
    fn unsettled(&self) -> bool;

    /// `Err` with a reason while fan-out to or from other nodes does not work.
    fn health(&self) -> Result<(), String>;

    /// How many other nodes must confirm a sign-out (`Control::SessionForgotten`); `None`
    /// when there are none or the broker cannot say (then nothing is waited for).
    async fn other_nodes(&self) -> Option<usize>;

    /// Whether other nodes' changes may arrive late, twice or never, so that new tweets
    /// must be put in id order, gaps filled and the store swept. One node alone publishes
    /// its own tweets in id order already.
    fn needs_order(&self) -> bool;
}

/// One node alone: every change is this node's, already in order, and nothing is missed.
pub struct MemoryBroker;

#[async_trait]
impl Broker for MemoryBroker {
    fn publish(&self, _change: &Change, _ack: Option<Ack>) {}

    fn subscribed(&self) -> bool {
        true
    }

    fn unsettled(&self) -> bool {
        false
    }

    fn health(&self) -> Result<(), String> {
        Ok(())
    }

    async fn other_nodes(&self) -> Option<usize> {
        None
    }

    fn needs_order(&self) -> bool {
        false
    }
}
