//! The watch index: which socket on this node watches which timeline, so that a tweet costs
//! work in proportion to the sockets that receive it — not to all sockets, and not to all of
//! its author's followers (most of whom are offline).
//!
//! Which timeline shows which tweet is not decided here but by the one visibility rule
//! (`domain::visibility`): a tweet's `Audiences` name the keys to look up below. Every
//! socket watches exactly one timeline, so the sets are disjoint and a tweet's recipients
//! are a plain concatenation, never a de-duplicated union:
//!
//! - `everyone`: sockets on the global timeline (the default, as in the tutorial);
//! - `by_author[a]`: sockets on `user:<a>`;
//! - `by_parent[t]`: sockets on `replies:<t>`;
//! - `homes[slot]`: the `home` sockets of one user, with that user's followees; and the
//!   inverted `followers_online[a]`: the slots of the users with a home socket here who
//!   follow `a`.
//!
//! Memory is per *user* watching home (their followee list, and one entry per followee in the
//! inverted index), not per socket or per follower, and kept tight, for it is most of what a
//! home socket costs: a user watching home gets a small dense slot number (`Slot`, 4 bytes,
//! whatever their id), followee lists are exactly sized and take 4 bytes an id while ids fit a
//! `u32` (`Ids`), and the inverted lists grow by an eighth, not by doubling. A user with 200
//! followees and two tabs costs about 200 × 8.5 bytes. `by_user` holds every signed-in socket,
//! for per-user sends (notifications, sign-out).
//!
//! Follows change `home` live. A socket starting to watch `home` reads its followees from the
//! store *before* registering; a follow that lands between that read and the registration would
//! be lost, so the index keeps a short log of follow changes, numbered, and replays onto a
//! freshly read list every change numbered after the read began (`follow_seq`).

mod ids;

use std::collections::{HashMap, VecDeque};

use ids::Ids;

use crate::domain::visibility::{Audiences, Facts};

/// A timeline a socket can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timeline {
    /// Every tweet.
    Everyone,
    /// The watching user's own tweets and those of whom they follow.
    Home,
    /// One user's tweets (by user id).
    User(i64),
    /// The direct replies to one tweet (by tweet id).
    Replies(i64),
}

/// What the index needs to know of a tweet to route it: what the visibility rule needs
/// (the author, whose own sockets are never told, and the parent of a reply).
pub type Routing = Facts;

/// A socket's key in the index (unique per socket on this node).
pub type Key = u64;

/// A user watching home on this node, numbered densely from 0 (freed numbers are reused).
type Slot = u32;

/// How many follow changes are remembered for replay (`follow_seq`).
const FOLLOW_LOG: usize = 4096;

struct Watcher<S> {
    handle: S,
    user: Option<i64>,
    timeline: Timeline,
}

struct Home<S> {
    user: i64,
    followees: Ids,
    /// Nearly always one or two: a list, exactly sized.
    sockets: Vec<(Key, S)>,
}

/// Who watches what on this node. `S` is the handle used to write to a socket.
pub struct WatchIndex<S> {
    sockets: HashMap<Key, Watcher<S>>,
    everyone: HashMap<Key, S>,
    by_author: HashMap<i64, HashMap<Key, S>>,
    by_parent: HashMap<i64, HashMap<Key, S>>,
    /// By slot; `None` for a free slot (listed in `free_slots`).
    homes: Vec<Option<Home<S>>>,
    free_slots: Vec<Slot>,
    /// The slot of each user in `homes`.
    home_slot: HashMap<i64, Slot>,
    /// Author → the slots of the users in `homes` who follow them (no order).
    followers_online: HashMap<i64, Vec<Slot>>,
    by_user: HashMap<i64, Vec<(Key, S)>>,
    follow_seq: u64,
    follow_log: VecDeque<(u64, FollowChange)>,
}

/// One follow or unfollow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowChange {
    /// Who follows.
    pub follower: i64,
    /// Whom.
    pub followee: i64,
    /// True for a follow, false for an unfollow.
    pub following: bool,
}

/// Why a `watch` could not be registered as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchError {
    /// The socket is not in the index (closed, or never connected).
    UnknownSocket,
    /// `home` needs a signed-in socket.
    NotSignedIn,
    /// The followee list was read too long ago to replay what changed since: read again.
    Stale,
    /// More users watch home on this node than slots can number (over 4 billion).
    Full,
}

