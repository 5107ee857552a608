//! Domain types: validated input (`Username`, `Password`, `TweetText`, `Page`,
//! `DisplayName`, `Bio`, `FollowCursor`, `Description`, `MediaIds`) and the records the rest
//! of Chirp passes around (`User`, `Tweet`, `Profile`, `Notification`), the mention and
//! hashtag rules (`parse_mentions`, `parse_hashtags`), search words and queries
//! (`search_words`, `SearchQuery`) and
//! the visibility rule (`visibility`: which list shows which tweet).
//!
//! Invariant: a value of a `parse`d newtype is always valid, so nothing past the HTTP edge
//! re-checks it. This module knows nothing about HTTP, sockets or databases.

mod display_name;
mod follow_cursor;
mod hashtag;
mod media;
mod mentions;
mod moderation;
mod page;
mod password;
mod profile;
mod records;
mod role;
mod search_query;
mod search_words;
mod text;
mod tweet_text;
mod username;
pub mod visibility;

pub use display_name::{Bio, DisplayName, ProfileUpdate};
pub use follow_cursor::{CursorKey, FollowCursor, FollowList, parse_limit};
pub use hashtag::{Hashtag, MAX_TAG_CHARS, MAX_TAGS, parse_hashtags};
pub use media::{
    Attachment, Description, MAX_DESCRIPTION_CHARS, MAX_MEDIA_PER_TWEET, MediaIds, NewMedia,
    StoredMedia, media_url,
};
pub use mentions::{MAX_MENTIONS, parse_mentions};
pub use moderation::{
    Hide, LogAction, LogEntry, MAX_REASON_CHARS, MAX_REPORTED_TWEETS, ModerationNote, NewReport,
    Report, ReportCategory, ReportReason, ReportStatus,
};
pub use page::{Page, PageCursor};
pub use password::Password;
pub use profile::{Profile, ProfilePage};
pub use records::{
    Author, Draft, NewNotification, Notification, NotificationKind, ReplyTo, Tweet, User, UserRef,
    format_time, now_micros,
};
pub use role::Role;
pub use search_query::{MAX_QUERY_CHARS, SearchQuery};
pub use search_words::{indexed_words, search_words};
pub use tweet_text::TweetText;
pub use username::Username;

/// Why an input was refused: which field, and a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The input field at fault (`username`, `password`, `text`, `limit`…).
    pub field: &'static str,
    /// A human sentence saying what is wrong.
    pub message: String,
}

impl Invalid {
    pub(crate) fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
