//! Moderation, for moderators and admins: the reports (`GET /api/admin/reports`, resolve
//! one), suspensions, roles and the append-only log. Every act is one log entry, written in
//! the same transaction as the act (`storage::Moderation`).
//!
//! Who may: the role is read fresh from the store on every request (`moderator`), never
//! from a cached session, so a role set from the shell (`chirp admin role`) or taken away
//! counts at once. Signed out: 401; anyone else: 403 `forbidden`.

use axum::extract::{Path, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::error::ApiError;
use super::extract::{ApiJson, CurrentUser, OptionalJson, Query};
use super::paging::{NotificationParams, PageQuery};
use super::profiles::{find_profile, no_user};
use super::roles::moderator;
use super::state::AppState;
use crate::domain::{
    Invalid, LogEntry, ModerationNote, PageCursor, Profile, Report, ReportReason, Role, User,
    Username,
};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/reports", get(reports))
        .route("/api/admin/reports/{id}/resolve", post(resolve))
        .route("/api/admin/users/{username}/suspend", post(suspend))
        .route("/api/admin/users/{username}/unsuspend", post(unsuspend))
        .route("/api/admin/users/{username}/role", put(set_role))
        .route("/api/admin/log", get(log))
}

/// Which reports: `open` (the default) or `resolved`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusParam {
    /// `open` (default) or `resolved`.
    status: Option<String>,
}

/// A page of reports.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ReportList {
    /// Newest first.
    pub reports: Vec<Report>,
}

/// A page of the moderation log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LogList {
    /// Newest first.
    pub entries: Vec<LogEntry>,
}

/// Resolving a report.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// At most 1000 characters.
    note: Option<String>,
}

/// Suspending an account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspendBody {
    /// Why, 1–1000 characters (kept in the log).
    reason: String,
}

/// Setting a role.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// `user`, `moderator` or `admin`.
    role: String,
}

fn before(cursor: PageCursor) -> i64 {
    match cursor {
        PageCursor::Before(id) => id,
        PageCursor::Newest | PageCursor::After(_) => i64::MAX,
    }
}

/// The user a path names, or 404.
async fn target(state: &AppState, username: &str) -> Result<User, ApiError> {
    super::follows::user(state, username).await
}

/// Open (or resolved) reports, newest first.
#[utoipa::path(
    get,
    path = "/api/admin/reports",
    tag = "moderation",
    params(StatusParam, NotificationParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of reports.", body = ReportList),
        (status = 400, description = "`invalid_query`: a bad `status` or paging parameter.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
    ),
)]
async fn reports(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(status): Query<StatusParam>,
    PageQuery(page, _): PageQuery<NotificationParams>,
) -> Result<Json<ReportList>, ApiError> {
    moderator(&state, &current).await?;
    let open = match status.status.as_deref() {
        None | Some("open") => true,
        Some("resolved") => false,
        Some(_) => {
            return Err(Invalid::new("status", "status is open or resolved.").into());
        }
    };
    let reports = state
        .store
        .reports(open, before(page.cursor), page.limit)
        .await?;
    Ok(Json(ReportList { reports }))
}

/// Resolve a report (idempotent: resolving it again changes nothing).
#[utoipa::path(
    post,
    path = "/api/admin/reports/{id}/resolve",
    tag = "moderation",
    params(("id" = i64, Path, description = "The report's id.")),
    request_body(content = Option<ResolveBody>, description = "Optional."),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The report, resolved.", body = Report),
        (status = 400, description = "`invalid_reason`: the note is over 1000 characters; `invalid_json`.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such report.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
        super::answers::JsonBodyAnswers,
    ),
)]
async fn resolve(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<ResolveBody>,
) -> Result<Json<Report>, ApiError> {
    moderator(&state, &current).await?;
    let no_report = || ApiError::NotFound(format!("There is no report {id:?}."));
    let report_id: i64 = id.parse().map_err(|_| no_report())?;
    let note = ModerationNote::parse(body.note.as_deref().unwrap_or(""))?;
    state
        .store
        .resolve_report(report_id, current.user.id, note.text())
        .await?
        .map(Json)
        .ok_or_else(no_report)
}

