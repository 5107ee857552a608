//! Notifications: the SQL of the `notifications` table and the macro that implements
//! `Notifications` with it on both databases.
//!
//! `notify` costs a fixed few statements however many it makes (a tweet naming fifty people
//! used to cost four round trips each): one multi-row `INSERT … ON CONFLICT DO NOTHING
//! RETURNING id` (the unique constraint keeps "once ever per (recipient, kind, actor,
//! tweet)" under concurrency), then one read-back of what was made, one of its tweets, one of
//! which recipients like them, and one of every recipient's unread count.

use std::collections::{HashMap, HashSet};

use crate::domain::{NewNotification, Notification, NotificationKind, Tweet, UserRef};
use crate::storage::StoreError;

macro_rules! notification_select {
    () => {
        "SELECT n.id, n.recipient_id, n.kind, n.actor_id, a.username AS actor_username, \
           n.tweet_id, n.created_at, n.is_read, n.report_id \
         FROM notifications n JOIN users a ON a.id = n.actor_id "
    };
}
/// The start of "these notifications": the caller appends the ids' placeholders and `)`.
pub(super) const NOTIFICATIONS_BY_IDS: &str = concat!(notification_select!(), "WHERE n.id IN (");
/// `$1` = recipient, below id `$2`, newest first; `$3` = limit. Dismissed ones (through the
/// Mastodon API, which also marks them read) are gone from every list.
pub(super) const NOTIFICATIONS_BEFORE: &str = concat!(
    notification_select!(),
    "WHERE n.recipient_id = $1 AND n.id < $2 AND n.dismissed = 0 ORDER BY n.id DESC LIMIT $3"
);
/// `$1` = recipient.
pub(super) const UNREAD_COUNT: &str =
    "SELECT COUNT(*) FROM notifications WHERE recipient_id = $1 AND is_read = 0";
/// Mark `$1`'s notifications up to id `$2` read.
pub(super) const MARK_READ: &str =
    "UPDATE notifications SET is_read = 1 WHERE recipient_id = $1 AND id <= $2 AND is_read = 0";
/// The start of the one insert: the caller pushes the rows, then `INSERT_NEW_TAIL`.
pub(super) const INSERT_NEW_HEAD: &str =
    "INSERT INTO notifications (recipient_id, kind, actor_id, tweet_id, report_id, created_at) ";
/// Skip what was made before (or twice in one call); answer the ids made.
pub(super) const INSERT_NEW_TAIL: &str =
    " ON CONFLICT (recipient_id, kind, actor_id, tweet_id, report_id) DO NOTHING RETURNING id";
/// The start of "which of these recipients hide which of these actors' notifications" (a
/// block either way, or a mute that hides notifications): the caller appends
/// `viewer_id IN (…) AND author_id IN (…)`.
pub(super) const HIDDEN_ACTORS: &str =
    "SELECT viewer_id, author_id FROM hides WHERE notifications = 1 AND ";
/// The start of "which of these users like which of these tweets": the caller appends
/// `tweet_id IN (…) AND user_id IN (…)`.
pub(super) const LIKED_BY: &str = "SELECT tweet_id, user_id FROM likes WHERE ";
/// The start of "these recipients' unread counts": the caller appends the ids and
/// `UNREAD_COUNTS_TAIL`.
pub(super) const UNREAD_COUNTS_HEAD: &str = "SELECT recipient_id, COUNT(*) FROM notifications \
     WHERE is_read = 0 AND recipient_id IN (";
pub(super) const UNREAD_COUNTS_TAIL: &str = ") GROUP BY recipient_id";

/// Rows per statement: far below either database's limit on bound values (5 a row), and
/// far above what one tweet may notify.
pub(super) const CHUNK: usize = 1000;

/// A notification row as `notification_select!` produces it.
#[derive(sqlx::FromRow)]
pub(super) struct NotificationRow {
    pub id: i64,
    pub recipient_id: i64,
    pub kind: String,
    pub actor_id: i64,
    pub actor_username: String,
    pub tweet_id: i64,
    pub created_at: i64,
    pub is_read: i64,
    pub report_id: i64,
}

