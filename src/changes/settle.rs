//! `Settle`: when a node that has just (re)subscribed to Redis may trust its caches again —
//! once it has heard from every other node's publisher since, or after `SETTLE` at most.
//!
//! Another node's publisher may still be reconnecting after a Redis restart, holding changes
//! it could not send. A message from that node heard after this node subscribed shows it is
//! publishing again, and that everything it queued before that message went first. So on
//! subscribing a node asks (`Presence::Ask`), every other node answers (`Presence::Here`),
//! and each node says it is alive every `HEARTBEAT_EVERY`. The nodes waited for are those
//! subscribed to the shared channel now (Redis counts them) and those heard from shortly
//! before the subscription was lost (one still reconnecting is not counted by Redis yet); a
//! node that never answers (it died) costs the old fixed wait. Pure state: no clock reads,
//! no I/O.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// The longest a settle takes: longer than another node's publisher can take to notice a
/// restart and reconnect (its backoff plus one timed-out publish).
pub const SETTLE: Duration = Duration::from_secs(10);
/// How often a node says it is alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// A node not heard from for this long before the subscription was lost is not waited for.
const NODE_TTL: Duration = Duration::from_secs(6);

/// A message on the nodes' channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    /// The sending node.
    pub node: u64,
    /// What it says.
    pub kind: PresenceKind,
}

/// What a node says on the nodes' channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceKind {
    /// "I have just subscribed: answer."
    Ask,
    /// The answer to an `Ask`.
    Here,
    /// Every `HEARTBEAT_EVERY`.
    Alive,
}

/// How a settle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Every node waited for was heard from (how many).
    Answered(usize),
    /// `SETTLE` passed first.
    WaitedOut,
}

/// One settle: whom it waits for.
struct Round {
    until: Instant,
    /// Nodes heard from shortly before the subscription was lost.
    expect: HashSet<u64>,
    /// How many other nodes Redis counted as subscribed; `None` until known.
    at_least: Option<usize>,
    heard: HashSet<u64>,
}

/// The settle state of one node; see the module doc.
#[derive(Default)]
pub struct Settle {
    /// Other nodes and when each was last heard from.
    seen: HashMap<u64, Instant>,
    round: Option<Round>,
}

impl Settle {
    /// A (re)subscription at `now`, after a subscription lost at `lost_at` (if any): wait
    /// for the nodes heard from shortly before it. Returns when the wait ends at the latest.
    pub fn begin(&mut self, now: Instant, lost_at: Option<Instant>) -> Instant {
        let before = lost_at.unwrap_or(now);
        let expect = self
            .seen
            .iter()
            .filter(|(_, at)| before.saturating_duration_since(**at) < NODE_TTL)
            .map(|(node, _)| *node)
            .collect();
        let until = now + SETTLE;
        self.round = Some(Round {
            until,
            expect,
            at_least: None,
            heard: HashSet::new(),
        });
        until
    }

    /// Redis counted `others` other subscribed nodes (`None`: it could not say, so only the
    /// fixed wait ends this settle).
    pub fn count(&mut self, others: Option<usize>) -> Option<Settled> {
        let round = self.round.as_mut()?;
        round.at_least = Some(others.unwrap_or(usize::MAX));
        self.check()
    }

    /// A message from `node` at `now`. Returns how the settle ended, if this ended it.
    pub fn heard(&mut self, node: u64, now: Instant) -> Option<Settled> {
        self.seen.insert(node, now);
        if let Some(round) = &mut self.round {
            round.heard.insert(node);
        }
        self.check()
    }

    /// Whether it is `now` past the longest wait; ends the settle if so.
    pub fn timed_out(&mut self, now: Instant) -> Option<Settled> {
        let round = self.round.as_ref()?;
        (now >= round.until).then(|| {
            self.round = None;
            Settled::WaitedOut
        })
    }

    /// Whether a settle is under way.
    pub fn settling(&self) -> bool {
        self.round.is_some()
    }

    /// Forget nodes not heard from for long (called now and then, so the map stays small).
    pub fn forget_old(&mut self, now: Instant) {
        self.seen
            .retain(|_, at| now.saturating_duration_since(*at) < SETTLE + NODE_TTL);
    }

    fn check(&mut self) -> Option<Settled> {
        let round = self.round.as_ref()?;
        let at_least = round.at_least?;
        let answered = round.heard.len();
        if answered < at_least || !round.expect.iter().all(|n| round.heard.contains(n)) {
            return None;
        }
        self.round = None;
        Some(Settled::Answered(answered))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_waits_for_as_many_nodes_as_redis_counts() {
        let now = Instant::now();
        let mut settle = Settle::default();
        settle.begin(now, None);
        assert_eq!(settle.heard(7, now), None, "the count is not known yet");
        assert_eq!(settle.count(Some(2)), None);
        assert_eq!(settle.heard(7, now), None, "the same node twice");
        assert_eq!(settle.heard(8, now), Some(Settled::Answered(2)));
        assert!(!settle.settling());
        let mut alone = Settle::default();
        alone.begin(now, None);
        assert_eq!(alone.count(Some(0)), Some(Settled::Answered(0)));
    }

    #[test]
    fn a_resubscription_also_waits_for_the_nodes_heard_before_the_outage() {
        let start = Instant::now();
        let mut settle = Settle::default();
        settle.heard(7, start);
        settle.heard(8, start);
        let lost = start + Duration::from_secs(1);
        let back = lost + Duration::from_secs(30);
        settle.begin(back, Some(lost));
        // Redis counts only node 7 so far: node 8 is still reconnecting.
        assert_eq!(settle.count(Some(1)), None);
        assert_eq!(settle.heard(7, back), None);
        assert_eq!(settle.heard(8, back), Some(Settled::Answered(2)));
    }

    #[test]
    fn a_node_that_never_answers_costs_the_longest_wait() {
        let now = Instant::now();
        let mut settle = Settle::default();
        settle.heard(9, now);
        let until = settle.begin(now, Some(now));
        assert_eq!(settle.count(Some(0)), None, "node 9 is waited for");
        assert_eq!(settle.timed_out(until - Duration::from_millis(1)), None);
        assert_eq!(settle.timed_out(until), Some(Settled::WaitedOut));
        // Redis could not count: only the longest wait ends it.
        settle.begin(now, None);
        assert_eq!(settle.count(None), None);
        assert_eq!(settle.heard(9, now), None);
    }
}
