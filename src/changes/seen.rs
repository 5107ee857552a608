//! `Seen`: which deletions this node has already delivered, so that one arriving twice (from
//! Redis and again from a catch-up) reaches sockets once. Bounded: it remembers the most
//! recent `CAPACITY`. New tweets need no memory of their own: `order` delivers them in id
//! order, so anything at or below the last delivered id is a repeat.

use std::collections::{HashSet, VecDeque};

use super::change::{Change, Event};

/// How many ids are remembered.
const CAPACITY: usize = 20_000;

/// A bounded set of recently seen ids.
#[derive(Default)]
struct Recent {
    ids: HashSet<i64>,
    order: VecDeque<i64>,
}

impl Recent {
    fn insert(&mut self, id: i64) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > CAPACITY
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        true
    }
}

/// Recently delivered deletions.
#[derive(Default)]
pub struct Seen {
    deletions: Recent,
}

impl Seen {
    /// True the first time a change is offered, false after (new tweets always pass:
    /// `order` drops their repeats).
    pub fn first_time(&mut self, change: &Change) -> bool {
        match change {
            Change::Event(Event::Deleted { id }) => self.deletions.insert(*id),
            // Follow changes are idempotent and arrive once per bus message.
            // Each notification is made once, and arrives once per bus message.
            Change::Event(
                Event::Tweet { .. } | Event::Notification { .. } | Event::UnreadCount { .. },
            )
            | Change::Stale(_)
            | Change::Control(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_deletion_passes_once() {
        let mut seen = Seen::default();
        let tweet = Change::test_tweet(7);
        assert!(seen.first_time(&tweet));
        assert!(seen.first_time(&tweet), "tweets are left to `order`");
        assert!(seen.first_time(&Change::deleted(7)));
        assert!(!seen.first_time(&Change::deleted(7)));
    }

    #[test]
    fn forgets_the_oldest_beyond_capacity() {
        let mut seen = Seen::default();
        for id in 0..(CAPACITY as i64 + 1) {
            assert!(seen.first_time(&Change::deleted(id)));
        }
        assert!(seen.first_time(&Change::deleted(0)), "0 was forgotten");
        assert!(!seen.first_time(&Change::deleted(5)));
    }
}
