//! One change applied to a watch index, the same way for every kind of watcher (Socket.IO
//! sockets, Mastodon streams): what changes routing (a follow, a hide, a suspension) is
//! applied to the index; an event names its recipients, and the caller encodes and sends it
//! in its own form.

use super::{FollowChange, HideChange, Routing, WatchIndex};
use crate::changes::{Change, Control, Event, Stale};
use crate::domain::Author;

/// What a change asks of the watchers, once its routing effects are applied.
pub enum Routed<'a> {
    /// A new tweet for the recipients visited.
    Tweet {
        /// Its id.
        id: i64,
        /// Its author.
        author: &'a Author,
        /// Who wrote it and what it answers.
        routing: Routing,
        /// Its tags' names.
        tags: &'a [String],
    },
    /// A deletion, for every watcher visited.
    Deleted {
        /// The deleted tweet's id.
        id: i64,
    },
    /// A notification for its recipient's watchers visited.
    Notification {
        /// Who is told.
        recipient: i64,
        /// The notification, as JSON.
        payload: &'a str,
    },
    /// A new unread count for its recipient's watchers visited.
    UnreadCount {
        /// Its value.
        unread_count: i64,
    },
    /// A session ended: its watchers must go (every watcher was visited; the caller picks).
    SessionEnded {
        /// The session's token hash.
        token_hash: &'a str,
    },
    /// Nothing to send (routing changed, or the change is for caches).
    Nothing,
}

impl<S: Clone> WatchIndex<S> {
    /// Apply `change`: update routing, or visit the watchers an event is for and say what it
    /// is.
    pub fn apply<'a>(&mut self, change: &'a Change, visit: impl FnMut(&S)) -> Routed<'a> {
        if let Some(tweet) = change.tweeted() {
            self.recipients(tweet.facts, tweet.tags, visit);
            return Routed::Tweet {
                id: tweet.id,
                author: tweet.author,
                routing: tweet.facts,
                tags: tweet.tags,
            };
        }
        match change {
            // Above.
            Change::Event(Event::Tweet { .. }) => Routed::Nothing,
            Change::Event(Event::Deleted { id }) => {
                self.all(visit);
                Routed::Deleted { id: *id }
            }
            Change::Event(Event::Notification { recipient, payload }) => {
                self.user_sockets(*recipient, visit);
                Routed::Notification {
                    recipient: *recipient,
                    payload,
                }
            }
            Change::Event(Event::UnreadCount {
                recipient,
                unread_count,
            }) => {
                self.user_sockets(*recipient, visit);
                Routed::UnreadCount {
                    unread_count: *unread_count,
                }
            }
            Change::Stale(Stale::Follow {
                follower,
                followee,
                following,
            }) => {
                self.follow_changed(FollowChange {
                    follower: *follower,
                    followee: *followee,
                    following: *following,
                });
                Routed::Nothing
            }
            Change::Stale(Stale::Hide {
                viewer,
                author,
                hidden,
            }) => {
                self.hide_changed(HideChange {
                    viewer: *viewer,
                    author: *author,
                    hidden: *hidden,
                });
                Routed::Nothing
            }
            // A suspended account's watchers end with its sessions; replies to it leave the
            // timelines that gather many authors.
            Change::Stale(Stale::Suspended { user, suspended }) => {
                self.set_suspended(*user, *suspended);
                Routed::Nothing
            }
            Change::Control(Control::SessionEnded { token_hash }) => {
                self.all(visit);
                Routed::SessionEnded { token_hash }
            }
            // For caches and nodes only.
            Change::Stale(Stale::Liked { .. } | Stale::ProfileChanged { .. })
            | Change::Control(Control::SessionForgotten { .. }) => Routed::Nothing,
        }
    }
}
