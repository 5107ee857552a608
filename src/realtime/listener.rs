//! The sockets as a listener of changes (`changes::Listener`): each change delivered in
//! order is acted on here — a tweet written to the sockets watching a timeline that gains
//! it, a deletion to every socket, a notification to its recipient's sockets, each encoded
//! once as one WebSocket frame and one polling packet and the same bytes written to every
//! receiving socket (`engine::Hub::write_each`); a follow re-routes `home` watchers; a
//! sign-out ends that session's sockets; a block or mute changes whom a viewer's sockets hear
//! from. Sockets with connection state recovery get each logged event with its offset
//! (`recovery`), encoded once more for all of them. When the broker comes back or settles, `home`
//! watchers' followees are read again from the store.

use std::sync::Arc;

use super::engine::{Broadcast, Hub};
use super::events;
use super::index::Index;
use super::recovery::Recovery;
use super::socketio::{self, SocketIo};
use super::watch::Routed;
use crate::changes::{Change, Listener};
use crate::storage::Store;

/// This node's sockets, the Socket.IO layer and its watch index; and the store, to reload
/// followees.
pub struct Sockets {
    pub(super) hub: Arc<Hub>,
    pub(super) io: Arc<SocketIo>,
    pub(super) index: Arc<Index>,
    pub(super) store: Arc<dyn Store>,
    pub(super) recovery: Arc<Recovery>,
}

impl Listener for Sockets {
    fn deliver(&self, change: &Change) {
        self.route(change);
    }

    fn resync(&self) {
        tokio::spawn(reload_homes(self.index.clone(), self.store.clone()));
        tokio::spawn(reload_hides(self.index.clone(), self.store.clone()));
        tokio::spawn(reload_suspended(self.index.clone(), self.store.clone()));
    }
}

impl Sockets {
    /// Act on one change on this node (see the module doc).
    fn route(&self, change: &Change) {
        let mut recipients = Vec::new();
        let (routed, number) = {
            let mut index = self.index.lock();
            let routed = index.apply(change, |s| recipients.push(s.clone()));
            (routed, self.recovery.route_next())
        };
        let logged = matches!(
            routed,
            Routed::Tweet { .. } | Routed::Deleted { .. } | Routed::Notification { .. }
        );
        let (event, packet) = match routed {
            Routed::Tweet {
                id,
                author,
                routing,
                ..
            } => (
                events::NEW_TWEET,
                events::new_tweet_packet(id, author, routing.reply_to),
            ),
            Routed::Deleted { id } => (events::TWEET_DELETED, events::tweet_deleted_packet(id)),
            Routed::Notification { payload, .. } => {
                (events::NOTIFICATION, events::notification_packet(payload))
            }
            Routed::UnreadCount { unread_count } => (
                events::UNREAD_COUNT,
                events::unread_count_packet(unread_count),
            ),
            Routed::SessionEnded { token_hash } => {
                let ended = socketio::sign_out(&self.io, &self.hub, &recipients, token_hash);
                tracing::debug!(ended, "sockets of a signed-out session disconnected");
                return;
            }
            Routed::Nothing => return,
        };
        // Sockets with connection state recovery get the event with its offset: one more
        // encoding, shared by all of them, and only while there is one.
        let with_offset = (logged && self.recovery.any_live()).then(|| {
            let offset = self.recovery.log.offset(number);
            Broadcast::new(events::with_offset(&packet, &offset))
        });
        let plain = Broadcast::new(packet);
        let sockets = match &with_offset {
            Some(variant) => self.hub.write_each_by(&recipients, |state| {
                if socketio::recovering(state) {
                    variant
                } else {
                    &plain
                }
            }),
            None => self.hub.write_each(&recipients, &plain),
        };
        metrics::counter!("chirp_broadcasts_total", "event" => event).increment(1);
        tracing::debug!(event, sockets, "broadcast");
    }
}

/// Read every suspended account from the store (at start, and when suspensions made on other
/// nodes may have been missed).
pub(super) async fn reload_suspended(index: Arc<Index>, store: Arc<dyn Store>) {
    match store.hidden_authors(None).await {
        Ok(suspended) => index.lock().replace_suspended(suspended),
        Err(e) => tracing::warn!(error = %e, "cannot read suspended accounts for routing"),
    }
}

/// Read again from the store whom every signed-in viewer on this node hides: blocks and mutes
/// made on other nodes travel only through the broker, as follows do (`reload_homes`).
async fn reload_hides(index: Arc<Index>, store: Arc<dyn Store>) {
    let users = index.lock().online_users();
    let mut reloaded = 0;
    for user in users {
        if index.reload_hides_of(&*store, user).await {
            reloaded += 1;
        }
    }
    tracing::debug!(
        reloaded,
        "online viewers' hidden authors reloaded from the store"
    );
}

/// Read again from the store the followees of every user watching `home` on this node. Follow
/// changes made on other nodes travel only through the broker, so one published while this
/// node was not subscribed never comes; after the subscription is back (and again once it
/// has settled, when every node's publisher has flushed what it kept) the store is the truth.
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
