//! Profiles: read anyone's (`GET /api/users/{username}`), edit your own (`PATCH /api/me`).
//!
//! A PATCH is validated whole before anything is stored, so one bad field changes nothing.

use axum::extract::{Path, State};
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde::Deserialize;

use super::error::ApiError;
use super::extract::{ApiJson, CurrentUser, MaybeUser};
use super::state::AppState;
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

/// A user's profile.
#[utoipa::path(
    get,
    path = "/api/users/{username}",
    tag = "profiles",
    params(("username" = String, Path, description = "The user (any case).")),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The profile, as the viewer sees it.", body = crate::domain::Profile),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        super::answers::PublicAnswers,
    ),
)]
async fn profile(
    State(state): State<AppState>,
    Path(username): Path<String>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<Profile>, ApiError> {
    let profile = find_profile(&state, &username, viewer.as_ref().map(|u| u.id)).await?;
    // A suspended account exists only for moderators.
    if profile.suspended && !super::roles::moderates(&state, viewer.as_ref()).await? {
        return Err(no_user(&username));
    }
    Ok(Json(profile))
}

/// Body of `PATCH /api/me`: absent (or `null`) leaves a field as it is.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ProfileChanges {
    /// Trimmed, 0–50 characters; `""` clears it.
    #[schema(max_length = 50)]
    display_name: Option<String>,
    /// Trimmed, 0–160 characters; `""` clears it.
    #[schema(max_length = 160)]
    bio: Option<String>,
}

/// Edit your profile.
///
/// Validated whole: one bad field changes nothing.
#[utoipa::path(
    patch,
    path = "/api/me",
    tag = "profiles",
    request_body = ProfileChanges,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Your profile, changed.", body = crate::domain::Profile),
        (status = 400, description = "`invalid_display_name`, `invalid_bio` or `invalid_json` (with the `field`: a control character, a wrong type, or a field it does not take).", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--profile-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
        super::answers::JsonBodyAnswers,
    ),
)]
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
    state.limits.profile_edits.check(&me.id).await?;
    state.feed.update_profile(me.id, &update).await?;
    Ok(Json(find_profile(&state, &me.username, Some(me.id)).await?))
}
