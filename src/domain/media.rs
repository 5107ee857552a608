//! Image attachments as the API shows them (`Attachment`), their alt text (`Description`),
//! and the `media_ids` a tweet is posted with (`MediaIds`).
//!
//! Invariant: a `Description` is trimmed, at most 1500 characters, with no control
//! characters but newline and tab; `MediaIds` holds 1–4 distinct ids in the order posted.

use serde::{Deserialize, Serialize};

use super::Invalid;
use super::text::{Breaks, refuse_control_characters};

/// Longest alt text, in Unicode scalar values (Mastodon's limit).
pub const MAX_DESCRIPTION_CHARS: usize = 1500;

/// Most images one tweet carries.
pub const MAX_MEDIA_PER_TWEET: usize = 4;

/// An image attachment: the re-encoded file, its preview and how to show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    /// Stable numeric id (what `media_ids` names).
    pub id: i64,
    /// Always `image`.
    #[serde(rename = "type")]
    #[schema(example = "image")]
    pub kind: String,
    /// The stored file (long side at most 2560 px).
    pub url: String,
    /// The preview (long side at most 640 px).
    pub preview_url: String,
    /// The stored file's width in pixels.
    pub width: u32,
    /// The stored file's height in pixels.
    pub height: u32,
    /// The preview's width in pixels.
    pub preview_width: u32,
    /// The preview's height in pixels.
    pub preview_height: u32,
    /// The alt text (`""` when none).
    pub description: String,
    /// A blurhash of the image, to paint while it loads.
    pub blurhash: String,
}

/// An attachment as stored: the served record, who uploaded it, its files' keys, and
/// the tweet it belongs to once attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    /// What the API shows (its URLs made from the keys).
    pub attachment: Attachment,
    /// Who uploaded it.
    pub owner_id: i64,
    /// The tweet it is attached to (`None` until then).
    pub tweet_id: Option<i64>,
    /// The stored file's key.
    pub file_key: String,
    /// The preview's key.
    pub preview_key: String,
}

/// An upload about to be recorded: its files are stored already.
#[derive(Debug, Clone)]
pub struct NewMedia {
    /// Who uploaded it.
    pub owner_id: i64,
    /// The stored file's key and size.
    pub file_key: String,
    /// The stored file's width and height.
    pub size: (u32, u32),
    /// The preview's key.
    pub preview_key: String,
    /// The preview's width and height.
    pub preview_size: (u32, u32),
    /// The alt text.
    pub description: Description,
    /// The blurhash.
    pub blurhash: String,
}

/// The URL a stored file is served at.
pub fn media_url(key: &str) -> String {
    format!("/media/{key}")
}

/// Alt text: trimmed, 0–1500 characters, newlines and tabs allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// Trim, then accept at most 1500 characters and no control character but `\n`, `\t`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let text = raw.trim();
        refuse_control_characters(text, "description", "description", Breaks::NewlinesAndTabs)?;
        let len = text.chars().count();
        if len > MAX_DESCRIPTION_CHARS {
            return Err(Invalid::new(
                "description",
                format!(
                    "A description is at most {MAX_DESCRIPTION_CHARS} characters; this one has {len}."
                ),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The images a tweet is posted with: 1–4 distinct ids, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaIds(Vec<i64>);

impl MediaIds {
    /// None at all: a tweet of text only.
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// Accept 1–4 distinct ids (an empty list is refused: omit the field instead).
    pub fn parse(ids: &[i64]) -> Result<Self, Invalid> {
        if ids.is_empty() || ids.len() > MAX_MEDIA_PER_TWEET {
            return Err(Invalid::new(
                "media_ids",
                format!(
                    "A tweet carries 1 to {MAX_MEDIA_PER_TWEET} images; this has {}.",
                    ids.len()
                ),
            ));
        }
        let mut seen = ids.to_vec();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != ids.len() {
            return Err(Invalid::new(
                "media_ids",
                "Each image can be attached once.",
            ));
        }
        Ok(Self(ids.to_vec()))
    }

    /// The ids, in the order posted.
    pub fn ids(&self) -> &[i64] {
        &self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_trimmed_and_bounded() {
        assert_eq!(Description::parse("  a cat \n").unwrap().as_str(), "a cat");
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert!(Description::parse(&"é".repeat(1500)).is_ok());
        let err = Description::parse(&"é".repeat(1501)).unwrap_err();
        assert_eq!(err.field, "description");
        assert!(Description::parse("a\u{0}b").is_err());
    }

    #[test]
    fn media_ids_are_one_to_four_distinct() {
        assert_eq!(MediaIds::parse(&[3, 1]).unwrap().ids(), &[3, 1]);
        assert!(MediaIds::parse(&[]).is_err());
        assert!(MediaIds::parse(&[1, 2, 3, 4, 5]).is_err());
        assert!(MediaIds::parse(&[1, 1]).is_err());
    }
}
