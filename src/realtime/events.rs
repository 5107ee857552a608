//! The socket events Chirp sends, with their payloads, in one place.
//!
//! Server → client: `newTweet` with `(true, {id, author})` and `tweetDeleted` with `{id}`.
//! Nothing here ever carries a socket or session id: whoever knows a session's Engine.IO id
//! can post packets into its long-polling session.

use serde::{Deserialize, Serialize};

use crate::domain::Author;

/// Event name: a tweet was stored.
pub const NEW_TWEET: &str = "newTweet";
/// Event name: a tweet was deleted.
pub const TWEET_DELETED: &str = "tweetDeleted";

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
    },
    /// A tweet was deleted.
    Deleted {
        /// The deleted tweet's id.
        id: i64,
    },
    /// A session was signed out: every node closes the sockets that authenticated with it.
    /// Not an event: never sent to any socket.
    SessionEnded {
        /// The session's token hash (never the token).
        token_hash: String,
    },
}

/// Second argument of `newTweet` (the first is the literal `true`, as in the tutorial).
#[derive(Debug, Serialize)]
pub struct NewTweetNotice<'a> {
    /// The tweet's id.
    pub id: i64,
    /// Who wrote it: `{id, username}` only, as the tutorial's clients expect (the page
    /// fetches the tweet, display name included, when it shows it).
    #[serde(serialize_with = "id_and_username")]
    pub author: &'a Author,
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
pub struct TweetDeletedNotice {
    /// The deleted tweet's id.
    pub id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_tweet_names_the_author_by_id_and_username_only() {
        let author = Author {
            id: 3,
            username: "ada".into(),
            display_name: "Ada L.".into(),
        };
        let json = serde_json::to_value(NewTweetNotice {
            id: 9,
            author: &author,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": 9, "author": {"id": 3, "username": "ada"}})
        );
    }
}
