//! Safety: the SQL of `hides` (blocks and mutes), roles and suspensions on `users`,
//! `reports` and the append-only `moderation_log`, and the macro that implements
//! `Moderation` with it on both databases.
//!
//! A block of B by A is stored as two `hides` rows, (A, B, `block`) and (B, A, `blocked_by`),
//! and a mute as (muter, muted, `mute`), so that every list asks one question per tweet —
//! "does this viewer hide this author?" — with one probe of the unique index on
//! (`viewer_id`, `author_id`, …) (`timelines::shown!`). The log has an INSERT and a SELECT
//! here and nothing else: it is only ever appended to.

use crate::domain::Hide;
use crate::storage::StoreError;

/// The `reason` of a `hides` row.
pub(super) const BLOCK: &str = "block";
pub(super) const BLOCKED_BY: &str = "blocked_by";
pub(super) const MUTE: &str = "mute";

/// The stored reason of the hides a list shows.
pub(super) fn reason(hide: Hide) -> &'static str {
    match hide {
        Hide::Block => BLOCK,
        Hide::Mute => MUTE,
    }
}

/// `$1` viewer, `$2` author, `$3` reason, `$4` notifications hidden too, `$5` now. Answers a
/// row when it was made, or (for a mute) when its `notifications` changed.
pub(super) const INSERT_HIDE: &str = "INSERT INTO hides (viewer_id, author_id, reason, notifications, created_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (viewer_id, author_id, reason) \
     DO UPDATE SET notifications = excluded.notifications \
     WHERE hides.notifications <> excluded.notifications RETURNING id";
/// `$1` viewer, `$2` author, `$3` reason.
pub(super) const DELETE_HIDE: &str =
    "DELETE FROM hides WHERE viewer_id = $1 AND author_id = $2 AND reason = $3";
/// Whether `$1` still hides `$2` for any reason.
pub(super) const HIDES: &str = "SELECT COUNT(*) FROM hides WHERE viewer_id = $1 AND author_id = $2";
/// The notifications `$2` made `$1`.
pub(super) const DELETE_NOTIFICATIONS_FROM: &str =
    "DELETE FROM notifications WHERE recipient_id = $1 AND actor_id = $2";
/// Whether a block stands between `$1` and `$2`, either way.
pub(super) const BLOCKED_BETWEEN: &str = "SELECT COUNT(*) FROM hides WHERE viewer_id = $1 AND author_id = $2 \
     AND reason IN ('block', 'blocked_by')";
/// The authors viewer `$1` hides, and every suspended account.
pub(super) const HIDDEN_AUTHORS: &str = "SELECT author_id FROM hides WHERE viewer_id = $1 \
     UNION SELECT id FROM users WHERE suspended_at IS NOT NULL";
/// The authors viewer `$1` hides, by their own acts and others' blocks.
pub(super) const HIDES_OF: &str = "SELECT DISTINCT author_id FROM hides WHERE viewer_id = $1";
/// Whom `$2` blocks or mutes (reason `$5`), most recent first, below id `$3`; `$4` = limit.
pub(super) const HIDES_LIST: &str = concat!(
    crate::storage::accounts::profile_select!(),
    ", hl.id AS follow_id FROM hides hl JOIN users u ON u.id = hl.author_id \
     WHERE hl.viewer_id = $2 AND hl.reason = $5 AND hl.id < $3 ORDER BY hl.id DESC LIMIT $4"
);
/// `$1` user: role and whether suspended.
pub(super) const STANDING: &str = "SELECT role, CAST(CASE WHEN suspended_at IS NULL THEN 0 ELSE 1 END AS BIGINT) \
     FROM users WHERE id = $1";
pub(super) const SET_ROLE: &str = "UPDATE users SET role = $2 WHERE id = $1";
/// Suspend `$1` at `$2` unless suspended already.
pub(super) const SUSPEND: &str =
    "UPDATE users SET suspended_at = $2 WHERE id = $1 AND suspended_at IS NULL";
pub(super) const UNSUSPEND: &str =
    "UPDATE users SET suspended_at = NULL WHERE id = $1 AND suspended_at IS NOT NULL";
/// End every session of `$1`, answering their token hashes.
pub(super) const END_SESSIONS: &str =
    "DELETE FROM sessions WHERE user_id = $1 RETURNING token_hash";
/// Moderators and admins.
pub(super) const MODERATORS: &str =
    "SELECT id FROM users WHERE role <> 'user' AND suspended_at IS NULL ORDER BY id";
pub(super) const INSERT_REPORT: &str = "INSERT INTO reports \
     (reporter_id, target_id, tweet_ids_json, category, reason, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
