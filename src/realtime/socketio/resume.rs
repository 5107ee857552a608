//! The CONNECT of a socket with connection state recovery (`realtime::recovery`): before the
//! locks, whether the pid it brings can be recovered by this user and what restoring its
//! watch needs from the store (`prepare`); then, under its session's lock and the index's,
//! right after it is registered, the pid taken over, the watch restored and what it missed
//! collected (`resume`), so that nothing falls between the replay and live delivery.

use std::sync::Arc;

use serde_json::Value;

use crate::changes::{Change, Event};
use crate::realtime::Index;
use crate::realtime::engine::session::{Session, Sid};
use crate::realtime::events;
use crate::realtime::recovery::{Claim, Found, Recovery};
use crate::realtime::watch::{Key, Routing, Timeline, WatchError, WatchIndex};
use crate::storage::Store;

/// A claim worth trying: the pid's socket was this user's (or as anonymous), and what its
/// watch needs.
pub(super) struct Prepared {
    claim: Claim,
    timeline: Timeline,
    /// For `home`: the followees, and the follow sequence they were read at.
    followees: Option<(Vec<i64>, u64)>,
}

/// What `resume` decided.
pub(super) struct Resumed {
    /// The socket's pid: the claimed one when recovered, else a fresh one.
    pub pid: Sid,
    /// Whether the claimed state was recovered.
    pub recovered: bool,
    /// What it missed, as whole packets, in order.
    pub replay: Vec<String>,
    /// The pid's old socket, still connected here: to be closed.
    pub old: Option<Arc<Session>>,
}

/// Read what recovering the pid in `auth` needs, if `user` may recover it at all.
pub(super) async fn prepare(
    (recovery, index, store): (&Recovery, &Index, &dyn Store),
    auth: Option<&Value>,
    user: Option<i64>,
) -> Option<Prepared> {
    let claim = recovery.claim(auth)?;
    let timeline = match recovery.find(&claim.pid)? {
        Found::Live(key) => {
            let index = index.lock();
            let (_, owner) = index.socket(key)?;
            if owner != user {
                return None;
            }
            index.timeline(key)?
        }
        Found::Departed {
            user: owner,
            timeline,
        } => {
            if owner != user {
                return None;
            }
            timeline
        }
    };
    let followees = if timeline == Timeline::Home {
        let read_at = index.lock().follow_seq();
        let ids = store.following_ids(user?).await.ok()?;
        Some((ids, read_at))
    } else {
        None
    };
    Some(Prepared {
        claim,
        timeline,
        followees,
    })
}

/// Under the socket's session lock and the index lock, just after socket `key` (of `user`)
/// was registered: recover `prepared`'s pid if it still can be (its watch, and what it
/// missed), else give the socket a fresh pid.
pub(super) fn resume(
    recovery: &Recovery,
    index: &mut WatchIndex<Arc<Session>>,
    key: Key,
    user: Option<i64>,
    prepared: Option<Prepared>,
) -> Resumed {
    let routed = recovery.routed();
    let mut old = None;
    if let Some(prepared) = prepared
        && let Some((start, old_key)) = recovery.take(&prepared.claim.pid, user, |k| {
            index.socket(k).map(|(_, owner)| owner)
        })
    {
        old = old_key.and_then(|k| index.socket(k).map(|(handle, _)| handle.clone()));
        let watched = match (prepared.timeline, prepared.followees) {
            (Timeline::Everyone, _) => Ok(()),
            (Timeline::Home, Some((ids, read_at))) => index.watch_home(key, ids, read_at),
            (Timeline::Home, None) => Err(WatchError::NotSignedIn),
            (timeline, _) => index.watch(key, timeline),
        };
        let from = prepared.claim.offset.unwrap_or(0).max(start);
        if watched.is_ok()
            && let Some(missed) = recovery.log.since(from, routed)
        {
            let replay = missed
                .iter()
                .filter_map(|(n, change)| replayed(recovery, index, key, *n, change))
                .collect();
            let pid = prepared.claim.pid;
            recovery.connected(pid, key, routed);
            return Resumed {
                pid,
                recovered: true,
                replay,
                old,
            };
        }
        // Not recoverable after all: a plain new socket on `everyone`.
        let _ = index.watch(key, Timeline::Everyone);
    }
    let pid = Sid::random();
    recovery.connected(pid, key, routed);
    Resumed {
        pid,
        recovered: false,
        replay: Vec::new(),
        old,
    }
}

/// The packet socket `key` would have received for logged event `n`, if any.
fn replayed(
    recovery: &Recovery,
    index: &WatchIndex<Arc<Session>>,
    key: Key,
    n: u64,
    change: &Change,
) -> Option<String> {
    let packet = match change {
        Change::Event(Event::Tweet {
            id,
            author,
            reply_to,
            reply_to_author,
            tags,
        }) => {
            let routing = Routing {
                author: author.id,
                reply_to: *reply_to,
                reply_to_author: *reply_to_author,
            };
            if !index.receives(key, routing, tags) {
                return None;
            }
            events::new_tweet_packet(*id, author, *reply_to)
        }
        Change::Event(Event::Deleted { id }) => events::tweet_deleted_packet(*id),
        Change::Event(Event::Notification { recipient, payload }) => {
            if index.socket(key)?.1 != Some(*recipient) {
                return None;
            }
            events::notification_packet(payload)
        }
        _ => return None,
    };
    Some(events::with_offset(&packet, &recovery.log.position(n)))
}
