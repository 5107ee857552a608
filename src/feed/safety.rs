//! The feed's safety acts: blocks and mutes, suspensions, reports and a moderator's delete.
//! Each stores the change, then publishes what it makes stale before the caller answers — a
//! hide changes the watch index's routes and cached home pages at once on this node and on
//! every other within the bus's delay; a suspension ends the account's sessions and sockets
//! on every node (the sign-out confirmation) and drops every cached page.

use futures_util::future::join_all;

use super::{Feed, notifications};
use crate::changes::Change;
use crate::domain::{LogAction, NewNotification, NewReport, NotificationKind};
use crate::storage::{HideChange, StoreError};

impl Feed {
    /// Block (`on`) or unblock `blocked` as `blocker`; idempotent. A block also removes any
    /// follow between them, both ways (published as unfollows).
    pub async fn block(&self, blocker: i64, blocked: i64, on: bool) -> Result<(), StoreError> {
        let change = self.store.set_block(blocker, blocked, on).await?;
        self.publish_hides(&change);
        if change.changed && on {
            self.publish_unread_counts(&[blocker, blocked]).await;
        }
        Ok(())
    }

    /// Mute (`on`) or unmute `muted` as `muter`; idempotent. `notifications`: hide their
    /// notifications too.
    pub async fn mute(
        &self,
        muter: i64,
        muted: i64,
        on: bool,
        notifications: bool,
    ) -> Result<(), StoreError> {
        let change = self.store.set_mute(muter, muted, on, notifications).await?;
        self.publish_hides(&change);
        if change.changed && on && notifications {
            self.publish_unread_counts(&[muter]).await;
        }
        Ok(())
    }

    fn publish_hides(&self, change: &HideChange) {
        for &(follower, followee) in &change.unfollowed {
            self.changes
                .publish(Change::follow(follower, followee, false));
        }
        for &(viewer, author, hidden) in &change.hidden {
            self.changes.publish(Change::hide(viewer, author, hidden));
        }
    }

    /// Tell `users`' sockets their unread counts (notifications were removed). A failure is
    /// logged: the badge is then right at the next notification or page load.
    async fn publish_unread_counts(&self, users: &[i64]) {
        for &user in users {
            match self.store.unread_count(user).await {
                Ok(count) => self.changes.publish(Change::unread_count(user, count)),
                Err(e) => tracing::warn!(error = %e, "could not read an unread count"),
            }
        }
    }

    /// Suspend `user` as moderator `actor` (`reason` given) or unsuspend them. A suspension
    /// ends every session of theirs and disconnects their sockets, on every node, before it
    /// answers. Answers whether anything changed.
    pub async fn suspend(
        &self,
        user: i64,
        actor: i64,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let Some(ended) = self.store.set_suspended(user, actor, reason).await? else {
            return Ok(false);
        };
        self.changes
            .publish(Change::suspended(user, reason.is_some()));
        join_all(ended.iter().map(|hash| self.changes.end_session(hash))).await;
        Ok(true)
    }

    /// File a report and notify every moderator (live, like any notification); answers
    /// the report's id.
    pub async fn report(&self, report: &NewReport) -> Result<i64, StoreError> {
        let id = self.store.create_report(report).await?;
        let told: Vec<NewNotification> = self
            .store
            .moderators()
            .await?
            .into_iter()
            .map(|moderator| NewNotification {
                recipient: moderator,
                kind: NotificationKind::Report,
                actor: report.reporter,
                tweet: None,
                report: Some(id),
            })
            .collect();
        notifications::notify(&*self.store, &self.changes, &told).await;
        Ok(id)
    }

    /// Delete `author`'s tweet as moderator `actor` (who is not its author), and log it.
    pub async fn delete_as_moderator(
        &self,
        id: i64,
        author: i64,
        actor: i64,
    ) -> Result<(), StoreError> {
        self.delete(id, author).await?;
        let note = format!("tweet {id}");
        self.store
            .log_moderation(Some(actor), LogAction::DeleteTweet, author, Some(&note))
            .await
    }
}
