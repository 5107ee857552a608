//! Search words: the one normalisation that tweets are indexed by and queries are read with,
//! done here rather than by either database, so that SQLite and PostgreSQL find exactly the
//! same tweets for the same query.
//!
//! Text is decomposed (NFKD), its combining marks dropped (so `Café`, `café` and `cafe`
//! agree), recomposed (NFC, so Hangul syllables stay syllables), lowercased, and cut into
//! words at every character that is not a letter or a number (Unicode general categories `L`
//! and `N`; also `Co`, as SQLite's `unicode61` tokenizer counts it as a word character). The
//! words are stored joined by spaces: SQLite's FTS5 (`unicode61 remove_diacritics 0`) then
//! splits them at exactly those spaces and changes nothing else, and PostgreSQL stores them
//! as a `tsvector` of exactly these lexemes (`array_to_tsvector`), without its own parser.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};

/// Whether `c` is part of a word.
fn is_word_char(c: char) -> bool {
    matches!(
        c.general_category_group(),
        GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number
    ) || c.general_category() == GeneralCategory::PrivateUse
}

/// The words of `text`, normalised, in order (repeats kept).
pub fn search_words(text: &str) -> Vec<String> {
    let folded: String = text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .collect::<String>()
        .to_lowercase();
    folded
        .split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The words of `text` as they are indexed: normalised, each once, joined by single spaces
/// (`""` when there are none).
pub fn indexed_words(text: &str) -> String {
    let mut words = search_words(text);
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_accents_are_ignored() {
        assert_eq!(
            search_words("Café CAFÉ cafe\u{301}"),
            ["cafe", "cafe", "cafe"]
        );
        assert_eq!(search_words("Ångström Straße"), ["angstrom", "straße"]);
    }

    #[test]
    fn words_are_cut_at_everything_but_letters_and_numbers() {
        assert_eq!(
            search_words("#rust, @ada's https://x.io/a-b 3.14 snake_case"),
            [
                "rust", "ada", "s", "https", "x", "io", "a", "b", "3", "14", "snake", "case"
            ]
        );
        assert!(search_words("!!! ... --- 🎉").is_empty());
    }

    #[test]
    fn other_scripts_are_words_too() {
        assert_eq!(search_words("日本語 テスト"), ["日本語", "テスト"]);
        assert_eq!(search_words("한국어"), ["한국어"], "syllables recomposed");
        assert_eq!(search_words("Ελλάδα"), ["ελλαδα"]);
        // Fullwidth letters fold to ASCII.
        assert_eq!(search_words("ＲＵＳＴ"), ["rust"]);
    }

    #[test]
    fn the_index_keeps_each_word_once() {
        assert_eq!(indexed_words("Rust rust RUST tokio"), "rust tokio");
        assert_eq!(indexed_words("..."), "");
    }
}
