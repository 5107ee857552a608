//! The rows reports and moderation-log entries are read as (`moderation.rs` has their SQL),
//! and how each becomes the record the API serves.

use std::collections::HashMap;

use crate::domain::{LogAction, LogEntry, Report, ReportCategory, ReportStatus, Tweet, UserRef};
use crate::storage::StoreError;

/// A report row as `report_select!` produces it.
#[derive(sqlx::FromRow)]
pub(super) struct ReportRow {
    pub id: i64,
    pub reporter_id: i64,
    pub reporter_username: String,
    pub target_id: i64,
    pub target_username: String,
    pub tweet_ids_json: String,
    pub category: String,
    pub reason: String,
    pub created_at: i64,
    pub resolved_by: Option<i64>,
    pub resolved_by_username: Option<String>,
    pub note: Option<String>,
    pub resolved_at: Option<i64>,
}

impl ReportRow {
    /// The reported tweets' ids, in the order given.
    pub fn tweet_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.tweet_ids_json).unwrap_or_default()
    }

    /// The report, with its tweets looked up in `tweets` (absent: deleted since).
    pub fn into_report(self, tweets: &HashMap<i64, Tweet>) -> Result<Report, StoreError> {
        let category = ReportCategory::parse(&self.category).ok_or_else(|| {
            anyhow::anyhow!(
                "report {} has an unknown category {:?}",
                self.id,
                self.category
            )
        })?;
        let tweets = self
            .tweet_ids()
            .iter()
            .filter_map(|id| tweets.get(id).cloned())
            .collect();
        Ok(Report {
            id: self.id,
            reporter: UserRef {
                id: self.reporter_id,
                username: self.reporter_username,
            },
            target: UserRef {
                id: self.target_id,
                username: self.target_username,
            },
            tweets,
            category,
            reason: self.reason,
            status: if self.resolved_at.is_some() {
                ReportStatus::Resolved
            } else {
                ReportStatus::Open
            },
            created_at: self.created_at,
            resolved_by: self
                .resolved_by
                .zip(self.resolved_by_username)
                .map(|(id, username)| UserRef { id, username }),
            note: self.note,
        })
    }
}

/// A log row as `LOG_BEFORE` produces it.
#[derive(sqlx::FromRow)]
pub(super) struct LogRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_username: Option<String>,
    pub action: String,
    pub target_id: i64,
    pub target_username: String,
    pub note: Option<String>,
    pub created_at: i64,
}

impl TryFrom<LogRow> for LogEntry {
    type Error = StoreError;

    fn try_from(row: LogRow) -> Result<Self, StoreError> {
        let action = LogAction::parse(&row.action).ok_or_else(|| {
            anyhow::anyhow!(
                "log entry {} has an unknown action {:?}",
                row.id,
                row.action
            )
        })?;
        Ok(LogEntry {
            id: row.id,
            actor: row
                .actor_id
                .zip(row.actor_username)
                .map(|(id, username)| UserRef { id, username }),
            action,
            target: UserRef {
                id: row.target_id,
                username: row.target_username,
            },
            note: row.note,
            created_at: row.created_at,
        })
    }
}
