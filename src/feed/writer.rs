//! The tweet writer: one task that takes posted drafts off a queue, stores whatever has
//! queued up in one transaction, publishes the new tweets in id order (which updates the
//! caches), hands their reply and mention notifications to
//! the notifier (without waiting for them to be made) and answers each poster.
//!
//! Failures stay with their poster: when a batch is refused (a draft the database will not
//! take, say), the drafts are stored again one by one, in order, so each poster gets the
//! answer for their own draft and one bad draft never fails someone else's tweet. Only an
//! unavailable database fails the whole batch at once: retrying each draft would just
//! wait out the same outage once per poster.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::notifier::{NotificationLimits, Notifier, Ticket};
use crate::changes::{Change, Changes};
use crate::domain::{Draft, Tweet};
use crate::storage::{Store, StoreError};

/// Most drafts (or follow changes: `follow_writer`) stored in one transaction.
pub(super) const MAX_BATCH: usize = 256;
/// Drafts (or follow changes) that may wait; posters beyond that wait for room
/// (backpressure).
pub(super) const QUEUE: usize = 4096;

struct Job {
    draft: Draft,
    reply: oneshot::Sender<Result<Posted, StoreError>>,
}

/// A stored tweet, and the promise of its notifications if it makes any.
pub struct Posted {
    /// The tweet as stored.
    pub tweet: Tweet,
    /// Kept once the notifications this tweet makes have been made.
    pub notified: Option<Ticket>,
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Spawn the writer task, which hands notifications to `notifier`.
    pub fn start(
        store: Arc<dyn Store>,
        changes: Changes,
        notifier: Notifier,
        limits: NotificationLimits,
    ) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let mentions = limits.max_mentions_per_tweet;
        tokio::spawn(run(store, changes, notifier, mentions, jobs));
        Self { queue }
    }

    /// Queue a draft and wait for it to be stored (not for its notifications: see
    /// `Posted::notified`).
    pub async fn post(&self, draft: Draft) -> Result<Posted, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the tweet writer has stopped".into());
        self.queue
            .send(Job { draft, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(
    store: Arc<dyn Store>,
    changes: Changes,
    notifier: Notifier,
    max_mentions: usize,
    mut jobs: mpsc::Receiver<Job>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (drafts, replies): (Vec<Draft>, Vec<_>) =
            batch.drain(..).map(|job| (job.draft, job.reply)).unzip();
        let answers = store_batch(&*store, &drafts).await;
        let stored = answers.iter().flatten().count();
        if stored > 0 {
            metrics::counter!("chirp_tweets_created_total").increment(stored as u64);
        }
        let mut notifications = Vec::new();
        let mut notifies = Vec::with_capacity(answers.len());
        for answer in &answers {
            let made = answer.as_ref().map_or(Vec::new(), |tweet| {
                changes.publish(Change::tweet(tweet));
                super::notifications::tweet_notifications(tweet, max_mentions)
            });
            notifies.push(!made.is_empty());
            notifications.extend(made);
        }
        // Handed over, not awaited: the next batch is not held up by this one's notifications.
        // Only the posters whose tweets notify someone wait for them (`Posted::notified`).
        let ticket = notifier.send(notifications);
        for ((answer, reply), notifies) in answers.into_iter().zip(replies).zip(notifies) {
            let _ = reply.send(answer.map(|tweet| Posted {
                tweet,
                notified: ticket.clone().filter(|_| notifies),
            }));
        }
    }
}

/// Store `drafts` in one transaction; if that is refused, store them one at a time (in
/// order, so ids still follow the queue) and give each its own answer. One answer per draft.
async fn store_batch(store: &dyn Store, drafts: &[Draft]) -> Vec<Result<Tweet, StoreError>> {
    let err = match store.create_tweets(drafts).await {
        Ok(tweets) => return tweets.into_iter().map(Ok).collect(),
        Err(e) => e,
    };
    if drafts.len() == 1 || matches!(err, StoreError::Unavailable(_)) {
        return drafts.iter().map(|_| Err(share(&err))).collect();
    }
    tracing::warn!(
        error = %err,
        drafts = drafts.len(),
        "a batch of tweets was refused; storing them one by one"
    );
    let mut answers = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let answer = store
            .create_tweets(std::slice::from_ref(draft))
            .await
            .and_then(|mut tweets| {
                tweets
                    .pop()
                    .ok_or_else(|| anyhow::anyhow!("storing one tweet returned none").into())
            });
        if let Err(e) = &answer {
            tracing::warn!(error = %e, author = draft.author.id, "a tweet was refused");
        }
        answers.push(answer);
    }
    answers
}

/// The same failure for every poster in a failed batch.
pub(super) fn share(err: &StoreError) -> StoreError {
    match err {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Blocked => StoreError::Blocked,
        StoreError::Conflict(on) => StoreError::Conflict(*on),
        StoreError::Unavailable(why) => StoreError::Unavailable(why.clone()),
        StoreError::Other(e) => StoreError::Other(anyhow::anyhow!("{e:#}")),
    }
}
