//! Who may moderate: the signed-in user's role, read fresh from the store on every request
//! (never from a cached session), so a role set from the shell counts at once.

use super::error::ApiError;
use super::extract::CurrentUser;
use super::state::AppState;
use crate::domain::{Role, User};

/// The role of the signed-in user, read now; 403 unless they moderate.
pub(super) async fn moderator(state: &AppState, current: &CurrentUser) -> Result<Role, ApiError> {
    let role = state
        .store
        .standing(current.user.id)
        .await?
        .map_or(Role::User, |s| s.role);
    if role.moderates() {
        Ok(role)
    } else {
        Err(ApiError::Forbidden("Only moderators may do that."))
    }
}

/// Whether `viewer` (if signed in) moderates, read now.
pub(super) async fn moderates(state: &AppState, viewer: Option<&User>) -> Result<bool, ApiError> {
    let Some(viewer) = viewer else {
        return Ok(false);
    };
    Ok(state
        .store
        .standing(viewer.id)
        .await?
        .is_some_and(|s| s.role.moderates()))
}
