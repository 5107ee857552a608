//! The records Chirp stores and serves: users and tweets, in the JSON shape of the API.
//! Times are kept as UTC microseconds since the Unix epoch and rendered as RFC 3339.

use serde::{Deserialize, Serialize, Serializer};

/// Current time in UTC microseconds since the epoch.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Render UTC microseconds as RFC 3339 with millisecond precision (`2026-11-25T21:36:03.123Z`).
pub fn format_time(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(super) fn serialize_time<S: Serializer>(micros: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_time(*micros))
}

/// A user account as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Stable numeric id.
    pub id: i64,
    /// The spelling the user chose.
    pub username: String,
    /// When the account was made.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    /// What the account may do: `user`, `moderator` or `admin`.
    pub role: super::role::Role,
}

/// The author of a tweet, as embedded in tweets and socket announcements (which carry only
/// `id` and `username`: see `realtime::events`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Author {
    /// The author's user id.
    pub id: i64,
    /// The author's username.
    pub username: String,
    /// The author's display name (`""` when not set). Defaults when absent, so an
    /// announcement from a node that does not send it still decodes.
    #[serde(default)]
    pub display_name: String,
}

/// A user named inside another record (a reply's parent author, a mention, a
/// notification's actor): `{id, username}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserRef {
    /// The user's id.
    pub id: i64,
    /// The user's username.
    pub username: String,
}

/// The tweet a reply answers. Kept when that tweet is deleted: it still names its id and
/// author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReplyTo {
    /// The parent tweet's id.
    pub id: i64,
    /// The parent tweet's author.
    pub author: UserRef,
}

/// A tweet about to be stored: who wrote it, what it says, what it answers, whom it
/// mentions, its tags and its search words (all read once, here, from the text).
#[derive(Debug, Clone)]
pub struct Draft {
    /// The signed-in author.
    pub author: User,
    /// The validated text.
    pub text: super::TweetText,
    /// The tweet this one answers, if it is a reply.
    pub reply_to: Option<i64>,
    /// The names `@`-mentioned in the text (whether they are users is storage's to say).
    pub mentions: Vec<super::Username>,
    /// Its hashtags' names, once each, in order of first appearance.
    pub tags: Vec<super::Hashtag>,
    /// Its words as the search index keeps them (`indexed_words`).
    pub words: String,
    /// The author's uploads it carries, in order (storage checks they are theirs and free).
    pub media: super::MediaIds,
}

impl Draft {
    /// A draft of `text` by `author`, answering `reply_to` when given; mentions, tags and
    /// search words are read from the text.
    pub fn new(author: User, text: super::TweetText, reply_to: Option<i64>) -> Self {
        let mentions = super::parse_mentions(text.as_str());
        let tags = super::parse_hashtags(text.as_str());
        let words = super::indexed_words(text.as_str());
        Self {
            author,
            text,
            reply_to,
            mentions,
            tags,
            words,
            media: super::MediaIds::none(),
        }
    }

    /// The tags' names, as a tweet serves them.
    pub fn tag_names(&self) -> Vec<String> {
        self.tags.iter().map(|t| t.as_str().to_owned()).collect()
    }

    /// The same draft carrying `media`.
    pub fn with_media(self, media: super::MediaIds) -> Self {
        Self { media, ..self }
    }
}

/// A tweet as the API shows it to one viewer (`liked_by_me` depends on who asks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Tweet {
    /// Ids grow with time: a larger id is a newer tweet.
    pub id: i64,
    /// Who wrote it.
    pub author: Author,
    /// The trimmed text.
    pub text: String,
    /// When it was stored.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    /// How many users like it.
    pub like_count: i64,
    /// Whether the viewer likes it (false for anonymous viewers).
    pub liked_by_me: bool,
    /// The tweet this one answers; `null` for a top-level tweet.
    pub reply_to: Option<ReplyTo>,
    /// How many direct replies it has (still present).
    pub reply_count: i64,
    /// The existing users its text `@`-mentions, once each, in order of first appearance.
    pub mentions: Vec<UserRef>,
    /// Its hashtags' names (NFKC, lowercased, without `#`), once each, in order of first
    /// appearance.
    pub tags: Vec<String>,
    /// Its images, in order (`[]` when none).
    pub media: Vec<super::Attachment>,
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The actor followed the recipient.
    Follow,
    /// The actor liked the recipient's tweet.
    Like,
    /// The actor replied to the recipient's tweet.
    Reply,
    /// The actor mentioned the recipient in a tweet.
    Mention,
    /// The actor (a reporter) filed a report; only moderators get these.
    Report,
}

impl NotificationKind {
    /// The name stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Follow => "follow",
            Self::Like => "like",
            Self::Reply => "reply",
            Self::Mention => "mention",
            Self::Report => "report",
        }
    }

    /// Read a stored name back.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "follow" => Self::Follow,
            "like" => Self::Like,
            "reply" => Self::Reply,
            "mention" => Self::Mention,
            "report" => Self::Report,
            _ => return None,
        })
    }
}

/// A notification to be made: at most one per (recipient, kind, actor, tweet) is ever
/// stored, so making one twice is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewNotification {
    /// Who is told.
    pub recipient: i64,
    /// What happened.
    pub kind: NotificationKind,
    /// Who did it (never the recipient).
    pub actor: i64,
    /// The liked tweet, the reply or the mentioning tweet; `None` for a follow or a report.
    pub tweet: Option<i64>,
    /// The report, for a `report` notification.
    pub report: Option<i64>,
}

/// A notification as its recipient sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Notification {
    /// Ids grow with time.
    pub id: i64,
    /// Who is told (not served: it is always the viewer).
    #[serde(skip)]
    pub recipient: i64,
    /// What happened.
    pub kind: NotificationKind,
    /// Who did it.
    pub actor: UserRef,
    /// The liked tweet, the reply or the mentioning tweet, as the recipient sees it; `null`
    /// for a follow and once the tweet is deleted.
    pub tweet: Option<Tweet>,
    /// When it happened.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    /// Whether the recipient has marked it read.
    pub read: bool,
    /// The report, for a `report` notification (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_render_as_rfc3339_utc() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_time(1_764_106_563_123_456),
            "2025-11-25T21:36:03.123Z"
        );
    }
}