macro_rules! report_select {
    () => {
        "SELECT r.id, r.reporter_id, ru.username AS reporter_username, r.target_id, \
           tu.username AS target_username, r.tweet_ids_json, r.category, r.reason, \
           r.created_at, r.resolved_by, mu.username AS resolved_by_username, r.note, \
           r.resolved_at \
         FROM reports r JOIN users ru ON ru.id = r.reporter_id \
         JOIN users tu ON tu.id = r.target_id LEFT JOIN users mu ON mu.id = r.resolved_by "
    };
}
/// Open (`$1` true) or resolved reports below id `$2`, newest first; `$3` = limit.
pub(super) const REPORTS: &str = concat!(
    report_select!(),
    "WHERE (r.resolved_at IS NULL) = $1 AND r.id < $2 ORDER BY r.id DESC LIMIT $3"
);
pub(super) const REPORT_BY_ID: &str = concat!(report_select!(), "WHERE r.id = $1");
/// Resolve open report `$1` by `$2` at `$3` with note `$4`; answers its target.
pub(super) const RESOLVE_REPORT: &str = "UPDATE reports SET resolved_by = $2, resolved_at = $3, note = $4 \
     WHERE id = $1 AND resolved_at IS NULL RETURNING target_id";
pub(super) const APPEND_LOG: &str = "INSERT INTO moderation_log (actor_id, action, target_id, note, created_at) \
     VALUES ($1, $2, $3, $4, $5)";
/// Log entries below id `$1`, newest first; `$2` = limit.
pub(super) const LOG_BEFORE: &str = "SELECT l.id, l.actor_id, au.username AS actor_username, l.action, \
       l.target_id, tu.username AS target_username, l.note, l.created_at \
     FROM moderation_log l LEFT JOIN users au ON au.id = l.actor_id \
     JOIN users tu ON tu.id = l.target_id \
     WHERE l.id < $1 ORDER BY l.id DESC LIMIT $2";

pub(super) use super::moderation_rows::{LogRow, ReportRow};

/// Within transaction `$tx`: add (`$on`) or remove the `hides` row ($viewer, $author,
/// $reason); whether anything changed. `NotFound` when a user does not exist.
macro_rules! set_hide_row {
    ($tx:ident, $viewer:expr, $author:expr, $reason:expr, $on:expr, $notifications:expr, $now:expr) => {
        if $on {
            let made: Option<(i64,)> = sqlx::query_as($crate::storage::moderation::INSERT_HIDE)
                .bind($viewer)
                .bind($author)
                .bind($reason)
                .bind(i64::from($notifications))
                .bind($now)
                .fetch_optional(&mut *$tx)
                .await
                .map_err($crate::storage::moderation::missing_user)?;
            made.is_some()
        } else {
            sqlx::query($crate::storage::moderation::DELETE_HIDE)
                .bind($viewer)
                .bind($author)
                .bind($reason)
                .execute(&mut *$tx)
                .await?
                .rows_affected()
                > 0
        }
    };
}
pub(super) use set_hide_row;

/// Within transaction `$tx`: whether $viewer still hides $author, for any reason.
macro_rules! still_hides {
    ($tx:ident, $viewer:expr, $author:expr) => {{
        let (n,): (i64,) = sqlx::query_as($crate::storage::moderation::HIDES)
            .bind($viewer)
            .bind($author)
            .fetch_one(&mut *$tx)
            .await?;
        n > 0
    }};
}
pub(super) use still_hides;

