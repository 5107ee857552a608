//! Socket.IO v5 on top of the engine (`engine::Handler`): the `/` namespace only (others are
//! refused with `Invalid namespace`), CONNECT with the handshake's `auth`, client events
//! (`watch` moves the socket to another timeline, within `--watch-rate-limit`; a client's
//! `newTweet` is acknowledged if it asks, and goes nowhere), DISCONNECT, and the
//! connect/disconnect log lines.
//!
//! A session's Socket.IO state (`Sio`) lives in its engine `Attachment`, under the session's
//! lock. A connected socket is in the watch index from the moment its CONNECT is acknowledged
//! (both happen under that lock) until its session closes.

pub mod packet;
mod resume;
mod watch_limit;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::HeaderMap;
use packet::{Packet, PacketError};
use serde_json::Value;

use super::Index;
use super::engine::session::{Attachment, Session, Sid, State, Written};
use super::engine::{Handler, Hub};
use super::events::{self, NEW_TWEET, WATCH, WatchRequest};
use super::handshake::{Handshake, HandshakeContext, SocketUser, authenticate};
use super::recovery::Recovery;
use super::watch::{Timeline, WatchError};
use crate::domain::Username;
use watch_limit::{WatchLimit, Watcher};

/// The Socket.IO side of a session.
enum Sio {
    /// Not yet connected to `/`.
    Waiting(Handshake),
    /// Connected to `/`.
    Connected(Connected),
}

struct Connected {
    /// The Socket.IO socket id (never the Engine.IO sid).
    id: Sid,
    /// The socket's key in the watch index.
    key: u64,
    /// The signed-in user, if any.
    user: Option<SocketUser>,
    /// Whose allowance its `watch` changes count against.
    watcher: Option<Watcher>,
    /// Its pid, when it has connection state recovery (boxed: most sockets have none, and
    /// every idle socket carries this struct).
    pid: Option<Box<Sid>>,
}

/// Whether the socket of a session has connection state recovery (its events carry offsets).
pub fn recovering(state: &State) -> bool {
    matches!(
        state.attachment.downcast_ref::<Sio>(),
        Some(Sio::Connected(Connected { pid: Some(_), .. }))
    )
}

/// The Socket.IO server: the handshake's context and the watch index it keeps current.
pub struct SocketIo {
    context: HandshakeContext,
    index: Arc<Index>,
    next_key: AtomicU64,
    watch_limit: WatchLimit,
    recovery: Arc<Recovery>,
}

impl SocketIo {
    /// A Socket.IO server registering its sockets in `index`, allowing each account (or
    /// anonymous address) `watch_per_minute` timeline changes a minute (`None`: no limit).
    /// `recovery` decides which sockets get connection state recovery.
    pub fn new(
        context: HandshakeContext,
        index: Arc<Index>,
        watch_per_minute: Option<std::num::NonZeroU32>,
        recovery: Arc<Recovery>,
    ) -> Self {
        Self {
            context,
            index,
            next_key: AtomicU64::new(1),
            watch_limit: WatchLimit::new(watch_per_minute),
            recovery,
        }
    }
}

fn sio(state: &mut State) -> Option<&mut Sio> {
    state.attachment.downcast_mut::<Sio>()
}

/// Leave `/` but keep the Engine.IO session, which may CONNECT again (by `auth.token` or
/// anonymously: the first request's cookie is not kept). Returns what was connected.
fn back_to_waiting(state: &mut State, hub: &Hub) -> Option<Connected> {
    let waiting = Box::new(Sio::Waiting(Handshake {
        origin_allowed: true,
        cookie: None,
    }));
    let old = std::mem::replace(&mut state.attachment, waiting);
    state.established = false;
    state.opened_at = hub.now();
    match *old.downcast::<Sio>().ok()? {
        Sio::Connected(connected) => Some(connected),
        Sio::Waiting(_) => None,
    }
}

#[async_trait::async_trait]
impl Handler for SocketIo {
    fn opened(&self, headers: &HeaderMap) -> Attachment {
        Box::new(Sio::Waiting(Handshake::read(
            headers,
            &self.context.origins,
        )))
    }

