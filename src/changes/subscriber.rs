//! The Redis subscriber task: stays subscribed to the shared channel, this node's own channel
//! and the nodes' channel (`bus`), hands other nodes' changes to the `Inbox`, this node's
//! barriers back to the delivery loop, and settles after every (re)subscription (`settle`):
//! it asks the other nodes, answers theirs, and says the bus is settled once every node
//! waited for was heard from — or after `SETTLE` at most.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::StreamExt;
use tokio::time::Instant;

use super::bus::{
    CHANNEL, Envelope, NODES_CHANNEL, Outbox, backoff, node_channel, other_subscribers,
};
use super::inbox::Inbox;
use super::settle::{Presence, PresenceKind, Settle, Settled};
use crate::domain::now_micros;

/// What the subscriber task holds.
pub(super) struct Subscriber {
    pub(super) inbox: Inbox,
    pub(super) subscribed: Arc<AtomicBool>,
    /// True once the current subscription has settled.
    pub(super) settled: Arc<AtomicBool>,
    /// For the answers this node gives (sign-out confirmations, presence).
    pub(super) outbox: Outbox,
    pub(super) settle: Settle,
}

impl Subscriber {
    /// One message from the shared channel: another node's change goes to the inbox, and
    /// its answer (if any) back to the other nodes. This node's own messages are skipped.
    fn received(&mut self, envelope: Envelope) {
        if envelope.node == self.outbox.node {
            return;
        }
        if self.settle.settling() {
            let ended = self.settle.heard(envelope.node, Instant::now());
            self.ended(ended);
        }
        if let Some(answer) = self.inbox.received(envelope.announcement) {
            self.outbox.send(&answer, None);
        }
    }

    /// One message on the nodes' channel: answer an ask, and count the node as heard.
    fn presence(&mut self, presence: Presence) {
        if presence.node == self.outbox.node {
            return;
        }
        if presence.kind == PresenceKind::Ask {
            self.outbox.presence(PresenceKind::Here);
        }
        let now = Instant::now();
        let ended = self.settle.heard(presence.node, now);
        self.settle.forget_old(now);
        self.ended(ended);
    }

    /// The settle ended (if `ended`): caches may answer again.
    fn ended(&self, ended: Option<Settled>) {
        let Some(ended) = ended else { return };
        self.settled.store(true, Ordering::Relaxed);
        metrics::gauge!("chirp_redis_settled").set(1.0);
        match ended {
            Settled::Answered(answered) => {
                tracing::info!(answered, "redis fan-out settled: every other node answered");
            }
            Settled::WaitedOut => {
                tracing::info!("redis fan-out settled after the longest wait");
            }
        }
    }
}

/// Stay subscribed; every (re)subscription starts a settle, and after an outage the
/// deletions made during it are read back from the store (`Inbox::catch_up`).
pub(super) async fn subscribe_loop(client: redis::Client, mut sub: Subscriber) {
    let mut failures = 0u32;
    // When the subscription was lost (UTC microseconds), for reading back deletions.
    let mut outage: Option<i64> = None;
    // When it was lost, for whom to wait for when it is back.
    let mut lost_at: Option<Instant> = None;
    metrics::gauge!("chirp_redis_settled").set(0.0);
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
        let own_channel = node_channel(sub.outbox.node);
        let channels = [CHANNEL, own_channel.as_str(), NODES_CHANNEL];
        if let Err(e) = pubsub.subscribe(&channels).await {
            tracing::warn!(error = %e, "redis subscribe failed; retrying");
            tokio::time::sleep(backoff(failures)).await;
            failures += 1;
            continue;
        }
        // Unsettled first, then say subscribed: the delivery task must not see a settled
        // bus before another node's publisher is known to be back.
        sub.settled.store(false, Ordering::Relaxed);
        metrics::gauge!("chirp_redis_settled").set(0.0);
        let settle_by = sub.settle.begin(Instant::now(), lost_at.take());
        sub.inbox.missed();
        sub.subscribed.store(true, Ordering::Relaxed);
        metrics::gauge!("chirp_redis_up").set(1.0);
        if let Some(since) = outage.take() {
            let caught_up = sub.inbox.catch_up(since).await;
            tracing::info!(failures, caught_up, "redis back; fan-out resumed");
        } else {
            tracing::info!("subscribed to redis fan-out");
        }
        failures = 0;
        // Whom to wait for: as many as Redis counts now (answers already come in meanwhile).
        let counted = sub.settle.count(other_subscribers(&client).await);
        sub.ended(counted);
        sub.outbox.presence(PresenceKind::Ask);
        let mut messages = pubsub.on_message();
        loop {
            let settling = sub.settle.settling();
            let message = tokio::select! {
                message = messages.next() => message,
                () = tokio::time::sleep_until(settle_by), if settling => {
                    let ended = sub.settle.timed_out(Instant::now());
                    sub.ended(ended);
                    continue;
                }
            };
            let Some(message) = message else { break };
            let channel = message.get_channel_name();
            let payload = message.get_payload_bytes();
            if channel == own_channel {
                match std::str::from_utf8(payload).map(str::parse) {
                    Ok(Ok(ticket)) => sub.inbox.passed(ticket),
                    _ => tracing::warn!("ignoring a malformed barrier on {own_channel}"),
                }
            } else if channel == NODES_CHANNEL {
                match serde_json::from_slice::<Presence>(payload) {
                    Ok(presence) => sub.presence(presence),
                    Err(_) => tracing::warn!("ignoring a malformed message on {NODES_CHANNEL}"),
                }
            } else {
                match serde_json::from_slice::<Envelope>(payload) {
                    Ok(envelope) => sub.received(envelope),
                    Err(_) => tracing::warn!("ignoring a malformed message on {CHANNEL}"),
                }
            }
        }
        drop(messages);
        sub.subscribed.store(false, Ordering::Relaxed);
        sub.settled.store(false, Ordering::Relaxed);
        metrics::gauge!("chirp_redis_settled").set(0.0);
        sub.inbox.missed();
        metrics::gauge!("chirp_redis_up").set(0.0);
        outage = Some(now_micros());
        lost_at = Some(Instant::now());
        tracing::warn!("redis subscription lost; fan-out to other nodes paused, reconnecting");
    }
}
