//! The socket events Chirp sends and takes, with their payloads and their encoding, in one
//! place; and `Announcement`, what a node announces (and, with Redis, tells the other nodes).
//!
//! Server → client: `newTweet` with `(true, {id, author, reply_to})`, `tweetDeleted` with
//! `{id}`, `notification` with the notification plus `unread_count`. Client → server: `newTweet` (acknowledged, never relayed) and `watch` with a
//! timeline name. Nothing here ever carries a socket or session id: whoever knows a session's
//! Engine.IO id can post packets into its long-polling session.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::socketio::packet;
use super::watch::FollowChange;
use crate::domain::{Author, Notification};

/// Event name: a tweet was stored (server → client), or a tutorial client's own post
/// (client → server, acknowledged and dropped).
pub const NEW_TWEET: &str = "newTweet";
/// Event name: a tweet was deleted.
pub const TWEET_DELETED: &str = "tweetDeleted";
/// Event name (client → server): watch a timeline.
pub const WATCH: &str = "watch";
/// Event name: something happened to the recipient (follow, like, reply, mention).
pub const NOTIFICATION: &str = "notification";

/// What a node announces (and, with Redis, tells the other nodes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Announcement {
    /// A tweet was stored.
    Tweet {
        /// The tweet's id.
        id: i64,
        /// Its author, whose own sockets are not told.
        author: Author,
        /// The parent, for a reply.
        #[serde(default)]
        reply_to: Option<i64>,
    },
    /// A tweet was deleted.
    Deleted {
        /// The deleted tweet's id.
        id: i64,
    },
    /// A session was signed out: every node ends the sockets that authenticated with it.
    /// Not an event: never sent to any socket.
    SessionEnded {
        /// The session's token hash (never the token).
        token_hash: String,
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
    /// Someone followed or unfollowed someone: `home` watchers' routes change.
    Follow {
        /// Who follows.
        follower: i64,
        /// Whom.
        followee: i64,
        /// True for a follow, false for an unfollow.
        following: bool,
    },
    /// A node's answer to another's `SessionEnded`: its session cache has forgotten the
    /// session (the signing-out node waits for every node's). Not an event.
    SessionForgotten {
        /// The session's token hash.
        token_hash: String,
    },
    /// A tweet was liked or unliked: nodes drop cached pages (they carry like counts).
    /// Not an event: never sent to any socket.
    Liked {
        /// The tweet's id.
        tweet: i64,
    },
    /// A user changed their profile: nodes drop cached pages (tweets show display names).
    /// Not an event: never sent to any socket.
    ProfileChanged {
        /// The user's id.
        user: i64,
    },
}

impl Announcement {
    /// The follow change this announces, if it is one.
    pub fn follow_change(&self) -> Option<FollowChange> {
        match *self {
            Self::Follow {
                follower,
                followee,
                following,
            } => Some(FollowChange {
                follower,
                followee,
                following,
            }),
            _ => None,
        }
    }
}

impl Announcement {
    /// The tweet id that puts this announcement in order (`order`), for new tweets; others
    /// are delivered in arrival order.
    pub fn tweet_id(&self) -> Option<i64> {
        match self {
            Self::Tweet { id, .. } => Some(*id),
            Self::Deleted { .. }
            | Self::Follow { .. }
            | Self::SessionEnded { .. }
            | Self::Notification { .. }
            | Self::SessionForgotten { .. }
            | Self::Liked { .. }
            | Self::ProfileChanged { .. } => None,
        }
    }
}

/// Second argument of `newTweet` (the first is the literal `true`, as in the tutorial).
#[derive(Debug, Serialize)]
struct NewTweetNotice<'a> {
    id: i64,
    /// `{id, username}` only, as the tutorial's clients expect (the page fetches the tweet,
    /// display name included, when it shows it).
    #[serde(serialize_with = "id_and_username")]
    author: &'a Author,
    /// The parent's id for a reply, `null` for a top-level tweet (always present).
    reply_to: Option<i64>,
}

fn id_and_username<S: serde::Serializer>(author: &&Author, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut out = s.serialize_struct("Author", 2)?;
    out.serialize_field("id", &author.id)?;
    out.serialize_field("username", &author.username)?;
    out.end()
}

/// Argument of `tweetDeleted`.
#[derive(Debug, Serialize)]
struct TweetDeletedNotice {
    id: i64,
}

