//! The follow writer: one task that takes follow and unfollow requests off a queue, stores
//! whatever has queued up in one transaction (`Follows::set_follows`: the follows and every
//! user's counters), then, in the order committed, publishes each change that changed
//! something (`Change::follow`), hands the batch's `follow` notifications to the notifier
//! (shared with the tweet writer; not waited for here, so the next batch is not held up) and
//! answers each requester with their own outcome. A requester waits until the broker has
//! handed their change on (in a cluster: Redis took it, so a tweet stored after the answer
//! reaches every node after the follow) and, for a new follow, until the notification is
//! made, as before batching.
//!
//! As with tweets (`writer`): a missing user fails only its own request (the store answers
//! each change), a batch the database refuses is stored again one change at a time, and
//! only an unavailable database fails the whole batch at once.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::notifier::{Notifier, Ticket};
use super::writer::{MAX_BATCH, QUEUE, share};
use crate::changes::{Change, Changes};
use crate::domain::{NewNotification, NotificationKind};
use crate::storage::{FollowChange, Store, StoreError};

/// Whether a change changed anything, the broker's acknowledgement of its publication if it
/// did, and the promise of its notification if it makes one.
type Outcome = Result<(bool, Option<Acknowledged>, Option<Ticket>), StoreError>;

/// Ready once the broker has handed a published change on.
type Acknowledged = futures_util::future::BoxFuture<'static, ()>;

struct Job {
    change: FollowChange,
    reply: oneshot::Sender<Outcome>,
}

/// Handle to the follow writer task.
#[derive(Clone)]
pub struct FollowWriter {
    queue: mpsc::Sender<Job>,
}

impl FollowWriter {
    /// Spawn the follow writer task, which hands notifications to `notifier`.
    pub fn start(store: Arc<dyn Store>, changes: Changes, notifier: Notifier) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, changes, notifier, jobs));
        Self { queue }
    }

    /// Queue a follow change and wait until it is stored, published and its notification
    /// made; answers whether it changed anything.
    pub async fn apply(&self, change: FollowChange) -> Result<bool, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the follow writer has stopped".into());
        self.queue
            .send(Job { change, reply })
            .await
            .map_err(|_| stopped())?;
        let (changed, acknowledged, notified) = answer.await.map_err(|_| stopped())??;
        if let Some(acknowledged) = acknowledged {
            acknowledged.await;
        }
        if let Some(ticket) = notified {
            ticket.wait().await;
        }
        Ok(changed)
    }
}

async fn run(
    store: Arc<dyn Store>,
    changes: Changes,
    notifier: Notifier,
    mut jobs: mpsc::Receiver<Job>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (items, replies): (Vec<FollowChange>, Vec<_>) =
            batch.drain(..).map(|job| (job.change, job.reply)).unzip();
        let answers = store_batch(&*store, &items).await;
        let mut notifications = Vec::new();
        let mut acks: Vec<Option<Acknowledged>> = Vec::with_capacity(items.len());
        for (item, answer) in items.iter().zip(&answers) {
            if !matches!(answer, Ok(true)) {
                acks.push(None);
                continue;
            }
            let change = Change::follow(item.follower, item.followee, item.on);
            acks.push(Some(Box::pin(changes.publish_acknowledging(change))));
            if item.on {
                notifications.push(NewNotification {
                    recipient: item.followee,
                    kind: NotificationKind::Follow,
                    actor: item.follower,
                    tweet: None,
                    report: None,
                });
            }
        }
        let ticket = notifier.send(notifications);
        for (((item, answer), reply), ack) in items.iter().zip(answers).zip(replies).zip(acks) {
            let _ = reply.send(answer.map(|changed| {
                let notifies = changed && item.on;
                (changed, ack, ticket.clone().filter(|_| notifies))
            }));
        }
    }
}

/// Store `items` in one transaction; if that is refused, store them one at a time (in
/// order) and give each its own answer. One answer per item.
async fn store_batch(store: &dyn Store, items: &[FollowChange]) -> Vec<Result<bool, StoreError>> {
    let err = match store.set_follows(items).await {
        Ok(answers) => return answers,
        Err(e) => e,
    };
    if items.len() == 1 || matches!(err, StoreError::Unavailable(_)) {
        return items.iter().map(|_| Err(share(&err))).collect();
    }
    tracing::warn!(
        error = %err,
        changes = items.len(),
        "a batch of follows was refused; storing them one by one"
    );
    let mut answers = Vec::with_capacity(items.len());
    for item in items {
        let answer = store
            .set_follow(item.follower, item.followee, item.on)
            .await;
        if let Err(e) = &answer {
            tracing::warn!(error = %e, follower = item.follower, "a follow was refused");
        }
        answers.push(answer);
    }
    answers
}
