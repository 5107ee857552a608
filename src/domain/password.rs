//! `Password`: 8–128 characters. Never logged, never stored: only its argon2id hash is.

use super::Invalid;

/// A password of acceptable length. `Debug` hides it.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    /// Accept 8–128 characters (Unicode scalar values).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let len = raw.chars().count();
        if !(8..=128).contains(&len) {
            return Err(Invalid::new(
                "password",
                "Password must be 8 to 128 characters long.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for hashing or verifying.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert!(Password::parse(&"é".repeat(129)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("secret-secret").unwrap()),
            "Password(…)"
        );
    }
}