impl<S> Default for WatchIndex<S> {
    fn default() -> Self {
        Self {
            sockets: HashMap::new(),
            everyone: HashMap::new(),
            by_author: HashMap::new(),
            by_parent: HashMap::new(),
            homes: Vec::new(),
            free_slots: Vec::new(),
            home_slot: HashMap::new(),
            followers_online: HashMap::new(),
            by_user: HashMap::new(),
            follow_seq: 0,
            follow_log: VecDeque::new(),
        }
    }
}

impl<S: Clone> WatchIndex<S> {
    /// Add a connected socket, watching `everyone`.
    pub fn connect(&mut self, key: Key, handle: S, user: Option<i64>) {
        self.disconnect(key);
        if let Some(user) = user {
            push_exact(self.by_user.entry(user).or_default(), (key, handle.clone()));
        }
        self.everyone.insert(key, handle.clone());
        self.sockets.insert(
            key,
            Watcher {
                handle,
                user,
                timeline: Timeline::Everyone,
            },
        );
    }

    /// Forget a socket (idempotent).
    pub fn disconnect(&mut self, key: Key) {
        let Some(watcher) = self.sockets.remove(&key) else {
            return;
        };
        self.unwatch(key, watcher.user, watcher.timeline);
        if let Some(user) = watcher.user
            && let Some(sockets) = self.by_user.get_mut(&user)
        {
            remove_key(sockets, key);
            if sockets.is_empty() {
                self.by_user.remove(&user);
            }
        }
    }

    /// The current number for follow changes: read it *before* reading a user's followees
    /// for `watch_home`.
    pub fn follow_seq(&self) -> u64 {
        self.follow_seq
    }

    /// Watch a timeline other than `home` (use `watch_home` for that).
    pub fn watch(&mut self, key: Key, timeline: Timeline) -> Result<(), WatchError> {
        let watcher = self.sockets.get(&key).ok_or(WatchError::UnknownSocket)?;
        let (user, old, handle) = (watcher.user, watcher.timeline, watcher.handle.clone());
        match timeline {
            Timeline::Home => return Err(WatchError::NotSignedIn),
            Timeline::Everyone => {
                self.everyone.insert(key, handle);
            }
            Timeline::User(author) => {
                self.by_author
                    .entry(author)
                    .or_default()
                    .insert(key, handle);
            }
            Timeline::Replies(parent) => {
                self.by_parent
                    .entry(parent)
                    .or_default()
                    .insert(key, handle);
            }
        }
        if old != timeline {
            self.unwatch(key, user, old);
        }
        self.set_timeline(key, timeline);
        Ok(())
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
        let (old, handle) = (watcher.timeline, watcher.handle.clone());
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

    /// Every socket a tweet is announced to: those watching a timeline that gains it, except
    /// its author's own. Each socket at most once.
    pub fn recipients(&self, tweet: Routing, mut visit: impl FnMut(&S)) -> usize {
        let audiences = Audiences::of(tweet);
        let mut count = 0;
        let author_sockets = self.by_user.get(&tweet.author);
        let mut send = |key: &Key, handle: &S| {
            if author_sockets.is_some_and(|own| own.iter().any(|(k, _)| k == key)) {
                return;
            }
            count += 1;
            visit(handle);
        };
        if audiences.everyone {
            self.everyone.iter().for_each(|(k, h)| send(k, h));
        }
        if let Some(watchers) = self.by_author.get(&audiences.user) {
            watchers.iter().for_each(|(k, h)| send(k, h));
        }
        if let Some(parent) = audiences.replies
            && let Some(watchers) = self.by_parent.get(&parent)
        {
            watchers.iter().for_each(|(k, h)| send(k, h));
        }
        // `audiences.home_of` is the author: their own home sockets are never told.
        if let Some(slots) = self.followers_online.get(&audiences.homes_following) {
            for slot in slots {
                if let Some(Some(home)) = self.homes.get(*slot as usize) {
                    home.sockets.iter().for_each(|(k, h)| send(k, h));
                }
            }
        }
        count
    }

    /// Every socket of one signed-in user (for per-user sends: notifications).
    pub fn user_sockets(&self, user: i64, mut visit: impl FnMut(&S)) {
        if let Some(sockets) = self.by_user.get(&user) {
            sockets.iter().for_each(|(_, h)| visit(h));
        }
    }

    /// Every socket, whatever it watches.
    pub fn all(&self, mut visit: impl FnMut(&S)) {
        self.sockets.values().for_each(|w| visit(&w.handle));
    }

    /// Whether nothing at all is registered (the follow log aside).
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.sockets.is_empty()
            && self.everyone.is_empty()
            && self.by_author.is_empty()
            && self.by_parent.is_empty()
            && self.homes.iter().all(Option::is_none)
            && self.free_slots.len() == self.homes.len()
            && self.home_slot.is_empty()
            && self.followers_online.is_empty()
            && self.by_user.is_empty()
    }

