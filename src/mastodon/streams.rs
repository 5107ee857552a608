//! Mastodon's streams as watchers: each subscription (an SSE connection, or one `subscribe`
//! of a WebSocket) is a watcher in a watch index of the same kind as the Socket.IO sockets'
//! (`realtime::WatchIndex`, the same routing code and cost per delivery): `user` watches
//! home and hears its user's notifications, `public` watches everyone and `hashtag` a tag. `Streams` is a listener of changes, so
//! every node's tweets, deletions, notifications, follows, hides and sign-outs reach it in
//! order, as they reach the sockets.
//!
//! Every event delivered is numbered in this node's change log (`changes::ChangeLog`, the one
//! Socket.IO recovery replays from too), kept for ten minutes; the SSE `id:` is its position
//! `<node epoch>-<number>`, and a client reconnecting with `Last-Event-ID` gets first what
//! it missed, in order, once — registration and the read of the log up to the last event
//! routed here happen under the one lock that delivery takes, so nothing falls between them
//! or comes twice. The numbers are this process's: an id from another node or an earlier run
//! replays nothing.
//!
//! One lock (`Inner`: the index and the number of the last event routed) because delivery
//! must find recipients atomically with respect to a new subscription's snapshot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{OnceCell, mpsc};

use crate::changes::{Change, ChangeLog, Event, Listener};
use crate::domain::visibility::{self, List};
use crate::realtime::{Key, Routed, Routing, Timeline, WatchError, WatchIndex};
use crate::storage::Store;

/// How long events are kept for `Last-Event-ID` replay.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(600);
/// Events queued for one connection that stopped reading; past it, it is closed.
pub const QUEUE: usize = 1024;

/// What a subscription listens to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamKind {
    /// Home timeline and notifications.
    User,
    /// Notifications only.
    UserNotification,
    /// Every status.
    Public,
    /// Statuses with a tag: its name lowercased (to match), and as the client gave it
    /// (echoed in `stream`, where clients look for it).
    Hashtag(String, String),
}

impl StreamKind {
    /// The `stream` array of this subscription's messages.
    pub fn names(&self) -> Vec<String> {
        match self {
            Self::User => vec!["user".into()],
            Self::UserNotification => vec!["user:notification".into()],
            Self::Public => vec!["public".into()],
            Self::Hashtag(_, given) => vec!["hashtag".into(), given.clone()],
        }
    }

    fn hears_notifications(&self) -> bool {
        matches!(self, Self::User | Self::UserNotification)
    }
}

/// A status as streamed: its JSON; `None` once deleted.
pub type Rendered = Option<String>;

/// One event, shared by every subscription that receives it.
pub enum Pending {
    /// A new status; rendered once, by the first connection that sends it.
    Update {
        /// The tweet's id.
        id: i64,
        /// Who wrote it, and what it answers.
        routing: Routing,
        /// Its tags' names.
        tags: Vec<String>,
        /// The rendered status.
        rendered: OnceCell<Rendered>,
    },
    /// A deleted status.
    Delete {
        /// Its id.
        id: i64,
    },
    /// A notification.
    Notification {
        /// Its id.
        id: i64,
        /// Whose.
        recipient: i64,
    },
}

/// One event to send on a connection: which, under which number, for which stream.
pub struct Delivery {
    /// Its number in the log (for the SSE `id:`).
    pub seq: u64,
    /// The event.
    pub event: Arc<Pending>,
    /// The subscription it is for.
    pub sub: Arc<Subscription>,
}

/// One subscription: a watcher in the index.
pub struct Subscription {
    /// Its key in the index.
    pub key: Key,
    /// What it listens to.
    pub kind: StreamKind,
    /// Who, when signed in.
    pub viewer: Option<i64>,
    /// The token hash that signed it in (a sign-out ends it).
    pub token_hash: Option<String>,
    out: mpsc::Sender<Delivery>,
}

struct Inner {
    index: WatchIndex<Arc<Subscription>>,
    /// The log number of the last event routed here.
    routed: u64,
}

/// This node's Mastodon streams.
pub struct Streams {
    /// Itself, for the reload a resync starts.
    me: std::sync::Weak<Streams>,
    inner: Mutex<Inner>,
    next_key: AtomicU64,
    log: Arc<ChangeLog>,
    store: Arc<dyn Store>,
}

/// A new subscription, and what it missed (numbered events, in order).
pub type Opened = (Arc<Subscription>, Vec<(u64, Arc<Pending>)>);

/// The viewpoint was read too long ago to replay the changes since onto it: read it again.
#[derive(Debug)]
pub struct StaleView;

