//! The notifier: one task that makes the notifications posted tweets cause (replies and
//! mentions), off the write path. The writer hands over each batch's notifications without
//! waiting and answers its posters; whatever has queued up here is then made with one
//! `Store::notify` call (per 1,024) and announced.
//!
//! Why a task of its own: a tweet naming dozens of people costs dozens of rows, and the
//! writer is the one queue every post waits in. A poster whose tweet notifies someone still
//! waits for *its own* notifications (`Ticket`), so a reply's notification is listed by the
//! time its 201 arrives; a post that notifies nobody never waits here at all.
//!
//! Mention spam is bounded twice: a tweet notifies at most `--max-mention-notifications` of
//! the people it names (`super::notifications::tweet_notifications`), and mention notifications count
//! toward a per-account limit (`--mention-rate-limit`, a `limit::KeyedLimit` as the HTTP limits
//! use), past which the tweet stands but makes no more of them.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use governor::Quota;
use tokio::sync::{mpsc, watch};

use crate::changes::Changes;
use crate::domain::{NewNotification, NotificationKind};
use crate::limit::KeyedLimit;
use crate::storage::Store;

/// Most writer batches taken off the queue at once; more queued wait for the next round.
const MAX_BATCHES: usize = 64;
/// Most notifications made by one `Store::notify` call (one statement: its parameters are
/// bounded, 65,535 on PostgreSQL).
const MAX_PER_CALL: usize = 1024;

/// How many notifications tweets may make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationLimits {
    /// Most people one tweet notifies of a mention (`--max-mention-notifications`).
    pub max_mentions_per_tweet: usize,
    /// Mention notifications one account may cause per hour (`--mention-rate-limit`;
    /// `None`: no limit).
    pub mentions_per_hour: Option<NonZeroU32>,
}

impl Default for NotificationLimits {
    /// What `chirp serve` does with no flags.
    fn default() -> Self {
        Self {
            max_mentions_per_tweet: 10,
            mentions_per_hour: NonZeroU32::new(200),
        }
    }
}

/// A batch on its way to the notifier, with its number.
type Numbered = (u64, Vec<NewNotification>);

/// Handle to the notifier task. Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    /// The queue and the number of the last batch put on it, behind one lock so numbers
    /// follow queue order.
    queue: Arc<Mutex<(u64, mpsc::UnboundedSender<Numbered>)>>,
    /// The number of the last batch made (or given up on).
    done: watch::Receiver<u64>,
}

/// A promise that a batch handed to the notifier has been made.
#[derive(Clone)]
pub struct Ticket {
    number: u64,
    done: watch::Receiver<u64>,
}

impl Ticket {
    /// Wait until the batch has been made (or the notifier has stopped).
    pub async fn wait(mut self) {
        let number = self.number;
        let _ = self.done.wait_for(|&done| done >= number).await;
    }
}

impl Notifier {
    /// Spawn the notifier task.
    pub fn start(store: Arc<dyn Store>, changes: Changes, limits: NotificationLimits) -> Self {
        let (queue, batches) = mpsc::unbounded_channel();
        let (made, done) = watch::channel(0);
        let limiter = KeyedLimit::new("mentions", limits.mentions_per_hour.map(Quota::per_hour));
        tokio::spawn(run(store, changes, limiter, batches, made));
        Self {
            queue: Arc::new(Mutex::new((0, queue))),
            done,
        }
    }

    /// Queue `batch` without waiting; `None` when there is nothing to make.
    pub fn send(&self, batch: Vec<NewNotification>) -> Option<Ticket> {
        if batch.is_empty() {
            return None;
        }
        // Plain data, never left half-changed: a poisoned lock is still usable.
        let mut queue = self.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.0 += 1;
        let number = queue.0;
        if queue.1.send((number, batch)).is_err() {
            tracing::warn!("the notifier has stopped; notifications were not made");
            return None;
        }
        Some(Ticket {
            number,
            done: self.done.clone(),
        })
    }
}

async fn run(
    store: Arc<dyn Store>,
    changes: Changes,
    limiter: KeyedLimit<i64>,
    mut batches: mpsc::UnboundedReceiver<Numbered>,
    made: watch::Sender<u64>,
) {
    let mut queued = Vec::new();
    while batches.recv_many(&mut queued, MAX_BATCHES).await > 0 {
        let mut last = 0;
        let mut all = Vec::new();
        for (number, batch) in queued.drain(..) {
            last = number;
            all.extend(batch);
        }
        all.retain(|n| within_mention_limit(&limiter, n));
        for chunk in all.chunks(MAX_PER_CALL) {
            super::notifications::notify(&*store, &changes, chunk).await;
        }
        made.send_replace(last);
    }
}

/// Whether `n` may be made: anything but a mention always; a mention while its actor's
/// allowance lasts (counting it).
fn within_mention_limit(limiter: &KeyedLimit<i64>, n: &NewNotification) -> bool {
    if n.kind != NotificationKind::Mention || n.recipient == n.actor {
        return true;
    }
    if limiter.check(&n.actor).is_ok() {
        return true;
    }
    tracing::debug!(
        actor = n.actor,
        tweet = n.tweet,
        "mention rate limit: notification not made"
    );
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mention(actor: i64, recipient: i64) -> NewNotification {
        NewNotification {
            recipient,
            kind: NotificationKind::Mention,
            actor,
            tweet: Some(1),
            report: None,
        }
    }

    #[test]
    fn mentions_past_the_limit_are_dropped_other_kinds_never() {
        let limiter = KeyedLimit::new(
            "mentions",
            Some(Quota::per_hour(NonZeroU32::new(3).unwrap())),
        );
        let made: Vec<bool> = (10..15)
            .map(|r| within_mention_limit(&limiter, &mention(1, r)))
            .collect();
        assert_eq!(made, [true, true, true, false, false]);
        assert!(
            within_mention_limit(&limiter, &mention(2, 10)),
            "another account is unaffected"
        );
        let reply = NewNotification {
            kind: NotificationKind::Reply,
            ..mention(1, 10)
        };
        assert!(within_mention_limit(&limiter, &reply));
    }
}
