//! `FollowCursor`: where a followers/following page starts. Clients get it as an opaque
//! string (`next_cursor`) and hand it back unchanged; it names the last follow they saw, so
//! the next page is "older follows than that one" and neither skips nor repeats anyone while
//! others follow and unfollow.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::Invalid;

/// Default number of users per page.
pub const DEFAULT_USERS_LIMIT: i64 = 20;
/// Largest page a client may ask for.
pub const MAX_USERS_LIMIT: i64 = 100;

/// A validated followers/following page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowCursor {
    /// How many users at most.
    pub limit: i64,
    /// Only follows with an id below this one (`i64::MAX` for the first page).
    pub before: i64,
}

impl FollowCursor {
    /// Build from the raw `limit` and `cursor` query parameters (`None` when absent).
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, Invalid> {
        let limit = match limit {
            None => DEFAULT_USERS_LIMIT,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_USERS_LIMIT).contains(n))
                .ok_or_else(|| {
                    Invalid::new(
                        "limit",
                        format!("limit must be a whole number from 1 to {MAX_USERS_LIMIT}."),
                    )
                })?,
        };
        let before = match cursor {
            None => i64::MAX,
            Some(raw) => decode(raw).ok_or_else(|| {
                Invalid::new(
                    "cursor",
                    "cursor must be a next_cursor value from an earlier page.",
                )
            })?,
        };
        Ok(Self { limit, before })
    }

    /// The opaque string that continues below follow `id`.
    pub fn encode(id: i64) -> String {
        URL_SAFE_NO_PAD.encode(id.to_be_bytes())
    }
}

fn decode(raw: &str) -> Option<i64> {
    let bytes: [u8; 8] = URL_SAFE_NO_PAD.decode(raw).ok()?.try_into().ok()?;
    Some(i64::from_be_bytes(bytes)).filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = FollowCursor::encode(12345);
        let page = FollowCursor::parse(Some("5"), Some(&cursor)).unwrap();
        assert_eq!(
            page,
            FollowCursor {
                limit: 5,
                before: 12345
            }
        );
        assert_eq!(FollowCursor::parse(None, None).unwrap().before, i64::MAX);
        for bad in [
            "",
            "x",
            "12345",
            "AAAAAAAAAAA",
            "!!!!",
            &FollowCursor::encode(-1),
        ] {
            assert_eq!(
                FollowCursor::parse(None, Some(bad)).unwrap_err().field,
                "cursor",
                "{bad:?}"
            );
        }
        for bad in ["0", "101", "x"] {
            assert_eq!(
                FollowCursor::parse(Some(bad), None).unwrap_err().field,
                "limit"
            );
        }
    }
}
