//! `Username`: 3–20 of `[A-Za-z0-9_]`. Uniqueness is case-insensitive, so the store keys
//! users by `Username::key()` (lower case) while keeping the spelling the user chose.

use super::Invalid;

/// A valid username, as its owner spelled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Accept 3–20 ASCII letters, digits or underscores.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let len = raw.chars().count();
        if !(3..=20).contains(&len) {
            return Err(Invalid::new(
                "username",
                "Username must be 3 to 20 characters long.",
            ));
        }
        if !raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Invalid::new(
                "username",
                "Username may contain only letters, digits and underscores.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The spelling the user chose.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive key that must be unique.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_letters_digits_underscore() {
        assert_eq!(Username::parse("Ada_99").unwrap().key(), "ada_99");
    }

    #[test]
    fn refuses_bad_lengths_and_characters() {
        for bad in [
            "ab",
            "a".repeat(21).as_str(),
            "has space",
            "dash-no",
            "émile",
            "",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(Username::parse(&"a".repeat(20)).is_ok());
    }
}
