//! The notifications that changes make, and making them: which ones a stored tweet causes
//! (a reply, its mentions) and `notify`, which stores the new ones and publishes each for its
//! recipient. Used by the feed's own changes (likes, follows) and by the notifier task (tweets).

use crate::changes::{Change, Changes};
use crate::domain::{NewNotification, NotificationKind, Tweet};
use crate::storage::Store;

/// The notifications a stored tweet makes: a `reply` to the parent's author, a `mention` to
/// each of the first `max_mentions` users it mentions (in the tweet's order; the tweet
/// still lists them all) — never to its own author, and a parent's author who is also
/// mentioned is told once, as `reply`.
pub(crate) fn tweet_notifications(tweet: &Tweet, max_mentions: usize) -> Vec<NewNotification> {
    let mut out = Vec::new();
    let parent_author = tweet.reply_to.as_ref().map(|parent| parent.author.id);
    if let Some(recipient) = parent_author {
        out.push(NewNotification {
            recipient,
            kind: NotificationKind::Reply,
            actor: tweet.author.id,
            tweet: Some(tweet.id),
            report: None,
        });
    }
    let mentioned = tweet
        .mentions
        .iter()
        .filter(|user| Some(user.id) != parent_author && user.id != tweet.author.id)
        .take(max_mentions);
    for user in mentioned {
        out.push(NewNotification {
            recipient: user.id,
            kind: NotificationKind::Mention,
            actor: tweet.author.id,
            tweet: Some(tweet.id),
            report: None,
        });
    }
    out.retain(|n| n.recipient != n.actor);
    out
}

/// Make `new` (those not made before) and publish each for its recipient's sockets. A
/// failure is logged, not returned: what the notification is about has happened already.
pub(crate) async fn notify(store: &dyn Store, changes: &Changes, new: &[NewNotification]) {
    let new: Vec<NewNotification> = new
        .iter()
        .copied()
        .filter(|n| n.recipient != n.actor)
        .collect();
    if new.is_empty() {
        return;
    }
    match store.notify(&new).await {
        Ok(made) => {
            for (notification, unread) in made {
                changes.publish(Change::notification(&notification, unread));
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not make notifications"),
    }
}