    async fn message(
        &self,
        hub: &Arc<Hub>,
        session: &Arc<Session>,
        data: &str,
    ) -> Result<(), &'static str> {
        let packet = match packet::parse(data) {
            Ok(packet) => packet,
            Err(PacketError::Binary) => return Err("binary packets are not supported"),
            Err(PacketError::Malformed) => return Err("parse error"),
        };
        let connected = {
            let mut state = session.lock();
            match sio(&mut state) {
                Some(Sio::Connected(c)) => Some((
                    c.key,
                    c.user.as_ref().map(|u| u.id),
                    c.watcher,
                    c.pid.as_deref().copied(),
                )),
                _ => None,
            }
        };
        match packet {
            Packet::Connect { nsp, .. } if nsp != "/" => {
                hub.send(session, &packet::connect_error(nsp, "Invalid namespace"));
                Ok(())
            }
            Packet::Connect { auth, .. } if connected.is_none() => {
                self.connect(hub, session, auth).await;
                Ok(())
            }
            Packet::Disconnect { nsp: "/" } if connected.is_some() => {
                self.leave(hub, session);
                Ok(())
            }
            Packet::Event {
                nsp: "/",
                name,
                ack,
                args,
            } => {
                let Some((key, user, watcher, pid)) = connected else {
                    return Ok(());
                };
                if name == WATCH {
                    let answer = if self.watch_limit.admit(watcher) {
                        self.watch(key, user, pid, args.first()).await
                    } else {
                        events::watch_error(
                            "rate_limited",
                            "Too many timeline changes; wait a little and try again.",
                        )
                    };
                    if let Some(id) = ack {
                        hub.send(session, &packet::ack_with(id, &answer));
                    }
                } else if let (NEW_TWEET, Some(id)) = (name.as_str(), ack) {
                    // Announcing is the server's job: acknowledged, never relayed.
                    hub.send(session, &packet::ack(id));
                }
                Ok(())
            }
            // Events nobody listens to, packets for namespaces not joined, acks, repeated CONNECTs.
            _ => Ok(()),
        }
    }

    fn closed(
        &self,
        _session: &Session,
        attachment: Attachment,
        _established: bool,
        transport: &'static str,
        reason: &'static str,
    ) {
        if let Ok(sio) = attachment.downcast::<Sio>()
            && let Sio::Connected(connected) = *sio
        {
            self.disconnected(&connected, transport, reason, true);
        }
    }
}

