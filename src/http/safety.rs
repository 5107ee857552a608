//! Blocks, mutes and reports, as any signed-in person uses them: `PUT`/`DELETE
//! /api/users/{username}/block` and `/mute` (idempotent), the lists `GET /api/me/blocks` and
//! `/api/me/mutes`, and `POST /api/reports`. The acts go through the feed (`Feed::block`,
//! `mute`, `report`), which tells every node before the answer.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use super::error::ApiError;
use super::extract::{ApiJson, CurrentUser, OptionalJson, Query};
use super::follows::{FollowListParams, UserList, user};
use super::profiles::{find_profile, no_user};
use super::state::AppState;
use crate::domain::{
    FollowList, Hide, MAX_REPORTED_TWEETS, NewReport, Profile, Report, ReportCategory,
    ReportReason, Username,
};
use crate::storage::StoreError;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users/{username}/block", put(block).delete(unblock))
        .route("/api/users/{username}/mute", put(mute).delete(unmute))
        .route("/api/me/blocks", get(blocks))
        .route("/api/me/mutes", get(mutes))
        .route("/api/reports", post(file_report))
}

/// What a mute hides besides tweets.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MuteBody {
    /// Hide their notifications too (default `true`).
    notifications: Option<bool>,
}

/// A report to file.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// The reported account.
    username: String,
    /// 0–20 of their tweets.
    #[serde(default)]
    tweet_ids: Vec<i64>,
    /// `spam`, `abuse`, `illegal` or `other`.
    category: String,
    /// 1–1000 characters.
    reason: String,
}

/// Block or mute (`on`) or undo it, as `current`; answers their profile as you now see it.
async fn set_hide(
    state: AppState,
    username: &str,
    current: CurrentUser,
    hide: Hide,
    on: bool,
    notifications: bool,
) -> Result<Json<Profile>, ApiError> {
    let me = current.user.id;
    let them = user(&state, username).await?;
    match hide {
        Hide::Block if them.id == me => return Err(ApiError::SelfBlock),
        Hide::Mute if them.id == me => return Err(ApiError::SelfMute),
        Hide::Block => state.limits.blocks.check(&me).await?,
        Hide::Mute => state.limits.mutes.check(&me).await?,
    }
    let done = match hide {
        Hide::Block => state.feed.block(me, them.id, on).await,
        Hide::Mute => state.feed.mute(me, them.id, on, notifications).await,
    };
    done.map_err(|e| match e {
        StoreError::NotFound => no_user(username),
        other => other.into(),
    })?;
    Ok(Json(find_profile(&state, username, Some(me)).await?))
}

/// Block a user (idempotent).
///
/// Removes any follow between you, both ways; while it stands neither of you sees the
/// other's tweets, nor can follow, like or reply to the other.
#[utoipa::path(
    put,
    path = "/api/users/{username}/block",
    tag = "safety",
    params(("username" = String, Path, description = "The user (any case).")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Their profile, as you now see it.", body = crate::domain::Profile),
        (status = 400, description = "`invalid_block`: that is you.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--block-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
    ),
)]
async fn block(
    State(state): State<AppState>,
    Path(username): Path<String>,
    current: CurrentUser,
) -> Result<Json<Profile>, ApiError> {
    set_hide(state, &username, current, Hide::Block, true, true).await
}

/// Unblock a user (idempotent). Removed follows stay removed.
#[utoipa::path(
    delete,
    path = "/api/users/{username}/block",
    tag = "safety",
    params(("username" = String, Path, description = "The user (any case).")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Their profile, as you now see it.", body = crate::domain::Profile),
        (status = 400, description = "`invalid_block`: that is you.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--block-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
    ),
)]
async fn unblock(
    State(state): State<AppState>,
    Path(username): Path<String>,
    current: CurrentUser,
) -> Result<Json<Profile>, ApiError> {
    set_hide(state, &username, current, Hide::Block, false, true).await
}

/// Mute a user (idempotent): their tweets leave your lists and live updates; with
/// `notifications` (the default), their notifications too. They notice nothing.
#[utoipa::path(
    put,
    path = "/api/users/{username}/mute",
    tag = "safety",
    params(("username" = String, Path, description = "The user (any case).")),
    request_body(content = Option<MuteBody>, description = "Optional."),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Their profile, as you now see it.", body = crate::domain::Profile),
        (status = 400, description = "`invalid_mute`: that is you; `invalid_json`: a bad body.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--mute-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
        super::answers::JsonBodyAnswers,
    ),
)]
async fn mute(
    State(state): State<AppState>,
    Path(username): Path<String>,
    current: CurrentUser,
    OptionalJson(body): OptionalJson<MuteBody>,
) -> Result<Json<Profile>, ApiError> {
    let notifications = body.notifications.unwrap_or(true);
    set_hide(state, &username, current, Hide::Mute, true, notifications).await
}

