//! Real-time delivery over Socket.IO: the `/socket.io/` endpoint (Chirp's own Engine.IO v4 /
//! Socket.IO v5 server, built for fan-out) and the announcements of stored and deleted tweets.
//!
//! The rest of Chirp sees only `Realtime`: build it, `announce_tweet`, `announce_delete`,
//! `end_session`, `health`, `shutdown`. Announcements are queued in call order and delivered by one task,
//! so every socket receives them in the order they were made. With Redis configured, that
//! task also publishes them to the other nodes and delivers theirs (`redis_bus`). Each
//! announcement is encoded once, as one WebSocket frame and one polling packet, and the same
//! bytes are written to every socket (`engine::Hub::broadcast`).
//!
//! # Layout
//!
//! - `engine`: Engine.IO sessions, transports, heartbeat, broadcast.
//! - `socketio`: Socket.IO packets, the `/` namespace, connect and events.
//! - `handshake`: who a socket is (origin rule, `auth.token`, cookie).
//! - `events`: event names and payloads.
//! - `redis_bus`, `seen`: fan-out across nodes, without duplicates.

mod engine;
mod events;
mod handshake;
mod redis_bus;
mod seen;
mod socketio;

/// The wire parsers, public only for the fuzz targets in `fuzz/` and the protocol tests;
/// not Chirp's interface.
#[doc(hidden)]
pub mod fuzzing {
    pub use super::engine::{frame, packet as engine_packet};
    pub use super::socketio::packet as socketio_packet;
}

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use std::time::Duration;

use axum::Router;
use axum::routing::any;
use tokio::sync::mpsc;

pub use events::Announcement;
pub use handshake::HandshakeContext;

use redis_bus::{Delivery, RedisBus};
use seen::Seen;

use engine::{Broadcast, EngineConfig, Hub};
use events::{NEW_TWEET, NewTweetNotice, TWEET_DELETED, TweetDeletedNotice};

use crate::domain::Tweet;

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
}

impl Realtime {
    /// Start the real-time side; `mount` puts its endpoint on a router.
    pub fn build(config: RealtimeConfig) -> anyhow::Result<Self> {
        let store = config.handshake.store.clone();
        let hub = Hub::new(
            EngineConfig {
                ping_interval: config.ping_interval,
                ping_timeout: config.ping_timeout,
                ..EngineConfig::default()
            },
            config.handshake,
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
        tokio::spawn(deliver(hub.clone(), pending, bus.clone(), last_delivered));
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

    /// Tell every socket but the author's own that a tweet was stored.
    pub fn announce_tweet(&self, tweet: &Tweet) {
        self.enqueue(Announcement::Tweet {
            id: tweet.id,
            author: tweet.author.clone(),
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

    /// A session was signed out: close the sockets that authenticated with it, here at once
    /// and, with Redis, on every other node.
    pub fn end_session(&self, token_hash: &str) {
        let closed = self.hub.end_session(token_hash);
        tracing::debug!(closed, "sockets of a signed-out session closed");
        if let Some(bus) = &self.bus {
            bus.publish(&Announcement::SessionEnded {
                token_hash: token_hash.to_owned(),
            });
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
        let encoded = match &announcement {
            Announcement::Tweet { id, author } => {
                let notice = (NEW_TWEET, true, NewTweetNotice { id: *id, author });
                serde_json::to_string(&notice).map(|json| (NEW_TWEET, json, Some(author.id)))
            }
            Announcement::Deleted { id } => {
                serde_json::to_string(&(TWEET_DELETED, TweetDeletedNotice { id: *id }))
                    .map(|json| (TWEET_DELETED, json, None))
            }
            // Another node's sign-out (this node's own never comes through here): close the
            // session's sockets; nothing to broadcast or publish.
            Announcement::SessionEnded { token_hash } => {
                hub.end_session(token_hash);
                continue;
            }
        };
        match encoded {
            Ok((event, json, except_user)) => {
                let broadcast = Broadcast::new(socketio::packet::event(&json), except_user);
                let sockets = hub.broadcast(&broadcast);
                metrics::counter!("chirp_broadcasts_total", "event" => event).increment(1);
                tracing::debug!(event, sockets, "broadcast");
            }
            Err(e) => tracing::error!(error = %e, "cannot encode announcement"),
        }
        if let (true, Some(bus)) = (publish, &bus) {
            bus.publish(&announcement);
        }
    }
}
