//! Follows: follow and unfollow (`PUT`/`DELETE /api/users/{username}/follow`, idempotent),
//! and the followers / following lists with opaque `next_cursor` paging (signed, and good
//! only for the list that gave it out: see `domain::FollowCursor`).
//!
//! Follow changes go through the feed (`Feed::follow`), the one place the realtime side
//! hears of them.

use axum::extract::{Path, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::error::ApiError;
use super::extract::{CurrentUser, MaybeUser, Query};
use super::profiles::{find_profile, no_user};
use super::state::AppState;
use crate::domain::{
    CursorKey, FollowCursor, FollowList, Hide, Profile, ProfilePage, User, Username,
};

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

impl UserList {
    /// The answer for `page` of `list`, its cursor signed with `key`.
    fn new(page: ProfilePage, list: FollowList, key: &CursorKey) -> Self {
        Self {
            users: page.users,
            next_cursor: page.next.map(|id| FollowCursor::encode(id, list, key)),
        }
    }
}

/// Which page of a followers or following list to read.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FollowListParams {
    /// How many users at most (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The `next_cursor` of the previous page of this same list (opaque).
    cursor: Option<String>,
}

impl FollowListParams {
    /// The page of `list` these parameters ask for; a cursor not made for `list` is a 400.
    fn parse(&self, list: FollowList, key: &CursorKey) -> Result<FollowCursor, ApiError> {
        Ok(FollowCursor::parse(
            self.limit.as_deref(),
            self.cursor.as_deref(),
            list,
            key,
        )?)
    }
}

/// One page of `list`, as `viewer` sees it.
async fn list_page(
    state: &AppState,
    username: &str,
    params: &FollowListParams,
    viewer: Option<User>,
    list: fn(i64) -> FollowList,
) -> Result<UserList, ApiError> {
    let user = user(state, username).await?;
    page_of(state, list(user.id), params, viewer.map_or(0, |u| u.id)).await
}

/// One page of `list` (followers, following, blocks or mutes), as `viewer` (0: nobody) sees
/// it.
pub(super) async fn page_of(
    state: &AppState,
    list: FollowList,
    params: &FollowListParams,
    viewer: i64,
) -> Result<UserList, ApiError> {
    let cursor = params.parse(list, &state.cursor_key)?;
    let viewer = Some(viewer).filter(|v| *v != 0);
    let page = match list {
        FollowList::Followers(id) => state.store.followers(id, cursor, viewer).await?,
        FollowList::Following(id) => state.store.following(id, cursor, viewer).await?,
        FollowList::Blocks(id) => state.store.hides_list(id, Hide::Block, cursor).await?,
        FollowList::Mutes(id) => state.store.hides_list(id, Hide::Mute, cursor).await?,
    };
    Ok(UserList::new(page, list, &state.cursor_key))
}

/// The user `username` names, or 404.
pub(super) async fn user(state: &AppState, username: &str) -> Result<User, ApiError> {
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
    state.limits.follows.check(&me).await?;
    // A block either way refuses a follow (`Blocked`), checked where it is stored.
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
        (status = 400, description = "`invalid_follow`: that is you.", body = super::error::ErrorBody),
        (status = 403, description = "`blocked`: one of you blocks the other.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--follow-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
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
        (status = 400, description = "`invalid_follow`: that is you.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--follow-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
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
    params(("username" = String, Path, description = "The user (any case)."), FollowListParams),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of profiles, most recent follow first.", body = UserList),
        (status = 400, description = "`invalid_cursor` or `invalid_query`.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        super::answers::PublicAnswers,
    ),
)]
async fn followers(
    State(state): State<AppState>,
    Path(username): Path<String>,
    Query(params): Query<FollowListParams>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<UserList>, ApiError> {
    let page = list_page(&state, &username, &params, viewer, FollowList::Followers).await?;
    Ok(Json(page))
}

/// Whom a user follows.
#[utoipa::path(
    get,
    path = "/api/users/{username}/following",
    tag = "follows",
    params(("username" = String, Path, description = "The user (any case)."), FollowListParams),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of profiles, most recent follow first.", body = UserList),
        (status = 400, description = "`invalid_cursor` or `invalid_query`.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        super::answers::PublicAnswers,
    ),
)]
async fn following(
    State(state): State<AppState>,
    Path(username): Path<String>,
    Query(params): Query<FollowListParams>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<UserList>, ApiError> {
    let page = list_page(&state, &username, &params, viewer, FollowList::Following).await?;
    Ok(Json(page))
}
