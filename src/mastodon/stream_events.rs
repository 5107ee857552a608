//! What a stream sends for each event, as Mastodon's streaming API sends it: `update` with
//! the status as JSON, `delete` with the bare id, `notification` with the notification.
//! A status is rendered once per event, by whichever connection sends it first (as an
//! anonymous viewer sees it: a new status's viewer-dependent fields are all false), and the
//! same text goes to every connection; a notification, for its one recipient.

use super::entities::Accounts;
use super::state::MastodonState;
use super::streams::{Delivery, Pending, Rendered};

/// The event name and payload to send for `delivery`, or `None` to send nothing (a status
/// deleted before it went out).
pub async fn render(
    state: &MastodonState,
    base: &str,
    delivery: &Delivery,
) -> Option<(&'static str, String)> {
    match &*delivery.event {
        Pending::Update { id, rendered, .. } => {
            let rendered = rendered.get_or_init(|| status(state, base, *id)).await;
            Some(("update", rendered.clone()?))
        }
        Pending::Delete { id } => Some(("delete", id.to_string())),
        Pending::Notification { id, recipient } => {
            let found = state
                .store
                .notifications(*recipient, id.saturating_add(1), 1)
                .await
                .ok()?
                .into_iter()
                .find(|n| n.id == *id)?;
            let mut accounts = Accounts::new(state, Some(*recipient), base);
            let value = accounts.notification(&found).await.ok()?;
            Some(("notification", value.to_string()))
        }
    }
}

async fn status(state: &MastodonState, base: &str, id: i64) -> Rendered {
    let tweet = match state.store.tweet(id, None).await {
        Ok(Some(tweet)) => tweet,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %e, id, "cannot read a status to stream");
            return None;
        }
    };
    let value = Accounts::new(state, None, base).status(&tweet).await.ok()?;
    Some(value.to_string())
}
