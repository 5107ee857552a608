// Hashtags as the contract names them (src/domain/hashtag.rs): `#` then 1–100 Unicode
// letters, marks, decimal digits or `_` (at least one not a digit), not right after one of
// those or `&`; a tag's name is its NFKC form, lowercased, so `#Café`, `#CAFÉ` and `#ｃａｆé`
// are one tag. The server parses tags when a tweet is stored and lists them in its `tags`;
// the page only links what that list names, and normalises names the same way for its
// addresses.

/** A tag's name: the text after an optional leading `#`, NFKC, lowercased. */
export function tagName(text) {
  return String(text).replace(/^#/, '').normalize('NFKC').toLowerCase();
}

/** The tag page of `name` ("/tags/café"). */
export const tagPath = (name) => `/tags/${encodeURIComponent(tagName(name))}`;

/** A tag's characters in a text: letters, marks, decimal digits and `_`. */
export const TAG_BODY = '[\\p{L}\\p{M}\\p{Nd}_]+';
/** What may not come right before a tag's `#`: a tag character or `&` (so `&#39;` is none). */
export const TAG_BLOCKER = '[\\p{L}\\p{M}\\p{Nd}_&]';

/** Whether `body` (what follows a `#`) is a whole tag: 1–100 characters, not all digits. */
export function isTagBody(body) {
  const n = [...body].length;
  return n >= 1 && n <= 100 && !/^\p{Nd}+$/u.test(body);
}
