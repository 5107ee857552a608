//! `FollowCursor`: where a followers/following page starts. Clients get it as an opaque
//! string (`next_cursor`) and hand it back unchanged; it names the last follow they saw, so
//! the next page is "older follows than that one" and neither skips nor repeats anyone while
//! others follow and unfollow.
//!
//! A cursor is only ever one this server gave out, for this list: the follow id travels
//! with an HMAC-SHA256 tag (truncated to 128 bits) over the list it belongs to (whose
//! followers or following) and the id, under a `CursorKey` every node shares. A forged,
//! altered or borrowed cursor is refused, and a client cannot walk follow ids at will.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Invalid;

/// Default number of users per page.
pub const DEFAULT_USERS_LIMIT: i64 = 20;
/// Largest page a client may ask for.
pub const MAX_USERS_LIMIT: i64 = 100;

/// Bytes of the HMAC tag kept in a cursor: 128 bits leave nothing to guess.
const TAG_BYTES: usize = 16;

/// The secret that signs cursors; the same on every node and across restarts (it is kept
/// in the database), so a cursor from one node pages on another.
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    /// A key of 32 secret bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The MAC over `list` and `follow_id`, ready to finalise or verify.
    fn mac(&self, list: FollowList, follow_id: i64) -> Hmac<Sha256> {
        // HMAC takes a key of any length, so this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        let (kind, user) = match list {
            FollowList::Followers(user) => (b'F', user),
            FollowList::Following(user) => (b'G', user),
            FollowList::Blocks(user) => (b'B', user),
            FollowList::Mutes(user) => (b'M', user),
        };
        mac.update(&[kind]);
        mac.update(&user.to_be_bytes());
        mac.update(&follow_id.to_be_bytes());
        mac
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(…)")
    }
}

/// Which list a cursor pages through: a user's followers, or whom they follow (by user id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowList {
    /// Who follows this user.
    Followers(i64),
    /// Whom this user follows.
    Following(i64),
    /// Whom this user blocks.
    Blocks(i64),
    /// Whom this user mutes.
    Mutes(i64),
}

/// A validated followers/following page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowCursor {
    /// How many users at most.
    pub limit: i64,
    /// Only follows with an id below this one (`i64::MAX` for the first page).
    pub before: i64,
}

impl FollowCursor {
    /// Build from the raw `limit` and `cursor` query parameters (`None` when absent) of a
    /// request for `list`; a cursor that `encode` did not make for `list` under `key` is
    /// refused.
    pub fn parse(
        limit: Option<&str>,
        cursor: Option<&str>,
        list: FollowList,
        key: &CursorKey,
    ) -> Result<Self, Invalid> {
        let limit = parse_limit(limit)?;
        let before = match cursor {
            None => i64::MAX,
            Some(raw) => decode(raw, list, key).ok_or_else(|| {
                Invalid::new(
                    "cursor",
                    "cursor must be the next_cursor of an earlier page of this same list.",
                )
            })?,
        };
        Ok(Self { limit, before })
    }

    /// The opaque string that continues `list` below follow `id`.
    pub fn encode(id: i64, list: FollowList, key: &CursorKey) -> String {
        let mut bytes = [0; 8 + TAG_BYTES];
        bytes[..8].copy_from_slice(&id.to_be_bytes());
        let tag = key.mac(list, id).finalize().into_bytes();
        bytes[8..].copy_from_slice(&tag[..TAG_BYTES]);
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// A list's page size from the raw `limit` parameter: 1–100, 20 when absent.
pub fn parse_limit(limit: Option<&str>) -> Result<i64, Invalid> {
    match limit {
        None => Ok(DEFAULT_USERS_LIMIT),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_USERS_LIMIT).contains(n))
            .ok_or_else(|| {
                Invalid::new(
                    "limit",
                    format!("limit must be a whole number from 1 to {MAX_USERS_LIMIT}."),
                )
            }),
    }
}

fn decode(raw: &str, list: FollowList, key: &CursorKey) -> Option<i64> {
    let bytes: [u8; 8 + TAG_BYTES] = URL_SAFE_NO_PAD.decode(raw).ok()?.try_into().ok()?;
    let (id, tag) = bytes.split_at(8);
    let id = i64::from_be_bytes(id.try_into().ok()?);
    // Compared in constant time, so a tag cannot be found a byte at a time.
    key.mac(list, id).verify_truncated_left(tag).ok()?;
    Some(id).filter(|id| *id > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: CursorKey = CursorKey([7; 32]);
    const LIST: FollowList = FollowList::Followers(3);

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = FollowCursor::encode(12345, LIST, &KEY);
        let page = FollowCursor::parse(Some("5"), Some(&cursor), LIST, &KEY).unwrap();
        assert_eq!(
            page,
            FollowCursor {
                limit: 5,
                before: 12345
            }
        );
        let first = FollowCursor::parse(None, None, LIST, &KEY).unwrap();
        assert_eq!(first.before, i64::MAX);
        for bad in [
            "",
            "x",
            "12345",
            "AAAAAAAAAAA",
            "!!!!",
            &URL_SAFE_NO_PAD.encode(12345_i64.to_be_bytes()),
            &FollowCursor::encode(-1, LIST, &KEY),
        ] {
            let err = FollowCursor::parse(None, Some(bad), LIST, &KEY).unwrap_err();
            assert_eq!(err.field, "cursor", "{bad:?}");
        }
        for bad in ["0", "101", "x"] {
            let err = FollowCursor::parse(Some(bad), None, LIST, &KEY).unwrap_err();
            assert_eq!(err.field, "limit");
        }
    }

    #[test]
    fn a_cursor_counts_only_for_its_own_list_and_key() {
        let cursor = FollowCursor::encode(99, LIST, &KEY);
        for (list, key) in [
            (FollowList::Following(3), &KEY),
            (FollowList::Followers(4), &KEY),
            (LIST, &CursorKey([8; 32])),
        ] {
            assert!(FollowCursor::parse(None, Some(&cursor), list, key).is_err());
        }
        // Changing the id, keeping the tag, is refused too.
        let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        bytes[7] ^= 1;
        let tampered = URL_SAFE_NO_PAD.encode(bytes);
        assert!(FollowCursor::parse(None, Some(&tampered), LIST, &KEY).is_err());
    }
}
