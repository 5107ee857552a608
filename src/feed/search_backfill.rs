//! Indexing the tweets stored before search existed: after an upgrade, a background task
//! gives them their tags and search words, newest first, a batch per transaction, so recent
//! tweets are found first and nothing waits on it. Every node may run it: batches take the
//! store's write lock, so two nodes never index the same tweets twice over.

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
