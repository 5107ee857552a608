//! OAuth scopes as Mastodon defines them: `read`, `write`, `follow`, `push`, `profile`, and
//! their sub-scopes (`read:statuses`, `write:follows`…). A token holding a top-level scope
//! holds all its sub-scopes; the legacy `follow` holds the follow, block and mute ones.

use std::fmt;

/// The top-level scopes and the sub-scopes they hold.
const KNOWN: &[(&str, &[&str])] = &[
    (
        "read",
        &[
            "accounts",
            "blocks",
            "bookmarks",
            "favourites",
            "filters",
            "follows",
            "lists",
            "mutes",
            "notifications",
            "search",
            "statuses",
        ],
    ),
    (
        "write",
        &[
            "accounts",
            "blocks",
            "bookmarks",
            "conversations",
            "favourites",
            "filters",
            "follows",
            "lists",
            "media",
            "mutes",
            "notifications",
            "reports",
            "statuses",
        ],
    ),
];

/// What the legacy `follow` scope holds.
const FOLLOW: &[&str] = &[
    "read:blocks",
    "write:blocks",
    "read:follows",
    "write:follows",
    "read:mutes",
    "write:mutes",
];

/// A validated set of scopes, in the order given, each once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Read scopes separated by spaces (or `+`, as some apps send them); an unknown one is
    /// an error naming it. Empty text gives `default`.
    pub fn parse(raw: &str, default: &str) -> Result<Self, String> {
        let raw = if raw.trim().is_empty() { default } else { raw };
        let mut scopes: Vec<String> = Vec::new();
        for scope in raw.split([' ', '+']).filter(|s| !s.is_empty()) {
            if !known(scope) {
                return Err(format!("The scope {scope:?} is not one this server knows."));
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        Ok(Self(scopes))
    }

    /// Whether this set holds `wanted` (a top-level scope or a sub-scope).
    pub fn allows(&self, wanted: &str) -> bool {
        let top = wanted.split(':').next().unwrap_or(wanted);
        self.0.iter().any(|have| {
            have == wanted
                || have == top
                || (have == "follow" && FOLLOW.contains(&wanted))
                // `profile` is the narrow scope of verify_credentials.
                || (have == "read:accounts" && wanted == "profile")
                || (have == "read" && wanted == "profile")
        })
    }

    /// Whether every scope of `self` is held by `granted` (an app asking for a token).
    pub fn within(&self, granted: &Scopes) -> bool {
        self.0.iter().all(|s| granted.allows(s))
    }

    /// The scopes, in order.
    pub fn names(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

fn known(scope: &str) -> bool {
    match scope.split_once(':') {
        None => matches!(scope, "read" | "write" | "follow" | "push" | "profile"),
        Some((top, sub)) => KNOWN
            .iter()
            .any(|(t, subs)| *t == top && subs.contains(&sub)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_level_scopes_hold_their_sub_scopes() {
        let read = Scopes::parse("read", "read").unwrap();
        assert!(read.allows("read:statuses") && read.allows("read"));
        assert!(!read.allows("write:statuses") && !read.allows("write"));
        let follow = Scopes::parse("read+follow", "read").unwrap();
        assert!(follow.allows("write:follows") && follow.allows("write:blocks"));
        assert!(!follow.allows("write:statuses"));
        let narrow = Scopes::parse("write:statuses", "read").unwrap();
        assert!(narrow.allows("write:statuses") && !narrow.allows("write:follows"));
    }

    #[test]
    fn unknown_scopes_are_refused_and_empty_is_the_default() {
        assert!(Scopes::parse("read admin:everything", "read").is_err());
        assert!(Scopes::parse("read:nothing", "read").is_err());
        assert_eq!(Scopes::parse("  ", "read").unwrap().to_string(), "read");
        assert_eq!(
            Scopes::parse("read write read", "read")
                .unwrap()
                .to_string(),
            "read write"
        );
    }

    #[test]
    fn a_request_fits_within_what_was_granted() {
        let app = Scopes::parse("read write follow", "read").unwrap();
        assert!(
            Scopes::parse("read:statuses write", "read")
                .unwrap()
                .within(&app)
        );
        assert!(!Scopes::parse("push", "read").unwrap().within(&app));
    }
}
