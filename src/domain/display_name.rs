//! `DisplayName` and `Bio`: the free-text parts of a profile, trimmed, with a length limit in
//! Unicode scalar values (as for tweets). Both may be empty: `""` clears them.

use super::Invalid;

/// Longest display name, in Unicode scalar values.
pub const MAX_DISPLAY_NAME_CHARS: usize = 50;
/// Longest bio, in Unicode scalar values.
pub const MAX_BIO_CHARS: usize = 160;

/// Trim, then accept 0–`max` characters, or say which `field` is too long.
fn trimmed(raw: &str, field: &'static str, what: &str, max: usize) -> Result<String, Invalid> {
    let text = raw.trim();
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
    /// Trim surrounding white space, then accept 0–50 characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        trimmed(raw, "display_name", "display name", MAX_DISPLAY_NAME_CHARS).map(Self)
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
    /// Trim surrounding white space, then accept 0–160 characters.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        trimmed(raw, "bio", "bio", MAX_BIO_CHARS).map(Self)
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
}
