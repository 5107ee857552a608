//! Mastodon's paging (`max_id`, `since_id`, `min_id`, `limit`) onto Chirp's pages, and the
//! `Link` header that walks them (absolute URLs: masto.js builds `new URL(link)` with no
//! base). `max_id` is Chirp's `before`; `min_id` is Chirp's `after` (the oldest newer
//! ones, served newest first, exactly Mastodon's meaning); `since_id` reads the newest page
//! and keeps what is newer than it. A filter the store does not know (`only_media`) reads
//! pages one after another until the page is full (`filtered`), so a page is never cut
//! short by filtering after the limit.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::MastoError;
use super::extract::Params;
use crate::domain::{Page, PageCursor};
use crate::storage::StoreError;

/// Rows read per store page by `filtered`.
const FILTER_BATCH: i64 = 40;
/// Most rows `filtered` reads for one answer; past it the page may be short (its `Link`
/// header goes on from where the reading stopped).
const FILTER_SCAN: usize = 400;

/// A validated Mastodon page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MastoPage {
    /// What to ask the store for.
    pub page: Page,
    /// Keep only ids above this (`since_id`, or `min_id` beside `max_id`).
    pub above: Option<i64>,
    /// Keep only ids below this (`max_id` beside `min_id`).
    pub below: Option<i64>,
}

fn id_param(params: &Params, name: &str) -> Result<Option<i64>, MastoError> {
    match params.str(name).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| MastoError::bad_request(format!("{name} must be an id"))),
    }
}

/// `limit` clamped to 1..=`max` as Mastodon does (`default` when absent).
pub fn limit(params: &Params, default: i64, max: i64) -> Result<i64, MastoError> {
    match params.str("limit").filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<i64>()
            .map(|n| n.clamp(1, max))
            .map_err(|_| MastoError::bad_request("limit must be a number")),
    }
}

impl MastoPage {
    /// Read the paging parameters (`limit` default 20, at most `max`).
    pub fn parse(params: &Params, max: i64) -> Result<Self, MastoError> {
        let limit = limit(params, 20, max)?;
        let max_id = id_param(params, "max_id")?;
        let since_id = id_param(params, "since_id")?;
        let min_id = id_param(params, "min_id")?;
        let (cursor, above, below) = match (min_id, max_id) {
            (Some(min), max) => (PageCursor::After(min), None, max),
            (None, Some(max)) => (PageCursor::Before(max), since_id, None),
            (None, None) => (PageCursor::Newest, since_id, None),
        };
        Ok(Self {
            page: Page { limit, cursor },
            above,
            below,
        })
    }

    /// Keep what the page's bounds allow (the ids of `items` are their `id`s, newest first).
    pub fn trim<T>(&self, mut items: Vec<T>, id: impl Fn(&T) -> i64) -> Vec<T> {
        items.retain(|item| {
            let id = id(item);
            self.above.is_none_or(|a| id > a) && self.below.is_none_or(|b| id < b)
        });
        items
    }
}

/// The items of `page` that `keep` keeps, newest first, read from `read` (a store page
/// reader) batch after batch until `limit` are found, the store has no more, or
/// `FILTER_SCAN` rows were read; with the newest and oldest ids read, for the `Link`
/// header (`None` when nothing was read).
pub async fn filtered<T, Fut>(
    page: &MastoPage,
    keep: impl Fn(&T) -> bool,
    id: impl Fn(&T) -> i64,
    mut read: impl FnMut(Page) -> Fut,
) -> Result<(Vec<T>, Option<(i64, i64)>), MastoError>
where
    Fut: std::future::Future<Output = Result<Vec<T>, StoreError>>,
{
    let limit = usize::try_from(page.page.limit).unwrap_or(0);
    // `min_id` reads upwards: the oldest ones newer than it.
    let upwards = matches!(page.page.cursor, PageCursor::After(_));
    let mut cursor = page.page.cursor;
    let mut kept = Vec::new();
    let mut seen: Option<(i64, i64)> = None;
    let mut scanned = 0;
    while kept.len() < limit && scanned < FILTER_SCAN {
        let batch = read(Page {
            limit: FILTER_BATCH,
            cursor,
        })
        .await?;
        let (Some(newest), Some(oldest)) = (batch.first().map(&id), batch.last().map(&id)) else {
            break;
        };
        let read_all = batch.len() < FILTER_BATCH as usize;
        let count = batch.len();
        let mut batch = page.trim(batch, &id);
        // Past `since_id` or `max_id`: nothing further can be kept.
        let past_bounds = batch.len() < count;
        if upwards {
            batch.reverse();
        }
        for item in batch {
            scanned += 1;
            let n = id(&item);
            seen = Some(seen.map_or((n, n), |(hi, lo)| (hi.max(n), lo.min(n))));
            if keep(&item) {
                kept.push(item);
                if kept.len() == limit {
                    break;
                }
            }
        }
        if read_all || past_bounds {
            break;
        }
        cursor = if upwards {
            PageCursor::After(newest)
        } else {
            PageCursor::Before(oldest)
        };
    }
    if upwards {
        kept.reverse();
    }
    Ok((kept, seen))
}

/// A JSON array answer with a `Link` header to the next (older) and previous (newer)
/// pages, named by the last and first ids on this page; none when the page is empty.
/// `url` may carry a query already (the filters the next pages keep).
pub fn linked(items: Vec<Value>, url: &str, limit: i64, ids: Option<(i64, i64)>) -> Response {
    let url = if url.contains('?') {
        format!("{url}&")
    } else {
        format!("{url}?")
    };
    let link = ids.map(|(newest, oldest)| {
        format!(
            "<{url}limit={limit}&max_id={oldest}>; rel=\"next\", <{url}limit={limit}&min_id={newest}>; rel=\"prev\""
        )
    });
    with_link(items, link)
}

/// A JSON array answer, with this `Link` header when there is one.
pub fn with_link(items: Vec<Value>, link: Option<String>) -> Response {
    let mut response = axum::Json(Value::Array(items)).into_response();
    if let Some(value) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, value);
    }
    response
}

/// The first and last ids of a page, newest first (`None` when empty).
pub fn ends<T>(items: &[T], id: impl Fn(&T) -> i64) -> Option<(i64, i64)> {
    Some((id(items.first()?), id(items.last()?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(query: &str) -> MastoPage {
        MastoPage::parse(&Params::from_form(query.as_bytes()), 40).unwrap()
    }

    #[test]
    fn mastodon_parameters_become_chirp_pages() {
        assert_eq!(page("").page.cursor, PageCursor::Newest);
        assert_eq!(page("max_id=9").page.cursor, PageCursor::Before(9));
        assert_eq!(page("min_id=3").page.cursor, PageCursor::After(3));
        let since = page("since_id=3&limit=99");
        assert_eq!(
            (since.page.cursor, since.above, since.page.limit),
            (PageCursor::Newest, Some(3), 40)
        );
        let between = page("min_id=3&max_id=9");
        assert_eq!(between.trim(vec![10, 8, 4], |n| *n), vec![8, 4]);
        assert!(MastoPage::parse(&Params::from_form(b"max_id=x"), 40).is_err());
    }
}
