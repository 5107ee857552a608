//! Statuses: post (a reply with `in_reply_to_id`, images with `media_ids`; a retry with the
//! same `Idempotency-Key` answers the first post), read one, delete (answers the deleted
//! status with its `text`, as Mastodon does, and removes its images' files), its context
//! (ancestors and descendants), favourite / unfavourite and who favourited it. Through the
//! same feed operations and checks as Chirp's own API.
//!
//! Chirp's tweets are public and plain: a post that asks for another visibility, a content
//! warning, images marked sensitive or a poll is refused (422) rather than published as
//! something it is not.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

use super::accounts::moderates;
use super::entities::{Accounts, account};
use super::error::MastoError;
use super::extract::{BaseUrl, MaybeToken, Params, Token};
use super::media::media_ids;
use super::paging::limit;
use super::state::{Limits, MastodonState};
use crate::domain::{Draft, Page, PageCursor, Tweet, TweetText};
use crate::storage::{Constraint, StoreError};

/// Most ancestors and descendants a context lists.
const MAX_CONTEXT: usize = 200;

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new()
        .route("/api/v1/statuses", post(create))
        .route("/api/v1/statuses/{id}", get(show).delete(delete))
        .route("/api/v1/statuses/{id}/context", get(context))
        .route("/api/v1/statuses/{id}/favourite", post(favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(unfavourite))
        .route("/api/v1/statuses/{id}/favourited_by", get(favourited_by))
}

/// The tweet `raw_id` as `viewer` sees it; 404 for none, and for a suspended author's
/// unless the viewer moderates.
pub async fn find(
    state: &MastodonState,
    raw_id: &str,
    viewer: Option<i64>,
) -> Result<Tweet, MastoError> {
    let id: i64 = raw_id.parse().map_err(|_| MastoError::not_found())?;
    let tweet = state
        .store
        .tweet(id, viewer)
        .await?
        .ok_or_else(MastoError::not_found)?;
    let suspended = state
        .store
        .standing(tweet.author.id)
        .await?
        .is_some_and(|s| s.suspended);
    if suspended && !moderates(state, viewer).await? {
        return Err(MastoError::not_found());
    }
    Ok(tweet)
}

/// Refuse what Chirp cannot publish as asked.
fn only_public(params: &Params) -> Result<(), MastoError> {
    if let Some(visibility) = params.str("visibility")
        && !matches!(visibility.as_str(), "" | "public")
    {
        return Err(MastoError::invalid(
            "Validation failed: Chirp publishes every status publicly (visibility public)",
        ));
    }
    if params
        .str("spoiler_text")
        .is_some_and(|s| !s.trim().is_empty())
    {
        return Err(MastoError::invalid(
            "Validation failed: Chirp has no content warnings (spoiler_text)",
        ));
    }
    if params.bool("sensitive")? == Some(true) {
        return Err(MastoError::invalid(
            "Validation failed: Chirp shows every image as it is (no sensitive media)",
        ));
    }
    if params.0.contains_key("poll") || !params.list("poll[options]").is_empty() {
        return Err(MastoError::invalid("Validation failed: Chirp has no polls"));
    }
    if params.str("scheduled_at").is_some_and(|s| !s.is_empty()) {
        return Err(MastoError::invalid(
            "Validation failed: Chirp does not schedule statuses",
        ));
    }
    Ok(())
}

async fn post_tweet(
    state: &MastodonState,
    token: &Token,
    params: &Params,
) -> Result<i64, MastoError> {
    let me = &token.user;
    Limits::check(&state.limits.posts, &me.id).await?;
    let media = media_ids(state, me.id, params).await?;
    let status = params.str("status").unwrap_or_default();
    // With images the text may be empty, as through Chirp's own API.
    let text = if media.is_empty() {
        TweetText::parse(&status)?
    } else {
        TweetText::parse_beside_media(&status)?
    };
    let reply_to = match params.str("in_reply_to_id").filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(find(state, &raw, Some(me.id)).await?),
    };
    if let Some(parent) = &reply_to
        && state.store.blocked_between(me.id, parent.author.id).await?
    {
        return Err(MastoError::blocked());
    }
    let draft = Draft::new(me.clone(), text, reply_to.map(|p| p.id)).with_media(media);
    let tweet = state.feed.post(draft).await.map_err(|e| match e {
        StoreError::NotFound => MastoError::not_found(),
        StoreError::Conflict(Constraint::MediaIds) => MastoError::invalid(
            "Validation failed: another status took one of these uploads meanwhile",
        ),
        other => other.into(),
    })?;
    Ok(tweet.id)
}

