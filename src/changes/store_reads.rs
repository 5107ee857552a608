//! Reading new tweets back from the store, for a delivery loop that may have missed some:
//! to fill a gap in tweet ids, and to sweep for tweets no later one showed the gap of.

use super::change::Change;
use super::listener::{self, Listeners};
use super::order::Order;
use crate::domain::{Page, PageCursor};
use crate::storage::{Store, StoreError};

/// Tweets per store read while filling a gap or sweeping.
const READ_PAGE: i64 = 100;
/// Most tweets one fill or sweep reads (the rest come with the next).
const READ_MAX: usize = 10_000;

/// Offer `order` every stored tweet after its last delivered id (up to `upto`, or to the
/// newest), oldest first. Returns the id up to which the store's answer is complete: ids are
/// handed out in commit order, so every id below the newest one read that is not there never
/// will be; with `upto` (a tweet known to be stored) the answer covers up to it too. A tweet
/// found here that had not come over the broker is heard by the listeners as if it had: its
/// node may be unable to publish while this one is still subscribed.
pub(super) async fn read_stored(
    store: &dyn Store,
    listeners: &Listeners,
    order: &mut Order,
    upto: Option<i64>,
) -> Result<i64, StoreError> {
    let mut cursor = order.last();
    let mut read = 0;
    loop {
        let page = Page {
            limit: READ_PAGE,
            cursor: PageCursor::After(cursor),
        };
        // Pages come newest first.
        let tweets = store.tweets(None, page, None).await?;
        let complete = (tweets.len() as i64) < READ_PAGE;
        if let Some(newest) = tweets.first() {
            cursor = newest.id;
        }
        read += tweets.len();
        for tweet in tweets.iter().rev() {
            let change = Change::tweet(tweet);
            if order.offer(change.clone()) {
                listener::heard(listeners, &change);
                metrics::counter!("chirp_announcements_from_store_total").increment(1);
            }
        }
        if complete {
            return Ok(upto.map_or(cursor, |upto| upto.max(cursor)));
        }
        if upto.is_some_and(|upto| cursor >= upto) || read >= READ_MAX {
            return Ok(cursor);
        }
    }
}
