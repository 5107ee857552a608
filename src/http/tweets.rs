//! Tweets: post, read (timeline, one tweet), delete, like and unlike.
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

use super::extract::{ApiJson, CurrentUser, MaybeUser, PageQuery};
use super::{ApiError, AppState};
use crate::domain::{Draft, PageCursor, Tweet, TweetText};
use crate::storage::StoreError;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tweets", get(timeline).post(post_tweet))
        .route("/api/tweets/{id}", get(one_tweet).delete(delete_tweet))
        .route("/api/tweets/{id}/like", put(like).delete(unlike))
}

/// A page of tweets, newest first.
#[derive(Serialize)]
pub struct TweetList {
    /// The tweets.
    pub tweets: Vec<Tweet>,
}

#[derive(Deserialize)]
struct NewTweet {
    #[serde(default)]
    text: String,
}

async fn post_tweet(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<NewTweet>,
) -> Result<(StatusCode, Json<Tweet>), ApiError> {
    state.limits.posts.check(&current.user.id)?;
    let text = TweetText::parse(&body.text)?;
    let tweet = state
        .feed
        .post(Draft {
            author: current.user,
            text,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(tweet)))
}

async fn timeline(
    State(state): State<AppState>,
    PageQuery(page): PageQuery,
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

async fn one_tweet(
    State(state): State<AppState>,
    Path(id): Path<String>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<Tweet>, ApiError> {
    Ok(Json(find(&state, &id, viewer.map(|u| u.id)).await?))
}

async fn delete_tweet(
    State(state): State<AppState>,
    Path(id): Path<String>,
    current: CurrentUser,
) -> Result<StatusCode, ApiError> {
    let tweet = find(&state, &id, None).await?;
    if tweet.author.id != current.user.id {
        return Err(ApiError::Forbidden("Only its author can delete a tweet."));
    }
    state
        .feed
        .delete(tweet.id, current.user.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => no_tweet(tweet.id),
            other => other.into(),
        })?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_like(
    state: AppState,
    raw_id: &str,
    current: CurrentUser,
    liked: bool,
) -> Result<Json<Tweet>, ApiError> {
    state.limits.likes.check(&current.user.id)?;
    let me = Some(current.user.id);
    let tweet = find(&state, raw_id, me).await?;
    state
        .feed
        .set_like(tweet.id, current.user.id, liked)
        .await?;
    Ok(Json(
        state
            .store
            .tweet(tweet.id, me)
            .await?
            .ok_or_else(|| no_tweet(tweet.id))?,
    ))
}

async fn like(
    State(state): State<AppState>,
    Path(id): Path<String>,
    current: CurrentUser,
) -> Result<Json<Tweet>, ApiError> {
    set_like(state, &id, current, true).await
}

async fn unlike(
    State(state): State<AppState>,
    Path(id): Path<String>,
    current: CurrentUser,
) -> Result<Json<Tweet>, ApiError> {
    set_like(state, &id, current, false).await
}
