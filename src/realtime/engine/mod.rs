//! Chirp's own Engine.IO v4 server: sessions over HTTP long-polling and WebSocket, the
//! polling → WebSocket upgrade, one shared heartbeat, and broadcasts written as the same
//! bytes to every socket.
//!
//! # Layout
//!
//! - `packet`: Engine.IO packets and polling payloads.
//! - `frame`: WebSocket frames (decode from clients, encode for clients).
//! - `session`: one session's state and its non-blocking writes.
//! - `registry`: every session by sid.
//! - `addresses`: sessions per client address, capped.
//! - `http`: the `/socket.io/` endpoint: handshakes, errors, routing to the transports.
//! - `polling`: long-polling GET and POST.
//! - `websocket`: the WebSocket handshake and the one task per socket that reads it.
//! - `heartbeat`: the one timer that pings every session and closes the silent ones.

mod addresses;
pub mod frame;
mod heartbeat;
pub mod http;
pub mod packet;
mod polling;
mod registry;
pub mod session;
mod websocket;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use addresses::Addresses;
use registry::Registry;
use session::{Session, Sio, Transport, Written};

use super::handshake::HandshakeContext;
use super::socketio;

/// Parse one Engine.IO packet, for tests of the layers above; true if it is well formed.
#[cfg(test)]
pub fn parse_engine_packet(text: &str) -> bool {
    packet::parse(text).is_ok()
}

/// Why a session ends when the client sends a close packet.
const CLIENT_CLOSE: &str = "client close";

/// Engine.IO settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// How often the server pings each session.
    pub ping_interval: Duration,
    /// How long a ping may go unanswered before the session is closed.
    pub ping_timeout: Duration,
    /// Largest message (WebSocket) or POST body (polling) accepted, in bytes.
    pub max_payload: usize,
    /// How long a session may stay without a Socket.IO CONNECT.
    pub connect_timeout: Duration,
    /// Most bytes queued for a socket the kernel will not take; past it, it is disconnected.
    pub max_backlog: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            max_payload: 1_000_000,
            connect_timeout: Duration::from_secs(45),
            max_backlog: 1 << 20,
        }
    }
}

/// The engine: configuration, the sessions, and what the Socket.IO handshake needs.
pub struct Hub {
    /// Settings.
    pub config: EngineConfig,
    /// Live sessions.
    pub registry: Registry,
    /// Sessions and the origin rule, for the Socket.IO CONNECT.
    pub handshake: HandshakeContext,
    /// Open sessions per client address, against `--max-sockets-per-address`.
    pub addresses: Arc<Addresses>,
    clock: Instant,
    closing: AtomicBool,
}

/// A broadcast, encoded once: the same bytes go to every socket.
pub struct Broadcast {
    /// The complete WebSocket frame.
    pub frame: Bytes,
    /// The Engine.IO packet, for long-polling queues.
    pub packet: Bytes,
    /// Sockets of this user are skipped.
    pub except_user: Option<i64>,
}

impl Broadcast {
    /// A broadcast of the Engine.IO packet `packet`.
    pub fn new(packet: String, except_user: Option<i64>) -> Self {
        Self {
            frame: frame::text(packet.as_bytes()),
            packet: Bytes::from(packet),
            except_user,
        }
    }
}

impl Hub {
    /// A hub with no sessions; `start` its heartbeat.
    pub fn new(config: EngineConfig, handshake: HandshakeContext) -> Arc<Self> {
        Arc::new(Self {
            config,
            registry: Registry::default(),
            addresses: Addresses::new(handshake.max_sockets_per_address),
            handshake,
            clock: Instant::now(),
            closing: AtomicBool::new(false),
        })
    }

    /// Start the shared heartbeat.
    pub fn start(self: &Arc<Self>) {
        tokio::spawn(heartbeat::run(Arc::downgrade(self)));
    }

    /// Milliseconds since the hub started.
    pub fn now(&self) -> u64 {
        self.clock.elapsed().as_millis() as u64
    }

