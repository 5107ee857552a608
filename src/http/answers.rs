//! The answers many operations share, described once for the OpenAPI document
//! (`#[derive(IntoResponses)]`) and named in each operation's `responses(…)` beside its own.
//!
//! These are descriptions, never built: a handler answers them by returning an `ApiError`
//! (whose body is `ErrorBody`, whose code is an `ErrorCode`).

use utoipa::IntoResponses;

use super::error::ErrorBody;

/// What any operation that needs a signed-in user may also answer.
#[derive(IntoResponses)]
pub enum SignedInAnswers {
    /// `unauthorized`: not signed in, or the session has ended.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// `forbidden`: a session cookie sent from another site (or, deleting a tweet, not yours;
    /// an admin action by someone who is not a moderator); `blocked`: a block stands between
    /// you and the account acted on.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// `unavailable`: the database is away.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// What any operation open to everyone (signed in or not) may also answer.
#[derive(IntoResponses)]
pub enum PublicAnswers {
    /// `unauthorized`: a bearer token that has ended or is malformed.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// `unavailable`: the database is away.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

/// What any operation that reads a JSON body may also answer (besides its 400s).
#[derive(IntoResponses)]
pub enum JsonBodyAnswers {
    /// `payload_too_large`: the body is over 16 KiB.
    #[response(status = 413)]
    PayloadTooLarge(ErrorBody),
    /// `unsupported_media_type`: the body is not JSON.
    #[response(status = 415)]
    UnsupportedMediaType(ErrorBody),
}
