//! A tweet search as a client writes it (`q`), read into what the store matches: words
//! (normalised as the index is, `search_words`), the last one also as a prefix when it is the
//! last thing typed, `#tag`s (matched against the tweet's tags), and `from:<username>`.

use super::{Hashtag, Invalid, Username, search_words};

/// Most characters in `q` (after trimming).
pub const MAX_QUERY_CHARS: usize = 200;

/// A parsed search: every part must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    /// Words that must occur in the text as words (normalised, each once).
    pub words: Vec<String>,
    /// Whether the last word also matches as a prefix (`rus` finds "rust").
    pub prefix: bool,
    /// Tags the tweet must carry.
    pub tags: Vec<Hashtag>,
    /// The one author to keep (`from:`): `Some` of a name, which may name nobody.
    pub from: Option<Username>,
    /// A part that can match no tweet (`from:` naming no possible user, or two users).
    pub impossible: bool,
}

impl SearchQuery {
    /// Read `q`: trimmed, 1–200 characters, else `Invalid`.
    pub fn parse(q: &str) -> Result<Self, Invalid> {
        let q = q.trim();
        let chars = q.chars().count();
        if chars == 0 {
            return Err(Invalid::new("q", "q must not be empty."));
        }
        if chars > MAX_QUERY_CHARS {
            return Err(Invalid::new("q", "q must be at most 200 characters."));
        }
        if q.chars().any(char::is_control) {
            return Err(Invalid::new("q", "q must not contain control characters."));
        }
        let mut query = Self::default();
        let mut last_is_words = false;
        for term in q.split_whitespace() {
            last_is_words = false;
            if let Some(name) = term.strip_prefix("from:") {
                match Username::parse(name) {
                    Ok(user) if query.from.as_ref().is_none_or(|f| f.key() == user.key()) => {
                        query.from = Some(user);
                    }
                    _ => query.impossible = true,
                }
                continue;
            }
            let mut words_of = term;
            if let Some(rest) = term.strip_prefix('#') {
                let end = rest
                    .char_indices()
                    .find(|(_, c)| !super::hashtag::is_tag_char(*c))
                    .map_or(rest.len(), |(at, _)| at);
                if let Some(tag) = Hashtag::parse(&rest[..end]) {
                    if !query.tags.contains(&tag) {
                        query.tags.push(tag);
                    }
                    words_of = &rest[end..];
                }
            }
            for word in search_words(words_of) {
                last_is_words = true;
                // A repeat moves to the end, so the last word typed stays last.
                query.words.retain(|w| *w != word);
                query.words.push(word);
            }
        }
        query.prefix = last_is_words;
        Ok(query)
    }

    /// Whether the query asks for nothing that could narrow it (only punctuation, say): it
    /// then matches nothing, rather than every tweet.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.tags.is_empty() && self.from.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(q: &SearchQuery) -> Vec<&str> {
        q.words.iter().map(String::as_str).collect()
    }

    #[test]
    fn words_are_normalised_and_the_last_is_a_prefix() {
        let q = SearchQuery::parse("  Café RUS ").unwrap();
        assert_eq!(words(&q), ["cafe", "rus"]);
        assert!(q.prefix);
        assert!(q.tags.is_empty() && q.from.is_none() && !q.impossible);
    }

    #[test]
    fn tags_and_authors_are_operators() {
        let q = SearchQuery::parse("#Rust from:Ada async #rust").unwrap();
        assert_eq!(q.tags.len(), 1);
        assert_eq!(q.tags[0].as_str(), "rust");
        assert_eq!(q.from.as_ref().unwrap().as_str(), "Ada");
        assert_eq!(words(&q), ["async"]);
        assert!(!q.prefix, "the last term is a tag");
        // A tag followed by punctuation is still the tag; `#123` is a word.
        let q = SearchQuery::parse("#rust, #123").unwrap();
        assert_eq!(q.tags[0].as_str(), "rust");
        assert_eq!(words(&q), ["123"]);
        assert!(q.prefix);
    }

    #[test]
    fn impossible_authors_match_nothing() {
        assert!(
            SearchQuery::parse("from:a").unwrap().impossible,
            "too short a name"
        );
        assert!(SearchQuery::parse("from:ada from:bob").unwrap().impossible);
        assert!(!SearchQuery::parse("from:ada from:ADA").unwrap().impossible);
    }

    #[test]
    fn length_is_checked_after_trimming() {
        assert!(SearchQuery::parse("   ").is_err());
        assert!(SearchQuery::parse("").is_err());
        assert!(SearchQuery::parse(&"a".repeat(200)).is_ok());
        assert!(SearchQuery::parse(&"é".repeat(201)).is_err());
        assert!(SearchQuery::parse("!!!").unwrap().is_empty());
        assert!(SearchQuery::parse("a\u{0}b").is_err());
        assert!(SearchQuery::parse("a\tb").is_err());
    }
}
