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
//! - `by_tag[name]`: sockets on `tag:<name>` (a tweet with several tags reaches each of
//!   their sets; a socket is in one set, so still once);
//! - `homes[slot]`: the `home` sockets of one user, with that user's followees; and the
//!   inverted `followers_online[a]`: the slots of the users with a home socket here who
//!   follow `a`.
//!
//! Blocks and mutes are part of routing, not a query per tweet: the index keeps, per online
//! viewer who hides anyone, whom they hide, and per hidden author the online viewers hiding
//! them (`hides`); a tweet whose author (or, on the timelines that gather many authors, whose
//! parent's author) somebody here hides skips exactly those viewers' sockets.
//!
//! Memory is per *user* watching home (their followee list, and one entry per followee in the
//! inverted index), not per socket or per follower, and kept tight, for it is most of what a
//! home socket costs: a user watching home gets a small dense slot number (`Slot`, 4 bytes,
//! whatever their id), followee lists are exactly sized and take 4 bytes an id while ids fit a
//! `u32` (`Ids`), and the inverted lists grow by an eighth, not by doubling. A user leaving
//! home leaves a dead slot in those lists, swept out with others in one pass. A user with 200
//! followees and two tabs costs about 200 × 8.5 bytes. `by_user` holds every signed-in socket,
//! for per-user sends (notifications, sign-out).
//!
//! Follows change `home` live. A socket starting to watch `home` reads its followees from the
//! store *before* registering; a follow that lands between that read and the registration would
//! be lost, so the index keeps a short log of follow changes, numbered, and replays onto a
//! freshly read list every change numbered after the read began (`follow_seq`).
//!
//! The index is split by job: the types and the index's fields are here; registering and
//! forgetting sockets in `sockets`; `home` timelines and follow changes in `home`; hidden
//! authors in `hides`; routing a
//! tweet to its sockets (the hot path) in `route`; the list helpers that keep memory tight in
//! `lists`; followee lists in `ids`.

mod apply;
mod hides;
mod home;
mod ids;
mod lists;
mod route;
mod sockets;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

pub use apply::Routed;
use ids::Ids;

use crate::domain::visibility::Facts;

/// A timeline a socket can watch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Timeline {
    /// Every tweet.
    Everyone,
    /// The watching user's own tweets and those of whom they follow.
    Home,
    /// One user's tweets (by user id).
    User(i64),
    /// The direct replies to one tweet (by tweet id).
    Replies(i64),
    /// The tweets that carry one tag (by its normalised name).
    Tag(Arc<str>),
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
/// How many hide changes are remembered for replay (`hide_seq`).
const HIDE_LOG: usize = 4096;

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
    by_tag: HashMap<Arc<str>, HashMap<Key, S>>,
    /// By slot; `None` for a free slot (listed in `free_slots`) or a dead one.
    homes: Vec<Option<Home<S>>>,
    free_slots: Vec<Slot>,
    /// Slots whose user left home, still in some `followers_online` lists: freed in batches
    /// by one sweep of those lists (`sweep_dead_slots_if_due`), not one search per followee.
    dead_slots: Vec<Slot>,
    /// The slot of each user in `homes`.
    home_slot: HashMap<i64, Slot>,
    /// Author → the slots of the users in `homes` who follow them (no order).
    followers_online: HashMap<i64, Vec<Slot>>,
    by_user: HashMap<i64, Vec<(Key, S)>>,
    follow_seq: u64,
    follow_log: VecDeque<(u64, FollowChange)>,
    /// Online viewer → the authors they hide, sorted (only viewers who hide someone).
    hides: HashMap<i64, Vec<i64>>,
    /// Author → the online viewers who hide them.
    hidden_from: HashMap<i64, Vec<i64>>,
    hide_seq: u64,
    hide_log: VecDeque<(u64, HideChange)>,
    /// Suspended accounts: every viewer hides them, so a reply to one is left out of the
    /// timelines that gather many authors (their own tweets stopped with their sessions).
    suspended: HashSet<i64>,
}

/// A block, unblock, mute or unmute, as it changes whom one viewer hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HideChange {
    /// Who sees (or no longer sees).
    pub viewer: i64,
    /// Whose tweets.
    pub author: i64,
    /// Whether the viewer hides the author now.
    pub hidden: bool,
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
            by_tag: HashMap::new(),
            homes: Vec::new(),
            free_slots: Vec::new(),
            dead_slots: Vec::new(),
            home_slot: HashMap::new(),
            followers_online: HashMap::new(),
            by_user: HashMap::new(),
            follow_seq: 0,
            follow_log: VecDeque::new(),
            hides: HashMap::new(),
            hidden_from: HashMap::new(),
            hide_seq: 0,
            hide_log: VecDeque::new(),
            suspended: HashSet::new(),
        }
    }
}
