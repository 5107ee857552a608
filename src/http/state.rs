//! `AppState`: what every handler can reach (storage, sessions, the feed, the path of change, limits, keys),
//! one `Arc` shared by the routers. It imports no other file of `http` but the limits it
//! holds, so handlers and extractors can all depend on it without a circle.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;

use super::limit::RateLimits;
use crate::auth::Hasher;
use crate::changes::Changes;
use crate::config::Registrations;
use crate::domain::CursorKey;
use crate::feed::Feed;
use crate::media::Media;
use crate::origin::OriginPolicy;
use crate::storage::{Sessions, Store};

/// What every handler can reach: one `Arc`, so the clones axum makes for every extractor
/// cost one counter, not one per field (those showed in profiles of the cached GET path).
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    /// Share `services` with every handler.
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services behind `AppState`.
pub struct Services {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Sessions, through the session cache: sign-in checks and sign-outs go here.
    pub sessions: Arc<dyn Sessions>,
    /// The path of change: sign-outs on every node, and its health.
    pub changes: Changes,
    /// The origin rule for cookies.
    pub origins: Arc<OriginPolicy>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// Posting and the cached first page.
    pub feed: Feed,
    /// The password-hashing threads (sign-up, sign-in).
    pub hasher: Hasher,
    /// Rate limits: sign-in and sign-up per address; posts, likes, follows, profile edits
    /// and marking read per account.
    pub limits: RateLimits,
    /// Image uploads: processing, files and the sweep.
    pub media: Arc<Media>,
    /// Whether anyone may sign up (`--registrations`).
    pub registrations: Registrations,
    /// Signs and checks follow-list cursors (the same on every node).
    pub cursor_key: CursorKey,
}
