//! The delivery loop: one task per node that publishes this node's changes through the
//! broker and tells every listener (`Listener::deliver`) each change in order, once.
//!
//! One node alone (`MemoryBroker`) makes every change itself, already in order, so each is
//! delivered as it comes. With a broker that may deliver other nodes' changes late, twice or
//! never (`Broker::needs_order`), new tweets are put in id order (`Order`): a tweet after a
//! gap waits `GAP_HOLD` for the missing ones to come, then the gap is read from the store;
//! the store is also swept for new tweets every `SWEEP_EVERY` while the broker is unsettled
//! (so the newest tweets do not wait for a next one to show their gap) and every
//! `QUIET_SWEEP_EVERY` otherwise. Only tweets and deletions are held behind a gap: follows,
//! blocks, notifications… go out at once. Then tweets this node did not get from the broker
//! wait at the `Gate` for a barrier, so that a follow made on another node before a tweet
//! was stored is always delivered before it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::broker::{Ack, Broker};
use super::change::Change;
use super::gate::Gate;
use super::listener::Listeners;
use super::order::Order;
use super::seen::Seen;
use super::store_reads::read_stored;
use crate::storage::Store;

/// How long a tweet that follows a gap waits for the missing ids to come over the broker
/// before they are read from the store (only while subscribed: otherwise nothing can come).
const GAP_HOLD: Duration = Duration::from_millis(75);
/// How soon a gap fill that the store could not answer is tried again…
const GAP_RETRY: Duration = Duration::from_millis(250);
/// …and after how long held tweets are delivered anyway, skipping what could not be read.
const GAP_GIVE_UP: Duration = Duration::from_secs(5);
/// How often an unsettled node (subscription down or recently back) reads new tweets from
/// the store…
const SWEEP_EVERY: Duration = Duration::from_millis(250);
/// …and how often a settled one does: a node killed between storing a tweet and publishing
/// it never announces it, and if no later tweet shows the gap, this read finds it.
const QUIET_SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Something for the delivery loop.
#[derive(Debug)]
pub enum Queued {
    /// This node's own change, to publish to the other nodes and deliver; `ack` (if any) is
    /// told once the broker took it.
    Own(Change, Option<Ack>),
    /// A change from another node (or read back from the store after an outage).
    Heard(Change),
    /// This node's barrier came back through the broker (see `Gate`).
    Passed(u64),
}

/// The state of one node's delivery loop.
pub(super) struct Delivery {
    pub(super) listeners: Listeners,
    pub(super) broker: Arc<dyn Broker>,
    pub(super) seen: Seen,
    /// Present when the broker needs order (see the module doc).
    pub(super) ordered: Option<InOrder>,
}

/// Ordering, gap filling and sweeps, for a broker that needs them.
pub(super) struct InOrder {
    order: Order,
    gate: Gate,
    store: Arc<dyn Store>,
    retry_at: Option<Instant>,
    failing: bool,
    last_sweep: Instant,
    /// The broker as the last sweep tick saw it (subscribed, unsettled): listeners resync
    /// when it comes back or settles.
    broker_was: (bool, bool),
}

impl InOrder {
    /// Start after `newest`, the newest tweet id stored when the node started.
    pub(super) fn new(newest: i64, store: Arc<dyn Store>, broker: &dyn Broker) -> Self {
        Self {
            order: Order::new(newest),
            gate: Gate::default(),
            store,
            retry_at: None,
            failing: false,
            last_sweep: Instant::now(),
            broker_was: (broker.subscribed(), broker.unsettled()),
        }
    }

    /// When the held gap is to be read from the store, if one is held.
    fn fill_at(&self, subscribed: bool) -> Option<Instant> {
        let since = self.order.gap_since()?;
        let hold = if subscribed { GAP_HOLD } else { Duration::ZERO };
        Some(
            self.retry_at
                .map_or(since + hold, |retry| retry.max(since + hold)),
        )
    }
}

impl Delivery {
    /// Run until every sender of `queue` is gone.
    pub(super) async fn run(mut self, mut queue: mpsc::UnboundedReceiver<Queued>) {
        let mut sweep = self.ordered.is_some().then(|| {
            let mut sweep = tokio::time::interval(SWEEP_EVERY);
            sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
            sweep
        });
        loop {
            let fill_at = self
                .ordered
                .as_ref()
                .and_then(|o| o.fill_at(self.broker.subscribed()));
            let give_up_at = self.ordered.as_ref().and_then(|o| o.gate.give_up_at());
            tokio::select! {
                received = queue.recv() => {
                    let Some(queued) = received else { return };
                    self.received(queued);
                }
                () = sleep_until(fill_at), if fill_at.is_some() => self.fill().await,
                () = sleep_until(give_up_at), if give_up_at.is_some() => {}
                now = tick(sweep.as_mut()), if sweep.is_some() => self.sweep(now).await,
            }
            self.release();
        }
    }