impl NotificationRow {
    /// The notification, with its tweet looked up in `tweets` (absent: deleted).
    pub fn into_notification(
        self,
        tweets: &HashMap<i64, Tweet>,
    ) -> Result<Notification, StoreError> {
        let kind = NotificationKind::from_name(&self.kind).ok_or_else(|| {
            anyhow::anyhow!(
                "notification {} has an unknown kind {:?}",
                self.id,
                self.kind
            )
        })?;
        Ok(Notification {
            id: self.id,
            recipient: self.recipient_id,
            kind,
            actor: UserRef {
                id: self.actor_id,
                username: self.actor_username,
            },
            tweet: tweets.get(&self.tweet_id).cloned(),
            created_at: self.created_at,
            read: self.is_read != 0,
            report_id: (self.report_id > 0).then_some(self.report_id),
        })
    }
}

/// `new` without repeats of one (recipient, kind, actor, tweet), first kept: the insert
/// would skip them anyway, and a statement is simpler to reason about without them.
pub(super) fn distinct(new: &[NewNotification]) -> Vec<&NewNotification> {
    let mut seen = HashSet::new();
    new.iter()
        .filter(|n| seen.insert((n.recipient, n.kind.as_str(), n.actor, n.tweet, n.report)))
        .collect()
}

/// Each made notification (oldest first) with its recipient's unread count just after it:
/// the last one made for a recipient gets the count read after the insert (`totals`), each
/// earlier one that count less the ones made after it.
pub(super) fn with_unread_counts(
    made: Vec<Notification>,
    totals: &HashMap<i64, i64>,
) -> Vec<(Notification, i64)> {
    let mut newer: HashMap<i64, i64> = HashMap::new();
    let mut counted: Vec<(Notification, i64)> = made
        .into_iter()
        .rev()
        .map(|n| {
            let after = newer.entry(n.recipient).or_default();
            let unread = (totals.get(&n.recipient).copied().unwrap_or(0) - *after).max(0);
            *after += 1;
            (n, unread)
        })
        .collect();
    counted.reverse();
    counted
}

/// Mark each notification's tweet as liked or not by its own recipient (`likes` holds the
/// (tweet, user) pairs that are liked).
pub(super) fn as_recipients_see(made: &mut [Notification], likes: &HashSet<(i64, i64)>) {
    for n in made {
        if let Some(tweet) = &mut n.tweet {
            tweet.liked_by_me = likes.contains(&(tweet.id, n.recipient));
        }
    }
}

