//! The sweep: every `sweep_every`, remove uploads never attached to a tweet once they are
//! `sweep_age` old (24 hours by default), and the images of tweets deleted within the last
//! `sweep_age` (should a node have stopped between deleting a tweet and its files). Safe on several nodes at
//! once: removing what is gone already is not an error.

use std::sync::Arc;

use super::Media;
use crate::domain::now_micros;

/// Rows handled per read, so one sweep never holds a large list.
const BATCH: i64 = 100;

/// Start sweeping in the background, for as long as the process runs.
pub fn start_sweeper(media: Arc<Media>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(media.config.sweep_every);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let removed = media.sweep().await;
            if removed > 0 {
                tracing::info!(removed, "media sweep removed unused uploads");
            }
        }
    })
}

impl Media {
    /// One sweep; answers how many uploads were removed.
    pub async fn sweep(&self) -> usize {
        let age = i64::try_from(self.config.sweep_age.as_micros()).unwrap_or(i64::MAX);
        let cutoff = now_micros().saturating_sub(age);
        let mut removed = 0;
        loop {
            let rows = match self.store.stale_media(cutoff, BATCH).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "media sweep cannot read the database");
                    return removed;
                }
            };
            let mut progress = false;
            for row in &rows {
                if self.remove(row).await {
                    removed += 1;
                    progress = true;
                }
            }
            // A short batch was the last; a batch where nothing went would come back again.
            if rows.len() < BATCH as usize || !progress {
                return removed;
            }
        }
    }
}
