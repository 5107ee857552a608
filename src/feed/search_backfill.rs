//! The search index's background work. Indexing the tweets stored before search existed:
//! after an upgrade, a background task gives them their tags and search words, newest first,
//! a batch per transaction, so recent tweets are found first and nothing waits on it. Every
//! node may run it: batches take the store's write lock, so two nodes never index the same
//! tweets twice over. And, on SQLite, moving new tweets' words into the index a batch at a
//! time (`index_pending_words`), so a tweet's own transaction writes one plain row: search
//! reads the words still waiting, so nothing is unfindable meanwhile.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::storage::Store;

/// Tweets indexed per transaction.
const BATCH: i64 = 500;
/// How often progress is logged.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// The pause between two batches.
const PAUSE: Duration = Duration::from_millis(50);
/// How long to wait after the store failed before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Most pending tweets' words moved into the index per transaction.
const PENDING_BATCH: i64 = 2000;
/// How often pending words are moved: each move writes one index segment, so a tweet rate of
/// thousands a second makes batches of hundreds.
const PENDING_EVERY: Duration = Duration::from_millis(100);

/// Move new tweets' words into the search index every `PENDING_EVERY`, for as long as the
/// server runs (on PostgreSQL, where a tweet's row holds its words, each round is a no-op).
pub async fn index_pending_words(store: Arc<dyn Store>) {
    let mut every = tokio::time::interval(PENDING_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        loop {
            match store.index_pending_words(PENDING_BATCH).await {
                Ok(moved) if moved as i64 == PENDING_BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot move new tweets' words into the search index; retrying");
                    tokio::time::sleep(RETRY_AFTER).await;
                    break;
                }
            }
        }
    }
}

/// Index every tweet not yet indexed; logs its progress, and returns when none is left.
pub async fn backfill_search(store: Arc<dyn Store>) {
    let started = Instant::now();
    let mut logged = Instant::now();
    let mut first_upto = None;
    loop {
        match store.backfill_search(BATCH).await {
            Ok(0) => {
                if first_upto.is_some() {
                    tracing::info!(
                        seconds = started.elapsed().as_secs(),
                        "search backfill done: every tweet is indexed"
                    );
                }
                return;
            }
            Ok(upto) => {
                if first_upto.is_none() {
                    tracing::info!(
                        upto,
                        "indexing tweets stored before search existed, newest first"
                    );
                    first_upto = Some(upto);
                }
                if logged.elapsed() >= PROGRESS_EVERY {
                    tracing::info!(upto, "search backfill: tweets above this id are indexed");
                    logged = Instant::now();
                }
                // Leave the database to other writers between batches: SQLite's busy wait
                // would otherwise starve them (a start-up's own write timed out behind
                // back-to-back batches).
                tokio::time::sleep(PAUSE).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "search backfill: cannot write to the store; retrying");
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    }
}
