//! `Inbox`: what a broker hands in from the other nodes, dealt with the same way whatever the
//! broker. Another node's change is heard by every listener at once (so caches drop what it
//! changed before anything else happens), then queued for in-order delivery; a sign-out is
//! answered with a confirmation once the listeners forgot the session; a confirmation counts
//! towards this node's waiting sign-out. A lost or regained subscription is `missed`, and
//! deletions made during an outage are read back from the store (`catch_up`).

use std::sync::Arc;

use tokio::sync::mpsc;

use super::change::{Change, Control, Event};
use super::delivery::Queued;
use super::listener::{self, Listeners};
use super::sign_out::Confirmations;
use crate::storage::Store;

/// Catch-up re-reads deletions from this long before the outage began.
const CATCH_UP_DELETE_MARGIN_MICROS: i64 = 5_000_000;

/// Where other nodes' changes go on this node.
pub struct Inbox {
    pub(super) listeners: Listeners,
    pub(super) queue: mpsc::UnboundedSender<Queued>,
    pub(super) confirmations: Arc<Confirmations>,
    pub(super) store: Arc<dyn Store>,
}

impl Inbox {
    /// Another node's change. Returns what to publish in answer, if anything (the
    /// confirmation of a sign-out, sent once every listener has forgotten the session).
    pub fn received(&self, change: Change) -> Option<Change> {
        if let Change::Control(Control::SessionForgotten { token_hash }) = &change {
            self.confirmations.confirmed(token_hash);
            return None;
        }
        listener::heard(&self.listeners, &change);
        let answer = match &change {
            Change::Control(Control::SessionEnded { token_hash }) => {
                Some(Change::Control(Control::SessionForgotten {
                    token_hash: token_hash.clone(),
                }))
            }
            _ => None,
        };
        self.queue(change);
        answer
    }

    /// This node's barrier `ticket` came back: every change published before it was
    /// received (and queued) before this.
    pub fn passed(&self, ticket: u64) {
        let _ = self.queue.send(Queued::Passed(ticket));
    }

    /// The subscription was lost or has just come back: changes may have been missed.
    pub fn missed(&self) {
        for listener in self.listeners.iter() {
            listener.missed();
        }
    }

    /// Queue the deletions made since shortly before the outage that began at `since` (UTC
    /// microseconds; the delivery loop drops any already delivered). New tweets need no
    /// catch-up here: the delivery loop reads them from the store while the broker is
    /// unsettled. Returns how many were queued.
    pub async fn catch_up(&self, since: i64) -> usize {
        match self
            .store
            .deleted_since(since - CATCH_UP_DELETE_MARGIN_MICROS)
            .await
        {
            Ok(ids) => {
                let queued = ids.len();
                for id in ids {
                    self.queue(Change::Event(Event::Deleted { id }));
                }
                queued
            }
            Err(e) => {
                tracing::warn!(error = %e, "catch-up could not read deletions");
                0
            }
        }
    }

    fn queue(&self, change: Change) {
        // The delivery task lives as long as the process; a send fails only at shutdown.
        let _ = self.queue.send(Queued::Heard(change));
    }
}