    /// The timeline a socket watches.
    #[cfg(test)]
    pub fn timeline(&self, key: Key) -> Option<Timeline> {
        self.sockets.get(&key).map(|w| w.timeline)
    }

    fn set_timeline(&mut self, key: Key, timeline: Timeline) {
        if let Some(watcher) = self.sockets.get_mut(&key) {
            watcher.timeline = timeline;
        }
    }

    /// Take a socket out of the set for `timeline` (not out of `sockets` or `by_user`).
    fn unwatch(&mut self, key: Key, user: Option<i64>, timeline: Timeline) {
        match timeline {
            Timeline::Everyone => {
                self.everyone.remove(&key);
            }
            Timeline::User(author) => remove_from(&mut self.by_author, author, key),
            Timeline::Replies(parent) => remove_from(&mut self.by_parent, parent, key),
            Timeline::Home => {
                let Some(user) = user else { return };
                let Some(&slot) = self.home_slot.get(&user) else {
                    return;
                };
                let Some(entry) = self.homes.get_mut(slot as usize) else {
                    return;
                };
                let Some(home) = entry else { return };
                remove_key(&mut home.sockets, key);
                if !home.sockets.is_empty() {
                    return;
                }
                // The user's last home socket here: free the slot, after taking it out of
                // every inverted list (a reused slot must not inherit any).
                if let Some(home) = entry.take() {
                    debug_assert_eq!(home.user, user);
                    for followee in home.followees.iter() {
                        remove_follower(&mut self.followers_online, followee, slot);
                    }
                }
                self.home_slot.remove(&user);
                self.free_slots.push(slot);
            }
        }
    }
}

/// The slot after `len` slots, if a `Slot` can number it.
fn next_slot(len: usize) -> Option<Slot> {
    Slot::try_from(len).ok()
}

fn remove_from<S>(map: &mut HashMap<i64, HashMap<Key, S>>, at: i64, key: Key) {
    if let Some(set) = map.get_mut(&at) {
        set.remove(&key);
        if set.is_empty() {
            map.remove(&at);
        }
    }
}

/// Push onto a list of one user's sockets, growing it by one: they are one or two.
fn push_exact<T>(list: &mut Vec<T>, item: T) {
    list.reserve_exact(1);
    list.push(item);
}

/// Remove a socket from such a list (order does not matter).
fn remove_key<S>(list: &mut Vec<(Key, S)>, key: Key) {
    if let Some(at) = list.iter().position(|(k, _)| *k == key) {
        list.swap_remove(at);
    }
}

/// Push onto an inverted list, growing it by an eighth (at least 4) rather than doubling:
/// these lists are most of the index, and doubling leaves a third of them unused on average.
fn push_compact(list: &mut Vec<Slot>, slot: Slot) {
    if list.len() == list.capacity() {
        list.reserve_exact((list.len() / 8).max(4));
    }
    list.push(slot);
}

