//! Every live session, by Engine.IO sid, in a few independently locked shards so that a
//! broadcast walking one shard does not hold up handshakes landing in the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::session::{Session, Sid};

const SHARDS: usize = 16;

type Shard = HashMap<Sid, Arc<Session>>;

/// The sessions of this node.
pub struct Registry {
    shards: Vec<Mutex<Shard>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl Registry {
    fn shard(&self, sid: &Sid) -> MutexGuard<'_, Shard> {
        let index = sid.as_str().as_bytes()[0] as usize % SHARDS;
        lock(&self.shards[index])
    }

    /// Add a session.
    pub fn insert(&self, session: Arc<Session>) {
        self.shard(&session.sid).insert(session.sid, session);
    }

    /// The session with this sid.
    pub fn get(&self, sid: &Sid) -> Option<Arc<Session>> {
        self.shard(sid).get(sid).cloned()
    }

    /// Remove a session; true if it was there.
    pub fn remove(&self, sid: &Sid) -> bool {
        self.shard(sid).remove(sid).is_some()
    }

    /// Visit every session, one shard at a time (the shard is locked meanwhile: `visit` must
    /// not touch the registry).
    pub fn for_each(&self, mut visit: impl FnMut(&Arc<Session>)) {
        for shard in &self.shards {
            for session in lock(shard).values() {
                visit(session);
            }
        }
    }

    /// Every session, copied out (for work that must not hold a shard lock).
    pub fn all(&self) -> Vec<Arc<Session>> {
        let mut out = Vec::new();
        self.for_each(|s| out.push(s.clone()));
        out
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // Nothing panics while holding a shard lock; if something did, the map is still valid.
    shard.lock().unwrap_or_else(|e| e.into_inner())
}
