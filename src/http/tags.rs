//! Hashtags: `GET /api/tags/{name}/tweets`, a tag's timeline (paged as `/api/tweets`, the
//! visibility rule applied), and `GET /api/tags/trending`, the tags most people used in the
//! last 24 hours (from the feed's memory, never a scan per request).

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use super::error::ApiError;
use super::extract::MaybeUser;
use super::paging::{PageParams, PageQuery};
use super::state::AppState;
use super::tweets::TweetList;
use crate::domain::{Hashtag, Invalid, SearchQuery};
use crate::feed::Trend;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tags/trending", get(trending))
        .route("/api/tags/{name}/tweets", get(tag_tweets))
}

/// Trending tags: `{"tags": [{"name", "tweets", "people"}]}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TrendList {
    /// Up to 10 tags, most distinct authors first, then most tweets.
    pub tags: Vec<Trend>,
}

/// The tweets with a tag, newest first.
#[utoipa::path(
    get,
    path = "/api/tags/{name}/tweets",
    tag = "search",
    params(
        ("name" = String, Path, description = "The tag, with or without `#` (normalised: NFKC, lowercase)."),
        PageParams,
    ),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of tweets.", body = TweetList),
        (status = 400, description = "`invalid_query`: `name` is no hashtag (1–100 letters, marks, digits or `_`, not all digits), or a paging parameter is wrong.", body = super::error::ErrorBody),
        super::answers::PublicAnswers,
    ),
)]
async fn tag_tweets(
    State(state): State<AppState>,
    Path(name): Path<String>,
    PageQuery(page, _): PageQuery<PageParams>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<TweetList>, ApiError> {
    let tag = Hashtag::parse(&name).ok_or_else(|| {
        Invalid::new(
            "name",
            "A tag is 1–100 letters, marks, digits or _, not all digits.",
        )
    })?;
    let query = SearchQuery {
        tags: vec![tag],
        ..SearchQuery::default()
    };
    let tweets = state
        .store
        .search_tweets(&query, page, viewer.map(|u| u.id))
        .await?;
    Ok(Json(TweetList { tweets }))
}

/// The tags most people used in the last 24 hours.
#[utoipa::path(
    get,
    path = "/api/tags/trending",
    tag = "search",
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Up to 10 tags.", body = TrendList),
        super::answers::PublicAnswers,
    ),
)]
async fn trending(State(state): State<AppState>) -> Result<Json<TrendList>, ApiError> {
    Ok(Json(TrendList {
        tags: state.feed.trending().await?,
    }))
}
