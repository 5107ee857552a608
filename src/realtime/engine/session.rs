//! One Engine.IO session: its transport (long-polling queue or a WebSocket), its Socket.IO
//! state and its heartbeat, behind one small mutex.
//!
//! Every write to a session's WebSocket happens under that mutex, as a non-blocking
//! `try_write` on the shared `TcpStream`; only what the kernel refuses is queued (a backlog
//! of shared `Bytes`, drained by a short-lived task that exists only while there is one). A
//! session whose backlog passes the bound is *doomed*: its socket is shut down at once, so its
//! reader task ends and closes it, and no other socket ever waits for it.

use std::collections::VecDeque;
use std::io;
use std::net::Shutdown;
use std::sync::{Arc, Mutex, MutexGuard};

use base64::Engine as _;
use bytes::Bytes;
use tokio::net::TcpStream;
use tokio::sync::oneshot;

use super::addresses::AddressSlot;
use super::frame;
use crate::realtime::handshake::SocketUser;

/// A 20-character random id (120 bits, base64url), for Engine.IO and Socket.IO sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sid([u8; 20]);

impl Sid {
    /// A fresh random id.
    pub fn random() -> Self {
        let raw: [u8; 15] = rand::random();
        let mut out = [0u8; 20];
        // 15 bytes always encode to exactly 20 base64 characters.
        let written = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode_slice(raw, &mut out)
            .unwrap_or(0);
        debug_assert_eq!(written, 20);
        Self(out)
    }

    /// Parse an id received from a client.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes: [u8; 20] = text.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            .then_some(Self(bytes))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Only ever built from base64url characters (ASCII).
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl std::fmt::Display for Sid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the first HTTP request of a session said about who may act as whom; kept only until
/// the Socket.IO CONNECT is answered.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The request's `Origin` may open a socket at all.
    pub origin_allowed: bool,
    /// The session cookie, only when the origin rule lets it count.
    pub cookie: Option<String>,
}

/// The Socket.IO side of a session.
pub enum Sio {
    /// Not yet connected to `/`.
    Waiting(Box<Handshake>),
    /// Connected to `/`.
    Connected {
        /// The Socket.IO socket id (never the Engine.IO sid).
        id: Sid,
        /// The signed-in user, if any.
        user: Option<Box<SocketUser>>,
    },
}

/// Long-polling state.
#[derive(Default)]
pub struct Polling {
    /// Packets waiting for the next GET.
    pub queue: Vec<Bytes>,
    /// Wakes the pending GET, if one is waiting.
    pub waiter: Option<oneshot::Sender<()>>,
    /// A GET is being answered.
    pub get_active: bool,
    /// A WebSocket is probing to take over.
    pub upgrading: bool,
    /// The client closed the session: the pending GET ends with a noop, not a close packet.
    pub client_closed: bool,
}

/// A WebSocket's write side.
pub struct WebSocket {
    /// Shared with the reader task.
    pub stream: Arc<TcpStream>,
    /// What the kernel has not taken yet; `None` on the happy path.
    backlog: Option<Box<Backlog>>,
}

#[derive(Default)]
struct Backlog {
    frames: VecDeque<Bytes>,
    bytes: usize,
}

/// How a session carries packets.
pub enum Transport {
    /// HTTP long-polling.
    Polling(Box<Polling>),
    /// A WebSocket.
    WebSocket(WebSocket),
}

/// Everything mutable about a session.
pub struct State {
    /// The transport.
    pub transport: Transport,
    /// The Socket.IO side.
    pub sio: Sio,
    /// Closed: nothing more is sent, the registry no longer holds it.
    pub closed: bool,
    /// The transport failed (backlog overflow, write error): close it at the next chance.
    pub doomed: bool,
    /// When the last ping was sent, or the session opened (ms on the hub's clock).
    pub ping_at: u64,
    /// A ping awaits its pong.
    pub pong_pending: bool,
    /// When the session opened (ms on the hub's clock).
    pub opened_at: u64,
    /// Its place under the per-address cap, held until it closes.
    pub address: Option<AddressSlot>,
}

/// One Engine.IO session.
pub struct Session {
    /// The Engine.IO session id: a bearer credential for long-polling, never sent to others.
    pub sid: Sid,
    state: Mutex<State>,
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Sent, queued for polling, or nothing to do (closed).
    Done,
    /// The kernel refused part of it: a flusher must be started.
    Backlogged,
    /// The session cannot take more: it is doomed.
    Failed,
}

impl Session {
    /// A new session, holding its client address's place (if it is counted).
    pub fn new(
        sid: Sid,
        transport: Transport,
        handshake: Handshake,
        address: Option<AddressSlot>,
        now: u64,
    ) -> Self {
        Self {
            sid,
            state: Mutex::new(State {
                transport,
                sio: Sio::Waiting(Box::new(handshake)),
                closed: false,
                doomed: false,
                ping_at: now,
                pong_pending: false,
                opened_at: now,
                address,
            }),
        }
    }

    /// Lock the state. A panic while holding the lock cannot leave it inconsistent in a way
    /// that matters more than losing the session, so a poisoned lock is used as is.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Send one Engine.IO packet to this session.
    pub fn send(self: &Arc<Self>, packet: &str, max_backlog: usize) {
        let written = self.lock().send_text(packet, max_backlog);
        self.after_write(written);
    }

