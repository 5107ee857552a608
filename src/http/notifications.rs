//! Notifications: `GET /api/notifications` (newest first, with the unread count) and
//! `POST /api/notifications/read` (mark read up to an id, or all).
//!
//! Notifications are made by the feed when what they tell of is stored (a follow, a like,
//! a reply, a mention); this module only reads and marks them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{ApiJson, CurrentUser};
use super::paging::{NotificationParams, PageQuery};
use super::state::AppState;
use crate::domain::{Notification, PageCursor};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/notifications", get(list))
        .route("/api/notifications/read", post(mark_read))
}

/// A page of notifications, newest first, and how many are unread in all.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationList {
    /// The notifications.
    pub notifications: Vec<Notification>,
    /// How many of the viewer's notifications are unread (all of them, not only this page).
    pub unread_count: i64,
}

/// Body of marking read: `{"up_to": <id>}`, or `{}` for all. Anything else is refused
/// (`null` too: "all" is said by leaving `up_to` out), so a misspelt field can never mark
/// everything read.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct MarkRead {
    /// Mark every notification with an id up to this one read; omit to mark all read.
    #[serde(default, deserialize_with = "some_integer")]
    #[schema(value_type = i64)]
    up_to: Option<i64>,
}

/// `up_to` when present: an integer, never `null`.
fn some_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    i64::deserialize(d).map(Some)
}

/// Your notifications, newest first.
#[utoipa::path(
    get,
    path = "/api/notifications",
    tag = "notifications",
    params(NotificationParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of notifications and the unread count.", body = NotificationList),
        (status = 400, description = "`invalid_query`: a paging parameter is wrong (or `after`).", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
    ),
)]
async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    PageQuery(page, _): PageQuery<NotificationParams>,
) -> Result<Json<NotificationList>, ApiError> {
    let before = match page.cursor {
        PageCursor::Before(id) => id,
        // `NotificationParams` refuses `after`.
        PageCursor::Newest | PageCursor::After(_) => i64::MAX,
    };
    let me = current.user.id;
    let notifications = state.store.notifications(me, before, page.limit).await?;
    let unread_count = state.store.unread_count(me).await?;
    Ok(Json(NotificationList {
        notifications,
        unread_count,
    }))
}

/// Mark notifications read: those with an id up to `up_to`, or all.
#[utoipa::path(
    post,
    path = "/api/notifications/read",
    tag = "notifications",
    request_body = MarkRead,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Marked."),
        (status = 400, description = "`invalid_json`: the body is not `{}` or `{\"up_to\": <integer>}` (`null`, another field or an array are refused).", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--mark-read-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
        super::answers::JsonBodyAnswers,
    ),
)]
async fn mark_read(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<MarkRead>,
) -> Result<StatusCode, ApiError> {
    state.limits.mark_read.check(&current.user.id).await?;
    let up_to = body.up_to.unwrap_or(i64::MAX);
    state.store.mark_read(current.user.id, up_to).await?;
    Ok(StatusCode::NO_CONTENT)
}
