//! The CONNECT of a socket with connection state recovery (`realtime::recovery`): before the
//! locks, whether the pid it brings can be recovered by this user and what restoring its
//! watch needs from the store (`prepare`); then, under its session's lock and the index's,
//! right after it is registered, the pid taken over, the watch restored and what it missed
//! collected (`resume`), so that nothing falls between the replay and live delivery.
//!
//! A pid from another node of a cluster is found in Redis (`parked`); what its socket missed
//! is read from the store after the marks of its last offset (or of its record), then the
//! events this node routed since the read began are added, each once.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::Value;

use crate::changes::{Change, Event, Marks};
use crate::domain::{Page, PageCursor};
use crate::realtime::Index;
use crate::realtime::engine::session::{Session, Sid};
use crate::realtime::events;
use crate::realtime::recovery::{Claim, Found, Recovery};
use crate::realtime::watch::{Key, Timeline, WatchError, WatchIndex};
use crate::storage::{Store, StoreError};

/// Tweets (or notifications) a recovery reads from the store at most, in pages of `PAGE`;
/// a socket that missed more connects afresh.
const MAX_FROM_STORE: usize = 2000;
const PAGE: i64 = 100;

/// A claim worth trying: the pid's socket was this user's (or as anonymous), and what its
/// watch needs.
pub(super) struct Prepared {
    claim: Claim,
    timeline: Timeline,
    /// For `home`: the followees, and the follow sequence they were read at.
    followees: Option<(Vec<i64>, u64)>,
    /// For a pid of another node: what the store holds after its marks, read after this
    /// node had routed event `since`.
    remote: Option<(Vec<Change>, u64)>,
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
    let (timeline, remote_marks) = match recovery.find(&claim.pid) {
        Some(Found::Live(key)) => {
            let index = index.lock();
            let (_, owner) = index.socket(key)?;
            if owner != user {
                return None;
            }
            (index.timeline(key)?, None)
        }
        Some(Found::Departed {
            user: owner,
            timeline,
        }) => {
            if owner != user {
                return None;
            }
            (timeline, None)
        }
        Some(Found::Ended) => return None,
        None => {
            let record = recovery.parked.as_ref()?.read(&claim.pid).await?;
            if record.user != user {
                return None;
            }
            let marks = claim
                .marks
                .map_or(record.marks(), |m| m.max(record.marks()));
            (record.timeline()?, Some(marks))
        }
    };
    let followees = if timeline == Timeline::Home {
        let read_at = index.lock().follow_seq();
        let ids = store.following_ids(user?).await.ok()?;
        Some((ids, read_at))
    } else {
        None
    };
    let remote = match remote_marks {
        Some(marks) => {
            let since = {
                let _index = index.lock();
                recovery.routed()
            };
            let missed = from_store(store, user, marks).await.ok()??;
            Some((missed, since))
        }
        None => None,
    };
    Some(Prepared {
        claim,
        timeline,
        followees,
        remote,
    })
}

