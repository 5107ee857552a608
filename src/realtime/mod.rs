//! Real-time delivery over Socket.IO (socketioxide): the `/socket.io/` endpoint and the
//! announcements of stored and deleted tweets.
//!
//! The rest of Chirp sees only `Realtime`: build it, `announce_tweet`, `announce_delete`,
//! `health`, `shutdown`. Announcements are queued in call order and delivered by one task,
//! so every socket receives them in the order they were made.

mod events;
mod handshake;

use socketioxide::SocketIo;
use socketioxide::extract::{MaybeExtension, SocketRef};
use socketioxide::handler::ConnectHandler;
use socketioxide::layer::SocketIoLayer;
use socketioxide::socket::DisconnectReason;
use tokio::sync::mpsc;

pub use events::Announcement;
pub use handshake::HandshakeContext;

use events::{NEW_TWEET, NewTweetNotice, TWEET_DELETED, TweetDeletedNotice, user_room};
use handshake::{SocketUser, authenticate};

use crate::domain::Tweet;

/// Handle to the real-time side. Cheap to clone.
#[derive(Clone)]
pub struct Realtime {
    io: SocketIo,
    queue: mpsc::UnboundedSender<Announcement>,
}

impl Realtime {
    /// Build the socket layer (to mount on the router) and its handle.
    pub fn build(ctx: HandshakeContext) -> (SocketIoLayer, Self) {
        let (layer, io) = SocketIo::builder().with_state(ctx).build_layer();
        io.ns("/", on_connect.with(authenticate));
        // Register the gauge so /metrics shows it before the first socket arrives.
        metrics::gauge!("chirp_connected_sockets").increment(0.0);
        let (queue, pending) = mpsc::unbounded_channel();
        tokio::spawn(deliver(io.clone(), pending));
        (layer, Self { io, queue })
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
        if self.queue.send(announcement).is_err() {
            tracing::debug!("announcement dropped: shutting down");
        }
    }

    /// Whether fan-out works (always, in process).
    pub async fn health(&self) -> Result<(), String> {
        Ok(())
    }

    /// Close every socket (clients see a server-side disconnect and will reconnect).
    pub async fn shutdown(&self) {
        self.io.close().await;
    }
}

/// Deliver announcements in order to the sockets on this node.
async fn deliver(io: SocketIo, mut pending: mpsc::UnboundedReceiver<Announcement>) {
    while let Some(announcement) = pending.recv().await {
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
    }
}

async fn on_connect(socket: SocketRef, user: MaybeExtension<SocketUser>) {
    let transport = format!("{:?}", socket.transport_type()).to_lowercase();
    let username = user.0.as_ref().map(|u| u.username.as_str()).unwrap_or("-");
    tracing::info!(socket = %socket.id, transport, user = username, "socket connected");
    metrics::gauge!("chirp_connected_sockets").increment(1.0);

    // Clients may still emit `newTweet` as the tutorial taught; announcing is the server's
    // job, so it is acknowledged (if asked) and goes no further.
    socket.on(NEW_TWEET, async |ack: socketioxide::extract::AckSender| {
        ack.send(&()).ok();
    });
    socket.on_disconnect(
        async |socket: SocketRef, reason: DisconnectReason, user: MaybeExtension<SocketUser>| {
            let username = user.0.as_ref().map(|u| u.username.as_str()).unwrap_or("-");
            tracing::info!(socket = %socket.id, user = username, ?reason, "socket disconnected");
            metrics::gauge!("chirp_connected_sockets").decrement(1.0);
        },
    );
}
