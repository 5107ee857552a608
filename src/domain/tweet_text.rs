//! `TweetText`: trimmed, 1–280 Unicode scalar values (0–280 beside images) (what JavaScript's `[...s].length` counts),
//! with no control characters but newline and tab.
//!
//! Control characters are refused here, at the edge (the rule in `text`): whatever one
//! database could refuse must never reach the writer, where it would share a batch with
//! other people's tweets. Refusing them everywhere also keeps both back ends answering alike.

use super::Invalid;
use super::text::{Breaks, refuse_control_characters};

/// Maximum tweet length in Unicode scalar values.
pub const MAX_TWEET_CHARS: usize = 280;

/// The text of a tweet, already trimmed and within limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TweetText(String);

impl TweetText {
    /// Trim surrounding white space, then accept 1–280 characters, none of them a control
    /// character other than `\n` and `\t`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::parse_within(raw, 1)
    }

    /// As `parse`, but empty text is accepted: a tweet whose images say it all.
    pub fn parse_beside_media(raw: &str) -> Result<Self, Invalid> {
        Self::parse_within(raw, 0)
    }

    fn parse_within(raw: &str, min: usize) -> Result<Self, Invalid> {
        let text = raw.trim();
        refuse_control_characters(text, "text", "tweet", Breaks::NewlinesAndTabs)?;
        let len = text.chars().count();
        if len < min {
            return Err(Invalid::new("text", "A tweet cannot be empty."));
        }
        if len > MAX_TWEET_CHARS {
            return Err(Invalid::new(
                "text",
                format!("A tweet is at most {MAX_TWEET_CHARS} characters; this one has {len}."),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_then_counts_scalar_values() {
        assert_eq!(TweetText::parse("  hi \n").unwrap().as_str(), "hi");
        assert!(TweetText::parse("   ").is_err());
        assert!(TweetText::parse(&"🐦".repeat(280)).is_ok());
        assert!(TweetText::parse(&"🐦".repeat(281)).is_err());
        assert!(TweetText::parse(&format!("  {}  ", "a".repeat(280))).is_ok());
    }

    #[test]
    fn refuses_control_characters_but_newline_and_tab() {
        assert_eq!(
            TweetText::parse("one\n\ttwo").unwrap().as_str(),
            "one\n\ttwo"
        );
        for bad in [
            "x\u{0}y",
            "x\u{7}y",
            "x\u{1b}[31my",
            "x\ry",
            "x\u{7f}y",
            "x\u{85}y",
        ] {
            let err = TweetText::parse(bad).unwrap_err();
            assert_eq!(err.field, "text", "{bad:?}");
            assert!(err.message.contains("control"), "{bad:?}: {}", err.message);
        }
        // Leading or trailing, it is still refused rather than trimmed away silently.
        assert!(TweetText::parse("hi\u{0}").is_err());
    }
}
