//! The media workers: at most `workers` images are decoded and encoded at once, off the
//! request threads (tokio's blocking threads, each holding one of `workers` permits), so
//! the memory image work can take is bounded by the pool, not by how many upload at once.
//!
//! An upload waits for a worker at most `wait`, and at most `queue` uploads are in the pool
//! at all, running or waiting (each holds its body meanwhile); past either it is told to
//! come back later (`Busy`: 503 with `Retry-After`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

/// Why a job did not run.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// Every worker is taken and the wait (or the queue) is full: try again later.
    #[error("every media worker is busy")]
    Busy,
    /// The job panicked (a bug in a codec): logged, answered 500.
    #[error("a media job failed: {0}")]
    Failed(String),
}

/// A fixed number of media workers with a bounded wait.
#[derive(Debug, Clone)]
pub struct Pool {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
    wait: Duration,
}

impl Pool {
    /// `workers` at once (0: one per core); at most `queue` jobs in the pool, running or
    /// waiting, each waiting at most `wait`.
    pub fn new(workers: usize, queue: usize, wait: Duration) -> Self {
        let workers = match workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        Self {
            permits: Arc::new(Semaphore::new(workers)),
            waiting: Arc::new(AtomicUsize::new(0)),
            queue,
            wait,
        }
    }

    /// Run `job` on a worker and answer its result.
    pub async fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, PoolError> {
        if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(PoolError::Busy);
        }
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        let Ok(Ok(permit)) = permit else {
            return Err(PoolError::Busy);
        };
        // The permit travels with the job: a caller that stops waiting does not free the
        // worker before the work is done.
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|e| PoolError::Failed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_pool_answers_busy_after_the_wait() {
        let pool = Pool::new(1, 8, Duration::from_millis(50));
        let slow = pool.clone();
        let running = tokio::spawn(async move {
            slow.run(|| std::thread::sleep(Duration::from_millis(400)))
                .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(matches!(pool.run(|| 1).await, Err(PoolError::Busy)));
        running.await.unwrap().unwrap();
        assert_eq!(pool.run(|| 2).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn no_queue_means_no_waiting() {
        let pool = Pool::new(1, 0, Duration::from_secs(5));
        assert!(matches!(pool.run(|| 1).await, Err(PoolError::Busy)));
    }
}