    fn received(&mut self, queued: Queued) {
        let (change, publish) = match queued {
            Queued::Own(change, ack) => {
                if let (Some(o), Some(id)) = (&mut self.ordered, change.tweet_id()) {
                    o.gate.own(id);
                }
                (change, Some(ack))
            }
            Queued::Heard(change) => (change, None),
            Queued::Passed(ticket) => {
                if let Some(o) = &mut self.ordered {
                    o.gate.passed(ticket);
                }
                return;
            }
        };
        match &mut self.ordered {
            // Only tweets and deletions keep tweet order: the rest is never held.
            Some(o) if change.is_ordered() => {
                if let Some(ack) = publish {
                    self.broker.publish(&change, ack);
                }
                o.order.offer(change);
            }
            _ => {
                // Delivered here first: an acknowledged follow is routed on this node before
                // its publisher can answer anyone.
                emit(&self.listeners, &mut self.seen, &change);
                if let Some(ack) = publish {
                    self.broker.publish(&change, ack);
                }
            }
        }
    }

    /// Move what order releases into the gate, ask for a barrier if one is wanted, and
    /// deliver what the gate lets through.
    fn release(&mut self) {
        let Some(o) = &mut self.ordered else { return };
        let now = Instant::now();
        o.gate.push(o.order.ready(now), false, now);
        if let Some(ticket) = o.gate.ask() {
            self.broker.barrier(ticket);
        }
        for change in o.gate.release(!self.broker.in_step(), now) {
            emit(&self.listeners, &mut self.seen, &change);
        }
    }

    /// Read the held gap from the store and release what it completes; when the store does
    /// not answer, retry, and after `GAP_GIVE_UP` deliver what is held anyway.
    async fn fill(&mut self) {
        let Some(o) = &mut self.ordered else { return };
        let upto = o.order.highest_held().unwrap_or(o.order.last());
        match read_stored(&*o.store, &self.listeners, &mut o.order, Some(upto)).await {
            Ok(known) => {
                o.retry_at = None;
                o.failing = false;
                metrics::counter!("chirp_announcement_gaps_filled_total").increment(1);
                let now = Instant::now();
                o.gate.push(o.order.filled(known, now), true, now);
                self.release();
            }
            Err(e) => {
                if !o.failing {
                    tracing::warn!(error = %e, "cannot read the store to fill a gap in announcements; retrying");
                    o.failing = true;
                }
                let since = o.order.gap_since().unwrap_or_else(Instant::now);
                if since.elapsed() >= GAP_GIVE_UP {
                    // Deliver what is held rather than stall every socket on this node.
                    o.retry_at = None;
                    let now = Instant::now();
                    o.gate.push(o.order.filled(upto, now), false, now);
                    self.release();
                } else {
                    o.retry_at = Some(Instant::now() + GAP_RETRY);
                }
            }
        }
    }

    /// A sweep tick: resync the listeners when the broker came back or settled, and read new
    /// tweets from the store when it is time.
    async fn sweep(&mut self, now: Instant) {
        let Some(o) = &mut self.ordered else { return };
        let broker_is = (self.broker.subscribed(), self.broker.unsettled());
        let resubscribed = broker_is.0 && !o.broker_was.0;
        let settled = !broker_is.1 && o.broker_was.1;
        o.broker_was = broker_is;
        if resubscribed || settled {
            for listener in self.listeners.iter() {
                listener.resync();
            }
        }
        if !self.broker.unsettled() && now < o.last_sweep + QUIET_SWEEP_EVERY {
            return;
        }
        o.last_sweep = now;
        match read_stored(&*o.store, &self.listeners, &mut o.order, None).await {
            Ok(known) => {
                let now = Instant::now();
                o.gate.push(o.order.filled(known, now), true, now);
                self.release();
            }
            Err(e) => tracing::debug!(error = %e, "sweep could not read the store"),
        }
    }
}

/// Deliver one change to every listener, unless it was delivered before.
fn emit(listeners: &Listeners, seen: &mut Seen, change: &Change) {
    if seen.first_time(change) {
        for listener in listeners.iter() {
            listener.deliver(change);
        }
    }
}

/// Sleeps until `at`; never resolves for `None` (its `select!` branch is disabled then).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The next tick of `sweep`; never resolves for `None` (its branch is disabled then).
async fn tick(sweep: Option<&mut Interval>) -> Instant {
    match sweep {
        Some(sweep) => sweep.tick().await,
        None => std::future::pending().await,
    }
}
