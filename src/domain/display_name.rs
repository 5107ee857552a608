//! `DisplayName` and `Bio`: the free-text parts of a profile, trimmed, with a length limit in
//! Unicode scalar values and the control-character rule of tweets (`text`): a bio may
//! break lines as a tweet may; a display name is one line, so no newline or tab at all.
//! Both may be empty: `""` clears them.

use super::Invalid;
use super::text::{Breaks, refuse_control_characters};

/// Longest display name, in Unicode scalar values.
pub const MAX_DISPLAY_NAME_CHARS: usize = 50;
/// Longest bio, in Unicode scalar values.
pub const MAX_BIO_CHARS: usize = 160;

/// Trim, then accept 0–`max` characters with no control character but what `breaks`
/// allows, or say what is wrong with which `field`.
fn trimmed(
    raw: &str,
    field: &'static str,
    what: &str,
    max: usize,
    breaks: Breaks,
) -> Result<String, Invalid> {
    let text = raw.trim();
    refuse_control_characters(text, field, what, breaks)?;
    let len = text.chars().count();
    if len > max {
        return Err(Invalid::new(
            field,
            format!("A {what} is at most {max} characters; this one has {len}."),
        ));
    }
    Ok(text.to_owned())
}

/// The name shown beside the username; empty means "show the username".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Trim surrounding white space, then accept 0–50 characters, none of them a control
    /// character (not even a newline or a tab: a name is shown on one line).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        trimmed(
            raw,
            "display_name",
            "display name",
            MAX_DISPLAY_NAME_CHARS,
            Breaks::None,
        )
        .map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A few words a user says about themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    /// Trim surrounding white space, then accept 0–160 characters, none of them a control
    /// character other than `\n` and `\t`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        trimmed(raw, "bio", "bio", MAX_BIO_CHARS, Breaks::NewlinesAndTabs).map(Self)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated `PATCH /api/me`: each field either left alone (`None`) or set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    /// The new display name, if one was sent.
    pub display_name: Option<DisplayName>,
    /// The new bio, if one was sent.
    pub bio: Option<Bio>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_counts_scalar_values_and_allows_empty() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert_eq!(DisplayName::parse("   ").unwrap().as_str(), "");
        assert!(DisplayName::parse(&"🐦".repeat(50)).is_ok());
        let err = DisplayName::parse(&"🐦".repeat(51)).unwrap_err();
        assert_eq!(err.field, "display_name");
        assert!(Bio::parse(&format!(" {} ", "b".repeat(160))).is_ok());
        assert_eq!(Bio::parse(&"b".repeat(161)).unwrap_err().field, "bio");
    }

    #[test]
    fn refuses_control_characters_a_bio_may_break_lines() {
        assert_eq!(Bio::parse("one\n\ttwo").unwrap().as_str(), "one\n\ttwo");
        for bad in ["a\u{0}", "a\u{7}b", "\u{1b}[31mred", "a\u{85}b", "a\u{7f}"] {
            assert_eq!(DisplayName::parse(bad).unwrap_err().field, "display_name");
            assert_eq!(Bio::parse(bad).unwrap_err().field, "bio");
        }
        assert!(DisplayName::parse("Ada\nLovelace").is_err());
        assert!(DisplayName::parse("Ada\tLovelace").is_err());
    }
}
