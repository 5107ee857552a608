//! Notifications: the list (paged by `max_id`, `since_id`, `min_id`; `types[]` and
//! `exclude_types[]` honoured), one by id, dismissing one and clearing all (both answer
//! `{}`, which the libraries expect). A dismissed notification is marked read and leaves
//! every list, Chirp's included, but keeps its row: "once ever" still holds.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::entities::{Accounts, notification_type};
use super::error::MastoError;
use super::extract::{BaseUrl, Params, Token};
use super::paging::{MastoPage, ends, linked};
use super::state::{Limits, MastodonState};
use crate::changes::Change;
use crate::domain::{Notification, PageCursor};

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new()
        .route("/api/v1/notifications", get(list))
        .route("/api/v1/notifications/clear", post(clear))
        .route("/api/v1/notifications/{id}", get(one))
        .route("/api/v1/notifications/{id}/dismiss", post(dismiss))
}

/// Rows read per store call while filling a page past filtered ones.
const BATCH: i64 = 100;

async fn list(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    token: Token,
    params: Params,
) -> Result<Response, MastoError> {
    token.require("read:notifications")?;
    let me = token.user.id;
    let page = MastoPage::parse(&params, 80)?;
    let types = params.list("types");
    let excluded = params.list("exclude_types");
    let wanted = |n: &Notification| {
        let kind = notification_type(n.kind);
        (types.is_empty() || types.iter().any(|t| t == kind)) && !excluded.iter().any(|t| t == kind)
    };
    // The store pages newest first below an id. `min_id` wants the oldest newer ones:
    // read down to it and keep the last `limit` of them.
    let (mut before, floor) = match page.page.cursor {
        PageCursor::Before(id) => (id, page.above),
        PageCursor::Newest => (i64::MAX, page.above),
        PageCursor::After(id) => (page.below.unwrap_or(i64::MAX), Some(id)),
    };
    let oldest_first = matches!(page.page.cursor, PageCursor::After(_));
    let limit = usize::try_from(page.page.limit).unwrap_or(20);
    let mut found = Vec::new();
    'read: loop {
        let batch = state.store.notifications(me, before, BATCH).await?;
        let Some(last) = batch.last() else { break };
        before = last.id;
        let full = batch.len() as i64 == BATCH;
        for n in batch {
            if floor.is_some_and(|f| n.id <= f) {
                break 'read;
            }
            if wanted(&n) {
                found.push(n);
                if found.len() >= limit && !oldest_first {
                    break 'read;
                }
            }
        }
        if !full {
            break;
        }
    }
    if oldest_first && found.len() > limit {
        found.drain(..found.len() - limit);
    }
    let link = ends(&found, |n| n.id);
    let mut accounts = Accounts::new(&state, Some(me), &base);
    let mut items = Vec::with_capacity(found.len());
    for n in &found {
        items.push(accounts.notification(n).await?);
    }
    // The next pages keep the filters.
    let filters: Vec<(&str, &str)> = types
        .iter()
        .map(|t| ("types[]", t.as_str()))
        .chain(excluded.iter().map(|t| ("exclude_types[]", t.as_str())))
        .collect();
    let mut url = format!("{base}/api/v1/notifications");
    if !filters.is_empty() {
        let query = serde_urlencoded::to_string(&filters)
            .map_err(|e| anyhow::anyhow!("cannot encode the notification filters: {e}"))?;
        url = format!("{url}?{query}");
    }
    Ok(linked(items, &url, page.page.limit, link))
}

async fn one(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    token: Token,
) -> Result<Json<Value>, MastoError> {
    token.require("read:notifications")?;
    let me = token.user.id;
    let id: i64 = id.parse().map_err(|_| MastoError::not_found())?;
    let found = state
        .store
        .notifications(me, id.saturating_add(1), 1)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(MastoError::not_found)?;
    let mut accounts = Accounts::new(&state, Some(me), &base);
    Ok(Json(accounts.notification(&found).await?))
}

/// Tell the user's sockets (and Chirp's pages) their new unread count.
pub async fn publish_unread(state: &MastodonState, user: i64) -> Result<(), MastoError> {
    let count = state.store.unread_count(user).await?;
    state.changes.publish(Change::unread_count(user, count));
    Ok(())
}

async fn dismiss(
    State(state): State<MastodonState>,
    Path(id): Path<String>,
    token: Token,
) -> Result<Json<Value>, MastoError> {
    token.require("write:notifications")?;
    let me = token.user.id;
    Limits::check(&state.limits.mark_read, &me).await?;
    let id: i64 = id.parse().map_err(|_| MastoError::not_found())?;
    if !state.store.dismiss_notification(me, id).await? {
        return Err(MastoError::not_found());
    }
    publish_unread(&state, me).await?;
    Ok(Json(json!({})))
}

async fn clear(
    State(state): State<MastodonState>,
    token: Token,
) -> Result<Json<Value>, MastoError> {
    token.require("write:notifications")?;
    let me = token.user.id;
    Limits::check(&state.limits.mark_read, &me).await?;
    state.store.clear_notifications(me).await?;
    publish_unread(&state, me).await?;
    Ok(Json(json!({})))
}
