//! `ChangeLog`: the one ordered log of what this node delivered to sockets and streams
//! (new tweets, deletions, notifications), numbered from 1 under a per-process epoch and
//! kept for a window (ten minutes by default), so that a client that lost its connection
//! gets exactly what it missed: Socket.IO connection state recovery (`realtime`) and the
//! Mastodon SSE `Last-Event-ID` (`mastodon::streams`) both replay from here.
//!
//! The log is a listener registered before the sockets and the streams: it numbers each
//! event as it is delivered, so while a later listener is told of an event, `last()` is that
//! event's number. A listener that remembers the number it routed last (under its own lock)
//! and registers a newcomer under that same lock replays `since(after, routed)` and nothing
//! falls between the replay and live delivery, or comes twice.
//!
//! Positions are written `<epoch>-<number>` (`position`): a position from another node or
//! an earlier run is not this log's, and replays nothing from here. Socket.IO offsets add the
//! store's watermarks at that event (`offset`: `<epoch>-<number>-<tweet id>-<time>`), which
//! any node can replay from through the store: every tweet up to that id was delivered here
//! (tweets are delivered in id order), and every deletion and notification made a moment
//! (`MARK_MARGIN`) before that time.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::change::{Change, Event};
use super::listener::Listener;

/// Most events kept (a bound on memory whatever the rate).
const MAX_LOGGED: usize = 200_000;
/// How far before an event its time watermark is put: a deletion or notification made just
/// before may still be on its way to this node (so one replayed from the store may repeat).
const MARK_MARGIN_MICROS: i64 = 1_000_000;

/// Where the store stood for a client when an event was delivered: what a node that does
/// not have this log replays after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Marks {
    /// Every tweet up to this id was delivered.
    pub tweet: i64,
    /// Every deletion and notification made before this time (UTC microseconds) was.
    pub time: i64,
}

impl Marks {
    /// The later of two marks, field by field.
    pub fn max(self, other: Self) -> Self {
        Self {
            tweet: self.tweet.max(other.tweet),
            time: self.time.max(other.time),
        }
    }
}
/// This node's ordered log of delivered events.
pub struct ChangeLog {
    epoch: String,
    window: Duration,
    inner: Mutex<Entries>,
}

struct Entries {
    /// The number of the newest event (0: none yet).
    last: u64,
    /// The highest number dropped from the front (past the window or the bound).
    dropped: u64,
    /// The highest tweet id delivered (or stored at start).
    newest_tweet: i64,
    events: VecDeque<Logged>,
}

struct Logged {
    number: u64,
    at: Instant,
    marks: Marks,
    change: Arc<Change>,
}

impl ChangeLog {
    /// An empty log keeping events for `window`, under a fresh random epoch; `newest_tweet`
    /// is the newest tweet stored at start.
    pub fn new(window: Duration, newest_tweet: i64) -> Arc<Self> {
        Arc::new(Self {
            epoch: format!("{:08x}", rand::random::<u32>()),
            window,
            inner: Mutex::new(Entries {
                last: 0,
                dropped: 0,
                newest_tweet,
                events: VecDeque::new(),
            }),
        })
    }

    /// The marks of the events up to now, for a client up to date now.
    pub fn marks_now(&self) -> Marks {
        Marks {
            tweet: self.lock().newest_tweet,
            time: crate::domain::now_micros() - MARK_MARGIN_MICROS,
        }
    }

    /// The marks at event `number` (as of now, if it is no longer kept).
    pub fn marks_at(&self, number: u64) -> Marks {
        let inner = self.lock();
        let found = inner
            .events
            .binary_search_by_key(&number, |e| e.number)
            .ok()
            .and_then(|i| inner.events.get(i));
        match found {
            Some(e) => e.marks,
            None => {
                drop(inner);
                self.marks_now()
            }
        }
    }

    /// The marks of a client up to date with event `number` from now on (its connect, a new
    /// watch): that event's tweet mark, and the time now.
    pub fn start_marks(&self, number: u64) -> Marks {
        Marks {
            tweet: self.marks_at(number).tweet,
            time: crate::domain::now_micros() - MARK_MARGIN_MICROS,
        }
    }

    /// The Socket.IO offset of event `number`: its position and its marks.
    pub fn offset(&self, number: u64) -> String {
        let marks = self.marks_at(number);
        format!("{}-{number}-{}-{}", self.epoch, marks.tweet, marks.time)
    }

