//! Real-time delivery over Socket.IO: the `/socket.io/` endpoint (Chirp's own Engine.IO v4 /
//! Socket.IO v5 server, built for fan-out), and the sockets as a listener of changes.
//!
//! The rest of Chirp sees only `Realtime`: build it, `mount` its endpoint, register its
//! `listener` with `changes::Changes::start` (which delivers every change to it in order,
//! whichever node made it), `shutdown`. Each node routes a tweet to its own watchers through
//! its watch index (`watch`), so a tweet costs work in proportion to the sockets that
//! receive it; each event is encoded once and the same bytes are written to every receiving
//! socket (`listener`). Ordering, gaps and the other nodes are `changes`' business.
//!
//! # Layout
//!
//! - `engine`: Engine.IO sessions, transports, heartbeat, writes (knows no Socket.IO).
//! - `socketio`: Socket.IO packets, the `/` namespace, connect, `watch` and other events.
//! - `handshake`: who a socket is (origin rule, `auth.token`, cookie).
//! - `events`: event names, payloads and their encoding.
//! - `watch`: which socket watches which timeline (who receives a tweet); `index`: this
//!   node's watch index behind its lock.
//! - `listener`: what each change does to this node's sockets.
//! - `recovery`: connection state recovery (pids, offsets, what a socket that left had);
//!   `parked`: the same, in a cluster's Redis, for the other nodes.

mod engine;
mod events;
mod handshake;
mod index;
mod listener;
mod parked;
mod recovery;
mod socketio;
mod watch;

/// The wire parsers, public only for the fuzz targets in `fuzz/` and the protocol tests;
/// not Chirp's interface.
#[doc(hidden)]
pub mod fuzzing {
    pub use super::engine::{frame, packet as engine_packet};
    pub use super::socketio::packet as socketio_packet;
}

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::any;

pub use handshake::HandshakeContext;
pub use index::Index;
/// The watch index itself, for other kinds of watcher (the Mastodon API's streams keep one
/// of their own, with the same routing).
pub use watch::{FollowChange, HideChange, Key, Routed, Routing, Timeline, WatchError, WatchIndex};

use engine::{EngineConfig, Hub};
use listener::Sockets;
use socketio::SocketIo;

use crate::changes::Listener;

/// Handle to the real-time side. Cheap to clone.
#[derive(Clone)]
pub struct Realtime {
    sockets: Arc<Sockets>,
}

/// What `Realtime::build` needs.
pub struct RealtimeConfig {
    /// For the handshake (sessions), and for reloading followees after a broker outage.
    pub handshake: HandshakeContext,
    /// Engine.IO heartbeat: how often the server pings (default 25 s)…
    pub ping_interval: Duration,
    /// …and how long it waits for the pong (default 20 s).
    pub ping_timeout: Duration,
    /// Most Engine.IO sessions open at once from one client address (0: no cap).
    pub max_sockets_per_address: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the per-address cap).
    pub trusted_proxies: crate::caps::TrustedProxies,
    /// Bytes queued for a socket that stopped reading before it is disconnected (1 MiB).
    pub max_backlog: usize,
    /// `watch` changes allowed per minute per account, or per address when signed out
    /// (`None`: no limit).
    pub watch_rate_limit: Option<std::num::NonZeroU32>,
    /// Which sockets get connection state recovery.
    pub recovery: crate::config::SocketRecovery,
    /// How long after a disconnection a socket may be recovered.
    pub recovery_window: Duration,
    /// The change log recovery replays from (registered as a listener before `listener`).
    pub log: Arc<crate::changes::ChangeLog>,
    /// A cluster's Redis, where recovering sockets are recorded for the other nodes.
    pub redis_url: Option<String>,
}

impl Realtime {
    /// Start the real-time side; `mount` puts its endpoint on a router, and `listener` must
    /// be registered with `Changes::start` for sockets to hear of anything.
    pub fn build(config: RealtimeConfig) -> Self {
        let store = config.handshake.store.clone();
        let index = Arc::new(Index::new());
        let parked = config.redis_url.as_deref().and_then(parked::Parked::start);
        let recovery =
            recovery::Recovery::new(config.recovery, config.recovery_window, config.log, parked);
        let io = Arc::new(SocketIo::new(
            config.handshake,
            index.clone(),
            config.watch_rate_limit,
            recovery.clone(),
        ));
        let hub = Hub::new(
            EngineConfig {
                ping_interval: config.ping_interval,
                ping_timeout: config.ping_timeout,
                max_sockets_per_address: config.max_sockets_per_address,
                trusted_proxies: config.trusted_proxies,
                max_backlog: config.max_backlog,
                ..EngineConfig::default()
            },
            io.clone(),
        );
        hub.start();
        // Register the gauge so /metrics shows it before the first socket arrives.
        metrics::gauge!("chirp_connected_sockets").increment(0.0);
        tokio::spawn(listener::reload_suspended(index.clone(), store.clone()));
        Self {
            sockets: Arc::new(Sockets {
                hub,
                io,
                index,
                store,
                recovery,
            }),
        }
    }

    /// Serve the Socket.IO endpoint (`/socket.io/`) on `router`. The WebSocket upgrade needs
    /// the connection served by hyper's plain http1 builder (see `app`).
    pub fn mount(&self, router: Router) -> Router {
        let hub = self.sockets.hub.clone();
        router.route(
            "/socket.io/",
            any(move |request| engine::http::handle(hub.clone(), request)),
        )
    }

    /// This node's sockets as a listener of changes, for `Changes::start`.
    pub fn listener(&self) -> Arc<dyn Listener> {
        self.sockets.clone()
    }

    /// Close every socket (clients see a server-side disconnect and will reconnect).
    pub async fn shutdown(&self) {
        self.sockets.hub.shutdown();
    }
}
