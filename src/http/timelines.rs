//! Timelines beyond everyone's: `GET /api/timelines/home`, the signed-in user's own tweets
//! and those of everyone they follow, paged exactly like `GET /api/tweets`.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::{CurrentUser, PageQuery};
use super::{ApiError, AppState};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/timelines/home", get(home))
}

/// Your home timeline: your tweets and those of everyone you follow, newest first.
#[utoipa::path(
    get,
    path = "/api/timelines/home",
    tag = "tweets",
    params(super::openapi::PageParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of tweets.", body = super::tweets::TweetList),
        (status = 400, description = "`invalid_query`: a paging parameter is wrong.", body = super::openapi::ErrorBody),
        (status = 401, description = "`unauthorized`: not signed in, or the session has ended.", body = super::openapi::ErrorBody),
        (status = 403, description = "`forbidden`: a session cookie sent from another site.", body = super::openapi::ErrorBody),
        (status = 503, description = "`unavailable`: the database is away.", body = super::openapi::ErrorBody),
    ),
)]
async fn home(
    State(state): State<AppState>,
    current: CurrentUser,
    PageQuery(page): PageQuery,
) -> Result<Response, ApiError> {
    let json = state.feed.home_json(current.user.id, page).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}