async fn create(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    headers: HeaderMap,
    token: Token,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    token.require("write:statuses")?;
    only_public(&params)?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 256)
        .map(str::to_owned);
    let id = match key {
        // Concurrent retries share one cell: one posts, the others wait for its id. A
        // failed post leaves the cell empty, so a later retry posts again.
        Some(key) => {
            let cell = state.idempotency.get_with((token.user.id, key), || {
                Arc::new(tokio::sync::OnceCell::new())
            });
            *cell
                .get_or_try_init(|| post_tweet(&state, &token, &params))
                .await?
        }
        None => post_tweet(&state, &token, &params).await?,
    };
    let me = Some(token.user.id);
    let tweet = find(&state, &id.to_string(), me).await?;
    Ok(Json(Accounts::new(&state, me, &base).status(&tweet).await?))
}

async fn show(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    viewer: MaybeToken,
) -> Result<Json<Value>, MastoError> {
    let tweet = find(&state, &id, viewer.viewer()).await?;
    let mut accounts = Accounts::new(&state, viewer.viewer(), &base);
    Ok(Json(accounts.status(&tweet).await?))
}

async fn delete(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    token: Token,
) -> Result<Json<Value>, MastoError> {
    token.require("write:statuses")?;
    let me = token.user.id;
    let tweet = find(&state, &id, Some(me)).await?;
    let mut status = Accounts::new(&state, Some(me), &base)
        .status(&tweet)
        .await?;
    let deleted = if tweet.author.id == me {
        state.feed.delete(tweet.id, me).await
    } else if moderates(&state, Some(me)).await? {
        state
            .feed
            .delete_as_moderator(tweet.id, tweet.author.id, me)
            .await
    } else {
        return Err(MastoError::forbidden(
            "Only its author (or a moderator) can delete a status.",
        ));
    };
    deleted?;
    if !tweet.media.is_empty() {
        state.media.forget_tweet(tweet.id).await;
    }
    status["text"] = Value::String(tweet.text);
    Ok(Json(status))
}

async fn context(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    viewer: MaybeToken,
) -> Result<Json<Value>, MastoError> {
    let me = viewer.viewer();
    let tweet = find(&state, &id, me).await?;
    let mut ancestors = Vec::new();
    let mut parent = tweet.reply_to.as_ref().map(|r| r.id);
    while let Some(id) = parent
        && ancestors.len() < MAX_CONTEXT
    {
        let Some(found) = state.store.tweet(id, me).await? else {
            break;
        };
        parent = found.reply_to.as_ref().map(|r| r.id);
        ancestors.push(found);
    }
    ancestors.reverse();
    // Depth first, oldest first at each level: the order a thread is read in.
    let mut descendants = Vec::new();
    let mut stack = vec![tweet.id];
    while let Some(id) = stack.pop() {
        let mut after = 0;
        let mut children = Vec::new();
        loop {
            let page = Page {
                limit: 100,
                cursor: PageCursor::After(after),
            };
            let batch = state.store.replies(id, page, me).await?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            let full = batch.len() == 100;
            children.extend(batch);
            if !full || children.len() >= MAX_CONTEXT {
                break;
            }
        }
        for child in children.into_iter().rev() {
            stack.push(child.id);
            descendants.push(child);
        }
        if descendants.len() >= MAX_CONTEXT {
            break;
        }
    }
    descendants.sort_by_key(|t| t.id);
    descendants.truncate(MAX_CONTEXT);
    let mut accounts = Accounts::new(&state, me, &base);
    Ok(Json(serde_json::json!({
        "ancestors": accounts.statuses(&ancestors).await?,
        "descendants": accounts.statuses(&descendants).await?,
    })))
}

async fn set_favourite(
    state: MastodonState,
    base: String,
    id: String,
    token: Token,
    liked: bool,
) -> Result<Json<Value>, MastoError> {
    token.require("write:favourites")?;
    let me = token.user.id;
    Limits::check(&state.limits.likes, &me).await?;
    let tweet = find(&state, &id, Some(me)).await?;
    if liked && state.store.blocked_between(me, tweet.author.id).await? {
        return Err(MastoError::blocked());
    }
    state
        .feed
        .set_like(tweet.id, tweet.author.id, me, liked)
        .await?;
    let tweet = find(&state, &id, Some(me)).await?;
    Ok(Json(
        Accounts::new(&state, Some(me), &base)
            .status(&tweet)
            .await?,
    ))
}

async fn favourite(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    token: Token,
) -> Result<Json<Value>, MastoError> {
    set_favourite(state, base, id, token, true).await
}

async fn unfavourite(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    token: Token,
) -> Result<Json<Value>, MastoError> {
    set_favourite(state, base, id, token, false).await
}

async fn favourited_by(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    viewer: MaybeToken,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    let tweet = find(&state, &id, viewer.viewer()).await?;
    let limit = limit(&params, 40, 80)?;
    let likers = state.store.likers(tweet.id, viewer.viewer(), limit).await?;
    Ok(Json(Value::Array(
        likers.iter().map(|p| account(p, &base)).collect(),
    )))
}
