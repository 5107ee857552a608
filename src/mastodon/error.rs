//! `MastoError`: every way a Mastodon request fails, in Mastodon's shape — `{"error": "…"}`
//! with the status Mastodon uses (422 for invalid input, 403 for a scope the token lacks);
//! the OAuth endpoints answer RFC 6749's `{"error": code, "error_description": "…"}`.
//! Internal errors are logged with their cause chain and answered with a generic sentence.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::HashError;
use crate::domain::Invalid;
use crate::storage::{Constraint, StoreError};

/// A failed Mastodon request.
#[derive(Debug)]
pub enum MastoError {
    /// A plain failure: this status, this sentence.
    Plain(StatusCode, String),
    /// An OAuth failure: status, RFC 6749 code, description.
    OAuth(StatusCode, &'static str, String),
    /// Over a rate limit: retry after this many seconds (429).
    RateLimited(u64),
    /// A dependency is away or busy (503, with `Retry-After` when known).
    Unavailable(String, Option<u64>),
    /// A bug or a broken dependency (500).
    Internal(anyhow::Error),
}

impl MastoError {
    /// 422: the input breaks a rule.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Plain(StatusCode::UNPROCESSABLE_ENTITY, message.into())
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::Plain(StatusCode::BAD_REQUEST, message.into())
    }

    /// 401: no valid token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::Plain(StatusCode::UNAUTHORIZED, message.into())
    }

    /// 403: not allowed (a missing scope, a block, not yours).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Plain(StatusCode::FORBIDDEN, message.into())
    }

    /// 403: the token lacks the scope this needs.
    pub fn out_of_scope() -> Self {
        Self::forbidden("This action is outside the authorized scopes")
    }

    /// 404 as Mastodon says it.
    pub fn not_found() -> Self {
        Self::Plain(StatusCode::NOT_FOUND, "Record not found".into())
    }

    /// 403: a block stands between the two accounts.
    pub fn blocked() -> Self {
        Self::forbidden("You cannot do that: one of you blocks the other.")
    }

    /// An OAuth error (400 unless `invalid_client`, which is 401).
    pub fn oauth(code: &'static str, description: impl Into<String>) -> Self {
        let status = if code == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        Self::OAuth(status, code, description.into())
    }

    /// 429 after a limit refused, with the wait rounded up to whole seconds.
    pub fn limited(wait: Duration) -> Self {
        Self::RateLimited(wait.as_millis().div_ceil(1000).max(1) as u64)
    }

    /// The status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Plain(status, _) | Self::OAuth(status, _, _) => *status,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(..) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for MastoError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::not_found(),
            StoreError::Blocked => Self::blocked(),
            StoreError::Conflict(Constraint::Username) => {
                Self::invalid("Validation failed: Username has already been taken")
            }
            StoreError::Conflict(other) => {
                Self::Internal(anyhow::anyhow!("unexpected conflict on {other:?}"))
            }
            StoreError::Unavailable(why) => Self::Unavailable(why, None),
            StoreError::Other(e) => Self::Internal(e),
        }
    }
}

impl From<Invalid> for MastoError {
    fn from(invalid: Invalid) -> Self {
        Self::invalid(format!("Validation failed: {}", invalid.message))
    }
}

impl From<HashError> for MastoError {
    fn from(err: HashError) -> Self {
        match err {
            HashError::Busy => Self::Unavailable("every password hasher is busy".into(), Some(1)),
            HashError::Failed(e) => Self::Internal(e),
        }
    }
}

impl From<anyhow::Error> for MastoError {
    fn from(err: anyhow::Error) -> Self {
        Self::Internal(err)
    }
}

impl IntoResponse for MastoError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            Self::Plain(_, message) => json!({ "error": message }),
            Self::OAuth(_, code, description) => {
                json!({ "error": code, "error_description": description })
            }
            Self::RateLimited(_) => json!({ "error": "Too many requests" }),
            Self::Unavailable(why, _) => {
                tracing::warn!(%why, "dependency unavailable");
                json!({ "error": "The service is temporarily unavailable; try again shortly." })
            }
            Self::Internal(err) => {
                tracing::error!(error = ?err, "Mastodon API request failed");
                json!({ "error": "Something went wrong on our side." })
            }
        };
        let mut response = (status, Json(body)).into_response();
        if let Self::RateLimited(seconds) | Self::Unavailable(_, Some(seconds)) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
