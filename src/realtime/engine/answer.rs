//! The engine's plain HTTP answers: the engine.io reference server's errors (400 with
//! `{"code","message"}`) and plain-text bodies. A leaf, shared by the endpoint and both
//! transports.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The engine.io reference server's error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineError {
    /// 0: `transport` is neither `polling` nor `websocket`.
    UnknownTransport,
    /// 1: no session with this `sid`.
    UnknownSid,
    /// 2: a handshake that is not a GET.
    BadHandshakeMethod,
    /// 3: anything else wrong with the request.
    BadRequest,
    /// 5: `EIO` is not 4.
    UnsupportedProtocolVersion,
    /// 4 (the reference's "Forbidden", with its own message), answered 503: the client's
    /// address has `--max-sockets-per-address` sessions open; it may retry once one closes.
    TooManySockets,
}

impl EngineError {
    fn code_and_message(self) -> (u8, &'static str) {
        match self {
            Self::UnknownTransport => (0, "Transport unknown"),
            Self::UnknownSid => (1, "Session ID unknown"),
            Self::BadHandshakeMethod => (2, "Bad handshake method"),
            Self::BadRequest => (3, "Bad request"),
            Self::UnsupportedProtocolVersion => (5, "Unsupported protocol version"),
            Self::TooManySockets => (4, "Too many sockets from this address"),
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::TooManySockets => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for EngineError {
    fn into_response(self) -> Response {
        let (code, message) = self.code_and_message();
        (
            self.status(),
            [(header::CONTENT_TYPE, "application/json")],
            format!(r#"{{"code":{code},"message":"{message}"}}"#),
        )
            .into_response()
    }
}

/// A plain-text 200 answer.
pub fn text(body: impl Into<Body>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")],
        body.into(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_reference_codes() {
        assert_eq!(EngineError::UnknownSid.code_and_message().0, 1);
        assert_eq!(
            EngineError::UnsupportedProtocolVersion.code_and_message().0,
            5
        );
    }
}
