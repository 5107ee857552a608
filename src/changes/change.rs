//! `Change`: the one vocabulary for what happened, split by audience — what sockets hear
//! (`Event`), what caches drop (`Stale`) and what nodes coordinate (`Control`). Every change
//! is published once (`Changes::publish`) and every listener reads the part it cares about.
//!
//! The wire form (JSON with a `kind` tag, on the Redis channel) is the flat one nodes have
//! always exchanged, so nodes of this and older versions understand each other.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::visibility::Facts;
use crate::domain::{Author, Notification, Tweet};

/// Something that changed, as this node or another tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Change {
    /// Sockets hear it (and caches holding pages drop what it changes).
    Event(Event),
    /// Never sent to a socket: caches (and the watch index's followee lists) drop or update
    /// what it changes.
    Stale(Stale),
    /// Between nodes only: sign-outs and their confirmations.
    Control(Control),
}

/// A change sockets are told of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A tweet was stored.
    Tweet {
        /// The tweet's id.
        id: i64,
        /// Its author, whose own sockets are not told.
        author: Author,
        /// The parent, for a reply.
        #[serde(default)]
        reply_to: Option<i64>,
        /// The parent's author, for a reply: viewers who hide them do not see the thread on
        /// the timelines that gather many authors.
        #[serde(default)]
        reply_to_author: Option<i64>,
        /// Its hashtags' names: sockets watching `tag:<name>` hear of it, and trending
        /// counts it. One message per tweet, whatever its tags.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tags: Vec<String>,
    },
    /// A tweet was deleted.
    Deleted {
        /// The deleted tweet's id.
        id: i64,
    },
    /// A notification was made: every socket of its recipient, on every node, is told.
    /// Not a tweet, so not held in tweet order: it goes out as soon as it arrives.
    Notification {
        /// Who is told.
        recipient: i64,
        /// The event's argument, already encoded as JSON (the notification as its
        /// recipient sees it, plus `unread_count`): encoded once, on the node that made it.
        payload: String,
    },
    /// A user's unread count went down without their marking anything read (a block or mute
    /// removed notifications): every socket of theirs, on every node, is told the new count.
    UnreadCount {
        /// Whose count.
        recipient: i64,
        /// Their unread notifications now.
        unread_count: i64,
    },
}

/// A change no socket is told of, that makes cached state stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Stale {
    /// Someone followed or unfollowed someone: `home` watchers' routes and cached followee
    /// lists change.
    Follow {
        /// Who follows.
        follower: i64,
        /// Whom.
        followee: i64,
        /// True for a follow, false for an unfollow.
        following: bool,
    },
    /// A tweet was liked or unliked: cached pages carry like counts.
    Liked {
        /// The tweet's id.
        tweet: i64,
    },
    /// A user changed their profile: cached pages show display names.
    ProfileChanged {
        /// The user's id.
        user: i64,
    },
    /// A block or mute changed whether `viewer` hides `author`: the watch index's routes,
    /// cached home pages and hidden-author lists change.
    Hide {
        /// Who sees (or no longer sees).
        viewer: i64,
        /// Whose tweets.
        author: i64,
        /// Whether the viewer hides the author now.
        hidden: bool,
    },
    /// An account was suspended or unsuspended: its tweets leave (or rejoin) every list, so
    /// every cached page goes.
    Suspended {
        /// The account.
        user: i64,
        /// Whether it is suspended now.
        suspended: bool,
    },
}

/// What nodes tell each other to coordinate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Control {
    /// A session was signed out: every node forgets it and ends the sockets that
    /// authenticated with it.
    SessionEnded {
        /// The session's token hash (never the token).
        token_hash: String,
    },
    /// A node's answer to another's `SessionEnded`: its session cache has forgotten the
    /// session (the signing-out node waits for every node's). Never reaches a listener.
    SessionForgotten {
        /// The session's token hash.
        token_hash: String,
    },
}

/// A new tweet as watchers route it (`Change::tweeted`).
#[derive(Debug, Clone, Copy)]
pub struct Tweeted<'a> {
    /// The tweet's id.
    pub id: i64,
    /// Its author.
    pub author: &'a Author,
    /// Who wrote it and what it answers, for the visibility rule.
    pub facts: Facts,
    /// Its hashtags' names.
    pub tags: &'a [String],
}

