//! The tweet writer: one task that takes posted drafts off a queue, stores whatever has
//! queued up in one transaction, forgets the cached first page, announces the new tweets in
//! id order and answers each poster.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::FirstPage;
use crate::domain::{Draft, Tweet};
use crate::realtime::Realtime;
use crate::storage::{Store, StoreError};

/// Most drafts stored in one transaction.
const MAX_BATCH: usize = 256;
/// Drafts that may wait; posters beyond that wait for room (backpressure).
const QUEUE: usize = 4096;

struct Job {
    draft: Draft,
    reply: oneshot::Sender<Result<Tweet, StoreError>>,
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Spawn the writer task.
    pub fn start(
        store: Arc<dyn Store>,
        realtime: Realtime,
        first_page: Option<Arc<FirstPage>>,
    ) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(run(store, realtime, first_page, jobs));
        Self { queue }
    }

    /// Queue a draft and wait for it to be stored.
    pub async fn post(&self, draft: Draft) -> Result<Tweet, StoreError> {
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
    realtime: Realtime,
    first_page: Option<Arc<FirstPage>>,
    mut jobs: mpsc::Receiver<Job>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (drafts, replies): (Vec<Draft>, Vec<_>) =
            batch.drain(..).map(|job| (job.draft, job.reply)).unzip();
        match store.create_tweets(&drafts).await {
            Ok(tweets) => {
                if let Some(cache) = &first_page {
                    cache.invalidate();
                }
                metrics::counter!("chirp_tweets_created_total").increment(tweets.len() as u64);
                for (tweet, reply) in tweets.into_iter().zip(replies) {
                    realtime.announce_tweet(&tweet);
                    let _ = reply.send(Ok(tweet));
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(share(&e)));
                }
            }
        }
    }
}

/// The same failure for every poster in a failed batch.
fn share(err: &StoreError) -> StoreError {
    match err {
        StoreError::NotFound => StoreError::NotFound,
        StoreError::Conflict => StoreError::Conflict,
        StoreError::Unavailable(why) => StoreError::Unavailable(why.clone()),
        StoreError::Other(e) => StoreError::Other(anyhow::anyhow!("{e:#}")),
    }
}