/// Implements `Moderation` for a struct with a `pool` field and `begin_write()` that
/// implements `Tweets`.
macro_rules! impl_moderation {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Moderation for $store {
            async fn set_block(
                &self,
                blocker: i64,
                blocked: i64,
                on: bool,
            ) -> Result<$crate::storage::HideChange, $crate::storage::StoreError> {
                use $crate::storage::follows as follow_sql;
                use $crate::storage::moderation as sql;
                let now = $crate::domain::now_micros();
                let mut tx = self.begin_write().await?;
                let mut change = $crate::storage::HideChange::default();
                let pairs = [
                    (blocker, blocked, sql::BLOCK),
                    (blocked, blocker, sql::BLOCKED_BY),
                ];
                for (viewer, author, reason) in pairs {
                    change.changed |= $crate::storage::moderation::set_hide_row!(
                        tx, viewer, author, reason, on, true, now
                    );
                }
                if !change.changed {
                    return Ok(change);
                }
                if on {
                    let mut counts = follow_sql::Counts::default();
                    for (follower, followee) in [(blocker, blocked), (blocked, blocker)] {
                        let removed = sqlx::query(follow_sql::DELETE_FOLLOW)
                            .bind(follower)
                            .bind(followee)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected()
                            > 0;
                        if !removed {
                            continue;
                        }
                        counts.add(&$crate::storage::FollowChange {
                            follower,
                            followee,
                            on: false,
                        });
                        change.unfollowed.push((follower, followee));
                    }
                    $crate::storage::follows::bump_counts!(tx, counts);
                    for (recipient, actor) in [(blocker, blocked), (blocked, blocker)] {
                        sqlx::query(sql::DELETE_NOTIFICATIONS_FROM)
                            .bind(recipient)
                            .bind(actor)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                for (viewer, author) in [(blocker, blocked), (blocked, blocker)] {
                    let hidden = $crate::storage::moderation::still_hides!(tx, viewer, author);
                    change.hidden.push((viewer, author, hidden));
                }
                tx.commit().await?;
                Ok(change)
            }

            async fn set_mute(
                &self,
                muter: i64,
                muted: i64,
                on: bool,
                notifications: bool,
            ) -> Result<$crate::storage::HideChange, $crate::storage::StoreError> {
                use $crate::storage::moderation as sql;
                let mut tx = self.begin_write().await?;
                let mut change = $crate::storage::HideChange::default();
                let now = $crate::domain::now_micros();
                change.changed = $crate::storage::moderation::set_hide_row!(
                    tx,
                    muter,
                    muted,
                    sql::MUTE,
                    on,
                    notifications,
                    now
                );
                if !change.changed {
                    return Ok(change);
                }
                if on && notifications {
                    sqlx::query(sql::DELETE_NOTIFICATIONS_FROM)
                        .bind(muter)
                        .bind(muted)
                        .execute(&mut *tx)
                        .await?;
                }
                let hidden = $crate::storage::moderation::still_hides!(tx, muter, muted);
                change.hidden.push((muter, muted, hidden));
                tx.commit().await?;
                Ok(change)
            }

            async fn hides_list(
                &self,
                user: i64,
                hide: $crate::domain::Hide,
                cursor: $crate::domain::FollowCursor,
            ) -> Result<$crate::domain::ProfilePage, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::accounts::ListedProfileRow> =
                    sqlx::query_as($crate::storage::moderation::HIDES_LIST)
                        .bind(user)
                        .bind(user)
                        .bind(cursor.before)
                        .bind(cursor.limit + 1)
                        .bind($crate::storage::moderation::reason(hide))
                        .fetch_all(&self.pool)
                        .await?;
                Ok($crate::storage::accounts::profile_page(rows, cursor.limit))
            }

            async fn hidden_authors(
                &self,
                viewer: Option<i64>,
            ) -> Result<Vec<i64>, $crate::storage::StoreError> {
                let rows: Vec<(i64,)> = sqlx::query_as($crate::storage::moderation::HIDDEN_AUTHORS)
                    .bind(viewer)
                    .fetch_all(&self.pool)
                    .await?;
                let mut ids: Vec<i64> = rows.into_iter().map(|(id,)| id).collect();
                ids.sort_unstable();
                ids.dedup();
                Ok(ids)
            }

            async fn hides_of(&self, viewer: i64) -> Result<Vec<i64>, $crate::storage::StoreError> {
                let rows: Vec<(i64,)> = sqlx::query_as($crate::storage::moderation::HIDES_OF)
                    .bind(viewer)
                    .fetch_all(&self.pool)
                    .await?;
                let mut ids: Vec<i64> = rows.into_iter().map(|(id,)| id).collect();
                ids.sort_unstable();
                Ok(ids)
            }

            async fn blocked_between(
                &self,
                a: i64,
                b: i64,
            ) -> Result<bool, $crate::storage::StoreError> {
                let (n,): (i64,) = sqlx::query_as($crate::storage::moderation::BLOCKED_BETWEEN)
                    .bind(a)
                    .bind(b)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n > 0)
            }

            async fn standing(
                &self,
                user: i64,
            ) -> Result<Option<$crate::storage::Standing>, $crate::storage::StoreError> {
                let row: Option<(String, i64)> =
                    sqlx::query_as($crate::storage::moderation::STANDING)
                        .bind(user)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|(role, suspended)| $crate::storage::Standing {
                    role: $crate::storage::accounts::stored_role(&role),
                    suspended: suspended != 0,
                }))
            }

            async fn set_role(
                &self,
                user: i64,
                role: $crate::domain::Role,
                actor: Option<i64>,
            ) -> Result<(), $crate::storage::StoreError> {
                use $crate::storage::moderation as sql;
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(sql::SET_ROLE)
                    .bind(user)
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed == 0 {
                    return Err($crate::storage::StoreError::NotFound);
                }
                sqlx::query(sql::APPEND_LOG)
                    .bind(actor)
                    .bind($crate::domain::LogAction::SetRole.as_str())
                    .bind(user)
                    .bind(role.as_str())
                    .bind($crate::domain::now_micros())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_suspended(
                &self,
                user: i64,
                actor: i64,
                reason: Option<&str>,
            ) -> Result<Option<Vec<String>>, $crate::storage::StoreError> {
                use $crate::domain::LogAction;
                use $crate::storage::moderation as sql;
                let now = $crate::domain::now_micros();
                let mut tx = self.begin_write().await?;
                let (changed, action) = match reason {
                    Some(_) => (
                        sqlx::query(sql::SUSPEND)
                            .bind(user)
                            .bind(now)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected(),
                        LogAction::Suspend,
                    ),
                    None => (
                        sqlx::query(sql::UNSUSPEND)
                            .bind(user)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected(),
                        LogAction::Unsuspend,
                    ),
                };
                if changed == 0 {
                    return Ok(None);
                }
                let ended: Vec<(String,)> = if reason.is_some() {
                    sqlx::query_as(sql::END_SESSIONS)
                        .bind(user)
                        .fetch_all(&mut *tx)
                        .await?
                } else {
                    Vec::new()
                };
                sqlx::query(sql::APPEND_LOG)
                    .bind(Some(actor))
                    .bind(action.as_str())
                    .bind(user)
                    .bind(reason)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(ended.into_iter().map(|(hash,)| hash).collect()))
            }

            async fn create_report(
                &self,
                report: &$crate::domain::NewReport,
            ) -> Result<i64, $crate::storage::StoreError> {
                let ids = serde_json::to_string(&report.tweet_ids)
                    .map_err(|e| anyhow::anyhow!("report tweet ids: {e}"))?;
                let (id,): (i64,) = sqlx::query_as($crate::storage::moderation::INSERT_REPORT)
                    .bind(report.reporter)
                    .bind(report.target)
                    .bind(ids)
                    .bind(report.category.as_str())
                    .bind(report.reason.as_str())
                    .bind($crate::domain::now_micros())
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::storage::moderation::missing_user)?;
                Ok(id)
            }

            async fn reports(
                &self,
                open: bool,
                before: i64,
                limit: i64,
            ) -> Result<Vec<$crate::domain::Report>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::moderation::ReportRow> =
                    sqlx::query_as($crate::storage::moderation::REPORTS)
                        .bind(open)
                        .bind(before)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                self.with_report_tweets(rows).await
            }

            async fn report(
                &self,
                id: i64,
            ) -> Result<Option<$crate::domain::Report>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::moderation::ReportRow> =
                    sqlx::query_as($crate::storage::moderation::REPORT_BY_ID)
                        .bind(id)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(self.with_report_tweets(rows).await?.pop())
            }

            async fn resolve_report(
                &self,
                id: i64,
                actor: i64,
                note: Option<&str>,
            ) -> Result<Option<$crate::domain::Report>, $crate::storage::StoreError> {
                use $crate::storage::moderation as sql;
                let now = $crate::domain::now_micros();
                let mut tx = self.begin_write().await?;
                let resolved: Option<(i64,)> = sqlx::query_as(sql::RESOLVE_REPORT)
                    .bind(id)
                    .bind(actor)
                    .bind(now)
                    .bind(note)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some((target,)) = resolved {
                    sqlx::query(sql::APPEND_LOG)
                        .bind(Some(actor))
                        .bind($crate::domain::LogAction::ResolveReport.as_str())
                        .bind(target)
                        .bind(note)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                $crate::storage::Moderation::report(self, id).await
            }

            async fn log_moderation(
                &self,
                actor: Option<i64>,
                action: $crate::domain::LogAction,
                target: i64,
                note: Option<&str>,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::moderation::APPEND_LOG)
                    .bind(actor)
                    .bind(action.as_str())
                    .bind(target)
                    .bind(note)
                    .bind($crate::domain::now_micros())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn moderation_log(
                &self,
                before: i64,
                limit: i64,
            ) -> Result<Vec<$crate::domain::LogEntry>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::moderation::LogRow> =
                    sqlx::query_as($crate::storage::moderation::LOG_BEFORE)
                        .bind(before)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn moderators(&self) -> Result<Vec<i64>, $crate::storage::StoreError> {
                let rows: Vec<(i64,)> = sqlx::query_as($crate::storage::moderation::MODERATORS)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }
        }

        impl $store {
            /// The reports, with their tweets (as nobody in particular sees them).
            async fn with_report_tweets(
                &self,
                rows: Vec<$crate::storage::moderation::ReportRow>,
            ) -> Result<Vec<$crate::domain::Report>, $crate::storage::StoreError> {
                let ids: Vec<i64> = rows.iter().flat_map(|r| r.tweet_ids()).collect();
                let tweets = $crate::storage::Tweets::tweets_by_ids(self, &ids, 0).await?;
                rows.into_iter().map(|r| r.into_report(&tweets)).collect()
            }
        }
    };
}
pub(super) use impl_moderation;

/// A foreign key failing on insert: one of the users does not exist (`NotFound`).
pub(super) fn missing_user(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(ref db) if db.is_foreign_key_violation() => StoreError::NotFound,
        other => other.into(),
    }
}