/// What a new subscription needs of the store, read before it is registered.
pub struct Viewpoint {
    /// Whom the viewer follows (for `user`), sorted, read after `follow_seq`.
    pub followees: Vec<i64>,
    /// Whom the viewer hides, read after `hide_seq`.
    pub hides: Vec<i64>,
    follow_seq: u64,
    hide_seq: u64,
}

impl Streams {
    /// No streams yet; events numbered by `log`, which must be registered as a listener
    /// before the streams.
    pub fn new(store: Arc<dyn Store>, log: Arc<ChangeLog>) -> Arc<Self> {
        let streams = Arc::new_cyclic(|me| Self {
            me: me.clone(),
            inner: Mutex::new(Inner {
                index: WatchIndex::default(),
                routed: 0,
            }),
            next_key: AtomicU64::new(1),
            log,
            store,
        });
        let reading = streams.clone();
        tokio::spawn(async move { reading.reload_suspended().await });
        streams
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Plain data; nothing panics while holding it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The SSE id of event `seq`.
    pub fn event_id(&self, seq: u64) -> String {
        self.log.position(seq)
    }

    /// Read what `viewer` needs to subscribe (followees and hides), numbered so that what
    /// changes meanwhile is replayed onto it.
    pub async fn viewpoint(
        &self,
        viewer: Option<i64>,
    ) -> Result<Viewpoint, crate::storage::StoreError> {
        let (follow_seq, hide_seq) = {
            let inner = self.lock();
            (inner.index.follow_seq(), inner.index.hide_seq())
        };
        let (followees, hides) = match viewer {
            Some(viewer) => (
                self.store.following_ids(viewer).await?,
                self.store.hides_of(viewer).await?,
            ),
            None => (Vec::new(), self.store.hidden_authors(None).await?),
        };
        Ok(Viewpoint {
            followees,
            hides,
            follow_seq,
            hide_seq,
        })
    }

    /// Register a subscription sending to `out`; answers it and, when `last_id` names an
    /// event still in the log, what it would have received since (in order).
    pub fn subscribe(
        &self,
        kind: StreamKind,
        viewer: Option<i64>,
        token_hash: Option<String>,
        view: &Viewpoint,
        out: mpsc::Sender<Delivery>,
        last_id: Option<&str>,
    ) -> Result<Opened, StaleView> {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        let sub = Arc::new(Subscription {
            key,
            kind: kind.clone(),
            viewer,
            token_hash,
            out,
        });
        let mut inner = self.lock();
        let index = &mut inner.index;
        index.connect(key, sub.clone(), viewer);
        if let Some(viewer) = viewer
            && index
                .set_hides(viewer, view.hides.clone(), view.hide_seq)
                .is_err()
        {
            index.disconnect(key);
            return Err(StaleView);
        }
        let watched = match kind {
            StreamKind::User => index.watch_home(key, view.followees.clone(), view.follow_seq),
            // Notifications only: a timeline no tweet reaches (no user 0, no tweet 0).
            StreamKind::UserNotification => index.watch(key, Timeline::User(0)),
            StreamKind::Hashtag(name, _) => index.watch(key, Timeline::Tag(name.as_str().into())),
            StreamKind::Public => Ok(()),
        };
        if let Err(e) = watched {
            index.disconnect(key);
            return if e == WatchError::Stale {
                Err(StaleView)
            } else {
                Ok((sub, Vec::new()))
            };
        }
        let replay = match last_id.and_then(|id| self.log.parse(id)) {
            Some(after) => self
                .log
                .kept_since(after, inner.routed)
                .into_iter()
                .filter_map(|(seq, change)| Some((seq, Arc::new(pending(&change)?))))
                .filter(|(_, event)| receives(&sub, event, view, |a| inner.index.is_suspended(a)))
                .collect(),
            None => Vec::new(),
        };
        Ok((sub, replay))
    }

    /// Forget a subscription (idempotent).
    pub fn unsubscribe(&self, key: Key) {
        self.lock().index.disconnect(key);
    }

    /// Hand event number `seq` to `recipients`; full queues are closed.
    fn send(
        &self,
        inner: &mut Inner,
        seq: u64,
        event: Pending,
        recipients: Vec<Arc<Subscription>>,
    ) {
        let event = Arc::new(event);
        for sub in recipients {
            let delivery = Delivery {
                seq,
                event: event.clone(),
                sub: sub.clone(),
            };
            if sub.out.try_send(delivery).is_err() {
                // Stopped reading (or gone): out of the index, so its queue's senders go.
                inner.index.disconnect(sub.key);
            }
        }
    }
}

/// A logged change as a stream event (`None` for what streams are not told).
fn pending(change: &Change) -> Option<Pending> {
    match change {
        Change::Event(Event::Tweet { .. }) => {
            let tweet = change.tweeted()?;
            Some(Pending::Update {
                id: tweet.id,
                routing: tweet.facts,
                tags: tweet.tags.to_vec(),
                rendered: OnceCell::new(),
            })
        }
        Change::Event(Event::Deleted { id }) => Some(Pending::Delete { id: *id }),
        Change::Event(Event::Notification { recipient, payload }) => {
            let id = serde_json::from_str::<serde_json::Value>(payload)
                .ok()
                .and_then(|v| v["id"].as_i64())?;
            Some(Pending::Notification {
                id,
                recipient: *recipient,
            })
        }
        _ => None,
    }
}

/// Whether `sub` (with its viewer's `view`) would have received `event`.
fn receives(
    sub: &Subscription,
    event: &Pending,
    view: &Viewpoint,
    suspended: impl Fn(i64) -> bool,
) -> bool {
    match event {
        Pending::Delete { .. } => true,
        Pending::Notification { recipient, .. } => {
            sub.kind.hears_notifications() && sub.viewer == Some(*recipient)
        }
        Pending::Update { routing, tags, .. } => {
            if sub.viewer == Some(routing.author) {
                return false;
            }
            let hides = |a: i64| view.hides.binary_search(&a).is_ok() || suspended(a);
            let follows = |a: i64| view.followees.binary_search(&a).is_ok();
            let list = match (&sub.kind, sub.viewer) {
                (StreamKind::User, Some(viewer)) => List::Home(viewer),
                (StreamKind::Public, _) => List::Everyone,
                (StreamKind::Hashtag(name, _), _) if tags.contains(name) => List::Tag,
                _ => return false,
            };
            visibility::shows(list, *routing, follows, hides)
        }
    }
}

impl Streams {
    /// Read again from the store the followees and hidden authors of every viewer streaming
    /// here (after the bus to other nodes came back: their follows and hides made meanwhile
    /// may never arrive), replaying onto each list what changed during the read.
    async fn reload(self: Arc<Self>) {
        self.reload_suspended().await;
        let (homes, viewers) = {
            let inner = self.lock();
            (inner.index.home_users(), inner.index.online_users())
        };
        for user in homes {
            let read_at = self.lock().index.follow_seq();
            match self.store.following_ids(user).await {
                Ok(ids) => {
                    let _ = self.lock().index.replace_followees(user, ids, read_at);
                }
                Err(e) => return tracing::warn!(error = %e, "cannot reload streams' followees"),
            }
        }
        for user in viewers {
            let read_at = self.lock().index.hide_seq();
            match self.store.hides_of(user).await {
                Ok(ids) => {
                    let _ = self.lock().index.replace_hides(user, ids, read_at);
                }
                Err(e) => return tracing::warn!(error = %e, "cannot reload streams' hides"),
            }
        }
    }
}

impl Streams {
    /// Read every suspended account from the store (at start, and when suspensions made on
    /// other nodes may have been missed): replies to them leave `public` and `hashtag`.
    async fn reload_suspended(&self) {
        match self.store.hidden_authors(None).await {
            Ok(suspended) => self.lock().index.replace_suspended(suspended),
            Err(e) => tracing::warn!(error = %e, "cannot read suspended accounts for streams"),
        }
    }
}

impl Listener for Streams {
    fn resync(&self) {
        if let Some(me) = self.me.upgrade() {
            tokio::spawn(me.reload());
        }
    }

    fn deliver(&self, change: &Change) {
        let mut inner = self.lock();
        let mut recipients: Vec<Arc<Subscription>> = Vec::new();
        let routed = inner
            .index
            .apply(change, |s: &Arc<Subscription>| recipients.push(s.clone()));
        let seq = self.log.last();
        inner.routed = seq;
        match routed {
            Routed::Tweet { .. } | Routed::Deleted { .. } => {}
            Routed::Notification { .. } => recipients.retain(|s| s.kind.hears_notifications()),
            Routed::SessionEnded { token_hash } => {
                for sub in recipients {
                    if sub.token_hash.as_deref() == Some(token_hash) {
                        inner.index.disconnect(sub.key);
                    }
                }
                return;
            }
            Routed::UnreadCount { .. } | Routed::Nothing => return,
        }
        if let Some(event) = pending(change) {
            self.send(&mut inner, seq, event, recipients);
        }
    }
}
