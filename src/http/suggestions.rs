//! Whom to follow (`GET /api/suggestions`): the most-followed accounts the viewer is not and
//! does not follow yet. The web app shows them on an empty home timeline instead of a blank
//! page; signed out, it is simply the most-followed accounts.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{MaybeUser, Query};
use super::state::AppState;
use crate::domain::{Profile, parse_limit};

/// How many suggestions when the query names no `limit`.
const DEFAULT_LIMIT: i64 = 5;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/suggestions", get(suggestions))
}

/// Accounts to follow.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Suggestions {
    /// Profiles as the viewer sees them, most followers first.
    pub users: Vec<Profile>,
}

/// The query of `GET /api/suggestions`: text, so that a bad `limit` gets this API's error.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SuggestionParams {
    /// How many accounts at most (default 5).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

/// `limit`, validated with the same rule as the followers lists.
struct Limit(i64);

impl<S: Send + Sync> FromRequestParts<S> for Limit {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(raw) = Query::<SuggestionParams>::from_request_parts(parts, state).await?;
        match raw.limit {
            None => Ok(Self(DEFAULT_LIMIT)),
            Some(limit) => Ok(Self(parse_limit(Some(&limit))?)),
        }
    }
}

/// Whom to follow.
#[utoipa::path(
    get,
    path = "/api/suggestions",
    tag = "follows",
    params(SuggestionParams),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The most-followed accounts you are not and do not follow.", body = Suggestions),
        (status = 400, description = "`invalid_query`: `limit` is not 1–100.", body = super::error::ErrorBody),
        super::answers::PublicAnswers,
    ),
)]
async fn suggestions(
    State(state): State<AppState>,
    Limit(limit): Limit,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<Suggestions>, ApiError> {
    let users = state.store.suggestions(viewer.map(|u| u.id), limit).await?;
    Ok(Json(Suggestions { users }))
}
