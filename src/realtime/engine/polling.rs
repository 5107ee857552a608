//! HTTP long-polling: the handshake GET opens a session; each later GET waits until there is
//! something to send and answers every queued packet at once; POSTs carry the client's
//! packets. A second GET while one is pending breaks the protocol and closes the session.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::sync::oneshot;

use super::Hub;
use super::addresses::AddressSlot;
use super::answer::{EngineError, text};
use super::packet::{self, SEPARATOR};
use super::session::{Attachment, Polling, Session, Sid, Transport};

/// Open a polling session (holding its place under the per-address cap) and answer its
/// `open` packet.
pub fn open(hub: &Arc<Hub>, attachment: Attachment, address: Option<AddressSlot>) -> Response {
    let sid = Sid::random();
    let session = Arc::new(Session::new(
        sid,
        Transport::Polling(Box::default()),
        attachment,
        address,
        hub.now(),
    ));
    hub.registry.insert(session);
    let c = &hub.config;
    text(packet::open_packet(
        sid.as_str(),
        true,
        c.ping_interval.as_millis() as u64,
        c.ping_timeout.as_millis() as u64,
        c.max_payload,
    ))
}

/// A GET or POST on an open session.
pub async fn request(hub: Arc<Hub>, session: Arc<Session>, request: Request) -> Response {
    let method = request.method().clone();
    match method {
        Method::GET => {
            // Nothing of a GET is read: let its headers go (they share the connection's
            // read buffer) rather than hold them while it waits, maybe for minutes.
            drop(request);
            poll(&hub, &session).await
        }
        Method::POST => post(&hub, &session, request).await,
        _ => EngineError::BadRequest.into_response(),
    }
}

/// Clears the "GET active" mark when the GET ends, even if the client went away.
struct ActiveGet<'a>(&'a Session);

impl Drop for ActiveGet<'_> {
    fn drop(&mut self) {
        if let Transport::Polling(polling) = &mut self.0.lock().transport {
            polling.get_active = false;
            polling.waiter = None;
        }
    }
}

async fn poll(hub: &Arc<Hub>, session: &Arc<Session>) -> Response {
    let waiting = {
        let mut state = session.lock();
        let closed = state.closed;
        let Transport::Polling(polling) = &mut state.transport else {
            return EngineError::BadRequest.into_response();
        };
        if polling.get_active {
            drop(state);
            hub.close(session, "overlapping polling requests");
            return EngineError::BadRequest.into_response();
        }
        if !polling.queue.is_empty() || closed {
            return payload(polling, closed);
        }
        let (tx, rx) = oneshot::channel();
        polling.waiter = Some(tx);
        polling.get_active = true;
        rx
    };
    let _active = ActiveGet(session);
    let _ = waiting.await;
    let mut state = session.lock();
    let closed = state.closed;
    match &mut state.transport {
        Transport::Polling(polling) => payload(polling, closed),
        // Upgraded meanwhile: end this GET with a noop.
        Transport::WebSocket(_) => text("6"),
    }
}

/// Everything queued, joined with the record separator (and a close packet at the end).
fn payload(polling: &mut Polling, closed: bool) -> Response {
    let mut body = Vec::new();
    for (i, packet) in polling.queue.drain(..).enumerate() {
        if i > 0 {
            body.push(SEPARATOR);
        }
        body.extend_from_slice(&packet);
    }
    if closed {
        if !body.is_empty() {
            body.push(SEPARATOR);
        }
        // The server says goodbye with a close packet; a client that said it first only
        // needs its pending GET ended (as the reference server does).
        body.push(if polling.client_closed { b'6' } else { b'1' });
    }
    polling.queue = Vec::new();
    text(Bytes::from(body))
}

async fn post(hub: &Arc<Hub>, session: &Arc<Session>, request: Request) -> Response {
    {
        let state = session.lock();
        if !matches!(state.transport, Transport::Polling(_)) {
            return EngineError::BadRequest.into_response();
        }
    }
    let body = match axum::body::to_bytes(request.into_body(), hub.config.max_payload).await {
        Ok(body) => body,
        Err(_) => {
            hub.close(session, "payload too large");
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        }
    };
    let Ok(body) = std::str::from_utf8(&body) else {
        hub.close(session, "parse error");
        return EngineError::BadRequest.into_response();
    };
    for text in packet::split_payload(body) {
        if let Err(reason) = hub.on_packet(session, text).await {
            hub.close(session, reason);
            break;
        }
    }
    ([(header::CONTENT_TYPE, "text/html")], "ok").into_response()
}