impl SocketIo {
    async fn connect(&self, hub: &Hub, session: &Arc<Session>, auth: Option<Value>) {
        let handshake = match sio(&mut session.lock()) {
            Some(Sio::Waiting(handshake)) => handshake.clone(),
            _ => return,
        };
        let user = match authenticate(&self.context, &handshake, auth.as_ref()).await {
            Ok(user) => user,
            Err(message) => {
                hub.send(session, &packet::connect_error("/", message));
                return;
            }
        };
        // Whom the viewer hides, read before registering (changes landing meanwhile are
        // replayed onto it by the index).
        let hides = match &user {
            Some(user) => {
                let read_at = self.index.lock().hide_seq();
                match self.context.store.hides_of(user.id).await {
                    Ok(authors) => Some((user.id, authors, read_at)),
                    Err(e) => {
                        tracing::warn!(error = %e, "socket handshake could not read hidden authors");
                        hub.send(session, &packet::connect_error("/", "server unavailable"));
                        return;
                    }
                }
            }
            None => None,
        };
        let user_id = user.as_ref().map(|u| u.id);
        let recovering = self.recovery.wanted(auth.as_ref());
        let prepared = if recovering {
            let parts = (&*self.recovery, &*self.index, &*self.context.store);
            resume::prepare(parts, auth.as_ref(), user_id).await
        } else {
            None
        };
        let id = Sid::random();
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        let username = user.as_ref().map(|u| u.username.clone());
        let mut state = session.lock();
        if state.closed || !matches!(sio(&mut state), Some(Sio::Waiting(_))) {
            return;
        }
        let watcher = match &user {
            Some(user) => Some(Watcher::User(user.id)),
            None => state.address.as_ref().map(|a| Watcher::Address(a.ip())),
        };
        // In the index (so broadcasts reach it) in the same critical section that
        // acknowledges: no announcement can slip between the two, nor come before the ack.
        let mut index = self.index.lock();
        index.connect(key, session.clone(), user_id);
        if let Some((viewer, authors, read_at)) = hides
            && index.set_hides(viewer, authors, read_at).is_err()
        {
            // Too many changes since the read to replay: read again, off this lock.
            let (index, store) = (self.index.clone(), self.context.store.clone());
            tokio::spawn(async move {
                index.reload_hides_of(&*store, viewer).await;
            });
        }
        let resumed =
            recovering.then(|| resume::resume(&self.recovery, &mut index, key, user_id, prepared));
        drop(index);
        let pid = resumed.as_ref().map(|r| r.pid);
        state.attachment = Box::new(Sio::Connected(Connected {
            id,
            key,
            user,
            watcher,
            pid: pid.map(Box::new),
        }));
        state.established = true;
        let max = hub.config.max_backlog;
        let answer = packet::connect_ok(id.as_str(), pid.as_ref().map(Sid::as_str));
        let mut written = state.send_text(&answer, max);
        let (mut recovered, mut replayed, mut old) = (false, 0, None);
        if let Some(resumed) = resumed {
            for missed in &resumed.replay {
                if state.send_text(missed, max) != Written::Done {
                    written = Written::Backlogged;
                }
            }
            (recovered, replayed, old) = (resumed.recovered, resumed.replay.len(), resumed.old);
        }
        let transport = state.transport_name();
        drop(state);
        session.after_write(written);
        if let Some(old) = old {
            // Its transport died unnoticed; the client is here now.
            hub.close(&old, "recovered by a new connection");
        }
        let user = username.as_deref().unwrap_or("-");
        tracing::info!(socket = %id, %transport, %user, recovered, replayed, "socket connected");
        metrics::gauge!("chirp_connected_sockets").increment(1.0);
    }

    /// The client left `/` but keeps its Engine.IO session (as the reference server does): it
    /// may CONNECT again, by `auth.token` or anonymously (the first request's cookie is gone).
    fn leave(&self, hub: &Hub, session: &Session) {
        let (connected, transport) = {
            let mut state = session.lock();
            let Some(connected) = back_to_waiting(&mut state, hub) else {
                return;
            };
            (connected, state.transport_name())
        };
        self.disconnected(&connected, transport, "client namespace disconnect", false);
    }

    /// Out of the index (and, for a lost connection with recovery, kept for the recovery
    /// window when `park`); the disconnect log line and gauge.
    fn disconnected(&self, connected: &Connected, transport: &str, reason: &str, park: bool) {
        let mut index = self.index.lock();
        if let Some(pid) = &connected.pid
            && let Some(timeline) = index.timeline(connected.key)
        {
            let user = connected.user.as_ref().map(|u| u.id);
            self.recovery.left(pid, connected.key, user, timeline, park);
        }
        index.disconnect(connected.key);
        drop(index);
        let user = connected.user.as_ref().map_or("-", |u| u.username.as_str());
        let id = connected.id;
        tracing::info!(socket = %id, %transport, %user, reason, "socket disconnected");
        metrics::gauge!("chirp_connected_sockets").decrement(1.0);
    }

    /// Move a socket to the timeline `arg` names; the acknowledgement's value.
    async fn watch(
        &self,
        key: u64,
        user: Option<i64>,
        pid: Option<Sid>,
        arg: Option<&Value>,
    ) -> Value {
        let Some(request) = WatchRequest::parse(arg) else {
            return events::watch_error(
                "invalid_timeline",
                "Watch \"everyone\", \"home\", \"user:<username>\", \"replies:<tweet id>\" or \"tag:<name>\".",
            );
        };
        let store = &self.context.store;
        let timeline = match request {
            WatchRequest::Everyone => Timeline::Everyone,
            WatchRequest::Home => {
                let Some(user) = user else {
                    return events::watch_error(
                        "not_signed_in",
                        "Sign in to watch your home timeline.",
                    );
                };
                return self.watch_home(key, user, pid).await;
            }
            WatchRequest::User(name) => {
                let found = match Username::parse(&name) {
                    Ok(username) => store.user_by_name(&username).await,
                    Err(_) => Ok(None),
                };
                match found {
                    Ok(Some(u)) => Timeline::User(u.id),
                    Ok(None) => return events::watch_error("not_found", "There is no such user."),
                    Err(e) => return unavailable(&e),
                }
            }
            WatchRequest::Replies(id) => match store.tweet(id, None).await {
                Ok(Some(_)) => Timeline::Replies(id),
                Ok(None) => return events::watch_error("not_found", "There is no such tweet."),
                Err(e) => return unavailable(&e),
            },
            WatchRequest::Tag(tag) => Timeline::Tag(tag.as_str().into()),
        };
        let mut index = self.index.lock();
        let watched = index.watch(key, timeline.clone());
        self.watched((key, pid, user), &timeline, &watched);
        answer(watched)
    }

