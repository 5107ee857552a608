//! Hashtags: the `#name`s a tweet's text carries, by the contract's rule, found once when the
//! tweet is stored (like mentions), and the name a tag is filed and looked up under.
//!
//! A hashtag is `#` then 1–100 Unicode letters, marks, decimal digits or `_`, at least one of
//! them not a digit, where the `#` does not follow a letter, mark, digit, `_` or `&` (so
//! `a#b` and the character reference `&#39;` are no tags). Its name is the run's NFKC form,
//! lowercased; that name must itself be such a run of 1–100 characters (a compatibility
//! character that expands into spaces or past 100 characters is just text). So `#Café`,
//! `#CAFÉ` and `#cafe\u{301}` (an `e` and a combining accent) are one tag, `café`, and
//! `#cafe` is another: tags keep their accents, search ignores them.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// Most characters in a tag's name.
pub const MAX_TAG_CHARS: usize = 100;

/// Most tags kept for one tweet: 280 characters hold at most 140 `#a ` tags, so this never
/// cuts a real tweet short; it bounds the rows a crafted one writes.
pub const MAX_TAGS: usize = 140;

/// A tag's name: NFKC, lowercased, 1–100 letters, marks, digits or `_`, not all digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hashtag(String);

impl Hashtag {
    /// The tag a client names (`rust`, `#Rust`, `Café`): normalised as tags in text are;
    /// `None` when it is no tag's name.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.strip_prefix('#').unwrap_or(raw);
        Self::from_run(raw)
    }

    /// The normalised name of a run of tag characters, if it makes a valid name.
    fn from_run(run: &str) -> Option<Self> {
        let name: String = run.nfkc().collect::<String>().to_lowercase();
        let chars = name.chars().count();
        let valid = (1..=MAX_TAG_CHARS).contains(&chars)
            && name.chars().all(is_tag_char)
            && !name.chars().all(is_digit);
        valid.then_some(Self(name))
    }

    /// The name, without `#`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

fn is_digit(c: char) -> bool {
    c.general_category() == GeneralCategory::DecimalNumber
}

/// A letter, a mark, a decimal digit or `_`.
pub(super) fn is_tag_char(c: char) -> bool {
    c == '_'
        || is_digit(c)
        || matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter | GeneralCategoryGroup::Mark
        )
}

/// The tags `text` carries, once each, in order of first appearance (at most `MAX_TAGS`).
pub fn parse_hashtags(text: &str) -> Vec<Hashtag> {
    let mut found: Vec<Hashtag> = Vec::new();
    let mut before: Option<char> = None;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        let starts = c == '#' && !before.is_some_and(|b| b == '&' || is_tag_char(b));
        before = Some(c);
        if !starts {
            continue;
        }
        let end = rest
            .char_indices()
            .find(|(_, c)| !is_tag_char(*c))
            .map_or(rest.len(), |(at, _)| at);
        let run = &rest[..end];
        if let Some(last) = run.chars().last() {
            before = Some(last);
        }
        rest = &rest[end..];
        if run.chars().count() > MAX_TAG_CHARS {
            continue;
        }
        if let Some(tag) = Hashtag::from_run(run)
            && !found.contains(&tag)
        {
            found.push(tag);
            if found.len() == MAX_TAGS {
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(text: &str) -> Vec<String> {
        parse_hashtags(text)
            .into_iter()
            .map(Hashtag::into_string)
            .collect()
    }

    #[test]
    fn finds_tags_in_order_once_each_lowercased() {
        assert_eq!(
            tags("#Rust and #tokio, again #RUST; (#axum) end#not"),
            ["rust", "tokio", "axum"]
        );
        assert_eq!(
            tags("#snake_case #_ #a1 #1a"),
            ["snake_case", "_", "a1", "1a"]
        );
    }

    #[test]
    fn all_digits_is_no_tag() {
        assert_eq!(tags("#123 #2024 #١٢٣"), Vec::<String>::new());
        assert_eq!(tags("#123abc"), ["123abc"]);
    }

    #[test]
    fn a_hash_after_a_name_character_or_an_ampersand_is_no_tag() {
        assert_eq!(tags("a#b 9#x _#y é#z"), Vec::<String>::new());
        assert_eq!(tags("it&#39;s &#x27;"), Vec::<String>::new());
        assert_eq!(tags("(#ok) -#ok2 ##double"), ["ok", "ok2", "double"]);
    }

    #[test]
    fn accents_are_kept_and_their_forms_are_one_tag() {
        // Composed, decomposed (e + U+0301) and upper case are one tag; without the accent,
        // another.
        assert_eq!(tags("#Café #cafe\u{301} #CAFÉ #cafe"), ["café", "cafe"]);
        assert_eq!(Hashtag::parse("#CAFE\u{301}").unwrap().as_str(), "café");
    }

    #[test]
    fn compatibility_forms_fold_by_nfkc() {
        // Fullwidth letters and the "ﬁ" ligature.
        assert_eq!(tags("#ＲＵＳＴ #ﬁsh"), ["rust", "fish"]);
        // Non-Latin scripts are letters too.
        assert_eq!(tags("#日本語 #Ελλάδα"), ["日本語", "ελλάδα"]);
    }

    #[test]
    fn a_run_over_100_characters_is_no_tag() {
        let ok = "a".repeat(100);
        let long = "a".repeat(101);
        assert_eq!(tags(&format!("#{ok}")), [ok]);
        assert_eq!(tags(&format!("#{long} #next")), ["next"]);
        assert!(Hashtag::parse(&long).is_none());
        // A name that NFKC expands past 100 characters (U+FDFA is 18) or into spaces is
        // just text.
        assert!(Hashtag::parse("\u{FDFA}").is_none());
    }

    #[test]
    fn names_from_clients_parse_with_or_without_the_hash() {
        assert_eq!(Hashtag::parse("Rust").unwrap().as_str(), "rust");
        assert_eq!(Hashtag::parse("#rust").unwrap().as_str(), "rust");
        for bad in ["", "#", "##rust", "rust lang", "123", "a-b", "a#b"] {
            assert!(Hashtag::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn a_crafted_text_keeps_at_most_max_tags() {
        let text: String = (0..200).map(|i| format!("#t{i} ")).collect();
        assert_eq!(parse_hashtags(&text).len(), MAX_TAGS);
    }
}