impl Change {
    /// A new tweet's routing, if this is one.
    pub fn tweeted(&self) -> Option<Tweeted<'_>> {
        match self {
            Self::Event(Event::Tweet {
                id,
                author,
                reply_to,
                reply_to_author,
                tags,
            }) => Some(Tweeted {
                id: *id,
                author,
                facts: Facts {
                    author: author.id,
                    reply_to: *reply_to,
                    reply_to_author: *reply_to_author,
                },
                tags,
            }),
            _ => None,
        }
    }

    /// A stored tweet.
    pub fn tweet(tweet: &Tweet) -> Self {
        Self::Event(Event::Tweet {
            id: tweet.id,
            author: tweet.author.clone(),
            reply_to: tweet.reply_to.as_ref().map(|parent| parent.id),
            reply_to_author: tweet.reply_to.as_ref().map(|parent| parent.author.id),
            tags: tweet.tags.clone(),
        })
    }

    /// A deleted tweet.
    pub fn deleted(id: i64) -> Self {
        Self::Event(Event::Deleted { id })
    }

    /// A notification for its recipient's sockets, with their `unread_count` after it.
    pub fn notification(notification: &Notification, unread_count: i64) -> Self {
        Self::Event(Event::Notification {
            recipient: notification.recipient,
            payload: notification_payload(notification, unread_count),
        })
    }

    /// A follow (`following`) or unfollow.
    pub fn follow(follower: i64, followee: i64, following: bool) -> Self {
        Self::Stale(Stale::Follow {
            follower,
            followee,
            following,
        })
    }

    /// A tweet's likes changed.
    pub fn liked(tweet: i64) -> Self {
        Self::Stale(Stale::Liked { tweet })
    }

    /// A user's profile changed.
    pub fn profile_changed(user: i64) -> Self {
        Self::Stale(Stale::ProfileChanged { user })
    }

    /// `recipient`'s unread count is now `unread_count`.
    pub fn unread_count(recipient: i64, unread_count: i64) -> Self {
        Self::Event(Event::UnreadCount {
            recipient,
            unread_count,
        })
    }

    /// Whether `viewer` hides `author` changed (a block or a mute).
    pub fn hide(viewer: i64, author: i64, hidden: bool) -> Self {
        Self::Stale(Stale::Hide {
            viewer,
            author,
            hidden,
        })
    }

    /// An account was suspended (`suspended`) or unsuspended.
    pub fn suspended(user: i64, suspended: bool) -> Self {
        Self::Stale(Stale::Suspended { user, suspended })
    }

    /// A session was signed out.
    pub fn session_ended(token_hash: &str) -> Self {
        Self::Control(Control::SessionEnded {
            token_hash: token_hash.to_owned(),
        })
    }

    /// The tweet id that puts this change in order (`order`), for new tweets; others are
    /// delivered in arrival order.
    pub fn tweet_id(&self) -> Option<i64> {
        match self {
            Self::Event(Event::Tweet { id, .. }) => Some(*id),
            _ => None,
        }
    }

    /// Whether this change keeps tweet order (new tweets and deletions). Nothing else is
    /// held behind a gap: a follow, a block or a notification goes out as soon as it is
    /// heard, so one made before a tweet was stored is never delivered after it.
    pub fn is_ordered(&self) -> bool {
        matches!(
            self,
            Self::Event(Event::Tweet { .. } | Event::Deleted { .. })
        )
    }
}

#[cfg(test)]
impl Change {
    /// A new tweet `id` by user 1 (`a`), for tests of ordering.
    pub(crate) fn test_tweet(id: i64) -> Self {
        Self::Event(Event::Tweet {
            id,
            author: Author {
                id: 1,
                username: "a".into(),
                display_name: String::new(),
            },
            reply_to: None,
            reply_to_author: None,
            tags: Vec::new(),
        })
    }

    /// The tweet ids of `changes` (-1 for a change without one), for tests of ordering.
    pub(crate) fn test_ids(changes: &[Change]) -> Vec<i64> {
        changes.iter().map(|c| c.tweet_id().unwrap_or(-1)).collect()
    }
}

/// The `notification` event's argument: the notification as its recipient sees it, plus
/// their `unread_count` (counting this one), as JSON.
fn notification_payload(notification: &Notification, unread_count: i64) -> String {
    let mut value = serde_json::to_value(notification).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        fields.insert("unread_count".into(), json!(unread_count));
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ada() -> Author {
        Author {
            id: 2,
            username: "b".into(),
            display_name: String::new(),
        }
    }

    #[test]
    fn changes_from_older_nodes_still_read() {
        let old = r#"{"kind":"tweet","id":1,"author":{"id":2,"username":"b"}}"#;
        let parsed: Change = serde_json::from_str(old).unwrap();
        assert!(matches!(
            parsed,
            Change::Event(Event::Tweet { reply_to: None, .. })
        ));
    }

    #[test]
    fn every_change_keeps_its_flat_wire_form() {
        let cases = [
            (
                Change::Event(Event::Tweet {
                    id: 1,
                    author: ada(),
                    reply_to: Some(3),
                    reply_to_author: Some(5),
                    tags: Vec::new(),
                }),
                json!({"kind": "tweet", "id": 1, "author": {"id": 2, "username": "b", "display_name": ""}, "reply_to": 3, "reply_to_author": 5}),
            ),
            (
                Change::Event(Event::Tweet {
                    id: 1,
                    author: ada(),
                    reply_to: None,
                    reply_to_author: None,
                    tags: vec!["rust".into(), "café".into()],
                }),
                json!({"kind": "tweet", "id": 1, "author": {"id": 2, "username": "b", "display_name": ""}, "reply_to": null, "reply_to_author": null, "tags": ["rust", "café"]}),
            ),
            (Change::deleted(4), json!({"kind": "deleted", "id": 4})),
            (
                Change::Event(Event::Notification {
                    recipient: 5,
                    payload: "{}".into(),
                }),
                json!({"kind": "notification", "recipient": 5, "payload": "{}"}),
            ),
            (
                Change::follow(1, 2, true),
                json!({"kind": "follow", "follower": 1, "followee": 2, "following": true}),
            ),
            (Change::liked(6), json!({"kind": "liked", "tweet": 6})),
            (
                Change::profile_changed(7),
                json!({"kind": "profile_changed", "user": 7}),
            ),
            (
                Change::session_ended("h"),
                json!({"kind": "session_ended", "token_hash": "h"}),
            ),
            (
                Change::Control(Control::SessionForgotten {
                    token_hash: "h".into(),
                }),
                json!({"kind": "session_forgotten", "token_hash": "h"}),
            ),
        ];
        for (change, wire) in cases {
            assert_eq!(serde_json::to_value(&change).unwrap(), wire);
            let back: Change = serde_json::from_value(wire).unwrap();
            assert_eq!(back, change);
        }
        assert!(serde_json::from_str::<Change>(r#"{"kind":"nope"}"#).is_err());
    }
}