/// Unmute a user (idempotent).
#[utoipa::path(
    delete,
    path = "/api/users/{username}/mute",
    tag = "safety",
    params(("username" = String, Path, description = "The user (any case).")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Their profile, as you now see it.", body = crate::domain::Profile),
        (status = 400, description = "`invalid_mute`: that is you.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--mute-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
    ),
)]
async fn unmute(
    State(state): State<AppState>,
    Path(username): Path<String>,
    current: CurrentUser,
) -> Result<Json<Profile>, ApiError> {
    set_hide(state, &username, current, Hide::Mute, false, true).await
}

/// Whom you block, most recent first.
#[utoipa::path(
    get,
    path = "/api/me/blocks",
    tag = "safety",
    params(FollowListParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of profiles, most recent block first.", body = UserList),
        (status = 400, description = "`invalid_cursor` or `invalid_query`.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
    ),
)]
async fn blocks(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(params): Query<FollowListParams>,
) -> Result<Json<UserList>, ApiError> {
    let list = FollowList::Blocks(current.user.id);
    Ok(Json(
        super::follows::page_of(&state, list, &params, current.user.id).await?,
    ))
}

/// Whom you mute, most recent first.
#[utoipa::path(
    get,
    path = "/api/me/mutes",
    tag = "safety",
    params(FollowListParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of profiles, most recent mute first.", body = UserList),
        (status = 400, description = "`invalid_cursor` or `invalid_query`.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
    ),
)]
async fn mutes(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(params): Query<FollowListParams>,
) -> Result<Json<UserList>, ApiError> {
    let list = FollowList::Mutes(current.user.id);
    Ok(Json(
        super::follows::page_of(&state, list, &params, current.user.id).await?,
    ))
}

fn invalid_report(field: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::InvalidReport {
        field: Some(field),
        message: message.into(),
    }
}

/// Report an account (and some of its tweets) to the moderators, who are notified live.
#[utoipa::path(
    post,
    path = "/api/reports",
    tag = "safety",
    request_body = ReportBody,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The report, filed.", body = Report),
        (status = 400, description = "`invalid_report`: yourself, a tweet not theirs, more than 20 tweets, an unknown category, or a reason not 1–1000 characters (`field` says which).", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--report-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
        super::answers::JsonBodyAnswers,
    ),
)]
async fn file_report(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<ReportBody>,
) -> Result<(StatusCode, Json<Report>), ApiError> {
    let me = current.user.id;
    let name = Username::parse(&body.username).map_err(|_| no_user(&body.username))?;
    let target = state
        .store
        .user_by_name(&name)
        .await?
        .ok_or_else(|| no_user(&body.username))?;
    if target.id == me {
        return Err(ApiError::InvalidReport {
            field: Some("username"),
            message: "You cannot report yourself.".into(),
        });
    }
    let category = ReportCategory::parse(&body.category).ok_or_else(|| {
        invalid_report("category", "The category is spam, abuse, illegal or other.")
    })?;
    let reason = ReportReason::parse(&body.reason, "reason")
        .map_err(|invalid| invalid_report("reason", invalid.message))?;
    let mut tweet_ids = body.tweet_ids;
    if tweet_ids.len() > MAX_REPORTED_TWEETS {
        return Err(invalid_report(
            "tweet_ids",
            format!("A report names at most {MAX_REPORTED_TWEETS} tweets."),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    tweet_ids.retain(|id| seen.insert(*id));
    let found = state.store.tweets_by_ids(&tweet_ids, me).await?;
    if let Some(bad) = tweet_ids
        .iter()
        .find(|id| found.get(id).is_none_or(|t| t.author.id != target.id))
    {
        return Err(invalid_report(
            "tweet_ids",
            format!("Tweet {bad} is not one of @{}'s.", target.username),
        ));
    }
    state.limits.reports.check(&me).await?;
    let report = NewReport {
        reporter: me,
        target: target.id,
        tweet_ids,
        category,
        reason,
    };
    let id = state.feed.report(&report).await?;
    let filed = state
        .store
        .report(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("report {id} vanished"))?;
    Ok((StatusCode::CREATED, Json(filed)))
}
