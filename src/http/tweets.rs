//! Tweets: post (and reply), read (timeline, one tweet, its replies), delete, like and
//! unlike.
//!
//! Posting goes through the feed's writer (stored and announced in id order); the
//! anonymous first page comes from the feed's cache; deleting and liking go through the feed
//! too (stored, cache forgotten, announced).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::extract::{ApiJson, CurrentUser, MaybeUser};
use super::paging::{PageParams, PageQuery, RepliesParams};
use super::state::AppState;
use crate::domain::{Draft, Invalid, Page, PageCursor, Tweet, TweetText};
use crate::storage::StoreError;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tweets", get(timeline).post(post_tweet))
        .route("/api/tweets/{id}", get(one_tweet).delete(delete_tweet))
        .route("/api/tweets/{id}/like", put(like).delete(unlike))
        .route("/api/tweets/{id}/replies", get(replies))
}

/// A page of tweets, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TweetList {
    /// The tweets.
    pub tweets: Vec<Tweet>,
}

/// Body of posting.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewTweet {
    /// Trimmed, then 1–280 characters.
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 280)]
    text: String,
    /// The id of the tweet this one answers (omit, or `null`, for a top-level tweet).
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    reply_to: Option<serde_json::Value>,
    /// 1–4 ids of your own uploads (`POST /api/media`) not attached yet; with them the text
    /// may be empty.
    #[serde(default)]
    #[schema(value_type = Option<Vec<i64>>)]
    media_ids: Option<serde_json::Value>,
}

/// `reply_to` as posted: absent or `null` is none; anything but an integer is a 400.
fn parse_reply_to(raw: Option<&serde_json::Value>) -> Result<Option<i64>, ApiError> {
    match raw {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or_else(|| {
            ApiError::Invalid(Invalid {
                field: "reply_to",
                message: "reply_to must be the integer id of a tweet.".into(),
            })
        }),
    }
}

fn no_parent(id: i64) -> ApiError {
    ApiError::NotFoundIn {
        field: "reply_to",
        message: format!("There is no tweet {id} to reply to."),
    }
}

/// Post a tweet.
///
/// Stored, then announced (`newTweet`) to every socket watching a timeline that gains it,
/// but the author's own. With `reply_to`, a reply: its parent's author is notified
/// (`reply`), and every user it `@`-mentions (`mention`).
#[utoipa::path(
    post,
    path = "/api/tweets",
    tag = "tweets",
    request_body = NewTweet,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The stored tweet.", body = crate::domain::Tweet),
        (status = 400, description = "`invalid_text`, `invalid_reply_to` (not an integer), `invalid_media_ids` or `invalid_json`.", body = super::error::ErrorBody),
        (status = 403, description = "`blocked`: a block stands between you and the author of the tweet answered.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found` with `field: reply_to`: the tweet answered does not exist (or was deleted).", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--post-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
        super::answers::JsonBodyAnswers,
    ),
)]
async fn post_tweet(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<NewTweet>,
) -> Result<(StatusCode, Json<Tweet>), ApiError> {
    state.limits.posts.check(&current.user.id).await?;
    let media =
        super::media::parse_media_ids(&state, &current.user, body.media_ids.as_ref()).await?;
    let text = if media.is_empty() {
        TweetText::parse(&body.text)?
    } else {
        TweetText::parse_beside_media(&body.text)?
    };
    let reply_to = parse_reply_to(body.reply_to.as_ref())?;
    if let Some(parent) = reply_to
        && let Some(parent) = state.store.tweet(parent, None).await?
        && state
            .store
            .blocked_between(current.user.id, parent.author.id)
            .await?
    {
        return Err(ApiError::Blocked);
    }
    let tweet = state
        .feed
        .post(Draft::new(current.user, text, reply_to).with_media(media))
        .await
        .map_err(|e| match (e, reply_to) {
            // The only row a post looks for is its parent.
            (StoreError::NotFound, Some(parent)) => no_parent(parent),
            (other, _) => other.into(),
        })?;
    Ok((StatusCode::CREATED, Json(tweet)))
}

/// Everyone's tweets, newest first.
#[utoipa::path(
    get,
    path = "/api/tweets",
    tag = "tweets",
    params(PageParams),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of tweets.", body = TweetList),
        (status = 400, description = "`invalid_query`: a paging parameter is wrong.", body = super::error::ErrorBody),
        super::answers::PublicAnswers,
    ),
)]
async fn timeline(
    State(state): State<AppState>,
    PageQuery(page, _): PageQuery<PageParams>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Response, ApiError> {
    if let (None, PageCursor::Newest) = (&viewer, page.cursor) {
        let json = state.feed.newest_json(page.limit).await?;
        return Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response());
    }
    let tweets = state.store.tweets(None, page, viewer.map(|u| u.id)).await?;
    Ok(Json(TweetList { tweets }).into_response())
}

/// A tweet id from the path; anything that is not one names no tweet (404).
fn tweet_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>().map_err(|_| no_tweet(raw))
}

fn no_tweet(id: impl std::fmt::Display) -> ApiError {
    ApiError::NotFound(format!("There is no tweet {id}."))
}

async fn find(state: &AppState, raw_id: &str, viewer: Option<i64>) -> Result<Tweet, ApiError> {
    let id = tweet_id(raw_id)?;
    state
        .store
        .tweet(id, viewer)
        .await?
        .ok_or_else(|| no_tweet(id))
}

