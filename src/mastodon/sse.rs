//! Server-Sent Events: `/api/v1/streaming/user`, `/user/notification`, `/public`
//! (`/public/local`), `/hashtag?tag=` (`/hashtag/local`) and `/health`. Every event block
//! has `event:`, `data:` and — beyond Mastodon — `id:`; a client that reconnects with
//! `Last-Event-ID` first gets what it missed (up to ten minutes back: `streams`). A comment
//! line every 15 s keeps proxies from closing an idle stream.

use std::collections::VecDeque;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::mpsc;

use super::error::MastoError;
use super::extract::{BaseUrl, MaybeToken, Params};
use super::state::MastodonState;
use super::stream_events::render;
use super::streams::{Delivery, Opened, QUEUE, StreamKind};
use crate::domain::Hashtag;

/// How often an idle stream sends a comment.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new()
        .route("/api/v1/streaming/health", get(health))
        .route("/api/v1/streaming/user", get(user))
        .route(
            "/api/v1/streaming/user/notification",
            get(user_notification),
        )
        .route("/api/v1/streaming/public", get(public))
        .route("/api/v1/streaming/public/local", get(public))
        .route("/api/v1/streaming/hashtag", get(hashtag))
        .route("/api/v1/streaming/hashtag/local", get(hashtag))
}

async fn health() -> &'static str {
    "OK"
}

/// The stream `kind` as `token` may open it: `user` streams need a signed-in token with
/// `read:statuses` / `read:notifications`; `hashtag` needs a tag.
pub fn check_kind(kind: &StreamKind, token: &MaybeToken) -> Result<(), MastoError> {
    let scope = match kind {
        StreamKind::User => "read:statuses",
        StreamKind::UserNotification => "read:notifications",
        StreamKind::Public | StreamKind::Hashtag(..) => return Ok(()),
    };
    match &token.0 {
        Some(token) => token.require(scope),
        None => Err(MastoError::unauthorized("Error: Missing access token")),
    }
}

/// A subscription registered for `token`, with what it missed since `last_id`.
pub async fn open(
    state: &MastodonState,
    kind: StreamKind,
    token: &MaybeToken,
    out: mpsc::Sender<Delivery>,
    last_id: Option<&str>,
) -> Result<Opened, MastoError> {
    check_kind(&kind, token)?;
    let viewer = token.viewer();
    let hash = token.0.as_ref().map(|t| t.hash.clone());
    for _ in 0..3 {
        let view = state.streams.viewpoint(viewer).await?;
        if let Ok(opened) = state.streams.subscribe(
            kind.clone(),
            viewer,
            hash.clone(),
            &view,
            out.clone(),
            last_id,
        ) {
            let user = token.0.as_ref().map(|t| t.user.username.as_str());
            let (key, replayed) = (opened.0.key, opened.1.len());
            tracing::info!(key, stream = ?kind.names(), user, replayed, "Mastodon stream opened");
            return Ok(opened);
        }
    }
    Err(MastoError::Unavailable(
        "too many changes to follow".into(),
        Some(1),
    ))
}

/// Takes a subscription out of the index when its connection ends.
pub struct Unsubscribe(pub MastodonState, pub u64);

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        self.0.streams.unsubscribe(self.1);
        tracing::info!(key = self.1, "Mastodon stream closed");
    }
}

struct Sse {
    state: MastodonState,
    base: String,
    replay: VecDeque<Delivery>,
    rx: mpsc::Receiver<Delivery>,
    heartbeat: tokio::time::Interval,
    _guard: Unsubscribe,
}

impl Sse {
    async fn frame(&self, delivery: &Delivery) -> Option<Bytes> {
        let (event, data) = render(&self.state, &self.base, delivery).await?;
        let id = self.state.streams.event_id(delivery.seq);
        Some(Bytes::from(format!(
            "id: {id}\nevent: {event}\ndata: {data}\n\n"
        )))
    }

    async fn next(mut self) -> Option<(Result<Bytes, std::convert::Infallible>, Self)> {
        loop {
            if let Some(delivery) = self.replay.pop_front() {
                if let Some(frame) = self.frame(&delivery).await {
                    return Some((Ok(frame), self));
                }
                continue;
            }
            tokio::select! {
                delivery = self.rx.recv() => {
                    let delivery = delivery?;
                    if let Some(frame) = self.frame(&delivery).await {
                        return Some((Ok(frame), self));
                    }
                }
                _ = self.heartbeat.tick() => {
                    return Some((Ok(Bytes::from_static(b":thump\n\n")), self));
                }
            }
        }
    }
}

async fn stream(
    state: MastodonState,
    base: String,
    kind: StreamKind,
    token: MaybeToken,
    headers: &HeaderMap,
) -> Result<Response, MastoError> {
    let last_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (tx, rx) = mpsc::channel(QUEUE);
    let (sub, missed) = open(&state, kind, &token, tx, last_id.as_deref()).await?;
    let replay = missed
        .into_iter()
        .map(|(seq, event)| Delivery {
            seq,
            event,
            sub: sub.clone(),
        })
        .collect();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.reset();
    let sse = Sse {
        _guard: Unsubscribe(state.clone(), sub.key),
        state,
        base,
        replay,
        rx,
        heartbeat,
    };
    // A first comment, so the client sees the stream open at once.
    let opening = futures_util::stream::once(async { Ok(Bytes::from_static(b":)\n\n")) });
    let events = futures_util::stream::unfold(sse, Sse::next);
    let body = Body::from_stream(futures_util::StreamExt::chain(opening, events));
    Ok((
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

async fn user(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    token: MaybeToken,
    headers: HeaderMap,
) -> Result<Response, MastoError> {
    stream(state, base, StreamKind::User, token, &headers).await
}

async fn user_notification(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    token: MaybeToken,
    headers: HeaderMap,
) -> Result<Response, MastoError> {
    stream(state, base, StreamKind::UserNotification, token, &headers).await
}

async fn public(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    token: MaybeToken,
    headers: HeaderMap,
) -> Result<Response, MastoError> {
    stream(state, base, StreamKind::Public, token, &headers).await
}

/// A hashtag stream for the tag a client names (with or without `#`); 400 for none.
pub fn tag_kind(raw: Option<String>) -> Result<StreamKind, MastoError> {
    let raw = raw.unwrap_or_default();
    let given = raw.trim().trim_start_matches('#');
    let tag = Hashtag::parse(given)
        .ok_or_else(|| MastoError::bad_request("Error: Missing tag name parameter"))?;
    Ok(StreamKind::Hashtag(tag.into_string(), given.to_owned()))
}

async fn hashtag(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    token: MaybeToken,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, MastoError> {
    let kind = tag_kind(params.str("tag"))?;
    stream(state, base, kind, token, &headers).await
}