/// The whole Engine.IO packet announcing a stored tweet.
pub fn new_tweet_packet(id: i64, author: &Author, reply_to: Option<i64>) -> String {
    let notice = NewTweetNotice {
        id,
        author,
        reply_to,
    };
    packet::event(&json!([NEW_TWEET, true, notice]).to_string())
}

/// The whole Engine.IO packet announcing a deletion.
pub fn tweet_deleted_packet(id: i64) -> String {
    packet::event(&json!([TWEET_DELETED, TweetDeletedNotice { id }]).to_string())
}

/// The `notification` event's argument: the notification as its recipient sees it, plus
/// their `unread_count` (counting this one), as JSON.
pub fn notification_payload(notification: &Notification, unread_count: i64) -> String {
    let mut value = serde_json::to_value(notification).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        fields.insert("unread_count".into(), json!(unread_count));
    }
    value.to_string()
}

/// The whole Engine.IO packet of a `notification` event carrying `payload` (JSON).
pub fn notification_packet(payload: &str) -> String {
    packet::event(&format!("[\"{NOTIFICATION}\",{payload}]"))
}

/// A timeline named by a client, before its names are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchRequest {
    /// `everyone`.
    Everyone,
    /// `home`.
    Home,
    /// `user:<username>`.
    User(String),
    /// `replies:<tweet id>`.
    Replies(i64),
}

impl WatchRequest {
    /// Read `watch`'s first argument; `None` when it names no timeline.
    pub fn parse(arg: Option<&Value>) -> Option<Self> {
        let name = arg?.as_str()?;
        match name {
            "everyone" => Some(Self::Everyone),
            "home" => Some(Self::Home),
            _ => {
                if let Some(username) = name.strip_prefix("user:") {
                    return (!username.is_empty()).then(|| Self::User(username.to_owned()));
                }
                let id = name.strip_prefix("replies:")?;
                // Digits only: no sign, no spaces, no leading `+`.
                if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                id.parse().ok().map(Self::Replies)
            }
        }
    }
}

/// `watch`'s acknowledgement: `{"ok": true}`.
pub fn watch_ok() -> Value {
    json!({ "ok": true })
}

/// `watch`'s refusal: `{"error": {"code", "message"}}`, as the HTTP API words its errors.
pub fn watch_error(code: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_timeline_names() {
        let parse = |v: Value| WatchRequest::parse(Some(&v));
        assert_eq!(parse(json!("everyone")), Some(WatchRequest::Everyone));
        assert_eq!(parse(json!("home")), Some(WatchRequest::Home));
        assert_eq!(
            parse(json!("user:ada")),
            Some(WatchRequest::User("ada".into()))
        );
        assert_eq!(parse(json!("replies:42")), Some(WatchRequest::Replies(42)));
        for bad in [
            json!("replies:"),
            json!("replies:-1"),
            json!("replies:+1"),
            json!("replies:1x"),
            json!("replies:99999999999999999999999"),
            json!("user:"),
            json!("Everyone"),
            json!(""),
            json!(7),
            json!(null),
            json!({"timeline": "home"}),
        ] {
            assert_eq!(parse(bad.clone()), None, "{bad}");
        }
        assert_eq!(WatchRequest::parse(None), None);
    }

    #[test]
    fn encodes_each_announcement_once_as_a_packet() {
        let author = Author {
            id: 3,
            username: "ada".into(),
            display_name: "Ada L.".into(),
        };
        assert_eq!(
            new_tweet_packet(7, &author, Some(5)),
            r#"42["newTweet",true,{"author":{"id":3,"username":"ada"},"id":7,"reply_to":5}]"#
        );
        assert_eq!(
            new_tweet_packet(8, &author, None),
            r#"42["newTweet",true,{"author":{"id":3,"username":"ada"},"id":8,"reply_to":null}]"#
        );
        assert_eq!(tweet_deleted_packet(7), r#"42["tweetDeleted",{"id":7}]"#);
        assert_eq!(
            notification_packet(r#"{"id":1}"#),
            r#"42["notification",{"id":1}]"#
        );
    }

    #[test]
    fn announcements_from_older_nodes_still_read() {
        let old = r#"{"kind":"tweet","id":1,"author":{"id":2,"username":"b"}}"#;
        let parsed: Announcement = serde_json::from_str(old).unwrap();
        assert!(matches!(parsed, Announcement::Tweet { reply_to: None, .. }));
    }
}
