// Avatars are initials on a colour derived from the username, so every user keeps the same
// colour everywhere without any image upload.

/** "alice" → "A", "bob_smith" → "BS", "JaneDoe" → "JD". */
export function initials(username) {
  const name = String(username || '?');
  const parts = name.split(/[_\d]+/).filter(Boolean);
  if (parts.length >= 2) return (parts[0][0] + parts[1][0]).toUpperCase();
  const camel = name.match(/^[a-z]*([A-Z])[a-z]*([A-Z])/);
  if (camel) return (name[0] + camel[2]).toUpperCase();
  return name[0].toUpperCase();
}

// Hues far enough apart to tell people apart at a glance.
const HUES = [211, 340, 150, 25, 265, 188, 0, 295, 45];

/** A stable hue for a username (FNV-1a over its lowercase form, mixed, picked from HUES). */
export function hue(username) {
  let hash = 0x811c9dc5;
  for (const ch of String(username).toLowerCase()) {
    hash ^= ch.codePointAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Final mix (murmur3's fmix32) so that similar names land on different hues.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return HUES[(hash >>> 0) % HUES.length];
}

/** Fill `el` (any element with class "avatar") for `username`. */
export function paintAvatar(el, username) {
  el.textContent = initials(username);
  // CSSOM, not a style attribute: allowed under the page's Content-Security-Policy.
  el.style.setProperty('--avatar-hue', String(hue(username)));
  return el;
}

/** A new decorative avatar element. `size` is "s", "m" (default) or "l". */
export function avatar(username, size = 'm') {
  const el = document.createElement('span');
  el.className = `avatar avatar-${size}`;
  el.setAttribute('aria-hidden', 'true');
  return paintAvatar(el, username);
}
