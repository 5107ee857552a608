//! The rule every free text a person types shares (tweets, display names, bios): no
//! control characters, because the back ends disagree about them (PostgreSQL refuses
//! U+0000 in `text`, SQLite stores it) and because ESC, BEL or a C1 code shown to others
//! is at best noise and at worst a terminal escape. Only newline and tab may be allowed,
//! and only where a line break makes sense.

use super::Invalid;

/// Which white space besides the space a text may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Breaks {
    /// `\n` and `\t` are allowed (a tweet, a bio).
    NewlinesAndTabs,
    /// No control character at all (a one-line name).
    None,
}

/// Refuse `text` when it holds a control character that `breaks` does not allow, naming
/// `field` and saying which character it was, so a person can find it.
pub(crate) fn refuse_control_characters(
    text: &str,
    field: &'static str,
    what: &str,
    breaks: Breaks,
) -> Result<(), Invalid> {
    let allowed = |c: char| breaks == Breaks::NewlinesAndTabs && matches!(c, '\n' | '\t');
    match text.chars().find(|&c| c.is_control() && !allowed(c)) {
        None => Ok(()),
        Some(bad) => {
            let rest = match breaks {
                Breaks::NewlinesAndTabs => "only newlines and tabs are allowed",
                Breaks::None => "it must be one line of text, without tabs",
            };
            Err(Invalid::new(
                field,
                format!(
                    "A {what} cannot contain control characters such as U+{:04X}; {rest}.",
                    u32::from(bad)
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_and_tabs_only_where_allowed() {
        let ok = refuse_control_characters("a\n\tb", "bio", "bio", Breaks::NewlinesAndTabs);
        assert!(ok.is_ok());
        for bad in ["a\nb", "a\tb", "a\u{0}b", "a\u{1b}b", "a\u{9b}b"] {
            let err = refuse_control_characters(bad, "display_name", "name", Breaks::None);
            assert_eq!(err.unwrap_err().field, "display_name", "{bad:?}");
        }
        for bad in ["a\u{0}b", "a\u{7}b", "a\rb", "a\u{7f}b", "a\u{85}b"] {
            let err = refuse_control_characters(bad, "bio", "bio", Breaks::NewlinesAndTabs);
            assert!(err.unwrap_err().message.contains("control"), "{bad:?}");
        }
    }
}
