//! The `/socket.io/` endpoint: reads the Engine.IO query (`EIO`, `transport`, `sid`), answers
//! errors as the engine.io reference server does (400 with `{"code","message"}`), and hands
//! the request to long-polling or the WebSocket handshake.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::session::{Handshake, Sid};
use super::{Hub, polling, websocket};
use crate::caps::client_address;
use crate::http::session_cookie;

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

/// The transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
}

/// The Engine.IO query parameters.
struct Query<'a> {
    eio: Option<&'a str>,
    transport: Option<&'a str>,
    sid: Option<&'a str>,
}

fn query(raw: Option<&str>) -> Query<'_> {
    let mut q = Query {
        eio: None,
        transport: None,
        sid: None,
    };
    for pair in raw.unwrap_or("").split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "EIO" => q.eio = Some(value),
            "transport" => q.transport = Some(value),
            "sid" => q.sid = Some(value),
            _ => {}
        }
    }
    q
}

/// Answer one request to `/socket.io/`.
pub async fn handle(hub: Arc<Hub>, request: Request) -> Response {
    let q = query(request.uri().query());
    let kind = match q.transport {
        Some("polling") => Kind::Polling,
        Some("websocket") => Kind::WebSocket,
        _ => return EngineError::UnknownTransport.into_response(),
    };
    let sid = q
        .sid
        .map(|raw| Sid::parse(raw).ok_or(EngineError::UnknownSid));
    if sid.is_none() {
        if request.method() != Method::GET {
            return EngineError::BadHandshakeMethod.into_response();
        }
        if q.eio != Some("4") {
            return EngineError::UnsupportedProtocolVersion.into_response();
        }
        if hub.closing() {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    // A new session takes a place under its address's cap now, before anything is built.
    let mut address = None;
    if sid.is_none()
        && let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>()
    {
        let ip = client_address(peer.ip(), request.headers(), &hub.handshake.trusted_proxies);
        match hub.addresses.reserve(ip) {
            Some(slot) => address = Some(slot),
            None => return EngineError::TooManySockets.into_response(),
        }
    }
    let session = match sid {
        None => None,
        Some(Err(e)) => return e.into_response(),
        Some(Ok(sid)) => match hub.registry.get(&sid) {
            Some(session) => Some(session),
            None => return EngineError::UnknownSid.into_response(),
        },
    };
    match kind {
        Kind::Polling => match session {
            None => polling::open(&hub, handshake(request.headers(), &hub), address),
            Some(session) => polling::request(hub, session, request).await,
        },
        Kind::WebSocket => websocket::upgrade(hub, session, address, request),
    }
}

/// What to keep of the first request's head: whether its origin may open a socket, and the
/// session cookie if the origin rule lets it count. Nothing else is kept.
pub fn handshake(headers: &HeaderMap, hub: &Hub) -> Handshake {
    let origins = &hub.handshake.origins;
    Handshake {
        origin_allowed: origins.socket_allowed(headers),
        cookie: if origins.cookie_counts(headers) {
            session_cookie(headers)
        } else {
            None
        },
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
    fn reads_the_engine_query() {
        let q = query(Some("EIO=4&transport=polling&t=abc&sid=xyz"));
        assert_eq!(q.eio, Some("4"));
        assert_eq!(q.transport, Some("polling"));
        assert_eq!(q.sid, Some("xyz"));
        let empty = query(None);
        assert!(empty.eio.is_none() && empty.transport.is_none() && empty.sid.is_none());
    }

    #[test]
    fn errors_carry_the_reference_codes() {
        assert_eq!(EngineError::UnknownSid.code_and_message().0, 1);
        assert_eq!(
            EngineError::UnsupportedProtocolVersion.code_and_message().0,
            5
        );
    }
}
