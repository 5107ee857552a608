//! `ApiError`: every way a request can fail, rendered as the contract's error shape
//! `{"error": {"code", "message", "field"?}}` with the matching status.
//!
//! The codes are one enum, `ErrorCode`, which both the JSON answer and the OpenAPI document
//! are made from, and so is the body (`ErrorBody`): what is served is what is described.
//! Internal errors are logged with their cause chain and answered with a generic sentence;
//! bad input never becomes a 500.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::HashError;
use crate::domain::Invalid;
use crate::storage::{Constraint, StoreError};

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field failed validation (400).
    #[error("{}", .0.message)]
    Invalid(Invalid),
    /// Following yourself (400).
    #[error("You cannot follow yourself.")]
    SelfFollow,
    /// Blocking yourself (400).
    #[error("You cannot block yourself.")]
    SelfBlock,
    /// Muting yourself (400).
    #[error("You cannot mute yourself.")]
    SelfMute,
    /// A report that cannot be filed as asked (400 `invalid_report`, with the field when one
    /// is at fault).
    #[error("{message}")]
    InvalidReport {
        /// The body field at fault (`tweet_ids`, `reason`, `category`, `username`).
        field: Option<&'static str>,
        /// A sentence saying what to fix.
        message: String,
    },
    /// A block stands between the two accounts (403 `blocked`).
    #[error("You cannot do that: one of you blocks the other.")]
    Blocked,
    /// The account is suspended (403 `suspended`).
    #[error("This account is suspended.")]
    Suspended,
    /// Sign-ups are closed on this server (403 `registrations_closed`).
    #[error("Sign-ups are closed on this server.")]
    RegistrationsClosed,
    /// The body is not the JSON we expect (400): not JSON, not an object, a field of the
    /// wrong type, or a field this request does not take.
    #[error("{message}")]
    InvalidJson {
        /// The body field at fault, when one is (`up_to`, or a misspelt `replyto`).
        field: Option<String>,
        /// A sentence saying what to fix.
        message: String,
    },
    /// The body is not `application/json` (415).
    #[error("Send the body as application/json.")]
    UnsupportedMediaType,
    /// An upload that is not `multipart/form-data` (415 `unsupported_media_type`).
    #[error("Send the upload as multipart/form-data, with the image in a part named file.")]
    NotMultipart,
    /// An uploaded file that is not an image this server takes (415 `unsupported_media`).
    #[error("{0}")]
    UnsupportedMedia(String),
    /// An upload's alt text can no longer change: a tweet carries it (409 `media_attached`).
    #[error("This image is attached to a tweet; its description can no longer change.")]
    MediaAttached,
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

/// Every error code the API answers with, and the status each one carries.
#[derive(Serialize, Deserialize, ToSchema, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the username breaks the rules.
    InvalidUsername,
    /// 400: the password breaks the rules.
    InvalidPassword,
    /// 400: the tweet text breaks the rules.
    InvalidText,
    /// 400: a paging parameter or the query string is wrong.
    InvalidQuery,
    /// 400: the display name breaks the rules.
    InvalidDisplayName,
    /// 400: the bio breaks the rules.
    InvalidBio,
    /// 400: a follow-list cursor that this list's `next_cursor` did not give.
    InvalidCursor,
    /// 400: `reply_to` is not an integer.
    InvalidReplyTo,
    /// 400: following or unfollowing yourself.
    InvalidFollow,
    /// 400: blocking or unblocking yourself.
    InvalidBlock,
    /// 400: muting or unmuting yourself.
    InvalidMute,
    /// 400: a report of yourself, of tweets not the reported account's, or a bad field.
    InvalidReport,
    /// 400: a suspension reason or resolve note breaks the rules.
    InvalidReason,
    /// 400: not a role (`user`, `moderator`, `admin`).
    InvalidRole,
    /// 400: the body is not the JSON this request takes (an unknown field included).
    InvalidJson,
    /// 400: an image that is corrupt, truncated, over `--media-max-pixels`, or an upload
    /// without a `file` part.
    InvalidMedia,
    /// 400: an image description (alt text) over 1500 characters.
    InvalidDescription,
    /// 400: `media_ids` that are not 1–4 of your own uploads not attached yet.
    InvalidMediaIds,
    /// 401: not signed in, or the token has ended.
    Unauthorized,
    /// 401: wrong username or password.
    InvalidCredentials,
    /// 403: not yours, not a moderator, or a session cookie sent from another site.
    Forbidden,
    /// 403: a block stands between you and that account.
    Blocked,
    /// 403: the account is suspended.
    Suspended,
    /// 403: sign-ups are closed.
    RegistrationsClosed,
    /// 404: no such thing.
    NotFound,
    /// 405: the path does not take that method.
    MethodNotAllowed,
    /// 409: the username is taken.
    UsernameTaken,
    /// 409: the image is attached to a tweet already.
    MediaAttached,
    /// 413: the body is over 16 KiB.
    PayloadTooLarge,
    /// 415: the body is not `application/json` (or, uploading, not `multipart/form-data`).
    UnsupportedMediaType,
    /// 415: the uploaded file is not a JPEG, PNG, WebP or GIF image (judged by its bytes).
    UnsupportedMedia,
    /// 429: too many attempts; see `Retry-After`.
    RateLimited,
    /// 503: a dependency is away, or the server is busy; try again (see `Retry-After`).
    Unavailable,
    /// 500: a bug (never expected; the fuzzer fails on it).
    Internal,
}

