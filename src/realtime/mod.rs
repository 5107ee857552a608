//! Real-time delivery over Socket.IO: the `/socket.io/` endpoint (Chirp's own Engine.IO v4 /
//! Socket.IO v5 server, built for fan-out) and the announcements of stored and deleted tweets.
//!
//! The rest of Chirp sees only `Realtime`: build it, `announce_tweet`, `announce_delete`,
//! `announce_follow`, `end_session`, `health`, `shutdown`. Announcements are queued in call order and
//! delivered by one task, so every socket receives them in the order they were made. With
//! Redis configured, that task also publishes them to the other nodes and delivers theirs
//! (`redis_bus`): one bus message per tweet, however many followers its author has; each
//! node routes it to its own watchers through its watch index. Each announcement is encoded
//! once, as one WebSocket frame and one polling packet, and the same bytes are written to
//! every receiving socket (`engine::Hub::write_each`).
//!
//! # Layout
//!
//! - `engine`: Engine.IO sessions, transports, heartbeat, writes (knows no Socket.IO).
//! - `socketio`: Socket.IO packets, the `/` namespace, connect, `watch` and other events.
//! - `handshake`: who a socket is (origin rule, `auth.token`, cookie).
//! - `events`: event names, payloads and their encoding; `Announcement`.
//! - `watch`: which socket watches which timeline (who receives a tweet).
//! - `redis_bus`, `seen`: fan-out across nodes, without duplicates.

mod engine;
mod events;
mod handshake;
mod redis_bus;
mod seen;
mod socketio;
mod watch;

/// The wire parsers, public only for the fuzz targets in `fuzz/` and the protocol tests;
/// not Chirp's interface.
#[doc(hidden)]
pub mod fuzzing {
    pub use super::engine::{frame, packet as engine_packet};
    pub use super::socketio::packet as socketio_packet;
}

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::routing::any;
use tokio::sync::mpsc;

pub use events::Announcement;
pub use handshake::HandshakeContext;

use redis_bus::{Delivery, RedisBus};
use seen::Seen;

use engine::session::Session;
use engine::{Broadcast, EngineConfig, Hub};
use socketio::SocketIo;
use watch::{Routing, WatchIndex};

use crate::domain::Tweet;

/// The watch index of this node, behind one lock. Lock order: a session's lock may be held
/// while taking this one (a CONNECT registers under its session's lock), never the reverse —
/// so a broadcast collects its recipients under this lock and writes after releasing it.
pub struct Index(Mutex<WatchIndex<Arc<Session>>>);

impl Index {
    fn lock(&self) -> MutexGuard<'_, WatchIndex<Arc<Session>>> {
        // Plain data; nothing panics while holding it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Handle to the real-time side. Cheap to clone.
#[derive(Clone)]
pub struct Realtime {
    hub: Arc<Hub>,
    queue: mpsc::UnboundedSender<Delivery>,
    bus: Option<Arc<RedisBus>>,
}

/// What `Realtime::build` needs.
pub struct RealtimeConfig {
    /// For the handshake (sessions) and for catching up after a Redis outage.
    pub handshake: HandshakeContext,
    /// Redis URL for fan-out across nodes; `None` for in-process only.
    pub redis_url: Option<String>,
    /// The newest tweet id in the store at start: catch-up never reaches below it.
    pub newest_tweet_id: i64,
    /// Engine.IO heartbeat: how often the server pings (default 25 s)…
    pub ping_interval: Duration,
    /// …and how long it waits for the pong (default 20 s).
    pub ping_timeout: Duration,
    /// Most Engine.IO sessions open at once from one client address (0: no cap).
    pub max_sockets_per_address: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the per-address cap).
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
}

impl Realtime {
    /// Start the real-time side; `mount` puts its endpoint on a router.
    pub fn build(config: RealtimeConfig) -> anyhow::Result<Self> {
        let store = config.handshake.store.clone();
        let index = Arc::new(Index(Mutex::new(WatchIndex::default())));
        let io = Arc::new(SocketIo::new(config.handshake, index.clone()));
        let hub = Hub::new(
            EngineConfig {
                ping_interval: config.ping_interval,
                ping_timeout: config.ping_timeout,
                max_sockets_per_address: config.max_sockets_per_address,
                trusted_proxies: config.trusted_proxies,
                ..EngineConfig::default()
            },
            io.clone(),
        );
        hub.start();
        // Register the gauge so /metrics shows it before the first socket arrives.
        metrics::gauge!("chirp_connected_sockets").increment(0.0);
        let (queue, pending) = mpsc::unbounded_channel();
        let last_delivered = Arc::new(AtomicI64::new(config.newest_tweet_id));
        let bus = match &config.redis_url {
            Some(url) => Some(Arc::new(RedisBus::start(
                url,
                queue.clone(),
                store,
                last_delivered.clone(),
            )?)),
            None => None,
        };
        tokio::spawn(deliver(
            hub.clone(),
            io,
            index.clone(),
            pending,
            bus.clone(),
            last_delivered,
        ));
        Ok(Self { hub, queue, bus })
    }

