//! `FirstPage`: the anonymous first page of the timeline, kept as ready-to-send JSON.
//!
//! A generation counter is bumped on every change; a cached page is served only if it was
//! loaded in the current generation. A reader that loads while a write lands stores its
//! page under the old generation, so it is never served stale.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde::Serialize;

use crate::domain::{Page, PageCursor, Tweet};
use crate::storage::{Store, StoreError};

/// Cached pages by `limit`, each with the generation it was loaded in.
#[derive(Default)]
pub struct FirstPage {
    generation: AtomicU64,
    pages: Mutex<HashMap<i64, (u64, Bytes)>>,
}

/// The JSON shape of a timeline answer.
#[derive(Serialize)]
struct TweetList<'a> {
    tweets: &'a [Tweet],
}

/// Read the newest `limit` tweets and encode them.
pub async fn load(store: &dyn Store, limit: i64) -> Result<Bytes, StoreError> {
    let tweets = store
        .tweets(
            None,
            Page {
                limit,
                cursor: PageCursor::Newest,
            },
            None,
        )
        .await?;
    let json = serde_json::to_vec(&TweetList { tweets: &tweets }).map_err(anyhow::Error::from)?;
    Ok(Bytes::from(json))
}

impl FirstPage {
    /// The page from memory if current, else from the store (and remembered).
    pub async fn get_or_load(&self, store: &dyn Store, limit: i64) -> Result<Bytes, StoreError> {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some((cached_in, json)) = self.lock().get(&limit)
            && *cached_in == generation
        {
            return Ok(json.clone());
        }
        let json = load(store, limit).await?;
        self.lock().insert(limit, (generation, json.clone()));
        Ok(json)
    }

    /// Forget every cached page.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (u64, Bytes)>> {
        // The map holds plain data; a panic elsewhere cannot leave it inconsistent.
        self.pages
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
