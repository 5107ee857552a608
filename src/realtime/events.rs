//! The socket events Chirp sends and takes, with their payloads and their encoding, in one
//! place (what happened is `changes::Change`; this is how sockets are told of it).
//!
//! Server → client: `newTweet` with `(true, {id, author, reply_to})`, `tweetDeleted` with
//! `{id}`, `notification` with the notification plus `unread_count` (encoded once, on the
//! node that made it: `Change::notification`). Client → server: `newTweet` (acknowledged,
//! never relayed) and `watch` with a timeline name. Nothing here ever carries a socket or session id: whoever knows a session's
//! Engine.IO id can post packets into its long-polling session.

use serde::Serialize;
use serde_json::{Value, json};

use super::socketio::packet;
use crate::domain::Author;

/// Event name: a tweet was stored (server → client), or a tutorial client's own post
/// (client → server, acknowledged and dropped).
pub const NEW_TWEET: &str = "newTweet";
/// Event name: a tweet was deleted.
pub const TWEET_DELETED: &str = "tweetDeleted";
/// Event name (client → server): watch a timeline.
pub const WATCH: &str = "watch";
/// Event name: something happened to the recipient (follow, like, reply, mention).
pub const NOTIFICATION: &str = "notification";
/// Server → client: `{"unread_count"}`, when notifications were removed (a block or mute).
pub const UNREAD_COUNT: &str = "unreadCount";

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

/// The whole Engine.IO packet of a `notification` event carrying `payload` (JSON).
pub fn notification_packet(payload: &str) -> String {
    packet::event(&format!("[\"{NOTIFICATION}\",{payload}]"))
}

/// `packet` (an event) with one more argument, the string `offset`: what a socket with
/// connection state recovery receives (the official clients keep the last string argument).
pub fn with_offset(packet: &str, offset: &str) -> String {
    let body = packet.strip_suffix(']').unwrap_or(packet);
    format!("{body},{}]", Value::String(offset.to_owned()))
}

/// The `unreadCount` packet: `["unreadCount", {"unread_count": n}]`.
pub fn unread_count_packet(unread_count: i64) -> String {
    packet::event(&format!(
        "[\"{UNREAD_COUNT}\",{{\"unread_count\":{unread_count}}}]"
    ))
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
    /// `tag:<name>` (with or without `#`; normalised as tags are).
    Tag(crate::domain::Hashtag),
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
                if let Some(tag) = name.strip_prefix("tag:") {
                    return crate::domain::Hashtag::parse(tag).map(Self::Tag);
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
        let rust = crate::domain::Hashtag::parse("rust").unwrap();
        assert_eq!(
            parse(json!("tag:Rust")),
            Some(WatchRequest::Tag(rust.clone()))
        );
        assert_eq!(parse(json!("tag:#rust")), Some(WatchRequest::Tag(rust)));
        for bad in [
            json!("replies:"),
            json!("replies:-1"),
            json!("replies:+1"),
            json!("replies:1x"),
            json!("replies:99999999999999999999999"),
            json!("user:"),
            json!("tag:"),
            json!("tag:123"),
            json!("tag:a b"),
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
            with_offset(&tweet_deleted_packet(7), "0a1b2c3d-12"),
            r#"42["tweetDeleted",{"id":7},"0a1b2c3d-12"]"#
        );
        assert_eq!(
            notification_packet(r#"{"id":1}"#),
            r#"42["notification",{"id":1}]"#
        );
    }
}