/// Implements `Notifications` for a struct with a `pool` field that implements `Tweets`.
macro_rules! impl_notifications {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Notifications for $store {
            async fn notify(
                &self,
                new: &[$crate::domain::NewNotification],
            ) -> Result<Vec<($crate::domain::Notification, i64)>, $crate::storage::StoreError> {
                use std::collections::{HashMap, HashSet};
                use $crate::storage::notifications as sql;
                let mut new = sql::distinct(new);
                if new.is_empty() {
                    return Ok(Vec::new());
                }
                // Nobody is notified by someone they hide (or who blocks them): one read of
                // `hides` for the batch.
                let mut hidden: HashSet<(i64, i64)> = HashSet::new();
                for chunk in new.chunks(sql::CHUNK) {
                    let mut read = sqlx::QueryBuilder::new(sql::HIDDEN_ACTORS);
                    read.push("viewer_id IN (");
                    let mut list = read.separated(", ");
                    for n in chunk {
                        list.push_bind(n.recipient);
                    }
                    read.push(") AND author_id IN (");
                    let mut list = read.separated(", ");
                    for n in chunk {
                        list.push_bind(n.actor);
                    }
                    read.push(")");
                    let pairs: Vec<(i64, i64)> =
                        read.build_query_as().fetch_all(&self.pool).await?;
                    hidden.extend(pairs);
                }
                // Reports reach every moderator, whoever filed them.
                new.retain(|n| {
                    n.kind == $crate::domain::NotificationKind::Report
                        || !hidden.contains(&(n.recipient, n.actor))
                });
                if new.is_empty() {
                    return Ok(Vec::new());
                }
                let created_at = $crate::domain::now_micros();
                let mut ids: Vec<i64> = Vec::new();
                for chunk in new.chunks(sql::CHUNK) {
                    let mut insert = sqlx::QueryBuilder::new(sql::INSERT_NEW_HEAD);
                    insert.push_values(chunk, |mut row, n| {
                        row.push_bind(n.recipient)
                            .push_bind(n.kind.as_str())
                            .push_bind(n.actor)
                            .push_bind(n.tweet.unwrap_or(0))
                            .push_bind(n.report.unwrap_or(0))
                            .push_bind(created_at);
                    });
                    insert.push(sql::INSERT_NEW_TAIL);
                    let rows: Vec<(i64,)> = insert.build_query_as().fetch_all(&self.pool).await?;
                    ids.extend(rows.into_iter().map(|(id,)| id));
                }
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                ids.sort_unstable();
                let mut rows: Vec<sql::NotificationRow> = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(sql::CHUNK) {
                    let mut read = sqlx::QueryBuilder::new(sql::NOTIFICATIONS_BY_IDS);
                    let mut list = read.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    read.push(") ORDER BY n.id");
                    rows.extend(read.build_query_as().fetch_all(&self.pool).await?);
                }
                let tweet_ids: Vec<i64> =
                    rows.iter().map(|r| r.tweet_id).filter(|&t| t > 0).collect();
                let mut recipients: Vec<i64> = rows.iter().map(|r| r.recipient_id).collect();
                recipients.sort_unstable();
                recipients.dedup();
                // As nobody (id 0) sees them; whether each recipient likes them is read next.
                let tweets = $crate::storage::Tweets::tweets_by_ids(self, &tweet_ids, 0).await?;
                let mut likes = HashSet::new();
                if !tweets.is_empty() {
                    let mut read = sqlx::QueryBuilder::new(sql::LIKED_BY);
                    read.push("tweet_id IN (");
                    let mut list = read.separated(", ");
                    for id in tweets.keys() {
                        list.push_bind(*id);
                    }
                    read.push(") AND user_id IN (");
                    let mut list = read.separated(", ");
                    for id in &recipients {
                        list.push_bind(*id);
                    }
                    read.push(")");
                    let pairs: Vec<(i64, i64)> =
                        read.build_query_as().fetch_all(&self.pool).await?;
                    likes.extend(pairs);
                }
                let mut made = rows
                    .into_iter()
                    .map(|row| row.into_notification(&tweets))
                    .collect::<Result<Vec<_>, _>>()?;
                sql::as_recipients_see(&mut made, &likes);
                let mut read = sqlx::QueryBuilder::new(sql::UNREAD_COUNTS_HEAD);
                let mut list = read.separated(", ");
                for id in &recipients {
                    list.push_bind(*id);
                }
                read.push(sql::UNREAD_COUNTS_TAIL);
                let totals: Vec<(i64, i64)> = read.build_query_as().fetch_all(&self.pool).await?;
                let totals: HashMap<i64, i64> = totals.into_iter().collect();
                Ok(sql::with_unread_counts(made, &totals))
            }

            async fn notifications(
                &self,
                recipient: i64,
                before: i64,
                limit: i64,
            ) -> Result<Vec<$crate::domain::Notification>, $crate::storage::StoreError> {
                use $crate::storage::notifications as sql;
                let rows: Vec<sql::NotificationRow> = sqlx::query_as(sql::NOTIFICATIONS_BEFORE)
                    .bind(recipient)
                    .bind(before)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                let ids: Vec<i64> = rows.iter().map(|r| r.tweet_id).collect();
                let tweets = $crate::storage::Tweets::tweets_by_ids(self, &ids, recipient).await?;
                rows.into_iter()
                    .map(|row| row.into_notification(&tweets))
                    .collect()
            }

            async fn unread_count(
                &self,
                recipient: i64,
            ) -> Result<i64, $crate::storage::StoreError> {
                let (n,): (i64,) = sqlx::query_as($crate::storage::notifications::UNREAD_COUNT)
                    .bind(recipient)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn mark_read(
                &self,
                recipient: i64,
                up_to: i64,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::notifications::MARK_READ)
                    .bind(recipient)
                    .bind(up_to)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}
pub(super) use impl_notifications;