/// What the store holds after `marks` for a socket of `user`: new tweets in id order, then
/// deletions, then the user's notifications, oldest first (`None`: too many to replay).
async fn from_store(
    store: &dyn Store,
    user: Option<i64>,
    marks: Marks,
) -> Result<Option<Vec<Change>>, StoreError> {
    let mut tweets = Vec::new();
    let mut after = marks.tweet;
    loop {
        let page = Page {
            limit: PAGE,
            cursor: PageCursor::After(after),
        };
        let got = store.tweets(None, page, user).await?;
        let full = got.len() as i64 == PAGE;
        after = got.iter().map(|t| t.id).max().unwrap_or(after);
        tweets.extend(got);
        if !full {
            break;
        }
        if tweets.len() >= MAX_FROM_STORE {
            return Ok(None);
        }
    }
    tweets.sort_by_key(|t| t.id);
    let mut missed: Vec<Change> = tweets.iter().map(Change::tweet).collect();
    missed.extend(
        store
            .deleted_since(marks.time)
            .await?
            .into_iter()
            .map(Change::deleted),
    );
    if let Some(user) = user {
        let mut notes = Vec::new();
        let mut before = i64::MAX;
        loop {
            let page = store.notifications(user, before, PAGE).await?;
            let full = page.len() as i64 == PAGE;
            let mut older = false;
            for n in page {
                before = before.min(n.id);
                if n.created_at < marks.time {
                    older = true;
                    break;
                }
                notes.push(n);
            }
            if older || !full {
                break;
            }
            if notes.len() >= MAX_FROM_STORE {
                return Ok(None);
            }
        }
        let unread = store.unread_count(user).await?;
        missed.extend(notes.iter().rev().map(|n| Change::notification(n, unread)));
    }
    Ok(Some(missed))
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
    if let Some(prepared) = prepared {
        let taken = match prepared.remote {
            None => recovery
                .take(&prepared.claim.pid, user, |k| {
                    index.socket(k).map(|(_, owner)| owner)
                })
                .map(|(start, old_key)| (start, old_key, None)),
            Some((missed, since)) => Some((0, None, Some((missed, since)))),
        };
        if let Some((start, old_key, remote)) = taken {
            old = old_key.and_then(|k| index.socket(k).map(|(handle, _)| handle.clone()));
            let timeline = prepared.timeline;
            let watched = match (&timeline, prepared.followees) {
                (Timeline::Everyone, _) => Ok(()),
                (Timeline::Home, Some((ids, read_at))) => index.watch_home(key, ids, read_at),
                (Timeline::Home, None) => Err(WatchError::NotSignedIn),
                (timeline, _) => index.watch(key, timeline.clone()),
            };
            let replay = match remote {
                Some((missed, since)) => Some(from_elsewhere(recovery, index, key, missed, since)),
                None => {
                    let from = prepared.claim.offset.unwrap_or(0).max(start);
                    recovery.log.since(from, routed).map(|logged| {
                        logged
                            .iter()
                            .filter_map(|(n, c)| replayed(index, key, c, &recovery.log.offset(*n)))
                            .collect()
                    })
                }
            };
            if watched.is_ok()
                && let Some(replay) = replay
            {
                let pid = prepared.claim.pid;
                recovery.connected(pid, key, routed, user, &timeline);
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
    }
    let pid = Sid::random();
    recovery.connected(pid, key, routed, user, &Timeline::Everyone);
    Resumed {
        pid,
        recovered: false,
        replay: Vec::new(),
        old,
    }
}

/// What a socket from another node missed: what the store held (`missed`, each with the
/// offset of the last event routed here), then what this node routed since the store was
/// read (`since`) and the store did not hold, each once.
fn from_elsewhere(
    recovery: &Recovery,
    index: &WatchIndex<Arc<Session>>,
    key: Key,
    missed: Vec<Change>,
    since: u64,
) -> Vec<String> {
    let routed = recovery.routed();
    let here = recovery.log.offset(routed);
    let seen: HashSet<(u8, i64)> = missed.iter().filter_map(identity).collect();
    let mut replay: Vec<String> = missed
        .iter()
        .filter_map(|c| replayed(index, key, c, &here))
        .collect();
    for (n, change) in recovery.log.kept_since(since, routed) {
        if identity(&change).is_some_and(|id| !seen.contains(&id))
            && let Some(packet) = replayed(index, key, &change, &recovery.log.offset(n))
        {
            replay.push(packet);
        }
    }
    replay
}

/// Which event a change is, to tell the same one read twice.
fn identity(change: &Change) -> Option<(u8, i64)> {
    match change {
        Change::Event(Event::Tweet { id, .. }) => Some((0, *id)),
        Change::Event(Event::Deleted { id }) => Some((1, *id)),
        Change::Event(Event::Notification { payload, .. }) => {
            let v: Value = serde_json::from_str(payload).ok()?;
            Some((2, v["id"].as_i64()?))
        }
        _ => None,
    }
}

/// The packet socket `key` would have received for `change`, with `offset`, if any.
fn replayed(
    index: &WatchIndex<Arc<Session>>,
    key: Key,
    change: &Change,
    offset: &str,
) -> Option<String> {
    let packet = match change {
        Change::Event(Event::Tweet { .. }) => {
            let tweet = change.tweeted()?;
            if !index.receives(key, tweet.facts, tweet.tags) {
                return None;
            }
            events::new_tweet_packet(tweet.id, tweet.author, tweet.facts.reply_to)
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
    Some(events::with_offset(&packet, offset))
}