    /// Serve the Socket.IO endpoint (`/socket.io/`) on `router`. The WebSocket upgrade needs
    /// the connection served by hyper's plain http1 builder (see `app`).
    pub fn mount(&self, router: Router) -> Router {
        let hub = self.hub.clone();
        router.route(
            "/socket.io/",
            any(move |request| engine::http::handle(hub.clone(), request)),
        )
    }

    /// Tell every socket watching a timeline that gains the tweet (but the author's own)
    /// that it was stored.
    pub fn announce_tweet(&self, tweet: &Tweet) {
        self.enqueue(Announcement::Tweet {
            id: tweet.id,
            author: tweet.author.clone(),
            reply_to: None,
        });
    }

    /// A session was signed out: end the sockets that authenticated with it, here at once
    /// and, with Redis, on every other node.
    pub fn end_session(&self, token_hash: &str) {
        self.enqueue(Announcement::SessionEnded {
            token_hash: token_hash.to_owned(),
        });
    }

    /// Re-route `home` watchers after a follow (`following`) or unfollow, on every node.
    pub fn announce_follow(&self, follower: i64, followee: i64, following: bool) {
        self.enqueue(Announcement::Follow {
            follower,
            followee,
            following,
        });
    }

    /// Tell every socket that a tweet was deleted.
    pub fn announce_delete(&self, id: i64) {
        self.enqueue(Announcement::Deleted { id });
    }

    fn enqueue(&self, announcement: Announcement) {
        // The delivery task lives as long as the process; a send can only fail during shutdown.
        if self
            .queue
            .send(Delivery {
                announcement,
                publish: true,
            })
            .is_err()
        {
            tracing::debug!("announcement dropped: shutting down");
        }
    }

    /// Whether fan-out works: always in process; with Redis, while subscribed.
    pub async fn health(&self) -> Result<(), String> {
        self.bus.as_ref().map_or(Ok(()), |bus| bus.health())
    }

    /// Close every socket (clients see a server-side disconnect and will reconnect).
    pub async fn shutdown(&self) {
        self.hub.shutdown();
    }
}

/// Deliver announcements in order to the sockets on this node (each once), then hand this
/// node's own to the bus.
async fn deliver(
    hub: Arc<Hub>,
    io: Arc<SocketIo>,
    index: Arc<Index>,
    mut pending: mpsc::UnboundedReceiver<Delivery>,
    bus: Option<Arc<RedisBus>>,
    last_delivered: Arc<AtomicI64>,
) {
    let mut seen = Seen::default();
    while let Some(Delivery {
        announcement,
        publish,
    }) = pending.recv().await
    {
        if !seen.first_time(&announcement) {
            continue;
        }
        if let Announcement::Tweet { id, .. } = announcement {
            last_delivered.fetch_max(id, Ordering::Relaxed);
        }
        route(&hub, &io, &index, &announcement);
        if let (true, Some(bus)) = (publish, &bus) {
            bus.publish(&announcement);
        }
    }
}

/// Write one announcement to the sockets of this node that should have it.
fn route(hub: &Hub, io: &SocketIo, index: &Index, announcement: &Announcement) {
    let mut recipients = Vec::new();
    let (event, packet) = match announcement {
        Announcement::Tweet {
            id,
            author,
            reply_to,
        } => {
            let routing = Routing {
                author: author.id,
                reply_to: *reply_to,
            };
            index
                .lock()
                .recipients(routing, |s| recipients.push(s.clone()));
            (
                events::NEW_TWEET,
                events::new_tweet_packet(*id, author, *reply_to),
            )
        }
        Announcement::Deleted { id } => {
            index.lock().all(|s| recipients.push(s.clone()));
            (events::TWEET_DELETED, events::tweet_deleted_packet(*id))
        }
        Announcement::Follow { .. } => {
            if let Some(change) = announcement.follow_change() {
                index.lock().follow_changed(change);
            }
            return;
        }
        Announcement::SessionEnded { token_hash } => {
            index.lock().all(|s| recipients.push(s.clone()));
            let ended = socketio::sign_out(io, hub, &recipients, token_hash);
            tracing::debug!(ended, "sockets of a signed-out session disconnected");
            return;
        }
    };
    let sockets = hub.write_each(&recipients, &Broadcast::new(packet));
    metrics::counter!("chirp_broadcasts_total", "event" => event).increment(1);
    tracing::debug!(event, sockets, "broadcast");
}