    /// Whether new sessions are refused (shutting down).
    pub fn closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// Deliver a broadcast to every connected socket but the excepted user's. Returns how
    /// many sockets it was written or queued to.
    pub fn broadcast(&self, broadcast: &Broadcast) -> usize {
        let mut delivered = 0;
        let mut backlogged = Vec::new();
        let max = self.config.max_backlog;
        self.registry.for_each(|session| {
            let mut state = session.lock();
            match state.connected_user() {
                Some(user) if user.is_none() || user != broadcast.except_user => {}
                _ => return,
            }
            match state.write(&broadcast.frame, &broadcast.packet, max) {
                Written::Done => delivered += 1,
                Written::Backlogged => {
                    delivered += 1;
                    backlogged.push(session.clone());
                }
                Written::Failed => {}
            }
        });
        for session in backlogged {
            session.after_write(Written::Backlogged);
        }
        delivered
    }

    /// Send one Engine.IO packet to a session.
    pub fn send(&self, session: &Arc<Session>, packet: &str) {
        session.send(packet, self.config.max_backlog);
    }

    /// Close a session (idempotent): tell the client if the transport allows, forget the
    /// session, and log the disconnect if Socket.IO was connected.
    pub fn close(&self, session: &Arc<Session>, reason: &'static str) {
        self.close_with(session, reason, None);
    }

    /// `close`, with the WebSocket close code to send (default: normal, or going away while
    /// shutting down).
    pub fn close_with(&self, session: &Arc<Session>, reason: &'static str, code: Option<u16>) {
        let (was_connected, transport) = {
            let mut state = session.lock();
            if state.closed {
                return;
            }
            state.closed = true;
            // Its place under the per-address cap is free again.
            state.address = None;
            match &mut state.transport {
                Transport::WebSocket(ws) => {
                    let code = code.unwrap_or(if self.closing() {
                        frame::code::GOING_AWAY
                    } else {
                        frame::code::NORMAL
                    });
                    ws.close(code);
                }
                Transport::Polling(polling) => {
                    // The pending GET (or the next one) answers with a close packet.
                    polling.client_closed = reason == CLIENT_CLOSE;
                    if let Some(waiter) = polling.waiter.take() {
                        let _ = waiter.send(());
                    }
                }
            }
            let connected = match &state.sio {
                Sio::Connected { id, user } => {
                    Some((*id, user.as_ref().map(|u| u.username.clone())))
                }
                Sio::Waiting(_) => None,
            };
            (connected, state.transport_name())
        };
        self.registry.remove(&session.sid);
        if let Some((id, username)) = was_connected {
            socketio::disconnected(id, username.as_deref(), transport, reason);
        }
    }

    /// Disconnect every socket signed in with the session whose token hashes to
    /// `token_hash` (see `socketio::sign_out`). Returns how many there were.
    pub fn end_session(&self, token_hash: &str) -> usize {
        let mut signed_in = Vec::new();
        self.registry.for_each(|session| {
            if let Sio::Connected {
                user: Some(user), ..
            } = &session.lock().sio
                && user.token_hash == token_hash
            {
                signed_in.push(session.clone());
            }
        });
        signed_in
            .iter()
            .filter(|session| socketio::sign_out(self, session, token_hash))
            .count()
    }

    /// Refuse new sessions and close every open one.
    pub fn shutdown(&self) {
        self.closing.store(true, Ordering::Relaxed);
        for session in self.registry.all() {
            self.close(&session, "server shutting down");
        }
    }

    /// Handle one Engine.IO packet from a client (either transport, after any upgrade).
    /// `Err` carries the reason to close the session with.
    pub async fn on_packet(
        self: &Arc<Self>,
        session: &Arc<Session>,
        text: &str,
    ) -> Result<(), &'static str> {
        match packet::parse(text) {
            Ok(packet::Packet::Pong(_)) => {
                session.lock().pong_pending = false;
                Ok(())
            }
            Ok(packet::Packet::Message(data)) => socketio::on_message(self, session, data).await,
            Ok(packet::Packet::Close) => Err(CLIENT_CLOSE),
            Ok(packet::Packet::Noop | packet::Packet::Ping(_)) => Ok(()),
            Ok(packet::Packet::Upgrade) => Err("unexpected upgrade"),
            Err(packet::PacketError::Binary) => Err("binary packets are not supported"),
            Err(packet::PacketError::Malformed) => Err("parse error"),
        }
    }
}
