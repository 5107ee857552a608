//! `Page`: which slice of a timeline to read — `limit` (1–100, default 20) and at most one
//! cursor, `before=<id>` (older than) or `after=<id>` (newer than).

use super::Invalid;

/// Default number of tweets per page.
pub const DEFAULT_LIMIT: i64 = 20;
/// Largest page a client may ask for.
pub const MAX_LIMIT: i64 = 100;

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCursor {
    /// The newest tweets.
    Newest,
    /// Tweets with an id below this one.
    Before(i64),
    /// Tweets with an id above this one: the `limit` oldest of them, so a client can walk
    /// forward page by page without gaps (each page is still returned newest first).
    After(i64),
}

/// A validated paging request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// How many tweets at most.
    pub limit: i64,
    /// Where to start.
    pub cursor: PageCursor,
}

impl Page {
    /// Build a page from the raw query parameters (`None` when absent).
    pub fn parse(
        limit: Option<&str>,
        before: Option<&str>,
        after: Option<&str>,
    ) -> Result<Self, Invalid> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(Invalid::new(
                        "limit",
                        format!("limit must be a whole number from 1 to {MAX_LIMIT}."),
                    ));
                }
            },
        };
        let id = |field: &'static str, raw: &str| {
            raw.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| Invalid::new(field, format!("{field} must be a tweet id.")))
        };
        let cursor = match (before, after) {
            (Some(_), Some(_)) => {
                return Err(Invalid::new("before", "Use before or after, not both."));
            }
            (Some(b), None) => PageCursor::Before(id("before", b)?),
            (None, Some(a)) => PageCursor::After(id("after", a)?),
            (None, None) => PageCursor::Newest,
        };
        Ok(Self { limit, cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            Page::parse(None, None, None).unwrap(),
            Page {
                limit: 20,
                cursor: PageCursor::Newest
            }
        );
        assert_eq!(
            Page::parse(Some("100"), Some("7"), None).unwrap().cursor,
            PageCursor::Before(7)
        );
        assert_eq!(
            Page::parse(None, None, Some("3")).unwrap().cursor,
            PageCursor::After(3)
        );
        for bad in ["0", "101", "-1", "x", ""] {
            assert!(Page::parse(Some(bad), None, None).is_err(), "limit {bad:?}");
        }
        assert!(Page::parse(None, Some("1"), Some("2")).is_err());
        assert!(Page::parse(None, Some("-5"), None).is_err());
        assert!(Page::parse(None, None, Some("abc")).is_err());
    }
}
