//! Safety records: blocks and mutes (`Hide`), reports and the moderation log, with
//! the validation of what people type into them (`ReportReason`, `ModerationNote`).

use serde::{Deserialize, Serialize};

use super::records::serialize_time;
use super::text::{Breaks, refuse_control_characters};
use super::{Invalid, Tweet, UserRef};

/// Longest report reason, suspension reason or resolve note, in Unicode scalar values.
pub const MAX_REASON_CHARS: usize = 1000;
/// Most tweets one report may name.
pub const MAX_REPORTED_TWEETS: usize = 20;

/// Why a viewer does not see an author: the two things a person can do to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hide {
    /// Neither sees the other, neither can follow, like or answer the other.
    Block,
    /// The muter does not see the muted; the muted notices nothing.
    Mute,
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportCategory {
    /// Unwanted repetitive or commercial content.
    Spam,
    /// Harassment, hate, threats.
    Abuse,
    /// Content against the law.
    Illegal,
    /// Anything else (the reason says what).
    Other,
}

impl ReportCategory {
    /// The name stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::Abuse => "abuse",
            Self::Illegal => "illegal",
            Self::Other => "other",
        }
    }

    /// A category by name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "spam" => Self::Spam,
            "abuse" => Self::Abuse,
            "illegal" => Self::Illegal,
            "other" => Self::Other,
            _ => return None,
        })
    }
}

/// Free text a person writes to moderators or a moderator writes to the log: trimmed, at
/// most 1000 characters, line breaks allowed, no other control character; `required` says
/// whether it may be empty.
fn reason_text(raw: &str, field: &'static str, required: bool) -> Result<String, Invalid> {
    let text = raw.trim();
    refuse_control_characters(text, field, field, Breaks::NewlinesAndTabs)?;
    let len = text.chars().count();
    if required && len == 0 {
        return Err(Invalid::new(
            field,
            format!("The {field} must not be empty."),
        ));
    }
    if len > MAX_REASON_CHARS {
        return Err(Invalid::new(
            field,
            format!("The {field} is at most {MAX_REASON_CHARS} characters; this one has {len}."),
        ));
    }
    Ok(text.to_owned())
}

/// Why someone reports or suspends: 1–1000 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportReason(String);

impl ReportReason {
    /// Accept 1–1000 characters after trimming; `field` names the input in errors.
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, Invalid> {
        reason_text(raw, field, true).map(Self)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A moderator's note on resolving a report: 0–1000 characters, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModerationNote(String);

impl ModerationNote {
    /// Accept 0–1000 characters after trimming.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        reason_text(raw, "note", false).map(Self)
    }

    /// The text (`None` when empty).
    pub fn text(&self) -> Option<&str> {
        (!self.0.is_empty()).then_some(self.0.as_str())
    }
}

/// A report to be stored: who reports whom, about which of their tweets, why.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// Who reports.
    pub reporter: i64,
    /// Whom.
    pub target: i64,
    /// Some of the target's tweets (0–20, distinct, checked to be theirs by the store).
    pub tweet_ids: Vec<i64>,
    /// What it is about.
    pub category: ReportCategory,
    /// In the reporter's words.
    pub reason: ReportReason,
}

/// A report as moderators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// Ids grow with time.
    pub id: i64,
    /// Who reported.
    pub reporter: UserRef,
    /// The reported account.
    pub target: UserRef,
    /// The reported tweets that still exist.
    pub tweets: Vec<Tweet>,
    /// What it is about.
    pub category: ReportCategory,
    /// In the reporter's words.
    pub reason: String,
    /// `open` until a moderator resolves it.
    pub status: ReportStatus,
    /// When it was filed.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    /// The moderator who resolved it.
    pub resolved_by: Option<UserRef>,
    /// The moderator's note on resolving.
    pub note: Option<String>,
}

/// Whether a report still waits for a moderator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Waiting.
    Open,
    /// Handled.
    Resolved,
}

/// What a moderation log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LogAction {
    /// An account was suspended (`note`: the reason).
    Suspend,
    /// A suspension was lifted.
    Unsuspend,
    /// A moderator deleted someone else's tweet (`target`: its author).
    DeleteTweet,
    /// A report was resolved (`target`: the reported account; `note`: the moderator's note).
    ResolveReport,
    /// A role was set (`note`: the new role).
    SetRole,
}

impl LogAction {
    /// The name stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suspend => "suspend",
            Self::Unsuspend => "unsuspend",
            Self::DeleteTweet => "delete_tweet",
            Self::ResolveReport => "resolve_report",
            Self::SetRole => "set_role",
        }
    }

    /// An action by name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "suspend" => Self::Suspend,
            "unsuspend" => Self::Unsuspend,
            "delete_tweet" => Self::DeleteTweet,
            "resolve_report" => Self::ResolveReport,
            "set_role" => Self::SetRole,
            _ => return None,
        })
    }
}

/// One moderation act, as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LogEntry {
    /// Ids grow with time.
    pub id: i64,
    /// The moderator; `null` for a role set from the shell.
    pub actor: Option<UserRef>,
    /// What was done.
    pub action: LogAction,
    /// The account acted on.
    pub target: UserRef,
    /// The reason, the resolve note or the new role.
    pub note: Option<String>,
    /// When.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_trimmed_bounded_and_required() {
        assert_eq!(
            ReportReason::parse("  spam  ", "reason").unwrap().as_str(),
            "spam"
        );
        assert_eq!(
            ReportReason::parse("   ", "reason").unwrap_err().field,
            "reason"
        );
        assert!(ReportReason::parse(&"x".repeat(1000), "reason").is_ok());
        assert!(ReportReason::parse(&"x".repeat(1001), "reason").is_err());
        assert_eq!(ModerationNote::parse("").unwrap().text(), None);
        assert!(ModerationNote::parse(&"é".repeat(1001)).is_err());
        assert!(ReportReason::parse("a\u{7}b", "reason").is_err());
    }

    #[test]
    fn names_round_trip() {
        for c in ["spam", "abuse", "illegal", "other"] {
            assert_eq!(ReportCategory::parse(c).unwrap().as_str(), c);
        }
        for a in [
            "suspend",
            "unsuspend",
            "delete_tweet",
            "resolve_report",
            "set_role",
        ] {
            assert_eq!(LogAction::parse(a).unwrap().as_str(), a);
        }
    }
}
