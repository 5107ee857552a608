// Hashtags as the contract names them: `#` then 1–100 Unicode letters, marks, digits or `_`
// (at least one not a digit), not right after a letter, digit, `_` or `&`; a tag's name is
// its NFKC form, lowercased, so `#Café`, `#CAFÉ` and `#ｃａｆé` are one tag. The server
// parses tags when a tweet is stored and lists them in its `tags`; the page only links
// what that list names, and normalises names the same way for its addresses.

/** A tag's name: the text after an optional leading `#`, NFKC, lowercased. */
export function tagName(text) {
  return String(text).replace(/^#/, '').normalize('NFKC').toLowerCase();
}

/** The tag page of `name` ("/tags/café"). */
export const tagPath = (name) => `/tags/${encodeURIComponent(tagName(name))}`;

/** A tag's characters in a text: letters, marks, digits and `_`. */
export const TAG_BODY = '[\\p{L}\\p{M}\\p{N}_]+';
/** What may not come right before a tag's `#`. */
export const TAG_BLOCKER = '[\\p{L}\\p{N}_&]';

/** Whether `body` (what follows a `#`) is a whole tag: 1–100 characters, not all digits. */
export function isTagBody(body) {
  const n = [...body].length;
  return n >= 1 && n <= 100 && !/^\p{N}+$/u.test(body);
}
