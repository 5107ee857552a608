//! Socket.IO connection state recovery (v4.6+), as the official clients speak it: a socket
//! that asks (`auth.recover === true`, or every socket under `--socket-recovery all`) gets a
//! `pid` in its CONNECT answer and, after each `newTweet`, `tweetDeleted` and `notification`,
//! one more argument: the event's position in the change log (`changes::ChangeLog`). A
//! client that reconnects within the window with `auth: {pid, offset}` gets every such event
//! it missed, in order, once, keeps its watch, and sees `recovered` (the same pid).
//!
//! What is kept per recovering socket is small: while connected, its pid → (key, start) here
//! (its watch is in the watch index); after it leaves, pid → (user, watch, start, when) for
//! the window. `start` is the log position from which the socket watched what it watches now
//! (its connect, its last `watch`, its last recovery), so a reconnect that brings no offset
//! (no event had arrived) still replays from the right place, and a watch changed since the
//! last event never replays another timeline's tweets. A pid grants nothing: recovery needs
//! the same user (or none) as the socket had, authenticated afresh by the new connection.
//!
//! Lock order: a session's lock, then the index's, then this one's, then the log's.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::engine::session::Sid;
use super::parked::{Parked, Record};
use super::watch::{Key, Timeline};
use crate::changes::{ChangeLog, Marks};
use crate::config::SocketRecovery;

/// Connection state recovery on this node.
pub struct Recovery {
    mode: SocketRecovery,
    window: Duration,
    /// The change log events are numbered in and replayed from.
    pub log: Arc<ChangeLog>,
    /// The log number of the last event routed to sockets (written under the index lock).
    routed: AtomicU64,
    /// How many recovering sockets are connected (an event needs its offset variant only
    /// while there is one).
    live_count: AtomicUsize,
    inner: Mutex<Kept>,
    /// The records other nodes recover from (a cluster's Redis), if any.
    pub parked: Option<Arc<Parked>>,
}

#[derive(Default)]
struct Kept {
    live: HashMap<Sid, Live>,
    departed: HashMap<Sid, Departed>,
    expiry: VecDeque<(Instant, Sid)>,
}

#[derive(Debug, Clone, Copy)]
struct Live {
    key: Key,
    start: u64,
}

struct Departed {
    user: Option<i64>,
    timeline: Timeline,
    start: u64,
    at: Instant,
    /// It left for good (a Socket.IO disconnect): kept only so that no other node's record
    /// of it is recovered here while that record's removal is on its way.
    ended: bool,
}

/// What a reconnecting client claims: its pid and, if it received any event, its offset.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The pid it was given.
    pub pid: Sid,
    /// The log number of the last event it received, when it is this log's.
    pub offset: Option<u64>,
    /// The store's marks at the last event it received, from whichever node.
    pub marks: Option<Marks>,
}

/// Where a claimed pid's socket is.
pub enum Found {
    /// Still connected here (its transport died unnoticed): its key in the index.
    Live(Key),
    /// Gone, within the window: what it was.
    Departed {
        /// Its user.
        user: Option<i64>,
        /// Its watch.
        timeline: Timeline,
    },
    /// It left for good: not to be recovered.
    Ended,
}

impl Recovery {
    /// Recovery in `mode`, for sockets gone less than `window`, replaying from `log`.
    pub fn new(
        mode: SocketRecovery,
        window: Duration,
        log: Arc<ChangeLog>,
        parked: Option<Arc<Parked>>,
    ) -> Arc<Self> {
        let recovery = Arc::new(Self {
            mode,
            window,
            log,
            routed: AtomicU64::new(0),
            live_count: AtomicUsize::new(0),
            inner: Mutex::new(Kept::default()),
            parked,
        });
        if recovery.parked.is_some() {
            tokio::spawn(renew(Arc::downgrade(&recovery)));
        }
        recovery
    }

    fn lock(&self) -> MutexGuard<'_, Kept> {
        // Plain data; nothing panics while holding it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a socket connecting with `auth` gets recovery.
    pub fn wanted(&self, auth: Option<&Value>) -> bool {
        match self.mode {
            SocketRecovery::Off => false,
            SocketRecovery::All => true,
            SocketRecovery::Ask => auth.and_then(|a| a.get("recover")) == Some(&Value::Bool(true)),
        }
    }

    /// The pid and offset a reconnecting client sent, if it sent a pid of the right form.
    pub fn claim(&self, auth: Option<&Value>) -> Option<Claim> {
        let auth = auth?;
        let pid = Sid::parse(auth.get("pid")?.as_str()?)?;
        let offset = auth.get("offset").and_then(Value::as_str);
        Some(Claim {
            pid,
            offset: offset.and_then(|o| self.log.parse(o)),
            marks: offset.and_then(ChangeLog::marks_in),
        })
    }

