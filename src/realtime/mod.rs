//! Real-time delivery over Socket.IO: the `/socket.io/` endpoint (Chirp's own Engine.IO v4 /
//! Socket.IO v5 server, built for fan-out) and the announcements of stored and deleted tweets.
//!
//! The rest of Chirp sees only `Realtime`: build it, `announce_tweet`, `announce_delete`,
//! `announce_follow`, `announce_like`, `announce_profile`, `announce_notification`,
//! `end_session`, `health`, `caches_coherent`, `shutdown`. Announcements are queued in call
//! order and delivered by one task, so every socket receives them in the order they were
//! made (with Redis, notifications skip the tweet ordering: they go to their recipient's
//! sockets as soon as they arrive). With Redis configured, that task also publishes them to
//! the other nodes and delivers theirs (`redis_bus`): one bus message per tweet, however
//! many followers its author has, new tweets in id order on every node, each once, with any
//! gap filled from the store (`order`). Each node routes a tweet to its own watchers through its watch index (`watch`),
//! so a tweet costs work in proportion to the sockets that receive it. Each announcement is
//! encoded once, as one WebSocket frame and one polling packet, and the same bytes are written
//! to every receiving socket (`engine::Hub::write_each`).
//!
//! # Layout
//!
//! - `engine`: Engine.IO sessions, transports, heartbeat, writes (knows no Socket.IO).
//! - `socketio`: Socket.IO packets, the `/` namespace, connect, `watch` and other events.
//! - `handshake`: who a socket is (origin rule, `auth.token`, cookie).
//! - `events`: event names, payloads and their encoding; `Announcement`.
//! - `watch`: which socket watches which timeline (who receives a tweet).
//! - `redis_bus`, `order`, `seen`: fan-out across nodes, in order, nothing missed or twice.

mod engine;
mod events;
mod handshake;
mod order;
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

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::routing::any;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

pub use events::Announcement;
pub use handshake::HandshakeContext;
pub use redis_bus::{BusHook, BusNews};

use order::Order;
use redis_bus::{Delivery, RedisBus};
use seen::Seen;

use engine::session::Session;
use engine::{Broadcast, EngineConfig, Hub};
use socketio::SocketIo;
use watch::{Routing, WatchIndex};

use crate::domain::{Notification, Page, PageCursor, Tweet};
use crate::storage::{Store, StoreError};

/// Longest a sign-out waits for the other nodes to confirm it (see `Realtime::end_session`).
const SIGN_OUT_ECHO_WAIT: Duration = Duration::from_secs(2);
/// How long a tweet that follows a gap waits for the missing ids to come over the bus before
/// they are read from the store (only while the bus is up: when it is down, nothing can come).
const GAP_HOLD: Duration = Duration::from_millis(75);
/// How soon a gap fill that the store could not answer is tried again…
const GAP_RETRY: Duration = Duration::from_millis(250);
/// …and after how long held tweets are delivered anyway, skipping what could not be read.
const GAP_GIVE_UP: Duration = Duration::from_secs(5);
/// How often an unsettled node (Redis down or recently back) reads new tweets from the store…
const SWEEP_EVERY: Duration = Duration::from_millis(250);
/// …and how often a settled one does: a node killed between storing a tweet and publishing
/// it never announces it, and if no later tweet shows the gap, this read finds it.
const QUIET_SWEEP_EVERY: Duration = Duration::from_secs(5);
/// Tweets per store read while filling a gap or sweeping.
const READ_PAGE: i64 = 100;
/// Most tweets one fill or sweep reads (the rest come with the next).
const READ_MAX: usize = 10_000;

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

/// Where the delivery task writes: this node's sockets, the Socket.IO layer and its index.
struct Sockets {
    hub: Arc<Hub>,
    io: Arc<SocketIo>,
    index: Arc<Index>,
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
    /// Bytes queued for a socket that stopped reading before it is disconnected (1 MiB).
    pub max_backlog: usize,
    /// `watch` changes allowed per minute per account, or per address when signed out
    /// (`None`: no limit).
    pub watch_rate_limit: Option<std::num::NonZeroU32>,
    /// With Redis: told of what other nodes announce and of lost subscriptions, so that
    /// this node's caches can drop what went stale (`BusNews`).
    pub bus_hook: Option<BusHook>,
}

