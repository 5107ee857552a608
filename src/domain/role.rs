//! `Role`: what an account may do (user, moderator, admin).

use serde::{Deserialize, Serialize};

/// What an account may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everyone.
    User,
    /// Handles reports and suspends accounts.
    Moderator,
    /// A moderator who also sets roles.
    Admin,
}

impl Role {
    /// The name stored and served.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Moderator => "moderator",
            Self::Admin => "admin",
        }
    }

    /// A role by name (`user`, `moderator`, `admin`).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "user" => Self::User,
            "moderator" => Self::Moderator,
            "admin" => Self::Admin,
            _ => return None,
        })
    }

    /// Moderators and admins handle reports and suspensions.
    pub fn moderates(self) -> bool {
        self >= Self::Moderator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_by_power_and_round_trip() {
        for role in [Role::User, Role::Moderator, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert!(!Role::User.moderates());
        assert!(Role::Moderator.moderates() && Role::Admin.moderates());
        assert_eq!(Role::parse("root"), None);
    }
}
