//! Image attachments: uploads checked, decoded and re-encoded (the `chirp-picture` crate,
//! `crates/chirp-picture`) on a fixed set
//! of workers with a bounded wait (`pool`), their files kept in a directory or an
//! S3-compatible bucket (`files`), their rows in the database (`storage::MediaRows`), and
//! the removal of files nobody can reach any more (`sweep`). Both APIs read the upload form
//! (`form`) and check the uploads a post names (`Media::first_unavailable`) here, so an
//! image is taken by the same rules through either.
//!
//! Invariants: nothing is stored that was not decoded and re-encoded here; a row exists
//! only once its files do (files first, then the row; removal the other way round: files,
//! then the row), so a row always names files that exist, give or take a sweep.

mod files;
mod form;
mod pool;
mod sweep;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

pub use chirp_picture::{
    MAX_SIDE, PREVIEW_SIDE, Processed, Refusal, content_type, decode, process,
};
pub use files::{Files, extension_of};
pub use form::{FormError, UploadForm};
pub use pool::{Pool, PoolError};
pub use sweep::start_sweeper;

use crate::domain::{Description, MediaIds, NewMedia, StoredMedia};
use crate::storage::{Store, StoreError};

/// How the media service is set up (from `chirp serve`'s media flags).
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// `file://PATH` or `s3://BUCKET/PREFIX`.
    pub url: String,
    /// Largest upload accepted, in bytes.
    pub max_bytes: usize,
    /// Largest image accepted, in pixels (width × height, read from the header).
    pub max_pixels: u64,
    /// Images processed at once (0: one per core).
    pub workers: usize,
    /// Most uploads in the pool at once, running or waiting.
    pub queue: usize,
    /// Longest wait for a worker before answering 503.
    pub wait: Duration,
    /// Age at which an upload never attached is removed.
    pub sweep_age: Duration,
    /// Time between two sweeps.
    pub sweep_every: Duration,
}

/// Why an upload was not stored.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The bytes are not an image this server takes (415 or 400).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// Every worker is busy: try again in a moment (503).
    #[error("every media worker is busy")]
    Busy,
    /// The database refused or is away.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file store failed (logged; 503, since it is usually away rather than broken).
    #[error("the media store failed: {0}")]
    Files(String),
    /// A bug in image work.
    #[error("image work failed: {0}")]
    Failed(String),
}

impl From<object_store::Error> for MediaError {
    fn from(err: object_store::Error) -> Self {
        Self::Files(err.to_string())
    }
}

/// The media service: what the HTTP layer calls.
pub struct Media {
    config: MediaConfig,
    files: Files,
    pool: Pool,
    store: Arc<dyn Store>,
}

impl Media {
    /// Open the file store and start the workers.
    pub fn open(config: MediaConfig, store: Arc<dyn Store>) -> anyhow::Result<Self> {
        Ok(Self {
            files: Files::open(&config.url)?,
            pool: Pool::new(config.workers, config.queue, config.wait),
            config,
            store,
        })
    }

    /// Largest upload accepted, in bytes.
    pub fn max_bytes(&self) -> usize {
        self.config.max_bytes
    }

    /// Largest image accepted, in pixels.
    pub fn max_pixels(&self) -> u64 {
        self.config.max_pixels
    }

    /// Read an upload's form (`file`, `description`) from `request`, within the limits.
    pub async fn read_upload(
        &self,
        request: axum::extract::Request,
    ) -> Result<UploadForm, FormError> {
        form::read_upload(request, self.config.max_bytes).await
    }

    /// The first of `ids` that is not `owner`'s upload waiting for a tweet, if any (storage
    /// checks again, in the transaction that attaches them).
    pub async fn first_unavailable(
        &self,
        owner: i64,
        ids: &MediaIds,
    ) -> Result<Option<i64>, StoreError> {
        for id in ids.ids() {
            if self.store.free_upload(*id, owner).await?.is_none() {
                return Ok(Some(*id));
            }
        }
        Ok(None)
    }

    /// Check and re-encode `bytes`, store both files, then record the upload as `owner`'s.
    pub async fn upload(
        &self,
        owner: i64,
        bytes: Bytes,
        description: Description,
    ) -> Result<StoredMedia, MediaError> {
        let max_pixels = self.config.max_pixels;
        let processed = self
            .pool
            .run(move || process(&bytes, max_pixels))
            .await
            .map_err(|e| match e {
                PoolError::Busy => MediaError::Busy,
                PoolError::Failed(why) => MediaError::Failed(why),
            })??;
        let stem = files::new_stem();
        let file_key = files::new_key(&stem, "", processed.file.extension);
        let preview_key = files::new_key(&stem, "-small", processed.preview.extension);
        let new = NewMedia {
            owner_id: owner,
            file_key: file_key.clone(),
            size: (processed.file.width, processed.file.height),
            preview_key: preview_key.clone(),
            preview_size: (processed.preview.width, processed.preview.height),
            description,
            blurhash: processed.blurhash,
        };
        self.files.put(&file_key, processed.file.bytes).await?;
        self.files
            .put(&preview_key, processed.preview.bytes)
            .await?;
        match self.store.create_media(&new).await {
            Ok(stored) => Ok(stored),
            Err(e) => {
                // No row will name them: do not leave them behind.
                self.remove_files(&file_key, &preview_key).await;
                Err(e.into())
            }
        }
    }

    /// A stored file and its content type, if `key` names one.
    pub async fn file(&self, key: &str) -> Result<Option<(Bytes, &'static str)>, MediaError> {
        let Some(content_type) = extension_of(key).and_then(content_type) else {
            return Ok(None);
        };
        Ok(self
            .files
            .get(key)
            .await?
            .map(|bytes| (bytes, content_type)))
    }

    /// Remove the images of a deleted tweet: files, then rows. Failures are logged and
    /// left to the sweep (which finds the rows of recently deleted tweets).
    pub async fn forget_tweet(&self, tweet_id: i64) {
        match self.store.tweet_media(tweet_id).await {
            Ok(rows) => {
                for row in rows {
                    self.remove(&row).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, tweet_id, "cannot list a deleted tweet's images"),
        }
    }

    /// Remove one upload: its files, then (if they went) its row.
    async fn remove(&self, row: &StoredMedia) -> bool {
        if !self.remove_files(&row.file_key, &row.preview_key).await {
            return false;
        }
        match self.store.delete_media(row.attachment.id).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, media = row.attachment.id, "cannot forget an upload");
                false
            }
        }
    }

    async fn remove_files(&self, file_key: &str, preview_key: &str) -> bool {
        for key in [file_key, preview_key] {
            if let Err(e) = self.files.delete(key).await {
                tracing::warn!(error = %e, key, "cannot remove a media file");
                return false;
            }
        }
        true
    }
}
