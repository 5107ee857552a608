//! Timelines beyond everyone's: `GET /api/timelines/home`, the signed-in user's own tweets
//! and those of everyone they follow, paged exactly like `GET /api/tweets`.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::error::ApiError;
use super::extract::CurrentUser;
use super::paging::{PageParams, PageQuery};
use super::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/timelines/home", get(home))
}

/// Your home timeline: your tweets and those of everyone you follow, newest first.
#[utoipa::path(
    get,
    path = "/api/timelines/home",
    tag = "tweets",
    params(PageParams),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of tweets.", body = super::tweets::TweetList),
        (status = 400, description = "`invalid_query`: a paging parameter is wrong.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
    ),
)]
async fn home(
    State(state): State<AppState>,
    current: CurrentUser,
    PageQuery(page, _): PageQuery<PageParams>,
) -> Result<Response, ApiError> {
    let json = state.feed.home_json(current.user.id, page).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}
