//! The watch index: which socket on this node watches which timeline, so that a tweet costs
//! work in proportion to the sockets that receive it — not to all sockets, and not to all of
//! its author's followers (most of whom are offline).
//!
//! Every socket watches exactly one timeline, so the sets below are disjoint and a tweet's
//! recipients are a plain concatenation, never a de-duplicated union:
//!
//! - `everyone`: sockets on the global timeline (the default, as in the tutorial);
//! - `by_author[a]`: sockets on `user:<a>`;
//! - `by_parent[t]`: sockets on `replies:<t>`;
//! - `homes[u]`: the `home` sockets of user `u`, with `u`'s followees; and the inverted
//!   `followers_online[a]`: the users with a home socket here who follow `a`.
//!
//! Memory is per *user* watching home (their followee list, and one entry per followee in the
//! inverted index), not per socket or per follower: a user with 200 followees and two tabs
//! costs about 200 × 16 bytes. `by_user` holds every signed-in socket, for per-user sends
//! (notifications, sign-out).
//!
//! Follows change `home` live. A socket starting to watch `home` reads its followees from the
//! store *before* registering; a follow that lands between that read and the registration would
//! be lost, so the index keeps a short log of follow changes, numbered, and replays onto a
//! freshly read list every change numbered after the read began (`follow_seq`).

use std::collections::{HashMap, VecDeque};

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

/// What the index needs to know of a tweet to route it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Routing {
    /// The author's user id (their own sockets are never told).
    pub author: i64,
    /// The parent tweet, for a reply.
    pub reply_to: Option<i64>,
}

/// A socket's key in the index (unique per socket on this node).
pub type Key = u64;

/// How many follow changes are remembered for replay (`follow_seq`).
const FOLLOW_LOG: usize = 4096;

struct Watcher<S> {
    handle: S,
    user: Option<i64>,
    timeline: Timeline,
}

struct Home<S> {
    /// Sorted, no duplicates.
    followees: Vec<i64>,
    sockets: HashMap<Key, S>,
}

/// Who watches what on this node. `S` is the handle used to write to a socket.
pub struct WatchIndex<S> {
    sockets: HashMap<Key, Watcher<S>>,
    everyone: HashMap<Key, S>,
    by_author: HashMap<i64, HashMap<Key, S>>,
    by_parent: HashMap<i64, HashMap<Key, S>>,
    homes: HashMap<i64, Home<S>>,
    followers_online: HashMap<i64, Vec<i64>>,
    by_user: HashMap<i64, HashMap<Key, S>>,
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
}