    /// The marks an offset from any node carries.
    pub fn marks_in(offset: &str) -> Option<Marks> {
        let mut parts = offset.split('-').skip(2);
        let tweet = parts.next()?.parse().ok()?;
        let time = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(Marks { tweet, time })
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // Plain data; nothing panics while holding it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The number of the newest event logged (0 before the first): while a listener after the
    /// log is told of an event, that event's number.
    pub fn last(&self) -> u64 {
        self.lock().last
    }

    /// How event `number` is named to clients: `<epoch>-<number>`.
    pub fn position(&self, number: u64) -> String {
        format!("{}-{number}", self.epoch)
    }

    /// The number a client's `position` (or `offset`) names, if it is this log's (this
    /// node, this run).
    pub fn parse(&self, position: &str) -> Option<u64> {
        let (epoch, rest) = position.split_once('-')?;
        let number = rest.split_once('-').map_or(rest, |(number, _)| number);
        if epoch != self.epoch || number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        number.parse().ok()
    }

    /// The events numbered after `after` up to `upto`, in order; `None` when some of them are
    /// no longer kept (the client was away too long).
    pub fn since(&self, after: u64, upto: u64) -> Option<Vec<(u64, Arc<Change>)>> {
        if after < self.lock().dropped {
            return None;
        }
        Some(self.kept_since(after, upto))
    }

    /// The events still kept that are numbered after `after` up to `upto`, in order (those
    /// past the window are gone).
    pub fn kept_since(&self, after: u64, upto: u64) -> Vec<(u64, Arc<Change>)> {
        let inner = self.lock();
        inner
            .events
            .iter()
            .filter(|e| e.number > after && e.number <= upto)
            .map(|e| (e.number, e.change.clone()))
            .collect()
    }

    /// Number and keep one event; drop what is past the window or the bound.
    fn append(&self, change: &Change) {
        let now = Instant::now();
        let mut inner = self.lock();
        while inner.events.len() >= MAX_LOGGED
            || inner
                .events
                .front()
                .is_some_and(|e| now.duration_since(e.at) > self.window)
        {
            if let Some(e) = inner.events.pop_front() {
                inner.dropped = e.number;
            }
        }
        if let Some(id) = change.tweet_id() {
            inner.newest_tweet = inner.newest_tweet.max(id);
        }
        inner.last += 1;
        let marks = Marks {
            tweet: inner.newest_tweet,
            time: crate::domain::now_micros() - MARK_MARGIN_MICROS,
        };
        let number = inner.last;
        inner.events.push_back(Logged {
            number,
            at: now,
            marks,
            change: Arc::new(change.clone()),
        });
    }
}

impl Listener for ChangeLog {
    fn deliver(&self, change: &Change) {
        if matches!(
            change,
            Change::Event(Event::Tweet { .. } | Event::Deleted { .. } | Event::Notification { .. })
        ) {
            self.append(change);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_events_and_replays_a_range_of_this_logs_positions() {
        let log = ChangeLog::new(Duration::from_secs(60), 5);
        log.deliver(&Change::deleted(7));
        log.deliver(&Change::liked(7));
        log.deliver(&Change::deleted(8));
        assert_eq!(log.last(), 2, "only what sockets hear is numbered");
        let at = log.position(1);
        assert_eq!(log.parse(&at), Some(1));
        assert_eq!(
            log.parse("ffffffff-1").filter(|_| log.epoch != "ffffffff"),
            None
        );
        assert_eq!(log.parse(&format!("{}-x", log.epoch)), None);
        let since = log.since(1, 2).unwrap();
        assert_eq!(since.len(), 1);
        assert_eq!(*since[0].1, Change::deleted(8));
        assert!(log.since(0, 1).unwrap().len() == 1);
        let offset = log.offset(2);
        assert_eq!(log.parse(&offset), Some(2));
        assert_eq!(ChangeLog::marks_in(&offset).map(|m| m.tweet), Some(5));
        assert_eq!(ChangeLog::marks_in(&log.position(2)), None);
    }

    #[test]
    fn a_range_partly_dropped_replays_nothing() {
        let log = ChangeLog::new(Duration::ZERO, 0);
        log.deliver(&Change::deleted(1));
        std::thread::sleep(Duration::from_millis(2));
        log.deliver(&Change::deleted(2));
        assert!(log.since(0, 2).is_none(), "event 1 is gone");
        assert_eq!(log.since(1, 2).map(|v| v.len()), Some(1));
    }
}