impl ErrorCode {
    /// The HTTP status this code is answered with.
    pub fn status(self) -> StatusCode {
        use ErrorCode as C;
        match self {
            C::InvalidUsername
            | C::InvalidPassword
            | C::InvalidText
            | C::InvalidQuery
            | C::InvalidDisplayName
            | C::InvalidBio
            | C::InvalidCursor
            | C::InvalidReplyTo
            | C::InvalidFollow
            | C::InvalidBlock
            | C::InvalidMute
            | C::InvalidReport
            | C::InvalidReason
            | C::InvalidRole
            | C::InvalidJson
            | C::InvalidMedia
            | C::InvalidDescription
            | C::InvalidMediaIds => StatusCode::BAD_REQUEST,
            C::Unauthorized | C::InvalidCredentials => StatusCode::UNAUTHORIZED,
            C::Forbidden | C::Blocked | C::Suspended | C::RegistrationsClosed => {
                StatusCode::FORBIDDEN
            }
            C::NotFound => StatusCode::NOT_FOUND,
            C::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            C::UsernameTaken | C::MediaAttached => StatusCode::CONFLICT,
            C::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            C::UnsupportedMediaType | C::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            C::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            C::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            C::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code of an invalid input `field` (`invalid_query` for paging parameters).
    fn invalid(field: &str) -> Self {
        match field {
            "username" => Self::InvalidUsername,
            "password" => Self::InvalidPassword,
            "text" => Self::InvalidText,
            "display_name" => Self::InvalidDisplayName,
            "bio" => Self::InvalidBio,
            "cursor" => Self::InvalidCursor,
            "reply_to" => Self::InvalidReplyTo,
            "reason" | "note" => Self::InvalidReason,
            "role" => Self::InvalidRole,
            "file" => Self::InvalidMedia,
            "description" => Self::InvalidDescription,
            "media_ids" => Self::InvalidMediaIds,
            _ => Self::InvalidQuery,
        }
    }
}

/// Every failure: `{"error": {"code", "message", "field"?}}`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The inside of an error body.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable reason.
    pub code: ErrorCode,
    /// A sentence a person can act on (wording may change).
    pub message: String,
    /// The input field at fault, when there is one (`username`, `password`, `text`,
    /// `reply_to`, `limit`, `before`, `after`, `query`, `cursor`, or a body field).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub field: Option<String>,
}

impl ApiError {
    /// The code this error is answered with (its status follows from it).
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            Self::Invalid(invalid) => C::invalid(invalid.field),
            Self::InvalidJson { .. } => C::InvalidJson,
            Self::SelfFollow => C::InvalidFollow,
            Self::SelfBlock => C::InvalidBlock,
            Self::SelfMute => C::InvalidMute,
            Self::InvalidReport { .. } => C::InvalidReport,
            Self::Blocked => C::Blocked,
            Self::Suspended => C::Suspended,
            Self::RegistrationsClosed => C::RegistrationsClosed,
            Self::UnsupportedMediaType | Self::NotMultipart => C::UnsupportedMediaType,
            Self::UnsupportedMedia(_) => C::UnsupportedMedia,
            Self::MediaAttached => C::MediaAttached,
            Self::PayloadTooLarge => C::PayloadTooLarge,
            Self::Unauthorized(_) => C::Unauthorized,
            Self::InvalidCredentials => C::InvalidCredentials,
            Self::Forbidden(_) => C::Forbidden,
            Self::NotFound(_) | Self::NotFoundIn { .. } => C::NotFound,
            Self::MethodNotAllowed => C::MethodNotAllowed,
            Self::UsernameTaken => C::UsernameTaken,
            Self::RateLimited(_) => C::RateLimited,
            Self::Unavailable(_) | Self::Busy(_) => C::Unavailable,
            Self::Internal(_) => C::Internal,
        }
    }

    /// The input field at fault, when there is one.
    fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(invalid) => Some(invalid.field),
            Self::InvalidJson { field, .. } => field.as_deref(),
            Self::UsernameTaken => Some("username"),
            Self::NotFoundIn { field, .. } => Some(field),
            Self::InvalidReport { field, .. } => *field,
            _ => None,
        }
    }

    /// The body this error is answered with.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field: self.field().map(str::to_owned),
            },
        }
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
            StoreError::Blocked => Self::Blocked,
            // The one rule a request can break by asking; handlers that know better map
            // their own (`users.rs`). Any other conflict is a write that should have said
            // what to do on conflict: a bug, logged as one.
            StoreError::Conflict(Constraint::Username) => Self::UsernameTaken,
            StoreError::Conflict(Constraint::MediaIds) => Self::Invalid(Invalid {
                field: "media_ids",
                message: "media_ids must name your own uploads that no tweet carries yet.".into(),
            }),
            StoreError::Conflict(other) => {
                Self::Internal(anyhow::anyhow!("unexpected conflict on {other:?}"))
            }
            StoreError::Unavailable(why) => Self::Unavailable(why),
            StoreError::Other(e) => Self::Internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            Self::Internal(err) => tracing::error!(error = ?err, "request failed"),
            Self::Unavailable(why) => tracing::warn!(%why, "dependency unavailable"),
            _ => {}
        }
        let body = self.body();
        let mut response = (body.error.code.status(), Json(body)).into_response();
        if let Self::RateLimited(seconds) | Self::Busy(seconds) = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
