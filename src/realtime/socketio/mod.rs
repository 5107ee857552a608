//! Socket.IO v5 on top of the engine: the `/` namespace only (others are refused with
//! `Invalid namespace`), CONNECT with the handshake's `auth`, client events (a client's
//! `newTweet` is acknowledged if it asks, and goes nowhere), DISCONNECT, and the
//! connect/disconnect log lines.

pub mod packet;

use std::sync::Arc;

use packet::{Packet, PacketError};

use super::engine::Hub;
use super::engine::session::{Handshake, Session, Sid, Sio};
use super::events::NEW_TWEET;
use super::handshake::authenticate;

/// Handle the data of one Engine.IO message. `Err` carries the reason to close the session.
pub async fn on_message(
    hub: &Arc<Hub>,
    session: &Arc<Session>,
    data: &str,
) -> Result<(), &'static str> {
    let packet = match packet::parse(data) {
        Ok(packet) => packet,
        Err(PacketError::Binary) => return Err("binary packets are not supported"),
        Err(PacketError::Malformed) => return Err("parse error"),
    };
    let connected = session.lock().connected_user().is_some();
    match packet {
        Packet::Connect { nsp, .. } if nsp != "/" => {
            hub.send(session, &packet::connect_error(nsp, "Invalid namespace"));
            Ok(())
        }
        Packet::Connect { auth, .. } if !connected => connect(hub, session, auth).await,
        Packet::Disconnect { nsp: "/" } if connected => {
            leave(hub, session);
            Ok(())
        }
        Packet::Event {
            nsp: "/",
            name,
            ack: Some(id),
        } if connected && name == NEW_TWEET => {
            // Announcing is the server's job: acknowledged, never relayed.
            hub.send(session, &packet::ack(id));
            Ok(())
        }
        // Events nobody listens to, packets for namespaces not joined, acks, repeated CONNECTs.
        _ => Ok(()),
    }
}

/// The client left `/` but keeps its Engine.IO session (as the reference server does): it
/// may CONNECT again, by `auth.token` or anonymously (the first request's cookie is gone).
fn leave(hub: &Hub, session: &Session) {
    let left = {
        let mut state = session.lock();
        let Sio::Connected { id, user } = &state.sio else {
            return;
        };
        let left = (*id, user.as_ref().map(|u| u.username.clone()));
        state.sio = Sio::Waiting(Box::new(Handshake {
            origin_allowed: true,
            cookie: None,
        }));
        state.opened_at = hub.now();
        (left, state.transport_name())
    };
    let ((id, username), transport) = left;
    disconnected(
        id,
        username.as_deref(),
        transport,
        "client namespace disconnect",
    );
}

/// The session a socket signed in with was signed out: the server ends its connection to
/// `/` (Socket.IO DISCONNECT, sent in the same critical section that makes it no longer
/// signed in, so no broadcast can reach it as that user afterwards). Like the reference
/// server's `socket.disconnect()`, the Engine.IO session stays: the official clients report
/// "io server disconnect", do not retry by themselves and close it; a client that neither
/// connects again (anonymously, or with a new token) nor closes is closed by the heartbeat's
/// connect timeout. Closing the transport at once instead would race the DISCONNECT: over
/// long-polling both travel in one response and the client reports a transport close.
/// False if the socket was no longer signed in with that session.
pub fn sign_out(hub: &Hub, session: &Arc<Session>, token_hash: &str) -> bool {
    let (id, username, transport, written) = {
        let mut state = session.lock();
        let Sio::Connected {
            id,
            user: Some(user),
        } = &state.sio
        else {
            return false;
        };
        if user.token_hash != token_hash {
            return false;
        }
        let (id, username) = (*id, user.username.clone());
        state.sio = Sio::Waiting(Box::new(Handshake {
            origin_allowed: true,
            cookie: None,
        }));
        state.opened_at = hub.now();
        let written = state.send_text(packet::DISCONNECT, hub.config.max_backlog);
        (id, username, state.transport_name(), written)
    };
    session.after_write(written);
    disconnected(id, Some(&username), transport, "signed out");
    true
}

/// The disconnect log line and gauge, for a socket that was connected to `/`.
pub fn disconnected(id: Sid, username: Option<&str>, transport: &str, reason: &str) {
    let user = username.unwrap_or("-");
    tracing::info!(socket = %id, %transport, %user, reason, "socket disconnected");
    metrics::gauge!("chirp_connected_sockets").decrement(1.0);
}

async fn connect(
    hub: &Arc<Hub>,
    session: &Arc<Session>,
    auth: Option<serde_json::Value>,
) -> Result<(), &'static str> {
    let handshake = match &session.lock().sio {
        Sio::Waiting(handshake) => (**handshake).clone(),
        Sio::Connected { .. } => return Ok(()),
    };
    let user = match authenticate(&hub.handshake, &handshake, auth.as_ref()).await {
        Ok(user) => user,
        Err(message) => {
            hub.send(session, &packet::connect_error("/", message));
            return Ok(());
        }
    };
    let id = Sid::random();
    let username = user.as_ref().map(|u| u.username.clone());
    let transport = {
        let mut state = session.lock();
        if state.closed || state.connected_user().is_some() {
            return Ok(());
        }
        // Joined (the user is known to broadcasts) in the same critical section that
        // acknowledges: no announcement can slip between the two.
        state.sio = Sio::Connected {
            id,
            user: user.map(Box::new),
        };
        let written = state.send_text(&packet::connect_ok(id.as_str()), hub.config.max_backlog);
        let transport = state.transport_name();
        drop(state);
        session.after_write(written);
        transport
    };
    let user = username.as_deref().unwrap_or("-");
    tracing::info!(socket = %id, %transport, %user, "socket connected");
    metrics::gauge!("chirp_connected_sockets").increment(1.0);
    Ok(())
}
