//! Registering sockets: connecting and forgetting one, moving it onto a timeline other than
//! `home` (joining `home` is in `home`) and off any timeline (leaving `home` last frees the
//! user's slot), and visiting one user's sockets or every socket.

use super::lists::{push_exact, remove_from, remove_key};
use super::{Key, Timeline, WatchError, WatchIndex, Watcher};

impl<S: Clone> WatchIndex<S> {
    /// Add a connected socket, watching `everyone`.
    pub fn connect(&mut self, key: Key, handle: S, user: Option<i64>) {
        self.disconnect(key);
        if let Some(user) = user {
            push_exact(self.by_user.entry(user).or_default(), (key, handle.clone()));
        }
        self.everyone.insert(key, handle.clone());
        self.sockets.insert(
            key,
            Watcher {
                handle,
                user,
                timeline: Timeline::Everyone,
            },
        );
    }

    /// Forget a socket (idempotent).
    pub fn disconnect(&mut self, key: Key) {
        let Some(watcher) = self.sockets.remove(&key) else {
            return;
        };
        self.unwatch(key, watcher.user, watcher.timeline);
        if let Some(user) = watcher.user
            && let Some(sockets) = self.by_user.get_mut(&user)
        {
            remove_key(sockets, key);
            if sockets.is_empty() {
                self.by_user.remove(&user);
                self.drop_hides(user);
            }
        }
    }

    /// Watch a timeline other than `home` (use `watch_home` for that).
    pub fn watch(&mut self, key: Key, timeline: Timeline) -> Result<(), WatchError> {
        let watcher = self.sockets.get(&key).ok_or(WatchError::UnknownSocket)?;
        let (user, old, handle) = (
            watcher.user,
            watcher.timeline.clone(),
            watcher.handle.clone(),
        );
        match &timeline {
            Timeline::Home => return Err(WatchError::NotSignedIn),
            Timeline::Everyone => {
                self.everyone.insert(key, handle);
            }
            Timeline::User(author) => {
                self.by_author
                    .entry(*author)
                    .or_default()
                    .insert(key, handle);
            }
            Timeline::Replies(parent) => {
                self.by_parent
                    .entry(*parent)
                    .or_default()
                    .insert(key, handle);
            }
            Timeline::Tag(name) => {
                self.by_tag
                    .entry(name.clone())
                    .or_default()
                    .insert(key, handle);
            }
        }
        if old != timeline {
            self.unwatch(key, user, old);
        }
        self.set_timeline(key, timeline);
        Ok(())
    }

    /// Every socket of one signed-in user (for per-user sends: notifications).
    pub fn user_sockets(&self, user: i64, mut visit: impl FnMut(&S)) {
        if let Some(sockets) = self.by_user.get(&user) {
            sockets.iter().for_each(|(_, h)| visit(h));
        }
    }

    /// Every socket, whatever it watches.
    pub fn all(&self, mut visit: impl FnMut(&S)) {
        self.sockets.values().for_each(|w| visit(&w.handle));
    }

    /// The timeline a socket watches.
    pub fn timeline(&self, key: Key) -> Option<Timeline> {
        self.sockets.get(&key).map(|w| w.timeline.clone())
    }

    /// A socket's handle and user, if it is here.
    pub fn socket(&self, key: Key) -> Option<(&S, Option<i64>)> {
        self.sockets.get(&key).map(|w| (&w.handle, w.user))
    }

    pub(super) fn set_timeline(&mut self, key: Key, timeline: Timeline) {
        if let Some(watcher) = self.sockets.get_mut(&key) {
            watcher.timeline = timeline;
        }
    }

    /// Take a socket out of the set for `timeline` (not out of `sockets` or `by_user`).
    pub(super) fn unwatch(&mut self, key: Key, user: Option<i64>, timeline: Timeline) {
        match timeline {
            Timeline::Everyone => {
                self.everyone.remove(&key);
            }
            Timeline::User(author) => remove_from(&mut self.by_author, author, key),
            Timeline::Replies(parent) => remove_from(&mut self.by_parent, parent, key),
            Timeline::Tag(name) => {
                if let Some(set) = self.by_tag.get_mut(&name) {
                    set.remove(&key);
                    if set.is_empty() {
                        self.by_tag.remove(&name);
                    }
                }
            }
            Timeline::Home => {
                let Some(user) = user else { return };
                let Some(&slot) = self.home_slot.get(&user) else {
                    return;
                };
                let Some(entry) = self.homes.get_mut(slot as usize) else {
                    return;
                };
                let Some(home) = entry else { return };
                remove_key(&mut home.sockets, key);
                if !home.sockets.is_empty() {
                    return;
                }
                // The user's last home socket here: the slot is dead (routing skips it, as
                // `homes[slot]` is empty) until a sweep takes it out of every inverted list
                // at once and frees it (a reused slot must not inherit any).
                if let Some(home) = entry.take() {
                    debug_assert_eq!(home.user, user);
                }
                self.home_slot.remove(&user);
                self.dead_slots.push(slot);
                self.sweep_dead_slots_if_due();
            }
        }
    }
}
