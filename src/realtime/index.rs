//! `Index`: this node's watch index (`watch::WatchIndex`) behind one lock, shared by the
//! Socket.IO layer (which registers sockets and what they watch) and the listener (which
//! looks up who receives a change).

use std::sync::{Arc, Mutex, MutexGuard};

use super::engine::session::Session;
use super::watch::WatchIndex;
use crate::storage::Store;

/// The watch index of this node, behind one lock. Lock order: a session's lock may be held
/// while taking this one (a CONNECT registers under its session's lock), never the reverse —
/// so a broadcast collects its recipients under this lock and writes after releasing it.
pub struct Index(Mutex<WatchIndex<Arc<Session>>>);

impl Index {
    /// An empty index.
    pub(super) fn new() -> Self {
        Self(Mutex::new(WatchIndex::default()))
    }

    /// Read whom `user` hides and install it (replaying what changed meanwhile); whether it
    /// could. Also for a socket whose first read was too old to replay onto.
    pub(super) async fn reload_hides_of(&self, store: &dyn Store, user: i64) -> bool {
        for _ in 0..3 {
            let read_at = self.lock().hide_seq();
            let authors = match store.hides_of(user).await {
                Ok(ids) => ids,
                Err(e) => {
                    tracing::warn!(error = %e, user, "cannot reload whom a viewer hides");
                    return false;
                }
            };
            if self.lock().replace_hides(user, authors, read_at).is_ok() {
                return true;
            }
        }
        false
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, WatchIndex<Arc<Session>>> {
        // Plain data; nothing panics while holding it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
