//! `home` timelines: a user's followee list, read from the store and kept live by follow
//! changes (logged, numbered and replayed onto a list read while they landed), and the dense
//! slots that number the users watching home on this node.

use super::ids::Ids;
use super::lists::{push_compact, push_exact, remove_follower};
use super::{FOLLOW_LOG, FollowChange, Home, Key, Slot, Timeline, WatchError, WatchIndex};

impl<S: Clone> WatchIndex<S> {
    /// The current number for follow changes: read it *before* reading a user's followees
    /// for `watch_home`.
    pub fn follow_seq(&self) -> u64 {
        self.follow_seq
    }

    /// Watch `home` with the followees read from the store after `read_at` (a `follow_seq`).
    /// Follow changes numbered after `read_at` are replayed onto the list.
    pub fn watch_home(
        &mut self,
        key: Key,
        mut followees: Vec<i64>,
        read_at: u64,
    ) -> Result<(), WatchError> {
        let watcher = self.sockets.get(&key).ok_or(WatchError::UnknownSocket)?;
        let user = watcher.user.ok_or(WatchError::NotSignedIn)?;
        let (old, handle) = (watcher.timeline.clone(), watcher.handle.clone());
        if old == Timeline::Home {
            return Ok(());
        }
        let slot = match self.home_slot.get(&user) {
            Some(slot) => *slot,
            None => {
                // The user's list is kept live while one of their sockets watches home; a
                // fresh one needs the changes that landed since it was read.
                self.replay(user, &mut followees, read_at)?;
                let slot = self.take_slot()?;
                let followees = Ids::from_sorted(followees);
                for followee in followees.iter() {
                    push_compact(self.followers_online.entry(followee).or_default(), slot);
                }
                self.homes[slot as usize] = Some(Home {
                    user,
                    followees,
                    sockets: Vec::new(),
                });
                self.home_slot.insert(user, slot);
                slot
            }
        };
        if let Some(Some(home)) = self.homes.get_mut(slot as usize) {
            push_exact(&mut home.sockets, (key, handle));
        }
        self.unwatch(key, Some(user), old);
        self.set_timeline(key, Timeline::Home);
        Ok(())
    }

    /// Free the dead slots once they are an eighth of all slots (or nobody watches home
    /// any more): one pass over the inverted lists drops them all. A user leaving home used
    /// to search each followee's list for their slot — with 10,000 home sockets closing at
    /// once, 16% of the CPU, under the index lock (BENCHMARKS.md, issue 20); batched, each
    /// entry is visited about eight times over all those leaves.
    pub(super) fn sweep_dead_slots_if_due(&mut self) {
        let due = self.dead_slots.len() * 8 >= self.homes.len() || self.home_slot.is_empty();
        if !due || self.dead_slots.is_empty() {
            return;
        }
        let mut dead = vec![false; self.homes.len()];
        for &slot in &self.dead_slots {
            dead[slot as usize] = true;
        }
        self.followers_online.retain(|_, slots| {
            slots.retain(|s| !dead[*s as usize]);
            if slots.capacity() > 2 * slots.len() + 4 {
                slots.shrink_to(slots.len() + slots.len() / 8);
            }
            !slots.is_empty()
        });
        self.free_slots.append(&mut self.dead_slots);
    }

    /// A free slot in `homes` (still `None`).
    fn take_slot(&mut self) -> Result<Slot, WatchError> {
        if let Some(slot) = self.free_slots.pop() {
            return Ok(slot);
        }
        let slot = next_slot(self.homes.len()).ok_or(WatchError::Full)?;
        self.homes.push(None);
        Ok(slot)
    }

    /// Bring `user`'s followees as read from the store after `read_at` (a `follow_seq`) up to
    /// date: sorted, no duplicates, and every logged change numbered after `read_at` applied.
    /// `Stale` when the log no longer reaches back that far.
    fn replay(&self, user: i64, followees: &mut Vec<i64>, read_at: u64) -> Result<(), WatchError> {
        let oldest_logged = self.follow_log.front().map_or(self.follow_seq + 1, |e| e.0);
        if read_at + 1 < oldest_logged && read_at < self.follow_seq {
            return Err(WatchError::Stale);
        }
        followees.sort_unstable();
        followees.dedup();
        for (_, change) in self.follow_log.iter().filter(|(seq, _)| *seq > read_at) {
            if change.follower == user {
                set_member(followees, change.followee, change.following);
            }
        }
        Ok(())
    }

    /// Apply a follow or unfollow (from this node or another), in bus order.
    pub fn follow_changed(&mut self, change: FollowChange) {
        self.follow_seq += 1;
        self.follow_log.push_back((self.follow_seq, change));
        if self.follow_log.len() > FOLLOW_LOG {
            self.follow_log.pop_front();
        }
        let Some(&slot) = self.home_slot.get(&change.follower) else {
            return;
        };
        let Some(Some(home)) = self.homes.get_mut(slot as usize) else {
            return;
        };
        if !home.followees.set(change.followee, change.following) {
            return;
        }
        if change.following {
            push_compact(
                self.followers_online.entry(change.followee).or_default(),
                slot,
            );
        } else {
            remove_follower(&mut self.followers_online, change.followee, slot);
        }
    }

    /// The users with a `home` socket on this node (whose followee lists `replace_followees`
    /// can refresh).
    pub fn home_users(&self) -> Vec<i64> {
        self.home_slot.keys().copied().collect()
    }

    /// Replace `user`'s followee list with one read from the store after `read_at` (a
    /// `follow_seq`), replaying the follow changes numbered after it. For after a bus outage,
    /// when follow changes made on other nodes may never have come. Nothing happens if the
    /// user no longer watches home here; `Stale` if the read is too old to replay onto.
    pub fn replace_followees(
        &mut self,
        user: i64,
        mut followees: Vec<i64>,
        read_at: u64,
    ) -> Result<(), WatchError> {
        let Some(&slot) = self.home_slot.get(&user) else {
            return Ok(());
        };
        self.replay(user, &mut followees, read_at)?;
        let Some(Some(home)) = self.homes.get_mut(slot as usize) else {
            return Ok(());
        };
        let old = std::mem::replace(&mut home.followees, Ids::from_sorted(followees));
        let new = &home.followees;
        for gone in old.iter().filter(|f| !new.contains(*f)) {
            remove_follower(&mut self.followers_online, gone, slot);
        }
        for added in new.iter().filter(|f| !old.contains(*f)) {
            push_compact(self.followers_online.entry(added).or_default(), slot);
        }
        Ok(())
    }
}

/// The slot after `len` slots, if a `Slot` can number it.
fn next_slot(len: usize) -> Option<Slot> {
    Slot::try_from(len).ok()
}

/// Insert into or remove from a sorted, duplicate-free list.
fn set_member(list: &mut Vec<i64>, value: i64, present: bool) {
    match (list.binary_search(&value), present) {
        (Err(at), true) => list.insert(at, value),
        (Ok(at), false) => {
            list.remove(at);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_stop_at_what_a_u32_can_number() {
        assert_eq!(next_slot(0), Some(0));
        assert_eq!(next_slot(u32::MAX as usize), Some(u32::MAX));
        assert_eq!(next_slot(u32::MAX as usize + 1), None);
    }
}
