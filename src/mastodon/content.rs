//! A status's `content`: HTML made from the escaped text, as Mastodon makes it — links (found
//! by `linkify`, never by a hand-made URL pattern), mentions of real users and hashtags as
//! Mastodon's anchors, line breaks as `<br />`, paragraphs at blank lines. Every byte of the
//! user's text passes through `escape`; only the markup around it is ours.

use linkify::{LinkFinder, LinkKind};

use crate::domain::Hashtag;

/// Escape text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// (start, end, name) of each `#` run that may be a hashtag, by byte offsets (`start` at
/// the `#`); which are is the tweet's `tags`' to say.
fn hashtag_spans(text: &str) -> Vec<(usize, usize, &str)> {
    let mut spans = Vec::new();
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let preceded = prev.is_some_and(|p| is_tag_char(p) || p == '&');
        prev = Some(c);
        if c != '#' || preceded {
            continue;
        }
        let start = i + 1;
        let end = text[start..]
            .char_indices()
            .find(|(_, c)| !is_tag_char(*c))
            .map_or(text.len(), |(n, _)| start + n);
        let name = &text[start..end];
        let chars = name.chars().count();
        if (1..=100).contains(&chars) && name.chars().any(|c| !c.is_ascii_digit()) {
            spans.push((i, end, name));
        }
    }
    spans
}

/// (start, end, name) of each `@name` mention whose name is in `known` (lowercase).
fn mention_spans<'a>(text: &'a str, known: &[String]) -> Vec<(usize, usize, &'a str)> {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'@' || (i > 0 && is_name(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let start = i + 1;
        let end = bytes[start..]
            .iter()
            .position(|b| !is_name(*b))
            .map_or(bytes.len(), |n| start + n);
        // ASCII name bytes: these offsets are character boundaries.
        let name = &text[start..end];
        if known.iter().any(|k| k.eq_ignore_ascii_case(name)) {
            spans.push((i, end, name));
        }
        i = end.max(start);
    }
    spans
}

/// One piece of markup over a span of the text.
enum Anchor<'a> {
    Link(&'a str),
    Mention(&'a str),
    /// As written, and its name.
    Tag(&'a str, String),
}

/// The HTML `content` of `text`, linking the `mentions` (usernames of real users) to their
/// profiles at `base` and its `tags` (names as stored) to their tag pages. No text (a
/// status of images only) is `""`, as Mastodon answers it.
pub fn to_html(text: &str, mentions: &[String], tags: &[String], base: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let mut anchors: Vec<(usize, usize, Anchor)> = Vec::new();
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    for link in finder.links(text) {
        let url = link.as_str();
        if url.starts_with("http://") || url.starts_with("https://") {
            anchors.push((link.start(), link.end(), Anchor::Link(url)));
        }
    }
    let free = |s: usize, e: usize, taken: &[(usize, usize, Anchor)]| {
        taken.iter().all(|(a, b, _)| e <= *a || s >= *b)
    };
    for (s, e, name) in mention_spans(text, mentions) {
        if free(s, e, &anchors) {
            anchors.push((s, e, Anchor::Mention(name)));
        }
    }
    for (s, e, run) in hashtag_spans(text) {
        let tag = Hashtag::parse(run).filter(|t| tags.iter().any(|n| n == t.as_str()));
        if let Some(tag) = tag
            && free(s, e, &anchors)
        {
            anchors.push((s, e, Anchor::Tag(run, tag.into_string())));
        }
    }
    anchors.sort_by_key(|(s, _, _)| *s);
    let mut html = String::from("<p>");
    let mut at = 0;
    for (start, end, anchor) in &anchors {
        push_text(&mut html, &text[at..*start]);
        match anchor {
            Anchor::Link(url) => {
                let url = escape(url);
                html.push_str(&format!(
                    "<a href=\"{url}\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">{url}</a>"
                ));
            }
            Anchor::Mention(name) => {
                let name = escape(name);
                html.push_str(&format!(
                    "<span class=\"h-card\" translate=\"no\"><a href=\"{base}/users/{name}\" \
                     class=\"u-url mention\">@<span>{name}</span></a></span>"
                ));
            }
            Anchor::Tag(written, key) => {
                let key = escape(key);
                let name = escape(written);
                html.push_str(&format!(
                    "<a href=\"{base}/tags/{key}\" class=\"mention hashtag\" rel=\"tag\">#<span>{name}</span></a>"
                ));
            }
        }
        at = *end;
    }
    push_text(&mut html, &text[at..]);
    html.push_str("</p>");
    html
}

/// Escaped text, with blank lines as paragraph breaks and other line breaks as `<br />`.
fn push_text(html: &mut String, text: &str) {
    let mut newlines = 0;
    for c in text.chars() {
        if c == '\n' {
            newlines += 1;
            continue;
        }
        flush_newlines(html, newlines);
        newlines = 0;
        if c != '\r' {
            html.push_str(&escape(c.encode_utf8(&mut [0; 4])));
        }
    }
    flush_newlines(html, newlines);
}

fn flush_newlines(html: &mut String, newlines: usize) {
    match newlines {
        0 => {}
        1 => html.push_str("<br />"),
        _ => html.push_str("</p><p>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_marked_up() {
        let html = to_html(
            "<b>hi</b> @ada & @nobody see https://example.com/a?b=1&c=2 #Rust",
            &["ada".into()],
            &["rust".into()],
            "http://x",
        );
        assert_eq!(
            html,
            "<p>&lt;b&gt;hi&lt;/b&gt; <span class=\"h-card\" translate=\"no\"><a href=\"http://x/users/ada\" \
             class=\"u-url mention\">@<span>ada</span></a></span> &amp; @nobody see \
             <a href=\"https://example.com/a?b=1&amp;c=2\" target=\"_blank\" rel=\"nofollow noopener noreferrer\">\
             https://example.com/a?b=1&amp;c=2</a> \
             <a href=\"http://x/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a></p>"
        );
    }

    #[test]
    fn lines_and_paragraphs() {
        assert_eq!(
            to_html("a\nb\n\nc", &[], &[], ""),
            "<p>a<br />b</p><p>c</p>"
        );
    }

    #[test]
    fn a_link_with_a_fragment_is_not_a_tag() {
        let html = to_html("https://e.com/#top", &[], &["top".into()], "");
        assert!(!html.contains("hashtag"), "{html}");
    }
}
