//! Search: `GET /api/search?q=…&type=tweets|users`, tweets by words (ignoring case and
//! accents, the last word also as a prefix), `#tag` and `from:<username>`; people by the
//! beginning of their username or display name, most followed first.
//!
//! Both kinds obey the visibility rule: tweets of hidden authors (and, for replies, of
//! hidden parents' authors) are left out before the page is cut; people search lists blocked
//! and muted accounts (so they can be found and unblocked) and suspended ones only to
//! moderators.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use super::error::ApiError;
use super::extract::{MaybeUser, Query};
use super::state::AppState;
use super::tweets::TweetList;
use crate::domain::{Invalid, Page, PageCursor, Profile, SearchQuery};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/search", get(search))
}

/// What to search for.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The query, trimmed: 1–200 characters. Words (each must occur, ignoring case and
    /// accents; the last also as a prefix), `#tag`, `from:<username>`.
    #[param(required = true, min_length = 1, max_length = 200)]
    q: Option<String>,
    /// `tweets` (the default) or `users`.
    #[serde(rename = "type")]
    #[param(rename = "type", value_type = Option<String>, pattern = "^(tweets|users)$")]
    kind: Option<String>,
    /// How many at most (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Tweets only: only tweets older than this id.
    #[param(value_type = Option<i64>, minimum = 0)]
    before: Option<String>,
}

/// People found: `{"users": [profile…]}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    /// The profiles, most followed first.
    pub users: Vec<Profile>,
}

/// What a search found: tweets or people, as `type` asked.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum SearchResults {
    /// `type=tweets`.
    Tweets(TweetList),
    /// `type=users`.
    Users(UserList),
}

/// Search tweets or people.
#[utoipa::path(
    get,
    path = "/api/search",
    tag = "search",
    params(SearchParams),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "`{\"tweets\": […]}` for `type=tweets`, `{\"users\": […]}` for `type=users`.",
         body = SearchResults),
        (status = 400, description = "`invalid_query`: `q` is empty or over 200 characters, `type` is neither `tweets` nor `users`, or a paging parameter is wrong.", body = super::error::ErrorBody),
        super::answers::PublicAnswers,
    ),
)]
async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Response, ApiError> {
    let q = params.q.as_deref().unwrap_or("");
    let query = SearchQuery::parse(q)?;
    let page = Page::parse(params.limit.as_deref(), params.before.as_deref(), None)?;
    let viewer_id = viewer.as_ref().map(|u| u.id);
    match params.kind.as_deref().unwrap_or("tweets") {
        "tweets" => {
            let tweets = state.store.search_tweets(&query, page, viewer_id).await?;
            Ok(Json(SearchResults::Tweets(TweetList { tweets })).into_response())
        }
        "users" => {
            if page.cursor != PageCursor::Newest {
                return Err(Invalid::new(
                    "before",
                    "People search has one page: leave out before.",
                )
                .into());
            }
            let moderator = super::roles::moderates(&state, viewer.as_ref()).await?;
            let users = state
                .store
                .search_users(q.trim(), viewer_id, moderator, page.limit)
                .await?;
            Ok(Json(SearchResults::Users(UserList { users })).into_response())
        }
        _ => Err(Invalid::new("type", "type must be tweets or users.").into()),
    }
}
