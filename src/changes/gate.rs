//! `Gate`: the last step of in-order delivery in a cluster, so that follows and tweets keep
//! one order across nodes. A tweet this node did not get from the broker — its own, or one
//! read from the store — is held until a *barrier* this node published after it came back
//! through the broker: Redis hands a subscriber its messages in the order the PUBLISH
//! commands ran, so by then every change another node published before the tweet was
//! stored (a follow answered there: it is answered only once Redis took it) has been heard
//! and delivered here. Tweets that came over the broker need no barrier: they come after
//! such a follow anyway. Everything leaves in the order it entered (a deletion never
//! overtakes its tweet); changes that are not in tweet order do not enter at all.
//!
//! While barriers cannot come back (the broker is not subscribed or cannot publish) the gate
//! is open, as it is for one that has waited `BARRIER_WAIT`: late rather than never. Pure
//! state: no clock reads, no I/O.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::change::Change;

/// Longest a tweet waits for its barrier (a broker that slow is about to be found broken).
const BARRIER_WAIT: Duration = Duration::from_secs(2);

/// Changes released in order, waiting for their barriers.
#[derive(Default)]
pub struct Gate {
    /// Highest barrier asked for (published).
    asked: u64,
    /// Whether something waits for a barrier not yet asked for (`asked + 1`).
    wanted: bool,
    /// Highest barrier come back.
    passed: u64,
    /// This node's own tweets not yet released from order, with their barriers.
    own: BTreeMap<i64, u64>,
    /// In order: each change, the barrier it waits for (0: none) and since when.
    waiting: VecDeque<(Change, u64, Instant)>,
}

impl Gate {
    /// The barrier for something obtained now: the next one asked.
    fn next(&mut self) -> u64 {
        self.wanted = true;
        self.asked + 1
    }

    /// This node's own tweet `id` entered ordering: it waits for the next barrier.
    pub fn own(&mut self, id: i64) {
        let ticket = self.next();
        self.own.insert(id, ticket);
    }

    /// Changes released from order, in order; `from_store` when they were just read from
    /// the store (then every tweet among them waits for the next barrier).
    pub fn push(&mut self, changes: Vec<Change>, from_store: bool, now: Instant) {
        for change in changes {
            let ticket = match change.tweet_id() {
                Some(id) => {
                    // Own tweets at or below `id` are released (or dropped) by now.
                    let later = self.own.split_off(&(id + 1));
                    let mine = std::mem::replace(&mut self.own, later).remove(&id);
                    if from_store {
                        self.next()
                    } else {
                        mine.unwrap_or(0)
                    }
                }
                None => 0,
            };
            self.waiting.push_back((change, ticket, now));
        }
    }

    /// The barrier to publish now, if something waits for one not yet asked for.
    pub fn ask(&mut self) -> Option<u64> {
        if !self.wanted {
            return None;
        }
        self.wanted = false;
        self.asked += 1;
        Some(self.asked)
    }

    /// Barrier `ticket` came back.
    pub fn passed(&mut self, ticket: u64) {
        self.passed = self.passed.max(ticket);
    }

    /// What may leave now, in order: everything up to the first change whose barrier has
    /// not come back, unless `open` (barriers cannot come back) or it waited too long.
    pub fn release(&mut self, open: bool, now: Instant) -> Vec<Change> {
        let mut out = Vec::new();
        while let Some((_, ticket, since)) = self.waiting.front() {
            if !open && *ticket > self.passed && now < *since + BARRIER_WAIT {
                break;
            }
            if let Some((change, ..)) = self.waiting.pop_front() {
                out.push(change);
            }
        }
        out
    }

    /// When the first waiting change leaves without its barrier, if one waits.
    pub fn give_up_at(&self) -> Option<Instant> {
        self.waiting
            .front()
            .map(|(_, _, since)| *since + BARRIER_WAIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_and_stored_tweets_wait_for_a_later_barrier_and_keep_their_order() {
        let now = Instant::now();
        let mut gate = Gate::default();
        gate.own(11);
        assert_eq!(gate.ask(), Some(1));
        assert_eq!(gate.ask(), None, "nothing new waits");
        gate.push(
            vec![
                Change::test_tweet(10),
                Change::test_tweet(11),
                Change::test_tweet(12),
            ],
            false,
            now,
        );
        assert_eq!(
            Change::test_ids(&gate.release(false, now)),
            [10],
            "the broker's 10 needs none"
        );
        gate.push(vec![Change::test_tweet(13), Change::deleted(11)], true, now);
        assert_eq!(gate.ask(), Some(2));
        gate.passed(1);
        assert_eq!(Change::test_ids(&gate.release(false, now)), [11, 12]);
        assert!(
            gate.release(false, now).is_empty(),
            "13 waits for barrier 2"
        );
        assert_eq!(gate.give_up_at(), Some(now + BARRIER_WAIT));
        gate.passed(2);
        assert_eq!(Change::test_ids(&gate.release(false, now)), [13, -1]);
        assert_eq!(gate.give_up_at(), None);
    }

    #[test]
    fn an_open_gate_or_a_long_wait_lets_everything_through() {
        let now = Instant::now();
        let mut gate = Gate::default();
        gate.own(5);
        gate.push(vec![Change::test_tweet(5)], false, now);
        assert!(gate.release(false, now).is_empty());
        assert_eq!(Change::test_ids(&gate.release(true, now)), [5]);
        gate.own(6);
        gate.push(vec![Change::test_tweet(6)], false, now);
        assert_eq!(
            Change::test_ids(&gate.release(false, now + BARRIER_WAIT)),
            [6]
        );
        assert!(gate.own.is_empty());
    }
}
