//! The WebSocket stream, `/api/v1/streaming`: the token from `access_token` or the
//! `Sec-WebSocket-Protocol` header (echoed back, as browsers require), an optional first
//! `stream` in the query, then `{"type": "subscribe" | "unsubscribe", "stream", "tag"?}`
//! messages; each event goes out as `{"stream": [...], "event", "payload"}` with the
//! payload a JSON string (the bare id for `delete`), as masto.js and Mastodon's own web
//! app read them. Subscriptions are watchers in the same index as SSE streams (`streams`).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Message, Role, WebSocketConfig};

use super::error::MastoError;
use super::extract::{MaybeToken, Params, base_url, find_token};
use super::sse::{Unsubscribe, open, tag_kind};
use super::state::MastodonState;
use super::stream_events::render;
use super::streams::{Delivery, QUEUE, StreamKind};

/// Largest message a client may send (a subscribe is tiny).
const MAX_MESSAGE: usize = 4096;

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new()
        .route("/api/v1/streaming", get(upgrade))
        .route("/api/v1/streaming/", get(upgrade))
}

/// A stream name (and tag) as a subscription kind.
fn kind(stream: &str, tag: Option<String>) -> Result<StreamKind, MastoError> {
    match stream {
        "user" => Ok(StreamKind::User),
        "user:notification" => Ok(StreamKind::UserNotification),
        "public" | "public:local" => Ok(StreamKind::Public),
        "hashtag" | "hashtag:local" => tag_kind(tag),
        _ => Err(MastoError::bad_request("Unknown stream type")),
    }
}

async fn upgrade(State(state): State<MastodonState>, request: Request) -> Response {
    match accept(state, request).await {
        Ok(response) | Err(response) => response,
    }
}

async fn accept(state: MastodonState, request: Request) -> Result<Response, Response> {
    let (mut parts, body) = request.into_parts();
    let headers = &parts.headers;
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .filter(|_| {
            headers
                .get(header::UPGRADE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
        })
        .map(|k| derive_accept_key(k.as_bytes()))
        .ok_or_else(|| {
            MastoError::bad_request("This endpoint takes a WebSocket upgrade.").into_response()
        })?;
    let protocol = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
        .filter(|v| !v.is_empty());
    let base = base_url(&state, headers);
    let params = Params::from_form(parts.uri.query().unwrap_or("").as_bytes());
    // The token: the query's or the header's, through the usual extractor.
    let token = match &protocol {
        Some(token) if super::extract::bearer(&parts).is_none() => {
            let found = find_token(&state, token)
                .await
                .map_err(IntoResponse::into_response)?;
            let found = found.ok_or_else(|| {
                MastoError::unauthorized("Error: Invalid access token").into_response()
            })?;
            MaybeToken::from_app_token(found, token)
        }
        _ => MaybeToken::from_request_parts(&mut parts, &state)
            .await
            .map_err(IntoResponse::into_response)?,
    };
    let first = match params.str("stream") {
        Some(stream) => {
            Some(kind(&stream, params.str("tag")).map_err(IntoResponse::into_response)?)
        }
        None => None,
    };
    if let Some(first) = &first {
        super::sse::check_kind(first, &token).map_err(IntoResponse::into_response)?;
    }
    let mut request = Request::from_parts(parts, body);
    let on_upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let socket = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(socket_config()),
                )
                .await;
                run(state, base, token, socket, first).await;
            }
            Err(e) => tracing::debug!(error = %e, "Mastodon stream upgrade failed"),
        }
    });
    let mut response = (
        StatusCode::SWITCHING_PROTOCOLS,
        [
            (header::UPGRADE, "websocket"),
            (header::CONNECTION, "upgrade"),
        ],
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&key).map_err(|_| StatusCode::BAD_REQUEST.into_response())?,
    );
    if let Some(protocol) = protocol.and_then(|p| HeaderValue::from_str(&p).ok()) {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, protocol);
    }
    Ok(response)
}

/// Small buffers: a stream's client sends a few short messages, and tungstenite's defaults
/// (128 KiB to read, 128 KiB to write) would make an idle stream cost over 100 KiB
/// (`bench/mastodon_streams.mjs`). Each message is written out as it is sent.
fn socket_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

/// One connection: its subscriptions by stream name, until either side closes.
async fn run<S>(
    state: MastodonState,
    base: String,
    token: MaybeToken,
    socket: WebSocketStream<S>,
    first: Option<StreamKind>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut incoming) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Delivery>(QUEUE);
    let mut subs: HashMap<Vec<String>, Unsubscribe> = HashMap::new();
    let subscribe = |kind: StreamKind| {
        let (state, token, tx) = (state.clone(), &token, tx.clone());
        async move {
            let names = kind.names();
            let (sub, _) = open(&state, kind, token, tx, None).await?;
            Ok::<_, MastoError>((names, Unsubscribe(state, sub.key)))
        }
    };
    if let Some(kind) = first {
        match subscribe(kind).await {
            Ok((names, guard)) => {
                subs.insert(names, guard);
            }
            Err(_) => return,
        }
    }
    loop {
        tokio::select! {
            delivery = rx.recv() => {
                let Some(delivery) = delivery else { break };
                let Some((event, payload)) = render(&state, &base, &delivery).await else {
                    continue;
                };
                let message = json!({
                    "stream": delivery.sub.kind.names(),
                    "event": event,
                    "payload": payload,
                });
                if sink.send(Message::text(message.to_string())).await.is_err() {
                    break;
                }
            }
            message = incoming.next() => {
                let text = match message {
                    Some(Ok(Message::Text(text))) if text.len() <= MAX_MESSAGE => text,
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                    _ => break,
                };
                let Ok(asked) = serde_json::from_str::<Value>(&text) else { continue };
                let Some(stream) = asked["stream"].as_str() else { continue };
                let tag = asked["tag"].as_str().map(str::to_owned);
                let Ok(kind) = kind(stream, tag) else {
                    let error = json!({"error": "Unknown stream type", "status": 400});
                    if sink.send(Message::text(error.to_string())).await.is_err() { break }
                    continue;
                };
                match asked["type"].as_str() {
                    Some("subscribe") if !subs.contains_key(&kind.names()) => {
                        match subscribe(kind).await {
                            Ok((names, guard)) => { subs.insert(names, guard); }
                            Err(e) => {
                                let error = json!({"error": "Access token does not have the required scopes", "status": e.status().as_u16()});
                                if sink.send(Message::text(error.to_string())).await.is_err() { break }
                            }
                        }
                    }
                    Some("unsubscribe") => { subs.remove(&kind.names()); }
                    _ => {}
                }
            }
        }
    }
    drop(subs);
    let _ = sink.close().await;
}
