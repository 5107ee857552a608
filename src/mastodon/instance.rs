//! Discovery: `GET /api/v1/instance`, `GET /api/v2/instance` (with and without the trailing
//! slash Mastodon.py sends), `/.well-known/nodeinfo` and `/nodeinfo/2.0` — enough for apps
//! and libraries to recognise a Mastodon-compatible server (`version` names Mastodon 4.3
//! first; nodeinfo names Mastodon as the upstream, which megalodon reads) and to learn the
//! limits: 280 characters, 4 media, where to stream.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::entities::VERSION;
use super::error::MastoError;
use super::extract::BaseUrl;
use super::state::MastodonState;
use crate::config::Registrations;

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new()
        .route("/api/v1/instance", get(v1))
        .route("/api/v1/instance/", get(v1))
        .route("/api/v2/instance", get(v2))
        .route("/api/v2/instance/", get(v2))
        .route("/.well-known/nodeinfo", get(nodeinfo_links))
        .route("/nodeinfo/2.0", get(nodeinfo))
}

/// Characters in a status.
pub const MAX_CHARACTERS: usize = 280;
/// Media on a status.
pub const MAX_MEDIA: usize = 4;

fn host(base: &str) -> &str {
    base.split_once("://").map_or(base, |(_, rest)| rest)
}

fn streaming_url(base: &str) -> String {
    if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        format!("ws://{}", host(base))
    }
}

fn statuses_config() -> Value {
    json!({
        "max_characters": MAX_CHARACTERS,
        "max_media_attachments": MAX_MEDIA,
        "characters_reserved_per_url": 23,
    })
}

/// What uploads take: the server's own limits (`--media-max-bytes`, `--media-max-pixels`).
fn media_config(state: &MastodonState) -> Value {
    json!({
        "supported_mime_types": ["image/jpeg", "image/png", "image/webp", "image/gif"],
        "image_size_limit": state.media.max_bytes(),
        "image_matrix_limit": state.media.max_pixels(),
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0,
        "description_limit": 1500,
    })
}

fn polls_config() -> Value {
    json!({
        "max_options": 0,
        "max_characters_per_option": 0,
        "min_expiration": 0,
        "max_expiration": 0,
    })
}

const DESCRIPTION: &str = "A real-time microblog. Chirp serves a subset of Mastodon's client API.";

async fn v1(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
) -> Result<Json<Value>, MastoError> {
    let (users, statuses) = state.store.totals().await?;
    Ok(Json(json!({
        "uri": host(&base),
        "title": "Chirp",
        "short_description": DESCRIPTION,
        "description": DESCRIPTION,
        "email": "",
        "version": VERSION,
        "urls": { "streaming_api": streaming_url(&base) },
        "stats": { "user_count": users, "status_count": statuses, "domain_count": 0 },
        "thumbnail": null,
        "languages": ["en"],
        "registrations": state.registrations == Registrations::Open,
        "approval_required": false,
        "invites_enabled": false,
        "configuration": {
            "accounts": { "max_featured_tags": 0 },
            "statuses": statuses_config(),
            "media_attachments": media_config(&state),
            "polls": polls_config(),
        },
        "contact_account": null,
        "rules": [],
    })))
}

async fn v2(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
) -> Result<Json<Value>, MastoError> {
    let (users, _) = state.store.totals().await?;
    Ok(Json(json!({
        "domain": host(&base),
        "title": "Chirp",
        "version": VERSION,
        "source_url": "https://github.com/",
        "description": DESCRIPTION,
        "usage": { "users": { "active_month": users } },
        "thumbnail": { "url": format!("{base}/static/favicon.svg") },
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": { "streaming": streaming_url(&base), "status": null },
            "vapid": { "public_key": "" },
            "accounts": { "max_featured_tags": 0, "max_pinned_statuses": 0 },
            "statuses": statuses_config(),
            "media_attachments": media_config(&state),
            "polls": polls_config(),
            "translation": { "enabled": false },
        },
        "registrations": {
            "enabled": state.registrations == Registrations::Open,
            "approval_required": false,
            "message": null,
            "url": null,
        },
        "api_versions": { "mastodon": 2 },
        "contact": { "email": "", "account": null },
        "rules": [],
    })))
}

async fn nodeinfo_links(BaseUrl(base): BaseUrl) -> Json<Value> {
    Json(json!({
        "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
            "href": format!("{base}/nodeinfo/2.0"),
        }]
    }))
}

async fn nodeinfo(State(state): State<MastodonState>) -> Result<Json<Value>, MastoError> {
    let (users, statuses) = state.store.totals().await?;
    Ok(Json(json!({
        "version": "2.0",
        "software": { "name": "chirp", "version": env!("CARGO_PKG_VERSION") },
        "protocols": [],
        "services": { "inbound": [], "outbound": [] },
        "usage": {
            "users": { "total": users, "activeMonth": users, "activeHalfyear": users },
            "localPosts": statuses,
        },
        "openRegistrations": state.registrations == Registrations::Open,
        "metadata": { "upstream": { "name": "mastodon", "version": "4.3.0" } },
    })))
}
