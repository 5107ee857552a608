//! `Order`: puts the new tweets a node learns of (its own, the bus's, the store's) into id order,
//! each once, and says when a gap must be filled from the store.
//!
//! Tweet ids are handed out in commit order on every node, so once a node knows tweet N is
//! stored, every id below N is either stored already or never will be. A tweet above the next
//! expected id therefore waits (briefly) for the ones before it; if they do not come over the
//! bus, the caller reads the store after the last delivered id and hands the result to
//! `filled`, which releases everything up to the highest id known. A tweet at or below the
//! last delivered id is a duplicate (it was delivered, or the store said it does not exist).
//! Other changes (deletions…) wait behind held tweets, so a deletion never overtakes
//! the tweet it deletes. Notifications never come here: they depend on no tweet's order, so
//! the delivery loop sends them at once rather than hold them behind a gap. Pure state: no
//! clock reads, no I/O.

use std::collections::{BTreeMap, VecDeque};

use tokio::time::Instant;

use super::change::Change;

/// The sequencing state of one node's delivery loop.
pub struct Order {
    /// Highest tweet id delivered (or known not to exist).
    last: i64,
    /// Tweets above `last`, waiting for the ones before them.
    held: BTreeMap<i64, Change>,
    /// Changes without a tweet id, waiting while tweets are held.
    behind: VecDeque<Change>,
    /// Since when the oldest gap has been waiting.
    gap_since: Option<Instant>,
}

impl Order {
    /// Start after `last`, the newest tweet id already stored when the node started.
    pub fn new(last: i64) -> Self {
        Self {
            last,
            held: BTreeMap::new(),
            behind: VecDeque::new(),
            gap_since: None,
        }
    }

    /// The highest tweet id delivered so far (or known not to exist).
    pub fn last(&self) -> i64 {
        self.last
    }

    /// Take a change; false when it is a tweet already delivered or held.
    pub fn offer(&mut self, change: Change) -> bool {
        match change.tweet_id() {
            Some(id) if id <= self.last || self.held.contains_key(&id) => false,
            Some(id) => {
                self.held.insert(id, change);
                true
            }
            None => {
                self.behind.push_back(change);
                true
            }
        }
    }

    /// What can be delivered now, in order: tweets that follow the last one without a gap,
    /// then (once nothing is held) the changes waiting behind them. `now` starts the
    /// clock of a gap that is left.
    pub fn ready(&mut self, now: Instant) -> Vec<Change> {
        let mut out = Vec::new();
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() != self.last + 1 {
                break;
            }
            self.last = *entry.key();
            out.push(entry.remove());
        }
        if self.held.is_empty() {
            out.extend(self.behind.drain(..));
            self.gap_since = None;
        } else {
            self.gap_since.get_or_insert(now);
        }
        out
    }

    /// Since when tweets have been held for a gap, if they are.
    pub fn gap_since(&self) -> Option<Instant> {
        self.gap_since
    }

    /// The highest tweet id known to be stored (held), if any is held.
    pub fn highest_held(&self) -> Option<i64> {
        self.held.last_key_value().map(|(id, _)| *id)
    }

    /// The store was read after `last` and everything it holds up to `upto` was `offer`ed.
    /// Release, in order, everything held up to `upto`; ids missing below it never existed
    /// (or are deleted already) and are skipped. Then what follows without a gap.
    pub fn filled(&mut self, upto: i64, now: Instant) -> Vec<Change> {
        let before = self.last;
        let mut out = Vec::new();
        while let Some(entry) = self.held.first_entry() {
            if *entry.key() > upto {
                break;
            }
            self.last = *entry.key();
            out.push(entry.remove());
        }
        self.last = self.last.max(upto);
        if self.last != before {
            // A new gap (if one is left) starts its wait now; an empty sweep keeps the old one.
            self.gap_since = None;
        }
        out.extend(self.ready(now));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivers_consecutive_tweets_at_once_and_drops_repeats() {
        let now = Instant::now();
        let mut order = Order::new(10);
        assert!(order.offer(Change::test_tweet(11)));
        assert!(order.offer(Change::test_tweet(12)));
        assert_eq!(Change::test_ids(&order.ready(now)), [11, 12]);
        assert!(!order.offer(Change::test_tweet(12)), "a repeat");
        assert!(!order.offer(Change::test_tweet(3)), "below the start");
        assert_eq!(order.gap_since(), None);
    }

    #[test]
    fn holds_a_tweet_after_a_gap_until_the_gap_arrives() {
        let now = Instant::now();
        let mut order = Order::new(10);
        order.offer(Change::test_tweet(13));
        order.offer(Change::deleted(5));
        assert!(order.ready(now).is_empty());
        assert_eq!(order.gap_since(), Some(now));
        assert_eq!(order.highest_held(), Some(13));
        order.offer(Change::test_tweet(12));
        assert!(order.ready(now).is_empty());
        order.offer(Change::test_tweet(11));
        assert_eq!(
            Change::test_ids(&order.ready(now)),
            [11, 12, 13, -1],
            "deletion behind"
        );
        assert_eq!(order.gap_since(), None);
    }

    #[test]
    fn a_fill_releases_up_to_what_is_known_and_skips_what_never_existed() {
        let now = Instant::now();
        let mut order = Order::new(10);
        order.offer(Change::test_tweet(14));
        order.offer(Change::test_tweet(17));
        assert!(order.ready(now).is_empty());
        // The store has 12 and 14 (11 and 13 rolled back), and 15 that the bus has not brought.
        for stored in [12, 14, 15] {
            order.offer(Change::test_tweet(stored));
        }
        let out = order.filled(14, now);
        assert_eq!(Change::test_ids(&out), [12, 14, 15]);
        assert_eq!(order.last(), 15);
        assert!(
            !order.offer(Change::test_tweet(13)),
            "a late 13 is never delivered out of order"
        );
        assert_eq!(order.gap_since(), Some(now), "17 waits for 16");
        order.offer(Change::test_tweet(16));
        assert_eq!(Change::test_ids(&order.ready(now)), [16, 17]);
    }

    #[test]
    fn an_empty_sweep_changes_nothing() {
        let now = Instant::now();
        let mut order = Order::new(10);
        order.offer(Change::test_tweet(12));
        assert!(order.ready(now).is_empty());
        let later = now + std::time::Duration::from_secs(1);
        assert!(order.filled(10, later).is_empty());
        assert_eq!(order.last(), 10);
        assert_eq!(order.gap_since(), Some(now), "the gap keeps its age");
    }
}
