//! The JSON API: one router per resource, merged here, sharing `AppState`.
//!
//! Every failure is an `ApiError`; unknown `/api/…` paths and wrong methods answer in the
//! same error shape. Request bodies are limited to 16 KiB; a larger one is drained (within
//! bounds) before its 413, so the client can read the answer.

mod answers;
mod body;
mod error;
mod extract;
mod follows;
mod health;
mod in_flight;
mod limit;
mod notifications;
mod openapi;
mod paging;
mod profiles;
mod sessions;
mod suggestions;
mod timelines;
mod tweets;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use metrics_exporter_prometheus::PrometheusHandle;

pub use answers::{JsonBodyAnswers, PublicAnswers, SignedInAnswers};
pub use error::{ApiError, ErrorBody, ErrorCode, ErrorDetail};
pub use health::track_latency;
pub use in_flight::{InFlight, count_in_flight};
pub use limit::{AccountLimiter, Limiter, RateLimits};

use crate::auth::Hasher;
use crate::domain::CursorKey;
use crate::feed::Feed;
use crate::origin::OriginPolicy;
use crate::realtime::Realtime;
use crate::storage::Store;

/// Largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

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
    /// Announcements to sockets.
    pub realtime: Realtime,
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
    /// Signs and checks follow-list cursors (the same on every node).
    pub cursor_key: CursorKey,
}

/// The API routes (`/api/…`, `/healthz`, `/metrics`).
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(users::router())
        .merge(sessions::router())
        .merge(tweets::router())
        .merge(profiles::router())
        .merge(follows::router())
        .merge(timelines::router())
        .merge(notifications::router())
        .merge(suggestions::router())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(body::limit_body))
        .merge(health::router())
        .merge(openapi::router())
        .route("/api", axum::routing::any(api_not_found))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .method_not_allowed_fallback(method_not_allowed)
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound("There is no such API endpoint.".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
