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

use super::extract::{ApiJson, CurrentUser, PageQuery};
use super::{ApiError, AppState};
use crate::domain::{Invalid, Notification, PageCursor};

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

/// Body of marking read.
#[derive(Deserialize, utoipa::ToSchema)]
struct MarkRead {
    /// Mark every notification with an id up to this one read; omit to mark all read.
    #[serde(default)]
    up_to: Option<i64>,
}

/// Your notifications, newest first.
#[utoipa::path(
    get,
    path = "/api/notifications",
    tag = "notifications",
    params(super::openapi::NotificationParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of notifications and the unread count.", body = NotificationList),
        (status = 400, description = "`invalid_query`: a paging parameter is wrong (or `after`).", body = super::openapi::ErrorBody),
        (status = 401, description = "`unauthorized`: not signed in, or the session has ended.", body = super::openapi::ErrorBody),
        (status = 403, description = "`forbidden`: a session cookie sent from another site.", body = super::openapi::ErrorBody),
        (status = 503, description = "`unavailable`: the database is away.", body = super::openapi::ErrorBody),
    ),
)]
async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    PageQuery(page): PageQuery,
) -> Result<Json<NotificationList>, ApiError> {
    let before = match page.cursor {
        PageCursor::Newest => i64::MAX,
        PageCursor::Before(id) => id,
        PageCursor::After(_) => {
            return Err(ApiError::Invalid(Invalid {
                field: "after",
                message: "Notifications are read newest first: page with before, not after.".into(),
            }));
        }
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
        (status = 400, description = "`invalid_json`: the body is not `{}` or `{\"up_to\": <integer>}`.", body = super::openapi::ErrorBody),
        (status = 401, description = "`unauthorized`: not signed in, or the session has ended.", body = super::openapi::ErrorBody),
        (status = 403, description = "`forbidden`: a session cookie sent from another site.", body = super::openapi::ErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over 16 KiB.", body = super::openapi::ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON.", body = super::openapi::ErrorBody),
        (status = 503, description = "`unavailable`: the database is away.", body = super::openapi::ErrorBody),
    ),
)]
async fn mark_read(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<MarkRead>,
) -> Result<StatusCode, ApiError> {
    let up_to = body.up_to.unwrap_or(i64::MAX);
    state.store.mark_read(current.user.id, up_to).await?;
    Ok(StatusCode::NO_CONTENT)
}