    /// Start a flusher after a backlogged write.
    pub fn after_write(self: &Arc<Self>, written: Written) {
        if written == Written::Backlogged
            && let Transport::WebSocket(ws) = &self.lock().transport
        {
            tokio::spawn(flush(self.clone(), ws.stream.clone()));
        }
    }
}

impl State {
    /// Write one Engine.IO packet, framed for the current transport.
    pub fn send_text(&mut self, packet: &str, max_backlog: usize) -> Written {
        let bytes = match self.transport {
            Transport::WebSocket(_) => frame::text(packet.as_bytes()),
            Transport::Polling(_) => Bytes::copy_from_slice(packet.as_bytes()),
        };
        self.write(&bytes, &bytes, max_backlog)
    }

    /// Write a packet: `ws_frame` on a WebSocket, `packet` (the Engine.IO text) for polling.
    pub fn write(&mut self, ws_frame: &Bytes, packet: &Bytes, max_backlog: usize) -> Written {
        if self.closed || self.doomed {
            return Written::Done;
        }
        let written = match &mut self.transport {
            Transport::Polling(polling) => {
                if polling.queue.len() >= max_backlog / 64 {
                    Written::Failed
                } else {
                    polling.queue.push(packet.clone());
                    if let Some(waiter) = polling.waiter.take() {
                        let _ = waiter.send(());
                    }
                    Written::Done
                }
            }
            Transport::WebSocket(ws) => ws.write(ws_frame, max_backlog),
        };
        if written == Written::Failed {
            self.doom();
        }
        written
    }

    /// Give up on the transport: shut the socket down so the reader task closes the session
    /// (WebSocket), or let the heartbeat close it (polling).
    pub fn doom(&mut self) {
        self.doomed = true;
        if let Transport::WebSocket(ws) = &self.transport {
            let _ = shutdown(&ws.stream);
        }
    }

    /// Whether the Socket.IO side is connected.
    pub fn connected_user(&self) -> Option<Option<i64>> {
        match &self.sio {
            Sio::Connected { user, .. } => Some(user.as_ref().map(|u| u.id)),
            Sio::Waiting(_) => None,
        }
    }

    /// The transport's name, for logs.
    pub fn transport_name(&self) -> &'static str {
        match self.transport {
            Transport::Polling(_) => "polling",
            Transport::WebSocket(_) => "websocket",
        }
    }
}

impl WebSocket {
    /// A WebSocket with an empty backlog.
    pub fn new(stream: Arc<TcpStream>) -> Self {
        Self {
            stream,
            backlog: None,
        }
    }

    /// Send a close frame (unless a backlog would cut into it) and shut the socket down.
    pub fn close(&self, code: u16) {
        if self.backlog.is_none() {
            let _ = self.stream.try_write(&frame::close(code));
        }
        let _ = shutdown(&self.stream);
    }

    fn write(&mut self, bytes: &Bytes, max_backlog: usize) -> Written {
        if let Some(backlog) = &mut self.backlog {
            if backlog.bytes + bytes.len() > max_backlog {
                return Written::Failed;
            }
            backlog.bytes += bytes.len();
            backlog.frames.push_back(bytes.clone());
            return Written::Done;
        }
        let mut offset = 0;
        while offset < bytes.len() {
            match self.stream.try_write(&bytes[offset..]) {
                Ok(0) => return Written::Failed,
                Ok(n) => offset += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    let rest = bytes.slice(offset..);
                    self.backlog = Some(Box::new(Backlog {
                        bytes: rest.len(),
                        frames: VecDeque::from([rest]),
                    }));
                    return Written::Backlogged;
                }
                Err(_) => return Written::Failed,
            }
        }
        Written::Done
    }

    /// Write as much of the backlog as the kernel takes. `Ok(true)` when it is empty.
    fn drain(&mut self) -> io::Result<bool> {
        let Some(backlog) = &mut self.backlog else {
            return Ok(true);
        };
        while let Some(front) = backlog.frames.front_mut() {
            match self.stream.try_write(front) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) if n == front.len() => {
                    backlog.bytes -= n;
                    backlog.frames.pop_front();
                }
                Ok(n) => {
                    backlog.bytes -= n;
                    *front = front.slice(n..);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        self.backlog = None;
        Ok(true)
    }
}

/// Drain a session's backlog whenever the socket is writable again; ends when it is empty.
async fn flush(session: Arc<Session>, stream: Arc<TcpStream>) {
    loop {
        if stream.writable().await.is_err() {
            session.lock().doom();
            return;
        }
        let mut state = session.lock();
        let drained = match &mut state.transport {
            Transport::WebSocket(ws) if Arc::ptr_eq(&ws.stream, &stream) => ws.drain(),
            _ => return,
        };
        match drained {
            Ok(true) => return,
            Ok(false) => {}
            Err(_) => {
                state.doom();
                return;
            }
        }
    }
}

/// Shut a TCP socket down both ways: the peer sees the end, our reader sees EOF.
pub fn shutdown(stream: &TcpStream) -> io::Result<()> {
    socket2::SockRef::from(stream).shutdown(Shutdown::Both)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_random_url_safe_and_parse_back() {
        let a = Sid::random();
        let b = Sid::random();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 20);
        assert_eq!(Sid::parse(a.as_str()), Some(a));
        assert_eq!(Sid::parse("short"), None);
        assert_eq!(Sid::parse("aaaaaaaaaaaaaaaaaaa="), None);
        assert_eq!(Sid::parse("éééééééééé"), None);
    }
}
