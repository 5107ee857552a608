//! The `/socket.io/` endpoint: reads the Engine.IO query (`EIO`, `transport`, `sid`), answers
//! errors as the engine.io reference server does (`answer`), and hands the request to
//! long-polling or the WebSocket handshake.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::answer::EngineError;
use super::session::Sid;
use super::{Hub, polling, websocket};
use crate::caps::{client_address, warn_if_proxy_refused};

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
        let ip = client_address(peer.ip(), request.headers(), &hub.config.trusted_proxies);
        match hub.addresses.reserve(ip) {
            Some(slot) => address = Some(slot),
            None => {
                let trusted = &hub.config.trusted_proxies;
                warn_if_proxy_refused(
                    "--max-sockets-per-address",
                    peer.ip(),
                    request.headers(),
                    trusted,
                );
                return EngineError::TooManySockets.into_response();
            }
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
            None => polling::open(&hub, hub.handler.opened(request.headers()), address),
            Some(session) => polling::request(hub, session, request).await,
        },
        Kind::WebSocket => websocket::upgrade(hub, session, address, request),
    }
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
}
