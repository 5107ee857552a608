//! Request bodies over the limit get their 413 reliably, as nginx's lingering close does.
//!
//! Answering 413 after reading only the first 16 KiB and then closing leaves the rest of a
//! large body unread in the kernel; closing a socket with unread data sends a reset, which
//! can reach the client before it has read the 413 (it sees EPIPE or "connection reset").
//! So the API's bodies are read here first: up to the limit they are kept and passed on;
//! past it the rest is read and thrown away — at most `LINGER_BYTES`, for at most
//! `LINGER_TIME` — and only then is the 413 sent. A body larger still ends the connection
//! after the answer (`Connection: close`): the reset risk is bounded, not the server's work.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use futures_util::StreamExt;

use super::error::ApiError;

/// Largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Most bytes of an over-long body read and discarded before the 413 is sent.
pub const LINGER_BYTES: usize = 4 * 1024 * 1024;
/// Longest time spent discarding an over-long body before the 413 is sent.
pub const LINGER_TIME: Duration = Duration::from_secs(2);

/// Middleware: buffer the body up to `MAX_BODY_BYTES`, or answer 413 after draining it.
pub async fn limit_body(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match read_within(&parts.headers, body, MAX_BODY_BYTES).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(refusal) => refusal,
    }
}

/// The whole body if it is at most `max` bytes; else the answer to send: 413 after draining
/// (within bounds), or 400 when it cannot be read. The upload route reads its larger
/// bodies with this too.
pub async fn read_within(
    headers: &axum::http::HeaderMap,
    body: Body,
    max: usize,
) -> Result<Bytes, Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut stream = body.into_data_stream();
    if declared.is_some_and(|n| n > max as u64) {
        return Err(refuse(0, stream).await);
    }
    let mut kept = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Err(ApiError::InvalidJson {
                field: None,
                message: "The request body could not be read.".into(),
            }
            .into_response());
        };
        if kept.len() + chunk.len() > max {
            return Err(refuse(kept.len() + chunk.len(), stream).await);
        }
        kept.extend_from_slice(&chunk);
    }
    Ok(kept.freeze())
}

/// Read and drop what is left of the body (within the linger bounds), then answer 413.
async fn refuse(
    mut read: usize,
    mut rest: impl futures_util::Stream<Item = Result<Bytes, axum::Error>> + Unpin,
) -> Response {
    let drained = tokio::time::timeout(LINGER_TIME, async {
        while read <= LINGER_BYTES {
            match rest.next().await {
                Some(Ok(chunk)) => read += chunk.len(),
                // The end of the body, or a client that stopped sending.
                Some(Err(_)) | None => return true,
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    let mut response = ApiError::PayloadTooLarge.into_response();
    if !drained {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
