//! Mentions: the `@name`s a tweet's text names, by the contract's rule, found once when the
//! tweet is stored.
//!
//! An `@` counts only when the character before it is not an ASCII letter, digit or `_` (so
//! `mail@ada` is no mention); the name runs to the end of its `[A-Za-z0-9_]` characters (so
//! `@adaX` is not `@ada`). Names are compared as usernames are, ignoring case; each is kept
//! once, in order of first appearance. Whether a name belongs to a user is storage's to say.

use super::Username;

/// Most mentions looked up for one tweet: 280 characters hold at most 70 `@abc ` names, so
/// this never cuts a real tweet short; it bounds the work a crafted one can cause.
pub const MAX_MENTIONS: usize = 70;

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The candidate usernames `text` mentions, once each (case-insensitively), in order of
/// first appearance. Names that could never be usernames (too short or too long) are
/// skipped: they are just text.
pub fn parse_mentions(text: &str) -> Vec<Username> {
    let bytes = text.as_bytes();
    let mut found: Vec<Username> = Vec::new();
    let mut i = 0;
    while i < bytes.len() && found.len() < MAX_MENTIONS {
        if bytes[i] != b'@' || (i > 0 && is_name_byte(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i + 1;
        let end = bytes[start..]
            .iter()
            .position(|b| !is_name_byte(*b))
            .map_or(bytes.len(), |n| start + n);
        // The name is ASCII, so these byte offsets are character boundaries.
        if let Ok(name) = Username::parse(&text[start..end])
            && !found.iter().any(|f| f.key() == name.key())
        {
            found.push(name);
        }
        i = end.max(start);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        parse_mentions(text)
            .iter()
            .map(|n| n.as_str().to_owned())
            .collect()
    }

    #[test]
    fn finds_names_in_order_once_each() {
        assert_eq!(names("@ada hi @bob and @ADA again"), ["ada", "bob"]);
        assert_eq!(names("(@ada), @bob! @cy_9?"), ["ada", "bob", "cy_9"]);
        assert_eq!(names("@ada@bob"), ["ada"], "`@bob` follows a letter");
    }

    #[test]
    fn an_at_after_a_name_character_is_no_mention() {
        assert!(names("mail@ada.com x@ada _@ada 9@ada").is_empty());
        assert_eq!(names("é@ada"), ["ada"], "only ASCII letters count before @");
    }

    #[test]
    fn the_name_runs_to_the_end_of_its_characters() {
        assert_eq!(names("@adaX"), ["adaX"]);
        assert_eq!(names("@ada-x @ada.x"), ["ada"]);
        assert_eq!(names("@ada's"), ["ada"]);
    }

    #[test]
    fn what_cannot_be_a_username_is_just_text() {
        assert!(names("@ @ab @ a@").is_empty());
        assert!(names(&format!("@{}", "a".repeat(21))).is_empty());
        assert_eq!(names("@@ada"), ["ada"]);
        assert_eq!(names("@ünï @abc"), ["abc"]);
    }

    #[test]
    fn stops_at_the_cap() {
        let text: String = (0..100).map(|i| format!("@u{i:03} ")).collect();
        assert_eq!(parse_mentions(&text).len(), MAX_MENTIONS);
    }
}
