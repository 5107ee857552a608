//! The Mastodon client API (a subset of Mastodon 4.3's, served beside Chirp's own): an
//! adapter, not a second server. Requests become the same feed operations under the same
//! rules (visibility, blocks, mutes, suspensions, rate limits, notifications), and Chirp's
//! records become Mastodon's entities (`entities`, `content`), so that existing apps and
//! libraries (Mastodon.py, masto.js) work unchanged.
//!
//! - `oauth` and `consent`: apps, tokens (hashed; a user's token is also a session) and
//!   the consent page; `scopes` decides what a token may do.
//! - `instance`: discovery. `accounts`, `statuses`, `media`, `timelines`, `notifications`,
//!   `markers`, `reports`, `search`: the resources.
//! - `streams`: streams as watchers in a watch index (a listener of changes), with the
//!   ten-minute log that `Last-Event-ID` replays; `sse` and `websocket` serve them,
//!   `stream_events` renders their events.
//! - `extract`, `paging`, `error`: requests in (JSON, forms, query strings; `max_id`…),
//!   answers out (`Link` headers; `{"error": "…"}`); `state` holds what handlers share.
//!
//! Imports run one way: handlers → `entities`/`paging`/`extract` → `state`/`error`.

mod accounts;
mod consent;
mod content;
mod entities;
mod error;
mod extract;
mod instance;
mod markers;
mod media;
mod notifications;
mod oauth;
mod paging;
mod reports;
mod scopes;
mod search;
mod sse;
mod state;
mod statuses;
mod stream_events;
mod streams;
mod timelines;
mod websocket;

use axum::Router;
use axum::extract::DefaultBodyLimit;

pub use state::{Limits, MastodonState, Services};
pub use streams::{REPLAY_WINDOW, Streams};

/// Every route of the Mastodon API, with its state.
pub fn router(state: MastodonState) -> Router {
    Router::new()
        .merge(instance::router())
        .merge(oauth::router())
        .merge(consent::router())
        .merge(accounts::router())
        .merge(statuses::router())
        .merge(timelines::router())
        .merge(notifications::router())
        .merge(markers::router())
        .merge(media::router())
        .merge(reports::router())
        .merge(search::router())
        .merge(sse::router())
        .merge(websocket::router())
        .layer(DefaultBodyLimit::max(extract::MAX_BODY_BYTES))
        .with_state(state)
}

/// The media uploads (`POST /api/v2/media`, `/api/v1/media`), with their state: merged
/// outside the API's body limit, since they read their own bodies within
/// `--media-max-bytes`.
pub fn upload_router(state: MastodonState) -> Router {
    media::upload_router().with_state(state)
}