    /// Where `pid`'s socket is, if it can still be recovered.
    pub fn find(&self, pid: &Sid) -> Option<Found> {
        let mut kept = self.lock();
        self.expire(&mut kept);
        if let Some(live) = kept.live.get(pid) {
            return Some(Found::Live(live.key));
        }
        kept.departed.get(pid).map(|d| match d.ended {
            true => Found::Ended,
            false => Found::Departed {
                user: d.user,
                timeline: d.timeline.clone(),
            },
        })
    }

    /// Take `pid` over for a new socket (once: a second claim finds nothing): its start,
    /// and the key of its old socket if that is still connected. Call under the index lock.
    /// `live_user` says whose a still-connected socket is (`None`: not in the index).
    pub fn take(
        &self,
        pid: &Sid,
        user: Option<i64>,
        live_user: impl FnOnce(Key) -> Option<Option<i64>>,
    ) -> Option<(u64, Option<Key>)> {
        let mut kept = self.lock();
        self.expire(&mut kept);
        if let Some(live) = kept.live.get(pid).copied() {
            if live_user(live.key) != Some(user) {
                return None;
            }
            kept.live.remove(pid);
            self.live_count.fetch_sub(1, Ordering::Relaxed);
            return Some((live.start, Some(live.key)));
        }
        let departed = kept.departed.remove(pid)?;
        if departed.user != user || departed.ended {
            kept.departed.insert(*pid, departed);
            return None;
        }
        Some((departed.start, None))
    }

    /// A recovering socket of `user` connected (or was recovered) as `key`, watching
    /// `timeline`, up to date at `start`.
    pub fn connected(
        &self,
        pid: Sid,
        key: Key,
        start: u64,
        user: Option<i64>,
        timeline: &Timeline,
    ) {
        if self.lock().live.insert(pid, Live { key, start }).is_none() {
            self.live_count.fetch_add(1, Ordering::Relaxed);
        }
        self.record(pid, start, user, timeline);
    }

    /// A recovering socket watches another timeline from `start` on.
    pub fn watched(&self, pid: &Sid, key: Key, start: u64, user: Option<i64>, timeline: &Timeline) {
        let mut kept = self.lock();
        let Some(live) = kept.live.get_mut(pid).filter(|live| live.key == key) else {
            return;
        };
        live.start = start;
        drop(kept);
        self.record(*pid, start, user, timeline);
    }

    /// Tell the other nodes what a recovering socket is now.
    fn record(&self, pid: Sid, start: u64, user: Option<i64>, timeline: &Timeline) {
        if let Some(parked) = &self.parked {
            let marks = self.log.start_marks(start);
            parked.connected(pid, Record::new(user, timeline, marks));
        }
    }

    /// A recovering socket left: kept for the window, recoverable if `park` (a lost
    /// connection, not a goodbye), unless its pid was taken over meanwhile.
    pub fn left(&self, pid: &Sid, key: Key, user: Option<i64>, timeline: Timeline, park: bool) {
        let mut kept = self.lock();
        match kept.live.get(pid) {
            Some(live) if live.key == key => {}
            _ => return,
        }
        let Some(live) = kept.live.remove(pid) else {
            return;
        };
        self.live_count.fetch_sub(1, Ordering::Relaxed);
        if let Some(shared) = &self.parked {
            if park {
                shared.lost(*pid, self.window);
            } else {
                shared.gone(*pid);
            }
        }
        let at = Instant::now();
        kept.departed.insert(
            *pid,
            Departed {
                user,
                timeline,
                start: live.start,
                at,
                ended: !park,
            },
        );
        kept.expiry.push_back((at, *pid));
        self.expire(&mut kept);
    }

    /// Forget what left longer than the window ago.
    fn expire(&self, kept: &mut Kept) {
        let now = Instant::now();
        while let Some((at, pid)) = kept.expiry.front().copied() {
            if now.duration_since(at) <= self.window {
                break;
            }
            kept.expiry.pop_front();
            if kept.departed.get(&pid).is_some_and(|d| d.at == at) {
                kept.departed.remove(&pid);
            }
        }
    }

    /// Whether any recovering socket is connected.
    pub fn any_live(&self) -> bool {
        self.live_count.load(Ordering::Relaxed) > 0
    }

    /// Note that the sockets are being routed the newest logged event; its number. Call
    /// under the index lock.
    pub fn route_next(&self) -> u64 {
        let last = self.log.last();
        self.routed.store(last, Ordering::Relaxed);
        last
    }

    /// The number of the last event routed. Call under the index lock.
    pub fn routed(&self) -> u64 {
        self.routed.load(Ordering::Relaxed)
    }
}

/// Renew the records of this node's connected recovering sockets, for as long as it runs.
async fn renew(recovery: std::sync::Weak<Recovery>) {
    let mut every = tokio::time::interval(super::parked::RENEW_EVERY);
    every.tick().await;
    loop {
        every.tick().await;
        let Some(recovery) = recovery.upgrade() else {
            return;
        };
        let pids: Vec<Sid> = recovery.lock().live.keys().copied().collect();
        if let Some(parked) = &recovery.parked {
            parked.renew(pids);
        }
    }
}
