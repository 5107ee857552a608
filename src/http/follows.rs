//! Follows: follow and unfollow (`PUT`/`DELETE /api/users/{username}/follow`, idempotent),
//! and the followers / following lists with opaque `next_cursor` paging.
//!
//! Follow changes go through the feed (`Feed::follow`), the one place the realtime side
//! hears of them.

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::extract::{CurrentUser, MaybeUser, raw_query};
use super::profiles::{find_profile, no_user};
use super::{ApiError, AppState};
use crate::domain::{FollowCursor, Profile, ProfilePage, User, Username};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users/{username}/follow", put(follow).delete(unfollow))
        .route("/api/users/{username}/followers", get(followers))
        .route("/api/users/{username}/following", get(following))
}

/// A page of a followers or following list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    /// Profiles as the viewer sees them, most recent follow first.
    pub users: Vec<Profile>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl From<ProfilePage> for UserList {
    fn from(page: ProfilePage) -> Self {
        Self {
            users: page.users,
            next_cursor: page.next.map(FollowCursor::encode),
        }
    }
}

#[derive(Deserialize)]
struct RawCursor {
    limit: Option<String>,
    cursor: Option<String>,
}

/// `limit` and `cursor` from the query string, validated.
struct CursorQuery(FollowCursor);

impl<S: Send + Sync> FromRequestParts<S> for CursorQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw: RawCursor = raw_query(parts, state).await?;
        Ok(Self(FollowCursor::parse(
            raw.limit.as_deref(),
            raw.cursor.as_deref(),
        )?))
    }
}

async fn user(state: &AppState, username: &str) -> Result<User, ApiError> {
    let name = Username::parse(username).map_err(|_| no_user(username))?;
    state
        .store
        .user_by_name(&name)
        .await?
        .ok_or_else(|| no_user(username))
}

async fn set_follow(
    state: AppState,
    username: &str,
    current: CurrentUser,
    on: bool,
) -> Result<Json<Profile>, ApiError> {
    let me = current.user.id;
    let followee = user(&state, username).await?;
    if followee.id == me {
        return Err(ApiError::SelfFollow);
    }
    state.limits.follows.check(&me)?;
    state
        .feed
        .follow(me, followee.id, on)
        .await
        .map_err(|e| match e {
            crate::storage::StoreError::NotFound => no_user(username),
            other => other.into(),
        })?;
    Ok(Json(find_profile(&state, username, Some(me)).await?))
}

/// Follow a user (idempotent).
#[utoipa::path(
    put,
    path = "/api/users/{username}/follow",
    tag = "follows",
    params(("username" = String, Path, description = "The user (any case).")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Their profile, as you now see it.", body = crate::domain::Profile),
        (status = 400, description = "`invalid_follow`: that is you.", body = super::openapi::ErrorBody),
        (status = 401, description = "`unauthorized`: not signed in, or the session has ended.", body = super::openapi::ErrorBody),
        (status = 403, description = "`forbidden`: a session cookie sent from another site.", body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::openapi::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--follow-rate-limit`).", body = super::openapi::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "`unavailable`: the database is away.", body = super::openapi::ErrorBody),
    ),
)]
async fn follow(
    State(state): State<AppState>,
    Path(username): Path<String>,
    current: CurrentUser,
) -> Result<Json<Profile>, ApiError> {
    set_follow(state, &username, current, true).await
}

/// Unfollow a user (idempotent).
#[utoipa::path(
    delete,
    path = "/api/users/{username}/follow",
    tag = "follows",
    params(("username" = String, Path, description = "The user (any case).")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Their profile, as you now see it.", body = crate::domain::Profile),
        (status = 400, description = "`invalid_follow`: that is you.", body = super::openapi::ErrorBody),
        (status = 401, description = "`unauthorized`: not signed in, or the session has ended.", body = super::openapi::ErrorBody),
        (status = 403, description = "`forbidden`: a session cookie sent from another site.", body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::openapi::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--follow-rate-limit`).", body = super::openapi::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "`unavailable`: the database is away.", body = super::openapi::ErrorBody),
    ),
)]
async fn unfollow(
    State(state): State<AppState>,
    Path(username): Path<String>,
    current: CurrentUser,
) -> Result<Json<Profile>, ApiError> {
    set_follow(state, &username, current, false).await
}

/// Who follows a user.
#[utoipa::path(
    get,
    path = "/api/users/{username}/followers",
    tag = "follows",
    params(("username" = String, Path, description = "The user (any case)."), super::openapi::FollowListParams),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of profiles, most recent follow first.", body = UserList),
        (status = 400, description = "`invalid_cursor` or `invalid_query`.", body = super::openapi::ErrorBody),
        (status = 401, description = "`unauthorized`: a bearer token that has ended or is malformed.", body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::openapi::ErrorBody),
        (status = 503, description = "`unavailable`: the database is away.", body = super::openapi::ErrorBody),
    ),
)]
async fn followers(
    State(state): State<AppState>,
    Path(username): Path<String>,
    CursorQuery(cursor): CursorQuery,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<UserList>, ApiError> {
    let user = user(&state, &username).await?;
    let page = state
        .store
        .followers(user.id, cursor, viewer.map(|u| u.id))
        .await?;
    Ok(Json(page.into()))
}

/// Whom a user follows.
#[utoipa::path(
    get,
    path = "/api/users/{username}/following",
    tag = "follows",
    params(("username" = String, Path, description = "The user (any case)."), super::openapi::FollowListParams),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of profiles, most recent follow first.", body = UserList),
        (status = 400, description = "`invalid_cursor` or `invalid_query`.", body = super::openapi::ErrorBody),
        (status = 401, description = "`unauthorized`: a bearer token that has ended or is malformed.", body = super::openapi::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::openapi::ErrorBody),
        (status = 503, description = "`unavailable`: the database is away.", body = super::openapi::ErrorBody),
    ),
)]
async fn following(
    State(state): State<AppState>,
    Path(username): Path<String>,
    CursorQuery(cursor): CursorQuery,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<UserList>, ApiError> {
    let user = user(&state, &username).await?;
    let page = state
        .store
        .following(user.id, cursor, viewer.map(|u| u.id))
        .await?;
    Ok(Json(page.into()))
}