impl<S> Default for WatchIndex<S> {
    fn default() -> Self {
        Self {
            sockets: HashMap::new(),
            everyone: HashMap::new(),
            by_author: HashMap::new(),
            by_parent: HashMap::new(),
            homes: HashMap::new(),
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
            self.by_user
                .entry(user)
                .or_default()
                .insert(key, handle.clone());
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
        if let Some(user) = watcher.user {
            remove_from(&mut self.by_user, user, key);
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
        if !self.homes.contains_key(&user) {
            // The user's list is kept live while one of their sockets watches home; a fresh
            // one needs the changes that landed since it was read.
            self.replay(user, &mut followees, read_at)?;
            for followee in &followees {
                self.followers_online
                    .entry(*followee)
                    .or_default()
                    .push(user);
            }
            self.homes.insert(
                user,
                Home {
                    followees,
                    sockets: HashMap::new(),
                },
            );
        }
        if let Some(home) = self.homes.get_mut(&user) {
            home.sockets.insert(key, handle);
        }
        self.unwatch(key, Some(user), old);
        self.set_timeline(key, Timeline::Home);
        Ok(())
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
        let Some(home) = self.homes.get_mut(&change.follower) else {
            return;
        };
        let had = home.followees.binary_search(&change.followee).is_ok();
        set_member(&mut home.followees, change.followee, change.following);
        match (had, change.following) {
            (false, true) => self
                .followers_online
                .entry(change.followee)
                .or_default()
                .push(change.follower),
            (true, false) => {
                remove_follower(&mut self.followers_online, change.followee, change.follower)
            }
            _ => {}
        }
    }

    /// The users with a `home` socket on this node (whose followee lists `replace_followees`
    /// can refresh).
    pub fn home_users(&self) -> Vec<i64> {
        self.homes.keys().copied().collect()
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
        if !self.homes.contains_key(&user) {
            return Ok(());
        }
        self.replay(user, &mut followees, read_at)?;
        let Some(home) = self.homes.get_mut(&user) else {
            return Ok(());
        };
        let old = std::mem::replace(&mut home.followees, followees);
        let new = &home.followees;
        for gone in old.iter().filter(|f| new.binary_search(f).is_err()) {
            remove_follower(&mut self.followers_online, *gone, user);
        }
        for added in new.iter().filter(|f| old.binary_search(f).is_err()) {
            self.followers_online.entry(*added).or_default().push(user);
        }
        Ok(())
    }

    /// Every socket a tweet is announced to: those watching a timeline that gains it, except
    /// its author's own. Each socket at most once.
    pub fn recipients(&self, tweet: Routing, mut visit: impl FnMut(&S)) -> usize {
        let mut count = 0;
        let author_sockets = self.by_user.get(&tweet.author);
        let mut send = |key: &Key, handle: &S| {
            if author_sockets.is_some_and(|own| own.contains_key(key)) {
                return;
            }
            count += 1;
            visit(handle);
        };
        self.everyone.iter().for_each(|(k, h)| send(k, h));
        if let Some(watchers) = self.by_author.get(&tweet.author) {
            watchers.iter().for_each(|(k, h)| send(k, h));
        }
        if let Some(parent) = tweet.reply_to
            && let Some(watchers) = self.by_parent.get(&parent)
        {
            watchers.iter().for_each(|(k, h)| send(k, h));
        }
        if let Some(users) = self.followers_online.get(&tweet.author) {
            for user in users {
                if let Some(home) = self.homes.get(user) {
                    home.sockets.iter().for_each(|(k, h)| send(k, h));
                }
            }
        }
        count
    }

    /// Every socket of one signed-in user.
    #[allow(dead_code)] // for per-user sends (notifications, sign-out), next
    pub fn user_sockets(&self, user: i64, mut visit: impl FnMut(&S)) {
        if let Some(sockets) = self.by_user.get(&user) {
            sockets.values().for_each(&mut visit);
        }
    }

    /// Every socket, whatever it watches.
    pub fn all(&self, mut visit: impl FnMut(&S)) {
        self.sockets.values().for_each(|w| visit(&w.handle));
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
                let Some(home) = self.homes.get_mut(&user) else {
                    return;
                };
                home.sockets.remove(&key);
                if home.sockets.is_empty()
                    && let Some(home) = self.homes.remove(&user)
                {
                    for followee in home.followees {
                        remove_follower(&mut self.followers_online, followee, user);
                    }
                }
            }
        }
    }
}

fn remove_from<S>(map: &mut HashMap<i64, HashMap<Key, S>>, at: i64, key: Key) {
    if let Some(set) = map.get_mut(&at) {
        set.remove(&key);
        if set.is_empty() {
            map.remove(&at);
        }
    }
}

fn remove_follower(map: &mut HashMap<i64, Vec<i64>>, followee: i64, follower: i64) {
    if let Some(users) = map.get_mut(&followee) {
        if let Some(at) = users.iter().position(|u| *u == follower) {
            users.swap_remove(at);
        }
        if users.is_empty() {
            map.remove(&followee);
        } else if users.capacity() > 4 * users.len() {
            users.shrink_to_fit();
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
        assert!(index.homes.is_empty() && index.followers_online.is_empty());
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
}