/// Suspend an account: its sessions end and its sockets close on every node before this
/// answers; its tweets leave every list; nothing is deleted.
#[utoipa::path(
    post,
    path = "/api/admin/users/{username}/suspend",
    tag = "moderation",
    params(("username" = String, Path, description = "The user (any case).")),
    request_body = SuspendBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Their profile (`suspended: true`).", body = Profile),
        (status = 400, description = "`invalid_reason`: the reason is not 1–1000 characters; `invalid_username`: that is you.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
        super::answers::JsonBodyAnswers,
    ),
)]
async fn suspend(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<SuspendBody>,
) -> Result<Json<Profile>, ApiError> {
    moderator(&state, &current).await?;
    let reason = ReportReason::parse(&body.reason, "reason")?;
    let user = target(&state, &username).await?;
    if user.id == current.user.id {
        return Err(Invalid::new("username", "You cannot suspend yourself.").into());
    }
    let standing = state.store.standing(user.id).await?;
    if standing.is_some_and(|s| s.role == Role::Admin) {
        return Err(ApiError::Forbidden("A moderator cannot suspend an admin."));
    }
    state
        .feed
        .suspend(user.id, current.user.id, Some(reason.as_str()))
        .await?;
    Ok(Json(
        find_profile(&state, &username, Some(current.user.id)).await?,
    ))
}

/// Lift a suspension: everything comes back (but not the ended sessions).
#[utoipa::path(
    post,
    path = "/api/admin/users/{username}/unsuspend",
    tag = "moderation",
    params(("username" = String, Path, description = "The user (any case).")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Their profile (`suspended: false`).", body = Profile),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
    ),
)]
async fn unsuspend(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(username): Path<String>,
) -> Result<Json<Profile>, ApiError> {
    moderator(&state, &current).await?;
    let user = target(&state, &username).await?;
    state.feed.suspend(user.id, current.user.id, None).await?;
    Ok(Json(
        find_profile(&state, &username, Some(current.user.id)).await?,
    ))
}

/// Set an account's role (admins only).
#[utoipa::path(
    put,
    path = "/api/admin/users/{username}/role",
    tag = "moderation",
    params(("username" = String, Path, description = "The user (any case).")),
    request_body = RoleBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Their profile, with the new role.", body = Profile),
        (status = 400, description = "`invalid_role`: not user, moderator or admin.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
        super::answers::JsonBodyAnswers,
    ),
)]
async fn set_role(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(username): Path<String>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<Profile>, ApiError> {
    if moderator(&state, &current).await? != Role::Admin {
        return Err(ApiError::Forbidden("Only admins may set roles."));
    }
    let role = Role::parse(&body.role)
        .ok_or_else(|| Invalid::new("role", "A role is user, moderator or admin."))?;
    let name = Username::parse(&username).map_err(|_| no_user(&username))?;
    let user = state
        .store
        .user_by_name(&name)
        .await?
        .ok_or_else(|| no_user(&username))?;
    state
        .store
        .set_role(user.id, role, Some(current.user.id))
        .await?;
    Ok(Json(
        find_profile(&state, &username, Some(current.user.id)).await?,
    ))
}

/// The moderation log, newest first.
#[utoipa::path(
    get,
    path = "/api/admin/log",
    tag = "moderation",
    params(NotificationParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of log entries.", body = LogList),
        (status = 400, description = "`invalid_query`: a paging parameter is wrong.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
    ),
)]
async fn log(
    State(state): State<AppState>,
    current: CurrentUser,
    PageQuery(page, _): PageQuery<NotificationParams>,
) -> Result<Json<LogList>, ApiError> {
    moderator(&state, &current).await?;
    let entries = state
        .store
        .moderation_log(before(page.cursor), page.limit)
        .await?;
    Ok(Json(LogList { entries }))
}
