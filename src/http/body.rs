//! Request bodies over the limit get their 413 reliably: the API's bodies are read first,
//! bounded, by `caps::read_body` (which drains an over-long body before the answer, as
//! nginx's lingering close does); up to the limit they are kept and passed on, past it the
//! answer is 413 in the API's error shape — with `Connection: close` when the body was too
//! large even to drain.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::caps::{BodyRefusal, read_body};

/// Largest JSON body the API accepts.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

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
/// (within bounds), or 400 when it cannot be read.
pub async fn read_within(
    headers: &axum::http::HeaderMap,
    body: Body,
    max: usize,
) -> Result<Bytes, Response> {
    read_body(headers, body, max).await.map_err(refusal)
}

/// The API's answer to a body `read_body` refused.
pub fn refusal(refused: BodyRefusal) -> Response {
    match refused {
        BodyRefusal::Unreadable => ApiError::InvalidJson {
            field: None,
            message: "The request body could not be read.".into(),
        }
        .into_response(),
        BodyRefusal::TooLarge { drained } => {
            let mut response = ApiError::PayloadTooLarge.into_response();
            if !drained {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
    }
}
