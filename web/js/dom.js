// Tiny DOM helpers. Everything is built with createElement and textContent: data from users
// or the network never goes through an HTML parser.

/**
 * h('a', {className: 'x', href: '/'}, 'text', child) → element. Attributes are set as
 * properties when the element has one (className, href, hidden …), else with setAttribute;
 * `dataset` takes an object. Children are nodes or strings (inserted as text).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.includes('-') || !(key in el)) el.setAttribute(key, value === true ? '' : String(value));
    else el[key] = value;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Whether a key pressed on `target` is typing (in a field), not a shortcut. */
export function isTyping(target) {
  if (!(target instanceof Element)) return false;
  return target.isContentEditable || !!target.closest('input, textarea, select, [contenteditable]');
}

/** Replace all children of `el`. */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const SVG = 'http://www.w3.org/2000/svg';
const ICONS = {
  heart: 'M12 21.1l-1.5-1.3C5.4 15.2 2 12.1 2 8.4 2 5.4 4.4 3 7.4 3c1.7 0 3.4.8 4.6 2.1C13.2 3.8 14.9 3 16.6 3 19.6 3 22 5.4 22 8.4c0 3.7-3.4 6.8-8.5 11.4L12 21.1z',
  heartOutline: 'M16.6 3c-1.7 0-3.4.8-4.6 2.1C10.8 3.8 9.1 3 7.4 3 4.4 3 2 5.4 2 8.4c0 3.7 3.4 6.8 8.5 11.4l1.5 1.3 1.5-1.3C18.6 15.2 22 12.1 22 8.4 22 5.4 19.6 3 16.6 3zm-4.5 15.3l-.1.1-.1-.1C7.1 14.1 4 11.3 4 8.4 4 6.4 5.5 5 7.4 5c1.5 0 3 1 3.5 2.3h2.2C13.6 6 15.1 5 16.6 5c1.9 0 3.4 1.4 3.4 3.4 0 2.9-3.1 5.7-7.9 9.9z',
  trash: 'M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h1.5v-8H10zm2.5 0v8H14v-8h-1.5z',
  arrowUp: 'M12 4l7 7-1.4 1.4-4.6-4.6V20h-2V7.8l-4.6 4.6L5 11l7-7z',
  reply: 'M4 4h16a2 2 0 012 2v10a2 2 0 01-2 2H8l-4 4V6a2 2 0 012-2zm0 2v11.2L7.2 14H20V6H4z',
  bell: 'M12 22a2.5 2.5 0 002.5-2.5h-5A2.5 2.5 0 0012 22zm7-6V11a7 7 0 00-5.5-6.8V3a1.5 1.5 0 00-3 0v1.2A7 7 0 005 11v5l-2 2v1h18v-1l-2-2z',
  back: 'M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20v-2z',
  flag: 'M5 2h2v20H5V2zm3 1h11l-2.5 4.5L19 12H8V3zm2 2v5h5.6l-1.4-2.5L15.6 5H10z',
  shield: 'M12 2l8 3v6c0 5.2-3.4 9.6-8 11-4.6-1.4-8-5.8-8-11V5l8-3zm0 2.1L6 6.4V11c0 4 2.5 7.6 6 8.9 3.5-1.3 6-4.9 6-8.9V6.4l-6-2.3z',
};

/** A decorative inline SVG icon (hidden from assistive technology). */
export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.classList.add('icon', `icon-${name}`);
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', ICONS[name]);
  svg.append(path);
  return svg;
}
