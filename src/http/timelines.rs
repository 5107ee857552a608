//! Timelines beyond everyone's: `GET /api/timelines/home`, the signed-in user's own tweets
//! and those of everyone they follow, paged exactly like `GET /api/tweets`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::extract::{CurrentUser, PageQuery};
use super::tweets::TweetList;
use super::{ApiError, AppState};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/timelines/home", get(home))
}

async fn home(
    State(state): State<AppState>,
    current: CurrentUser,
    PageQuery(page): PageQuery,
) -> Result<Json<TweetList>, ApiError> {
    let tweets = state.store.home(current.user.id, page).await?;
    Ok(Json(TweetList { tweets }))
}