fn remove_follower(map: &mut HashMap<i64, Vec<Slot>>, followee: i64, slot: Slot) {
    if let Some(slots) = map.get_mut(&followee) {
        if let Some(at) = slots.iter().position(|s| *s == slot) {
            slots.swap_remove(at);
        }
        if slots.is_empty() {
            map.remove(&followee);
        } else if slots.capacity() > 2 * slots.len() + 4 {
            slots.shrink_to(slots.len() + slots.len() / 8);
        }
    }
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

    fn recipients(index: &WatchIndex<Key>, author: i64, reply_to: Option<i64>) -> Vec<Key> {
        let mut out = Vec::new();
        index.recipients(Routing { author, reply_to }, |k| out.push(*k));
        out.sort_unstable();
        out
    }

    fn follow(index: &mut WatchIndex<Key>, follower: i64, followee: i64, following: bool) {
        index.follow_changed(FollowChange {
            follower,
            followee,
            following,
        });
    }

    #[test]
    fn a_followee_list_read_again_replaces_the_old_one_keeping_later_changes() {
        let mut index = WatchIndex::default();
        index.connect(1, 1, Some(10));
        index.watch_home(1, vec![20, 30], 0).unwrap();
        assert_eq!(index.home_users(), vec![10]);
        // Read from the store at seq 0 ([30, 40]: 20 was unfollowed, 40 followed elsewhere);
        // meanwhile this node hears a follow of 50.
        let read_at = index.follow_seq();
        follow(&mut index, 10, 50, true);
        index.replace_followees(10, vec![40, 30], read_at).unwrap();
        assert_eq!(recipients(&index, 20, None), Vec::<Key>::new());
        assert_eq!(recipients(&index, 30, None), vec![1]);
        assert_eq!(recipients(&index, 40, None), vec![1]);
        assert_eq!(recipients(&index, 50, None), vec![1]);
        // A user who stopped watching home is left alone.
        index.replace_followees(99, vec![20], read_at).unwrap();
        assert_eq!(recipients(&index, 20, None), Vec::<Key>::new());
        index.disconnect(1);
        assert!(index.followers_online.is_empty());
    }

    #[test]
    fn everyone_gets_every_tweet_but_the_author_does_not() {
        let mut index = WatchIndex::default();
        index.connect(1, 1, None);
        index.connect(2, 2, Some(10));
        index.connect(3, 3, Some(20));
        assert_eq!(recipients(&index, 10, None), vec![1, 3]);
        assert_eq!(recipients(&index, 99, None), vec![1, 2, 3]);
    }

    #[test]
    fn user_and_replies_timelines_get_only_their_tweets() {
        let mut index = WatchIndex::default();
        index.connect(1, 1, None);
        index.connect(2, 2, None);
        index.watch(1, Timeline::User(7)).unwrap();
        index.watch(2, Timeline::Replies(100)).unwrap();
        assert_eq!(recipients(&index, 8, None), Vec::<Key>::new());
        assert_eq!(recipients(&index, 7, None), vec![1]);
        assert_eq!(recipients(&index, 8, Some(100)), vec![2]);
        assert_eq!(
            recipients(&index, 7, Some(100)),
            vec![1, 2],
            "both, once each"
        );
        index.watch(1, Timeline::Everyone).unwrap();
        assert_eq!(recipients(&index, 7, None), vec![1]);
        assert_eq!(index.by_author.len(), 0, "empty sets are dropped");
    }

    #[test]
    fn home_follows_live_and_replays_changes_made_during_the_read() {
        let mut index = WatchIndex::default();
        index.connect(1, 1, Some(10));
        index.connect(2, 2, Some(10));
        assert_eq!(index.watch(1, Timeline::Home), Err(WatchError::NotSignedIn));
        let read_at = index.follow_seq();
        // While the store was being read: 10 followed 30 and unfollowed 20.
        follow(&mut index, 10, 30, true);
        follow(&mut index, 10, 20, false);
        index.watch_home(1, vec![20, 40], read_at).unwrap();
        assert_eq!(
            recipients(&index, 20, None),
            vec![2],
            "only the everyone socket"
        );
        assert_eq!(recipients(&index, 30, None), vec![1, 2]);
        assert_eq!(recipients(&index, 40, None), vec![1, 2]);
        // A second tab shares the live list, whatever it read.
        index.watch_home(2, vec![], index.follow_seq()).unwrap();
        assert_eq!(recipients(&index, 40, None), vec![1, 2]);
        follow(&mut index, 10, 40, false);
        assert_eq!(recipients(&index, 40, None), Vec::<Key>::new());
        follow(&mut index, 10, 50, true);
        follow(&mut index, 10, 50, true);
        assert_eq!(recipients(&index, 50, None), vec![1, 2], "once each");
        index.disconnect(1);
        index.disconnect(2);
        assert!(index.home_slot.is_empty() && index.followers_online.is_empty());
    }

    #[test]
    fn anonymous_sockets_cannot_watch_home() {
        let mut index = WatchIndex::default();
        index.connect(1, 1, None);
        assert_eq!(
            index.watch_home(1, vec![2], 0),
            Err(WatchError::NotSignedIn)
        );
        assert_eq!(index.timeline(1), Some(Timeline::Everyone));
        assert_eq!(
            index.watch(9, Timeline::Everyone),
            Err(WatchError::UnknownSocket)
        );
    }

    #[test]
    fn a_read_older_than_the_log_is_refused() {
        let mut index = WatchIndex::default();
        index.connect(1, 1, Some(10));
        for i in 0..(FOLLOW_LOG as i64 + 10) {
            follow(&mut index, 99, i, true);
        }
        assert_eq!(index.watch_home(1, vec![], 0), Err(WatchError::Stale));
        let now = index.follow_seq();
        assert_eq!(index.watch_home(1, vec![], now), Ok(()));
    }

    #[test]
    fn per_user_sockets() {
        let mut index = WatchIndex::default();
        index.connect(1, 1, Some(10));
        index.connect(2, 2, Some(10));
        index.connect(3, 3, Some(11));
        index.watch(2, Timeline::User(5)).unwrap();
        let mut seen = Vec::new();
        index.user_sockets(10, |k| seen.push(*k));
        seen.sort_unstable();
        assert_eq!(seen, vec![1, 2]);
        index.disconnect(2);
        assert_eq!(index.sockets.len(), 2);
        assert!(index.by_author.is_empty());
    }

    #[test]
    fn everything_is_forgotten_once_every_socket_is_gone() {
        let mut index = WatchIndex::default();
        for round in 0..3 {
            // Users 10..30, two sockets each for the even ones, on every timeline.
            for key in 0..40u64 {
                let user = 10 + (key % 20) as i64;
                if key >= 20 && user % 2 == 1 {
                    continue;
                }
                index.connect(key, key, Some(user));
                let read_at = index.follow_seq();
                let followees = (0..user).map(|f| f * 3).collect();
                match key % 4 {
                    0 | 1 => index.watch_home(key, followees, read_at).unwrap(),
                    2 => index.watch(key, Timeline::User(5)).unwrap(),
                    _ => index.watch(key, Timeline::Replies(7)).unwrap(),
                }
            }
            index.connect(99, 99, None);
            follow(&mut index, 10, 1000, true);
            follow(&mut index, 12, 0, false);
            follow(&mut index, 14, 1 << 40, true);
            assert!(!recipients(&index, 1000, None).is_empty());
            assert!(!recipients(&index, 1 << 40, None).is_empty());
            // Leave in a different order each round, some sockets switching away first.
            let mut keys: Vec<u64> = (0..40).chain([99]).collect();
            keys.rotate_left(round * 7);
            for key in keys {
                if key % 3 == 0 {
                    let _ = index.watch(key, Timeline::Everyone);
                }
                index.disconnect(key);
            }
            assert!(index.is_empty(), "round {round}");
        }
    }

    #[test]
    fn slots_are_reused_without_leaking_routes() {
        let mut index = WatchIndex::default();
        index.connect(1, 1, Some(10));
        index.watch_home(1, vec![20, 30], 0).unwrap();
        index.disconnect(1);
        // User 11 gets user 10's old slot, and none of their followees.
        index.connect(2, 2, Some(11));
        index.watch_home(2, vec![40], index.follow_seq()).unwrap();
        assert_eq!(index.homes.len(), 1);
        assert_eq!(recipients(&index, 20, None), Vec::<Key>::new());
        assert_eq!(recipients(&index, 40, None), vec![2]);
    }

    #[test]
    fn ids_beyond_u32_route_like_any_other() {
        let big = i64::from(u32::MAX) + 10;
        let mut index = WatchIndex::default();
        index.connect(1, 1, Some(big));
        index.connect(2, 2, Some(-5));
        index.watch_home(1, vec![big + 1, 3], 0).unwrap();
        index.watch_home(2, vec![big, -6], 0).unwrap();
        assert_eq!(recipients(&index, big + 1, None), vec![1]);
        assert_eq!(recipients(&index, 3, None), vec![1]);
        assert_eq!(recipients(&index, big, None), vec![2]);
        assert_eq!(recipients(&index, -6, None), vec![2]);
        follow(&mut index, big, -6, true);
        assert_eq!(recipients(&index, -6, None), vec![1, 2]);
        index.disconnect(1);
        index.disconnect(2);
        assert!(index.is_empty());
    }

    #[test]
    fn slots_stop_at_what_a_u32_can_number() {
        assert_eq!(next_slot(0), Some(0));
        assert_eq!(next_slot(u32::MAX as usize), Some(u32::MAX));
        assert_eq!(next_slot(u32::MAX as usize + 1), None);
    }
}
