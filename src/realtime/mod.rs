//! Real-time delivery over Socket.IO (socketioxide): the `/socket.io/` endpoint and the
//! announcements of stored and deleted tweets.
//!
//! The rest of Chirp sees only `Realtime`: build it, `announce_tweet`, `announce_delete`,
//! `health`, `shutdown`. Announcements are queued in call order and delivered by one task,
//! so every socket receives them in the order they were made. With Redis configured, that
//! task also publishes them to the other nodes and delivers theirs (`redis_bus`).

mod events;
mod handshake;
mod redis_bus;
mod seen;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use socketioxide::SocketIo;
use socketioxide::extract::{MaybeExtension, SocketRef};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::socket::DisconnectReason;
use tokio::sync::mpsc;

pub use events::Announcement;
pub use handshake::HandshakeContext;

use redis_bus::{Delivery, RedisBus};
use seen::Seen;

use events::{NEW_TWEET, NewTweetNotice, TWEET_DELETED, TweetDeletedNotice, user_room};
use handshake::{SocketUser, authenticate};

use crate::domain::Tweet;

/// Handle to the real-time side. Cheap to clone.
#[derive(Clone)]
pub struct Realtime {
    io: SocketIo,
    layer: SocketIoLayer,
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
}

impl Realtime {
    /// Start the real-time side; `mount` puts its endpoint on a router.
    pub fn build(config: RealtimeConfig) -> anyhow::Result<Self> {
        let store = config.handshake.store.clone();
        let (layer, io) = SocketIo::builder()
            .with_state(config.handshake)
            .build_layer();
        io.ns("/", on_connect.with(authenticate));
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
        tokio::spawn(deliver(io.clone(), pending, bus.clone(), last_delivered));
        Ok(Self {
            io,
            layer,
            queue,
            bus,
        })
    }

    /// Serve the Socket.IO endpoint (`/socket.io/`) in front of `router`. Routes added to the
    /// result afterwards are not seen by the endpoint.
    pub fn mount(&self, router: Router) -> Router {
        router.layer(self.layer.clone())
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

    /// Whether fan-out works: always in process; with Redis, while subscribed.
    pub async fn health(&self) -> Result<(), String> {
        self.bus.as_ref().map_or(Ok(()), |bus| bus.health())
    }

    /// Close every socket (clients see a server-side disconnect and will reconnect).
    pub async fn shutdown(&self) {
        self.io.close().await;
    }
}

/// Deliver announcements in order to the sockets on this node (each once), then hand this
/// node's own to the bus.
async fn deliver(
    io: SocketIo,
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
        let (event, result) = match &announcement {
            Announcement::Tweet { id, author } => {
                let notice = (true, NewTweetNotice { id: *id, author });
                (
                    NEW_TWEET,
                    io.except(user_room(author.id))
                        .emit(NEW_TWEET, &notice)
                        .await,
                )
            }
            Announcement::Deleted { id } => (
                TWEET_DELETED,
                io.emit(TWEET_DELETED, &TweetDeletedNotice { id: *id })
                    .await,
            ),
        };
        metrics::counter!("chirp_broadcasts_total", "event" => event).increment(1);
        if let Err(e) = result {
            // Some sockets could not take the message (gone, or their buffer is full).
            tracing::debug!(error = %e, event, "broadcast partly failed");
        }
        if let (true, Some(bus)) = (publish, &bus) {
            bus.publish(&announcement);
        }
    }
}

async fn on_connect(socket: SocketRef, user: MaybeExtension<SocketUser>) {
    let transport = format!("{:?}", socket.transport_type()).to_lowercase();
    let username = user.0.as_ref().map(|u| u.username.as_str()).unwrap_or("-");
    tracing::info!(socket = %socket.id, %transport, user = %username, "socket connected");
    metrics::gauge!("chirp_connected_sockets").increment(1.0);

    // Clients may still emit `newTweet` as the tutorial taught; announcing is the server's
    // job, so it is acknowledged (if asked) and goes no further.
    socket.on(NEW_TWEET, async |ack: socketioxide::extract::AckSender| {
        ack.send(&()).ok();
    });
    socket.on_disconnect(
        async |socket: SocketRef, reason: DisconnectReason, user: MaybeExtension<SocketUser>| {
            let username = user.0.as_ref().map(|u| u.username.as_str()).unwrap_or("-");
            tracing::info!(socket = %socket.id, user = %username, ?reason, "socket disconnected");
            metrics::gauge!("chirp_connected_sockets").decrement(1.0);
        },
    );
}
