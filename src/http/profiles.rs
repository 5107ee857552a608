//! Profiles: read anyone's (`GET /api/users/{username}`), edit your own (`PATCH /api/me`).
//!
//! A PATCH is validated whole before anything is stored, so one bad field changes nothing.

use axum::extract::{Path, State};
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde::Deserialize;

use super::extract::{ApiJson, CurrentUser, MaybeUser};
use super::{ApiError, AppState};
use crate::domain::{Bio, DisplayName, Profile, ProfileUpdate, Username};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users/{username}", get(profile))
        .route("/api/me", patch(update_me))
}

/// 404 for a name that is not a user (also for one that could not be a username at all).
pub(super) fn no_user(username: &str) -> ApiError {
    ApiError::NotFound(format!("There is no user {username:?}."))
}

/// The profile of `username` as `viewer` sees it, or 404.
pub(super) async fn find_profile(
    state: &AppState,
    username: &str,
    viewer: Option<i64>,
) -> Result<Profile, ApiError> {
    let name = Username::parse(username).map_err(|_| no_user(username))?;
    state
        .store
        .profile(&name, viewer)
        .await?
        .ok_or_else(|| no_user(username))
}

async fn profile(
    State(state): State<AppState>,
    Path(username): Path<String>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(
        find_profile(&state, &username, viewer.map(|u| u.id)).await?,
    ))
}

/// Body of `PATCH /api/me`: absent (or `null`) leaves a field as it is.
#[derive(Deserialize)]
struct ProfileChanges {
    display_name: Option<String>,
    bio: Option<String>,
}

async fn update_me(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<ProfileChanges>,
) -> Result<Json<Profile>, ApiError> {
    let update = ProfileUpdate {
        display_name: body
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?,
        bio: body.bio.as_deref().map(Bio::parse).transpose()?,
    };
    let me = current.user;
    state.feed.update_profile(me.id, &update).await?;
    Ok(Json(find_profile(&state, &me.username, Some(me.id)).await?))
}