/// One tweet.
#[utoipa::path(
    get,
    path = "/api/tweets/{id}",
    tag = "tweets",
    params(("id" = i64, Path, description = "The tweet's id.")),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The tweet.", body = crate::domain::Tweet),
        (status = 404, description = "`not_found`: there is no such tweet.", body = super::error::ErrorBody),
        super::answers::PublicAnswers,
    ),
)]
async fn one_tweet(
    State(state): State<AppState>,
    Path(id): Path<String>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<Tweet>, ApiError> {
    let tweet = find(&state, &id, viewer.as_ref().map(|u| u.id)).await?;
    // A suspended account's tweets exist only for moderators.
    let suspended = state
        .store
        .standing(tweet.author.id)
        .await?
        .is_some_and(|s| s.suspended);
    if suspended && !super::roles::moderates(&state, viewer.as_ref()).await? {
        return Err(no_tweet(tweet.id));
    }
    Ok(Json(tweet))
}

/// Delete one of your tweets (a moderator: anyone's, logged as `delete_tweet`).
///
/// Announced to every socket (`tweetDeleted`).
#[utoipa::path(
    delete,
    path = "/api/tweets/{id}",
    tag = "tweets",
    params(("id" = i64, Path, description = "The tweet's id.")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, description = "`not_found`: there is no such tweet.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
    ),
)]
async fn delete_tweet(
    State(state): State<AppState>,
    Path(id): Path<String>,
    current: CurrentUser,
) -> Result<StatusCode, ApiError> {
    let tweet = find(&state, &id, None).await?;
    let deleted = if tweet.author.id == current.user.id {
        state.feed.delete(tweet.id, current.user.id).await
    } else if super::roles::moderates(&state, Some(&current.user)).await? {
        state
            .feed
            .delete_as_moderator(tweet.id, tweet.author.id, current.user.id)
            .await
    } else {
        return Err(ApiError::Forbidden(
            "Only its author (or a moderator) can delete a tweet.",
        ));
    };
    deleted.map_err(|e| match e {
        StoreError::NotFound => no_tweet(tweet.id),
        other => other.into(),
    })?;
    if !tweet.media.is_empty() {
        state.media.forget_tweet(tweet.id).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

async fn set_like(
    state: AppState,
    raw_id: &str,
    current: CurrentUser,
    liked: bool,
) -> Result<Json<Tweet>, ApiError> {
    state.limits.likes.check(&current.user.id).await?;
    let me = Some(current.user.id);
    let tweet = find(&state, raw_id, me).await?;
    if liked
        && state
            .store
            .blocked_between(current.user.id, tweet.author.id)
            .await?
    {
        return Err(ApiError::Blocked);
    }
    state
        .feed
        .set_like(tweet.id, tweet.author.id, current.user.id, liked)
        .await?;
    Ok(Json(
        state
            .store
            .tweet(tweet.id, me)
            .await?
            .ok_or_else(|| no_tweet(tweet.id))?,
    ))
}

/// Like a tweet (idempotent).
#[utoipa::path(
    put,
    path = "/api/tweets/{id}/like",
    tag = "likes",
    params(("id" = i64, Path, description = "The tweet's id.")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The tweet, as the signed-in user now sees it.", body = crate::domain::Tweet),
        (status = 403, description = "`blocked`: a block stands between you and its author.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such tweet.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--like-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
    ),
)]
async fn like(
    State(state): State<AppState>,
    Path(id): Path<String>,
    current: CurrentUser,
) -> Result<Json<Tweet>, ApiError> {
    set_like(state, &id, current, true).await
}

/// Unlike a tweet (idempotent).
#[utoipa::path(
    delete,
    path = "/api/tweets/{id}/like",
    tag = "likes",
    params(("id" = i64, Path, description = "The tweet's id.")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The tweet, as the signed-in user now sees it.", body = crate::domain::Tweet),
        (status = 404, description = "`not_found`: there is no such tweet.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: over this account's limit (`--like-rate-limit`).", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
    ),
)]
async fn unlike(
    State(state): State<AppState>,
    Path(id): Path<String>,
    current: CurrentUser,
) -> Result<Json<Tweet>, ApiError> {
    set_like(state, &id, current, false).await
}

/// The direct replies to a tweet, oldest first.
///
/// Page forward with `after=<largest id shown>`; `before` is refused. A deleted tweet that
/// has replies still lists them.
#[utoipa::path(
    get,
    path = "/api/tweets/{id}/replies",
    tag = "tweets",
    params(("id" = i64, Path, description = "The parent tweet's id."), RepliesParams),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of replies, oldest first.", body = TweetList),
        (status = 400, description = "`invalid_query`: a paging parameter is wrong (or `before`).", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such tweet, and no replies to it.", body = super::error::ErrorBody),
        super::answers::PublicAnswers,
    ),
)]
async fn replies(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageQuery(page, _): PageQuery<RepliesParams>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<TweetList>, ApiError> {
    let id = tweet_id(&id)?;
    let viewer = viewer.map(|u| u.id);
    if state.store.tweet(id, None).await?.is_none() {
        let first = Page {
            limit: 1,
            cursor: PageCursor::Newest,
        };
        if state.store.replies(id, first, None).await?.is_empty() {
            return Err(no_tweet(id));
        }
    }
    let tweets = state.store.replies(id, page, viewer).await?;
    Ok(Json(TweetList { tweets }))
}
