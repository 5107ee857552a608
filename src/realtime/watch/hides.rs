//! Hidden authors: suspended accounts, hidden from everyone; and for each signed-in viewer
//! with a socket on this node, whom they hide (blocked either way, or muted), and the inverted `hidden_from` (author → the online
//! viewers hiding them), so routing a tweet asks one map lookup when nobody here hides its
//! author — the usual case — and otherwise leaves out exactly the hiders' sockets.
//!
//! Like followee lists, a viewer's list is read from the store *before* their first socket
//! registers, and hide changes are numbered and logged so that those landing between the read
//! and the registration are replayed onto it (`hide_seq`).

use std::collections::HashSet;

use super::{HIDE_LOG, HideChange, Key, WatchError, WatchIndex};

impl<S: Clone> WatchIndex<S> {
    /// An account was suspended (`true`) or unsuspended.
    pub fn set_suspended(&mut self, user: i64, suspended: bool) {
        if suspended {
            self.suspended.insert(user);
        } else {
            self.suspended.remove(&user);
        }
    }

    /// Every suspended account, as read from the store (at start, and after a bus outage).
    pub fn replace_suspended(&mut self, users: Vec<i64>) {
        self.suspended = users.into_iter().collect();
    }

    /// Whether `author` is suspended.
    pub fn is_suspended(&self, author: i64) -> bool {
        self.suspended.contains(&author)
    }

    /// The current number for hide changes: read it *before* reading a viewer's hidden
    /// authors for `set_hides`.
    pub fn hide_seq(&self) -> u64 {
        self.hide_seq
    }

    /// Install `viewer`'s hidden authors as read from the store after `read_at` (a
    /// `hide_seq`), replaying the changes numbered after it, unless they are installed
    /// already (another socket of theirs is here). Nothing happens for a viewer with no
    /// socket here; `Stale` when the log no longer reaches back to `read_at`.
    pub fn set_hides(
        &mut self,
        viewer: i64,
        authors: Vec<i64>,
        read_at: u64,
    ) -> Result<(), WatchError> {
        if self.by_user.get(&viewer).map_or(0, Vec::len) != 1 {
            return Ok(());
        }
        self.replace_hides(viewer, authors, read_at)
    }

    /// Replace `viewer`'s hidden authors with a list read after `read_at`, replaying what
    /// changed since (after a bus outage, or a read too old for `set_hides`).
    pub fn replace_hides(
        &mut self,
        viewer: i64,
        mut authors: Vec<i64>,
        read_at: u64,
    ) -> Result<(), WatchError> {
        if !self.by_user.contains_key(&viewer) {
            return Ok(());
        }
        let oldest_logged = self.hide_log.front().map_or(self.hide_seq + 1, |e| e.0);
        if read_at + 1 < oldest_logged && read_at < self.hide_seq {
            return Err(WatchError::Stale);
        }
        authors.sort_unstable();
        authors.dedup();
        for (_, change) in self.hide_log.iter().filter(|(seq, _)| *seq > read_at) {
            if change.viewer == viewer {
                set(&mut authors, change.author, change.hidden);
            }
        }
        self.drop_hides(viewer);
        for &author in &authors {
            self.hidden_from.entry(author).or_default().push(viewer);
        }
        if !authors.is_empty() {
            authors.shrink_to_fit();
            self.hides.insert(viewer, authors);
        }
        Ok(())
    }

    /// Forget `viewer`'s hidden authors (their last socket here left).
    pub(super) fn drop_hides(&mut self, viewer: i64) {
        let Some(authors) = self.hides.remove(&viewer) else {
            return;
        };
        for author in authors {
            if let Some(viewers) = self.hidden_from.get_mut(&author) {
                viewers.retain(|v| *v != viewer);
                if viewers.is_empty() {
                    self.hidden_from.remove(&author);
                }
            }
        }
    }

    /// Apply a block, unblock, mute or unmute (from this node or another), in bus order.
    pub fn hide_changed(&mut self, change: HideChange) {
        self.hide_seq += 1;
        self.hide_log.push_back((self.hide_seq, change));
        if self.hide_log.len() > HIDE_LOG {
            self.hide_log.pop_front();
        }
        if !self.by_user.contains_key(&change.viewer) {
            return;
        }
        let authors = self.hides.entry(change.viewer).or_default();
        let before = authors.len();
        set(authors, change.author, change.hidden);
        let changed = authors.len() != before;
        if authors.is_empty() {
            self.hides.remove(&change.viewer);
        }
        if !changed {
            return;
        }
        let viewers = self.hidden_from.entry(change.author).or_default();
        if change.hidden {
            viewers.push(change.viewer);
        } else {
            viewers.retain(|v| *v != change.viewer);
            if viewers.is_empty() {
                self.hidden_from.remove(&change.author);
            }
        }
    }

    /// The signed-in viewers with a socket here (whose lists `replace_hides` refreshes).
    pub fn online_users(&self) -> Vec<i64> {
        self.by_user.keys().copied().collect()
    }

    /// The sockets of the online viewers who hide `author` (none: `None`, the usual case).
    pub(super) fn sockets_hiding(&self, author: Option<i64>) -> Option<HashSet<Key>> {
        let viewers = self.hidden_from.get(&author?)?;
        let mut keys = HashSet::new();
        for viewer in viewers {
            if let Some(sockets) = self.by_user.get(viewer) {
                keys.extend(sockets.iter().map(|(k, _)| *k));
            }
        }
        Some(keys)
    }

    /// Whether `viewer` hides `author` (for tests and the model check).
    #[cfg(test)]
    pub fn hides(&self, viewer: i64, author: i64) -> bool {
        self.hides
            .get(&viewer)
            .is_some_and(|a| a.binary_search(&author).is_ok())
    }
}

/// Insert into or remove from a sorted, duplicate-free list.
fn set(list: &mut Vec<i64>, value: i64, present: bool) {
    match (list.binary_search(&value), present) {
        (Err(at), true) => list.insert(at, value),
        (Ok(at), false) => {
            list.remove(at);
        }
        _ => {}
    }
}
