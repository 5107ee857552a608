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

fn serialize_time<S: Serializer>(micros: &i64, s: S) -> Result<S::Ok, S::Error> {
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

/// A tweet about to be stored: who wrote it and what it says.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The signed-in author.
    pub author: User,
    /// The validated text.
    pub text: super::TweetText,
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
