//! Chirp's own Engine.IO v4 server: sessions over HTTP long-polling and WebSocket, the
//! polling → WebSocket upgrade, one shared heartbeat, and broadcasts written as the same
//! bytes to every socket of a set.
//!
//! The engine is a transport and knows nothing of Socket.IO: the layer above implements
//! `Handler` (what to keep of a session's first request, a message arrived, a session
//! closed), keeps its own state in each session's `Attachment`, and addresses sets of
//! sessions with `Hub::write_each`.
//!
//! # Layout
//!
//! - `answer`: the reference server's HTTP errors and plain-text answers.
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
mod answer;
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

use axum::http::HeaderMap;
use bytes::Bytes;

use addresses::Addresses;
use registry::Registry;
use session::{Attachment, Session, Transport, Written};

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
    /// Most sessions open at once from one client address (0: no cap).
    pub max_sockets_per_address: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the per-address cap).
    pub trusted_proxies: crate::caps::TrustedProxies,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            max_payload: 1_000_000,
            connect_timeout: Duration::from_secs(45),
            max_backlog: 1 << 20,
            max_sockets_per_address: 0,
            trusted_proxies: crate::caps::TrustedProxies::none(),
        }
    }
}

/// The layer above the engine (Socket.IO, for Chirp): the seam between transport and
/// protocol.
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    /// What to keep of a new session's first request (its head is not kept).
    fn opened(&self, headers: &HeaderMap) -> Attachment;
    /// The data of one Engine.IO `message` packet. `Err` carries the reason to close the
    /// session with.
    async fn message(
        &self,
        hub: &Arc<Hub>,
        session: &Arc<Session>,
        data: &str,
    ) -> Result<(), &'static str>;
    /// A session closed; `attachment` is what was kept in it, `established` whether the layer
    /// above had taken it on.
    fn closed(
        &self,
        session: &Session,
        attachment: Attachment,
        established: bool,
        transport: &'static str,
        reason: &'static str,
    );
}

/// The engine: configuration, the sessions, and the layer above.
pub struct Hub {
    /// Settings.
    pub config: EngineConfig,
    /// Live sessions.
    pub registry: Registry,
    /// The layer above.
    pub handler: Arc<dyn Handler>,
    /// Open sessions per client address, against `max_sockets_per_address`.
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
}

impl Broadcast {
    /// A broadcast of the Engine.IO packet `packet`.
    pub fn new(packet: String) -> Self {
        Self {
            frame: frame::text(packet.as_bytes()),
            packet: Bytes::from(packet),
        }
    }
}

impl Hub {
    /// A hub with no sessions; `start` its heartbeat (in `heartbeat`).
    pub fn new(config: EngineConfig, handler: Arc<dyn Handler>) -> Arc<Self> {
        Arc::new(Self {
            addresses: Addresses::new(config.max_sockets_per_address),
            config,
            registry: Registry::default(),
            handler,
            clock: Instant::now(),
            closing: AtomicBool::new(false),
        })
    }

    /// Milliseconds since the hub started.
    pub fn now(&self) -> u64 {
        self.clock.elapsed().as_millis() as u64
    }

    /// Whether new sessions are refused (shutting down).
    pub fn closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// Write a broadcast to each of `sessions` (the caller chose them). Returns how many it
    /// was written or queued to. Takes each session's lock in turn: call it holding no other
    /// lock a session's holder might wait for.
    pub fn write_each<'a>(
        &self,
        sessions: impl IntoIterator<Item = &'a Arc<Session>>,
        broadcast: &Broadcast,
    ) -> usize {
        self.write_each_by(sessions, |_| broadcast)
    }

    /// `write_each`, with the broadcast for each session picked by `pick` from its state
    /// (under its lock): the layer above may send one variant to some sessions.
    pub fn write_each_by<'a, 'b>(
        &self,
        sessions: impl IntoIterator<Item = &'a Arc<Session>>,
        pick: impl Fn(&session::State) -> &'b Broadcast,
    ) -> usize {
        let mut delivered = 0;
        let mut backlogged = Vec::new();
        let max = self.config.max_backlog;
        for session in sessions {
            let written = {
                let mut state = session.lock();
                let broadcast = pick(&state);
                state.write(&broadcast.frame, &broadcast.packet, max)
            };
            match written {
                Written::Done => delivered += 1,
                Written::Backlogged => {
                    delivered += 1;
                    backlogged.push(session);
                }
                Written::Failed => {}
            }
        }
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
    /// session, and tell the layer above.
    pub fn close(&self, session: &Arc<Session>, reason: &'static str) {
        self.close_with(session, reason, None);
    }

    /// `close`, with the WebSocket close code to send (default: normal, or going away while
    /// shutting down).
    pub fn close_with(&self, session: &Arc<Session>, reason: &'static str, code: Option<u16>) {
        let (attachment, established, transport) = {
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
            let attachment = std::mem::replace(&mut state.attachment, Box::new(()));
            (attachment, state.established, state.transport_name())
        };
        self.registry.remove(&session.sid);
        self.handler
            .closed(session, attachment, established, transport, reason);
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
            Ok(packet::Packet::Message(data)) => self.handler.message(self, session, data).await,
            Ok(packet::Packet::Close) => Err(CLIENT_CLOSE),
            Ok(packet::Packet::Noop | packet::Packet::Ping(_)) => Ok(()),
            Ok(packet::Packet::Upgrade) => Err("unexpected upgrade"),
            Err(packet::PacketError::Binary) => Err("binary packets are not supported"),
            Err(packet::PacketError::Malformed) => Err("parse error"),
        }
    }
}
