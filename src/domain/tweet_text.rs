//! `TweetText`: trimmed, 1–280 Unicode scalar values (what JavaScript's `[...s].length` counts).

use super::Invalid;

/// Maximum tweet length in Unicode scalar values.
pub const MAX_TWEET_CHARS: usize = 280;

/// The text of a tweet, already trimmed and within limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TweetText(String);

impl TweetText {
    /// Trim surrounding white space, then accept 1–280 characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let text = raw.trim();
        let len = text.chars().count();
        if len == 0 {
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
}
