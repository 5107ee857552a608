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
}

impl Announcement {
    /// The tweet id that puts this announcement in order (`order`), for new tweets; others
    /// are delivered in arrival order.
    pub fn tweet_id(&self) -> Option<i64> {
        match self {
            Self::Tweet { id, .. } => Some(*id),
            Self::Deleted { .. } => None,
        }
    }
}

/// Second argument of `newTweet` (the first is the literal `true`, as in the tutorial).
#[derive(Debug, Serialize)]
pub struct NewTweetNotice<'a> {
    /// The tweet's id.
    pub id: i64,
    /// Who wrote it.
    pub author: &'a Author,
}

/// Argument of `tweetDeleted`.
#[derive(Debug, Serialize)]
pub struct TweetDeletedNotice {
    /// The deleted tweet's id.
    pub id: i64,
}
