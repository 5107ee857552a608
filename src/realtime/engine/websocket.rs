//! WebSocket sessions: the HTTP/1.1 upgrade handshake (RFC 6455 §4.2), then one task per
//! socket that reads frames and hands complete messages to the engine.
//!
//! After the upgrade the raw `TcpStream` is taken back from hyper (which must have served
//! the connection with its plain http1 builder) and shared through an `Arc` with the
//! session, which writes to it with non-blocking `try_write`. The reader keeps no buffer
//! while idle: it reads into a stack chunk and keeps only the bytes of an incomplete frame.
//!
//! A WebSocket opened with the `sid` of a polling session is a probe: it answers `2probe`
//! with `3probe`, ends the pending GET with a noop, and takes the session over on `5`.

use std::io;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use bytes::Bytes;
use hyper_util::rt::TokioIo;
use sha1::{Digest, Sha1};
use tokio::net::TcpStream;

use super::Hub;
use super::addresses::AddressSlot;
use super::frame::{self, Decoder, Message};
use super::http::{EngineError, handshake};
use super::packet;
use super::session::{Handshake, Session, Sid, Transport, WebSocket, Written};
use crate::caps::ConnectionSlot;

/// The GUID of RFC 6455 §1.3.
const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(WEBSOCKET_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha1.finalize())
}

fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Answer a WebSocket handshake (`session`: the polling session it probes to replace;
/// `address`: a new session's place under the per-address cap). The connection's slot under
/// the connection cap moves to the socket's task: the socket holds it while it is open.
pub fn upgrade(
    hub: Arc<Hub>,
    session: Option<Arc<Session>>,
    address: Option<AddressSlot>,
    mut request: Request,
) -> Response {
    let connection = request.extensions_mut().remove::<ConnectionSlot>();
    let headers = request.headers();
    let valid = request.method() == Method::GET
        && has_token(headers, header::UPGRADE, "websocket")
        && has_token(headers, header::CONNECTION, "upgrade")
        && headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .is_some_and(|v| v.as_bytes() == b"13");
    let key = headers.get(header::SEC_WEBSOCKET_KEY).map(|k| k.as_bytes());
    let (true, Some(key)) = (valid, key) else {
        return EngineError::BadRequest.into_response();
    };
    let Ok(accept) = HeaderValue::from_str(&accept_key(key)) else {
        return EngineError::BadRequest.into_response();
    };
    let opening = match &session {
        None => Some(handshake(headers, &hub)),
        Some(session) => {
            let mut state = session.lock();
            let closed = state.closed;
            match &mut state.transport {
                Transport::Polling(polling) if !polling.upgrading && !closed => {
                    polling.upgrading = true;
                }
                // Already upgraded (or being probed): like the reference server, complete the
                // handshake and close at once.
                _ => {
                    drop(state);
                    return refuse(request, accept);
                }
            }
            None
        }
    };
    let on_upgrade = hyper::upgrade::on(&mut request);
    drop(request);
    tokio::spawn(async move {
        let taken = match on_upgrade.await {
            Ok(upgraded) => match upgraded.downcast::<TokioIo<TcpStream>>() {
                Ok(parts) => Some((parts.io.into_inner(), parts.read_buf.to_vec())),
                Err(_) => {
                    tracing::error!("websocket upgrade on a connection not served by http1");
                    None
                }
            },
            Err(e) => {
                tracing::debug!(error = %e, "websocket upgrade failed");
                None
            }
        };
        match taken {
            Some((stream, rest)) => {
                let opening = opening.map(|handshake| (handshake, address));
                tokio::spawn(run(
                    hub,
                    session,
                    opening,
                    Arc::new(stream),
                    rest,
                    connection,
                ));
            }
            None => {
                if let Some(session) = session {
                    end_probe(&session);
                }
            }
        }
    });
    switching(accept)
}

/// Complete a WebSocket handshake only to close the socket straight away.
fn refuse(mut request: Request, accept: HeaderValue) -> Response {
    let on_upgrade = hyper::upgrade::on(&mut request);
    drop(request);
    tokio::spawn(async move {
        if let Ok(upgraded) = on_upgrade.await
            && let Ok(parts) = upgraded.downcast::<TokioIo<TcpStream>>()
        {
            let stream = parts.io.into_inner();
            let _ = stream.try_write(&frame::close(frame::code::POLICY_VIOLATION));
            let _ = super::session::shutdown(&stream);
        }
    });
    switching(accept)
}

/// The `101 Switching Protocols` answer.
fn switching(accept: HeaderValue) -> Response {
    (
        StatusCode::SWITCHING_PROTOCOLS,
        [
            (header::UPGRADE, HeaderValue::from_static("websocket")),
            (header::CONNECTION, HeaderValue::from_static("upgrade")),
            (header::SEC_WEBSOCKET_ACCEPT, accept),
        ],
    )
        .into_response()
}

/// The task of one WebSocket: open (or probe), then read until the socket ends. It holds
/// the connection's slot under the connection cap until then.
async fn run(
    hub: Arc<Hub>,
    existing: Option<Arc<Session>>,
    opening: Option<(Handshake, Option<AddressSlot>)>,
    stream: Arc<TcpStream>,
    mut pending: Vec<u8>,
    _connection: Option<ConnectionSlot>,
) {
    let (session, mut probing) = match (existing, opening) {
        (Some(session), _) => (session, true),
        (None, opening) => {
            let (handshake, address) = opening.unwrap_or((
                Handshake {
                    origin_allowed: false,
                    cookie: None,
                },
                None,
            ));
            let session = Arc::new(Session::new(
                Sid::random(),
                Transport::WebSocket(WebSocket::new(stream.clone())),
                handshake,
                address,
                hub.now(),
            ));
            hub.registry.insert(session.clone());
            let c = &hub.config;
            let open = packet::open_packet(
                session.sid.as_str(),
                false,
                c.ping_interval.as_millis() as u64,
                c.ping_timeout.as_millis() as u64,
                c.max_payload,
            );
            hub.send(&session, &open);
            (session, false)
        }
    };
    let (reason, code) = read(&hub, &session, &stream, &mut pending, &mut probing).await;
    if probing {
        end_probe(&session);
        let _ = stream.try_write(&frame::close(code.unwrap_or(frame::code::NORMAL)));
        let _ = super::session::shutdown(&stream);
    } else {
        hub.close_with(&session, reason, code);
    }
}

/// Read and handle messages until the socket ends; returns why, with a close code to send.
async fn read(
    hub: &Arc<Hub>,
    session: &Arc<Session>,
    stream: &Arc<TcpStream>,
    pending: &mut Vec<u8>,
    probing: &mut bool,
) -> (&'static str, Option<u16>) {
    let mut decoder = Decoder::default();
    let max = hub.config.max_payload;
    loop {
        let messages = match decoder.decode(pending, max) {
            Ok(messages) => messages,
            Err(code) => return ("transport error", Some(code)),
        };
        for message in messages {
            match message {
                Message::Text(text) if *probing => match text.as_str() {
                    "2probe" => {
                        if !write_now(stream, &frame::text(b"3probe")) {
                            return ("transport error", None);
                        }
                        // Ends the pending GET so the client can pause polling.
                        hub.send(session, "6");
                    }
                    "5" if take_over(hub, session, stream) => *probing = false,
                    _ => return ("bad upgrade", Some(frame::code::PROTOCOL_ERROR)),
                },
                Message::Text(text) => {
                    // Boxed: the handshake's database lookup must not make every idle
                    // reader task as big as its deepest await.
                    if let Err(reason) = Box::pin(hub.on_packet(session, &text)).await {
                        return (reason, None);
                    }
                }
                Message::Ping(payload) => {
                    let pong = frame::pong(&payload);
                    if *probing {
                        if !write_now(stream, &pong) {
                            return ("transport error", None);
                        }
                    } else {
                        send_frame(hub, session, &pong);
                    }
                }
                Message::Pong => {}
                Message::Close(_) => return ("transport close", None),
            }
        }
        if session.lock().closed && !*probing {
            return ("transport close", None);
        }
        if pending.is_empty() && pending.capacity() > 0 {
            // Keep no buffer while idle.
            *pending = Vec::new();
        }
        loop {
            if stream.readable().await.is_err() {
                return ("transport error", None);
            }
            match read_available(stream, pending, max) {
                Ok(0) => return ("transport close", None),
                Ok(_) => break,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => return ("transport error", None),
            }
        }
    }
}

/// Append what the kernel has to `pending` (stopping past `limit`). `Ok(0)` is end of stream;
/// `WouldBlock` when nothing was there after all.
fn read_available(stream: &TcpStream, pending: &mut Vec<u8>, limit: usize) -> io::Result<usize> {
    let mut chunk = [0u8; 4096];
    let mut total = 0;
    loop {
        match stream.try_read(&mut chunk) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                pending.extend_from_slice(&chunk[..n]);
                total += n;
                if n < chunk.len() || pending.len() > limit {
                    return Ok(total);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && total > 0 => return Ok(total),
            Err(e) => return Err(e),
        }
    }
}

/// Write a small frame to a socket that has no backlog yet (a probe); false if it did not fit.
fn write_now(stream: &TcpStream, bytes: &[u8]) -> bool {
    let mut offset = 0;
    while offset < bytes.len() {
        match stream.try_write(&bytes[offset..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => offset += n,
        }
    }
    true
}

/// Write a complete frame through the session (in order with everything else it sends).
fn send_frame(hub: &Hub, session: &Arc<Session>, frame: &Bytes) {
    let written = session.lock().write(frame, frame, hub.config.max_backlog);
    session.after_write(written);
}

/// `5` arrived on the probe: move the session onto this WebSocket, with whatever the polling
/// queue still held, and end the pending GET.
fn take_over(hub: &Hub, session: &Arc<Session>, stream: &Arc<TcpStream>) -> bool {
    let mut state = session.lock();
    if state.closed {
        return false;
    }
    let Transport::Polling(polling) = &mut state.transport else {
        return false;
    };
    let queued = std::mem::take(&mut polling.queue);
    let waiter = polling.waiter.take();
    state.transport = Transport::WebSocket(WebSocket::new(stream.clone()));
    if let Some(waiter) = waiter {
        let _ = waiter.send(());
    }
    let mut backlogged = false;
    for packet in queued {
        let frame = frame::text(&packet);
        backlogged |= state.write(&frame, &packet, hub.config.max_backlog) == Written::Backlogged;
    }
    drop(state);
    if backlogged {
        session.after_write(Written::Backlogged);
    }
    true
}

/// A probe ended without taking over: polling goes on, and may be probed again.
fn end_probe(session: &Session) {
    if let Transport::Polling(polling) = &mut session.lock().transport {
        polling.upgrading = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc_6455_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