    /// A recovering socket watches something else from the last routed event on. Call under
    /// the index lock.
    fn watched(
        &self,
        (key, pid, user): (u64, Option<Sid>, Option<i64>),
        timeline: &Timeline,
        result: &Result<(), WatchError>,
    ) {
        if let (Some(pid), Ok(())) = (pid, result) {
            let start = self.recovery.routed();
            self.recovery.watched(&pid, key, start, user, timeline);
        }
    }

    /// Watch `home`: read the followees, then register them (replaying follows that landed
    /// meanwhile); read again if the read was too old to replay onto.
    async fn watch_home(&self, key: u64, user: i64, pid: Option<Sid>) -> Value {
        for _ in 0..3 {
            let read_at = self.index.lock().follow_seq();
            let followees = match self.context.store.following_ids(user).await {
                Ok(ids) => ids,
                Err(e) => return unavailable(&e),
            };
            let mut index = self.index.lock();
            match index.watch_home(key, followees, read_at) {
                Err(WatchError::Stale) => continue,
                other => {
                    self.watched((key, pid, Some(user)), &Timeline::Home, &other);
                    return answer(other);
                }
            }
        }
        events::watch_error("unavailable", "Too busy to watch home; try again.")
    }
}

/// The session a socket signed in with was signed out: the server ends its connection to `/`
/// (Socket.IO DISCONNECT, sent in the same critical section that makes it no longer signed
/// in, so no broadcast can reach it as that user afterwards). Like the reference server's
/// `socket.disconnect()`, the Engine.IO session stays: the official clients report "io server
/// disconnect", do not retry by themselves and close it; a client that neither connects again
/// (anonymously, or with a new token) nor closes is closed by the heartbeat's connect
/// timeout. Closing the transport at once instead would race the DISCONNECT: over
/// long-polling both travel in one response and the client reports a transport close.
/// Returns how many of `sessions` were signed in with that session.
pub fn sign_out(io: &SocketIo, hub: &Hub, sessions: &[Arc<Session>], token_hash: &str) -> usize {
    let mut ended = 0;
    for session in sessions {
        let (connected, transport, written) = {
            let mut state = session.lock();
            let signed_in = matches!(
                sio(&mut state),
                Some(Sio::Connected(Connected { user: Some(user), .. }))
                    if user.token_hash == token_hash
            );
            if !signed_in {
                continue;
            }
            let Some(connected) = back_to_waiting(&mut state, hub) else {
                continue;
            };
            let written = state.send_text(packet::DISCONNECT, hub.config.max_backlog);
            (connected, state.transport_name(), written)
        };
        session.after_write(written);
        io.disconnected(&connected, transport, "signed out", false);
        ended += 1;
    }
    ended
}

fn answer(result: Result<(), WatchError>) -> Value {
    match result {
        Ok(()) => events::watch_ok(),
        Err(WatchError::NotSignedIn) => {
            events::watch_error("not_signed_in", "Sign in to watch your home timeline.")
        }
        Err(WatchError::UnknownSocket | WatchError::Stale) => {
            events::watch_error("unavailable", "The socket is closing.")
        }
        Err(WatchError::Full) => {
            events::watch_error("unavailable", "Too many sockets watch home here.")
        }
    }
}

fn unavailable(err: &crate::storage::StoreError) -> Value {
    tracing::warn!(error = %err, "watch could not read the store");
    events::watch_error("unavailable", "The server cannot look that up right now.")
}