impl Realtime {
    /// Start the real-time side; `mount` puts its endpoint on a router.
    pub fn build(config: RealtimeConfig) -> anyhow::Result<Self> {
        let store = config.handshake.store.clone();
        let index = Arc::new(Index(Mutex::new(WatchIndex::default())));
        let io = Arc::new(SocketIo::new(
            config.handshake,
            index.clone(),
            config.watch_rate_limit,
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
        let sockets = Sockets {
            hub: hub.clone(),
            io,
            index,
        };
        hub.start();
        // Register the gauge so /metrics shows it before the first socket arrives.
        metrics::gauge!("chirp_connected_sockets").increment(0.0);
        metrics::counter!("chirp_announcement_gaps_filled_total").increment(0);
        metrics::counter!("chirp_announcements_from_store_total").increment(0);
        let (queue, pending) = mpsc::unbounded_channel();
        match &config.redis_url {
            Some(url) => {
                let bus = Arc::new(RedisBus::start(
                    url,
                    queue.clone(),
                    store.clone(),
                    config.bus_hook.clone(),
                )?);
                let order = Order::new(config.newest_tweet_id);
                tokio::spawn(deliver_in_order(
                    sockets,
                    pending,
                    bus.clone(),
                    store,
                    order,
                ));
                Ok(Self {
                    hub,
                    queue,
                    bus: Some(bus),
                })
            }
            None => {
                tokio::spawn(deliver(sockets, pending));
                Ok(Self {
                    hub,
                    queue,
                    bus: None,
                })
            }
        }
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
            reply_to: tweet.reply_to.as_ref().map(|parent| parent.id),
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

    /// A session was signed out: end the sockets that authenticated with it, here at once
    /// and, with Redis, on every other node — whose session caches forget it as the message
    /// arrives. With Redis up, this waits (at most `SIGN_OUT_ECHO_WAIT`) until every other
    /// subscribed node has said it forgot the session (`SessionForgotten`), so the answer to
    /// the sign-out cannot overtake it: the next request, to any node, is refused. A node
    /// that is not subscribed bypasses its session cache and flushes it when it resubscribes.
    pub async fn end_session(&self, token_hash: &str) {
        let waiting = match self.bus.as_ref().filter(|bus| bus.subscribed()) {
            Some(bus) => bus.others_forget(token_hash).await.map(|rx| (bus, rx)),
            None => None,
        };
        self.enqueue(Announcement::SessionEnded {
            token_hash: token_hash.to_owned(),
        });
        if let Some((bus, forgotten)) = waiting
            && tokio::time::timeout(SIGN_OUT_ECHO_WAIT, forgotten)
                .await
                .is_err()
        {
            bus.stop_waiting(token_hash);
            tracing::warn!("not every node confirmed a sign-out in time");
        }
    }

    /// A tweet's likes changed: other nodes drop their cached pages.
    pub fn announce_like(&self, tweet: i64) {
        self.enqueue(Announcement::Liked { tweet });
    }

    /// A profile changed: other nodes drop their cached pages.
    pub fn announce_profile(&self, user: i64) {
        self.enqueue(Announcement::ProfileChanged { user });
    }

    /// Whether this node may answer from its caches: always on its own; with Redis, while
    /// the bus is subscribed and settled, so that every other node's change reaches the
    /// caches (`BusHook`) a moment after it was made. Otherwise read the store.
    pub fn caches_coherent(&self) -> bool {
        self.bus.as_ref().is_none_or(|bus| !bus.unsettled())
    }

    /// `caches_coherent` as a function that holds only the bus, for a cache built before
    /// this handle (the session cache under the handshake's store).
    pub fn coherence(&self) -> impl Fn() -> bool + Send + Sync + 'static {
        let bus = self.bus.clone();
        move || bus.as_ref().is_none_or(|bus| !bus.unsettled())
    }

    /// Tell every socket of the notification's recipient, on every node (`notification`,
    /// with their `unread_count` after it).
    pub fn announce_notification(&self, notification: &Notification, unread_count: i64) {
        self.enqueue(Announcement::Notification {
            recipient: notification.recipient,
            payload: events::notification_payload(notification, unread_count),
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

/// One node alone: announcements come only from this process, already in order, so each is
/// delivered as it comes (no store reads).
async fn deliver(sockets: Sockets, mut pending: mpsc::UnboundedReceiver<Delivery>) {
    let mut seen = Seen::default();
    while let Some(delivery) = pending.recv().await {
        emit(&sockets, &mut seen, &delivery.announcement);
    }
}

/// With Redis: publish this node's own announcements, and deliver everyone's new tweets in
/// id order, each once (`Order`). A tweet after a gap waits `GAP_HOLD` for the missing ones
/// to come over the bus, then the gap is read from the store. The store is also read for new
/// tweets every `SWEEP_EVERY` while the bus is unsettled (so the newest tweets do not wait
/// for a next one to show their gap) and every `QUIET_SWEEP_EVERY` otherwise.
async fn deliver_in_order(
    sockets: Sockets,
    mut pending: mpsc::UnboundedReceiver<Delivery>,
    bus: Arc<RedisBus>,
    store: Arc<dyn Store>,
    mut order: Order,
) {
    let mut seen = Seen::default();
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    sweep.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut retry_at: Option<Instant> = None;
    let mut failing = false;
    let mut last_sweep = Instant::now();
    // The bus as the last sweep tick saw it: reload home watchers' followees when it changes.
    let mut bus_was = (bus.subscribed(), bus.unsettled());
    loop {
        let fill_at = order.gap_since().map(|since| {
            let hold = if bus.subscribed() {
                GAP_HOLD
            } else {
                Duration::ZERO
            };
            retry_at.map_or(since + hold, |retry| retry.max(since + hold))
        });
        tokio::select! {
            received = pending.recv() => {
                let Some(Delivery { announcement, publish }) = received else { return };
                if publish {
                    bus.publish(&announcement);
                }
                if let Announcement::Notification { .. } = announcement {
                    // Not ordered with tweets: never held behind a gap.
                    emit(&sockets, &mut seen, &announcement);
                } else {
                    order.offer(announcement);
                }
            }
            () = sleep_until(fill_at), if fill_at.is_some() => {
                let upto = order.highest_held().unwrap_or(order.last());
                match read_stored(&*store, &bus, &mut order, Some(upto)).await {
                    Ok(known) => {
                        retry_at = None;
                        failing = false;
                        metrics::counter!("chirp_announcement_gaps_filled_total").increment(1);
                        for announcement in order.filled(known, Instant::now()) {
                            emit(&sockets, &mut seen, &announcement);
                        }
                    }
                    Err(e) => {
                        if !failing {
                            tracing::warn!(error = %e, "cannot read the store to fill a gap in announcements; retrying");
                            failing = true;
                        }
                        let since = order.gap_since().unwrap_or_else(Instant::now);
                        if since.elapsed() >= GAP_GIVE_UP {
                            // Deliver what is held rather than stall every socket on this node.
                            retry_at = None;
                            for announcement in order.filled(upto, Instant::now()) {
                                emit(&sockets, &mut seen, &announcement);
                            }
                        } else {
                            retry_at = Some(Instant::now() + GAP_RETRY);
                        }
                    }
                }
            }
            now = sweep.tick() => {
                let bus_is = (bus.subscribed(), bus.unsettled());
                let resubscribed = bus_is.0 && !bus_was.0;
                let settled = !bus_is.1 && bus_was.1;
                bus_was = bus_is;
                if resubscribed || settled {
                    tokio::spawn(reload_homes(sockets.index.clone(), store.clone()));
                }
                if !bus.unsettled() && now < last_sweep + QUIET_SWEEP_EVERY {
                    continue;
                }
                last_sweep = now;
                match read_stored(&*store, &bus, &mut order, None).await {
                    Ok(known) => {
                        for announcement in order.filled(known, Instant::now()) {
                            emit(&sockets, &mut seen, &announcement);
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "sweep could not read the store"),
                }
            }
        }
        for announcement in order.ready(Instant::now()) {
            emit(&sockets, &mut seen, &announcement);
        }
    }
}

/// Read again from the store the followees of every user watching `home` on this node. Follow
/// changes made on other nodes travel only over the bus, so one published while this node was
/// not subscribed never comes; after the subscription is back (and again once the bus has
/// settled, when every node's publisher has flushed what it kept) the store is the truth.
/// Changes heard meanwhile are replayed onto each list (`WatchIndex::replace_followees`).
async fn reload_homes(index: Arc<Index>, store: Arc<dyn Store>) {
    let users = index.lock().home_users();
    let mut reloaded = 0;
    for user in users {
        for _ in 0..3 {
            let read_at = index.lock().follow_seq();
            let followees = match store.following_ids(user).await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reload home watchers' followees");
                    return;
                }
            };
            if index
                .lock()
                .replace_followees(user, followees, read_at)
                .is_ok()
            {
                reloaded += 1;
                break;
            }
        }
    }
    tracing::debug!(reloaded, "home watchers' followees reloaded from the store");
}

/// Sleeps until `at`; never resolves for `None` (its `select!` branch is disabled then).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Offer `order` every stored tweet after its last delivered id (up to `upto`, or to the
/// newest), oldest first. Returns the id up to which the store's answer is complete: ids are
/// handed out in commit order, so every id below the newest one read that is not there never
/// will be; with `upto` (a tweet known to be stored) the answer covers up to it too. A tweet
/// found here that had not come over the bus is told to the caches (`BusHook`) as if it had:
/// its node may be unable to publish while this one is still subscribed.
async fn read_stored(
    store: &dyn Store,
    bus: &RedisBus,
    order: &mut Order,
    upto: Option<i64>,
) -> Result<i64, StoreError> {
    let mut cursor = order.last();
    let mut read = 0;
    loop {
        let page = Page {
            limit: READ_PAGE,
            cursor: PageCursor::After(cursor),
        };
        // Pages come newest first.
        let tweets = store.tweets(None, page, None).await?;
        let complete = (tweets.len() as i64) < READ_PAGE;
        if let Some(newest) = tweets.first() {
            cursor = newest.id;
        }
        read += tweets.len();
        for tweet in tweets.into_iter().rev() {
            let announcement = Announcement::Tweet {
                id: tweet.id,
                reply_to: tweet.reply_to.as_ref().map(|parent| parent.id),
                author: tweet.author,
            };
            if order.offer(announcement.clone()) {
                bus.heard(&announcement);
                metrics::counter!("chirp_announcements_from_store_total").increment(1);
            }
        }
        if complete {
            return Ok(upto.map_or(cursor, |upto| upto.max(cursor)));
        }
        if upto.is_some_and(|upto| cursor >= upto) || read >= READ_MAX {
            return Ok(cursor);
        }
    }
}

/// Deliver one announcement to this node's sockets, unless it was delivered before.
fn emit(sockets: &Sockets, seen: &mut Seen, announcement: &Announcement) {
    if seen.first_time(announcement) {
        sockets.route(announcement);
    }
}

impl Sockets {
    /// Act on one announcement on this node: write a tweet to the sockets watching a timeline
    /// that gains it (encoded once), a deletion to every socket; re-route home watchers after
    /// a follow; end a signed-out session's sockets.
    fn route(&self, announcement: &Announcement) {
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
                self.index
                    .lock()
                    .recipients(routing, |s| recipients.push(s.clone()));
                (
                    events::NEW_TWEET,
                    events::new_tweet_packet(*id, author, *reply_to),
                )
            }
            Announcement::Deleted { id } => {
                self.index.lock().all(|s| recipients.push(s.clone()));
                (events::TWEET_DELETED, events::tweet_deleted_packet(*id))
            }
            Announcement::Notification { recipient, payload } => {
                self.index
                    .lock()
                    .user_sockets(*recipient, |s| recipients.push(s.clone()));
                (events::NOTIFICATION, events::notification_packet(payload))
            }
            Announcement::Follow { .. } => {
                if let Some(change) = announcement.follow_change() {
                    self.index.lock().follow_changed(change);
                }
                return;
            }
            // For other nodes' caches only (`BusHook`).
            Announcement::Liked { .. }
            | Announcement::ProfileChanged { .. }
            | Announcement::SessionForgotten { .. } => return,
            Announcement::SessionEnded { token_hash } => {
                self.index.lock().all(|s| recipients.push(s.clone()));
                let ended = socketio::sign_out(&self.io, &self.hub, &recipients, token_hash);
                tracing::debug!(ended, "sockets of a signed-out session disconnected");
                return;
            }
        };
        let sockets = self.hub.write_each(&recipients, &Broadcast::new(packet));
        metrics::counter!("chirp_broadcasts_total", "event" => event).increment(1);
        tracing::debug!(event, sockets, "broadcast");
    }
}
