//! `ApiError`: every way a request can fail, rendered as the contract's error shape
//! `{"error": {"code", "message", "field"?}}` with the matching status.
//!
//! Internal errors are logged with their cause chain and answered with a generic sentence;
//! bad input never becomes a 500.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::HashError;
use crate::domain::Invalid;
use crate::storage::StoreError;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field failed validation (400).
    #[error("{}", .0.message)]
    Invalid(Invalid),
    /// Following yourself (400).
    #[error("You cannot follow yourself.")]
    SelfFollow,
    /// The body is not the JSON we expect (400).
    #[error("{0}")]
    InvalidJson(String),
    /// The body is not `application/json` (415).
    #[error("Send the body as application/json.")]
    UnsupportedMediaType,
    /// The body is over the limit (413).
    #[error("The request body is too large.")]
    PayloadTooLarge,
    /// Not signed in, or the token is not valid (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Wrong username or password (401).
    #[error("Wrong username or password.")]
    InvalidCredentials,
    /// Signed in, but not allowed to do this (403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such thing (404).
    #[error("{0}")]
    NotFound(String),
    /// What an input field names does not exist (404 `not_found`, with the field).
    #[error("{message}")]
    NotFoundIn {
        /// The input field (`reply_to`).
        field: &'static str,
        /// A sentence saying what was not found.
        message: String,
    },
    /// Wrong HTTP method for this path (405).
    #[error("This path does not accept that method.")]
    MethodNotAllowed,
    /// The username is taken (409).
    #[error("That username is taken.")]
    UsernameTaken,
    /// Too many attempts; retry after this many seconds (429).
    #[error("Too many attempts; try again in {0} s.")]
    RateLimited(u64),
    /// Too busy to take this request now (every password-hashing thread is taken); retry
    /// after this many seconds (503).
    #[error("The server is busy; try again in {0} s.")]
    Busy(u64),
    /// The database (or another dependency) is away (503).
    #[error("The service is temporarily unavailable; try again shortly.")]
    Unavailable(String),
    /// A bug or a broken dependency (500).
    #[error("Something went wrong on our side.")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Invalid(invalid) => (StatusCode::BAD_REQUEST, invalid_code(invalid.field)),
            Self::InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            Self::SelfFollow => (StatusCode::BAD_REQUEST, "invalid_follow"),
            Self::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) | Self::NotFoundIn { .. } => (StatusCode::NOT_FOUND, "not_found"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::UsernameTaken => (StatusCode::CONFLICT, "username_taken"),
            Self::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Unavailable(_) | Self::Busy(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The input field at fault, when there is one.
    fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid(invalid) => Some(invalid.field),
            Self::UsernameTaken => Some("username"),
            Self::NotFoundIn { field, .. } => Some(field),
            _ => None,
        }
    }
}

fn invalid_code(field: &str) -> &'static str {
    match field {
        "username" => "invalid_username",
        "password" => "invalid_password",
        "text" => "invalid_text",
        "display_name" => "invalid_display_name",
        "bio" => "invalid_bio",
        "cursor" => "invalid_cursor",
        "reply_to" => "invalid_reply_to",
        _ => "invalid_query",
    }
}

impl From<Invalid> for ApiError {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid)
    }
}

impl From<HashError> for ApiError {
    fn from(err: HashError) -> Self {
        match err {
            // A hash takes tens of milliseconds: a second later the queue has moved on.
            HashError::Busy => Self::Busy(1),
            HashError::Failed(e) => Self::Internal(e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound("Not found.".into()),
            StoreError::Conflict(_) => Self::UsernameTaken,
            StoreError::Unavailable(why) => Self::Unavailable(why),
            StoreError::Other(e) => Self::Internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            Self::Internal(err) => tracing::error!(error = ?err, "request failed"),
            Self::Unavailable(why) => tracing::warn!(%why, "dependency unavailable"),
            _ => {}
        }
        let mut body = json!({ "code": code, "message": self.to_string() });
        if let Some(field) = self.field() {
            body["field"] = json!(field);
        }
        let mut response = (status, Json(json!({ "error": body }))).into_response();
        if let Self::RateLimited(seconds) | Self::Busy(seconds) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
