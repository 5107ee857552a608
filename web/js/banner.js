// The "Show N new tweets" banner: a real <button> inside an aria-live="polite" region, so a
// screen reader hears about new tweets without losing its place; it never takes focus.
// It takes its own row above the timeline (so at the top of the page it covers no tweet)
// and floats below the header once the reader scrolls down. The "." key activates it
// (unless the user is typing; announced by aria-keyshortcuts and the tooltip, not drawn on
// the pill), and while the tab is hidden the document title carries the count: "(3) Everyone · Chirp".

import { h, icon, isTyping, replaceChildren } from './dom.js';
import { avatar } from './avatar.js';

/** "alice", "alice and bob", "alice, bob and carol", "alice, bob and 3 others". */
export function joinNames(names) {
  if (names.length <= 1) return names.join('');
  if (names.length <= 3) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${names.slice(0, 2).join(', ')} and ${names.length - 2} others`;
}

/** "Show 1 new tweet" / "Show N new tweets" (or "reply" / "replies" on a conversation). */
export const countText = (n, noun = ['tweet', 'tweets']) => (n === 1 ? `Show 1 new ${noun[0]}` : `Show ${n} new ${noun[1]}`);

export class Banner {
  /**
   * `onActivate({hadFocus})` runs on a click or "."; `keepingPlace(fn)` runs `fn`, which
   * shows or hides the banner's row, without moving the tweet the reader is looking at.
   */
  constructor({ button, onActivate, keepingPlace = (fn) => fn() }) {
    this.button = button;
    this.onActivate = onActivate;
    this.keepingPlace = keepingPlace;
    this.count = 0;
    /** What the banner counts, singular and plural: a conversation counts replies. */
    this.noun = ['tweet', 'tweets'];
    this.baseTitle = document.title;
    button.addEventListener('click', () => this.activate());
    document.addEventListener('keydown', (e) => {
      if (e.key !== '.' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      if (isTyping(e.target) || this.button.hidden) return;
      e.preventDefault();
      this.activate();
    });
    document.addEventListener('visibilitychange', () => this.updateTitle());
  }

  activate() {
    if (this.button.hidden || this.button.getAttribute('aria-disabled') === 'true') return;
    this.onActivate({ hadFocus: document.activeElement === this.button });
  }

  /**
   * Show the banner for `entries` ({id, username}, newest first), or hide it when empty.
   * Updating the text in place lets the live region announce the new count.
   */
  show(entries) {
    this.count = entries.length;
    if (!entries.length) { this.hide(); return; }
    const names = [...new Set(entries.map((e) => e.username))];
    const faces = h('span', { className: 'banner-faces', 'aria-hidden': 'true' },
      names.slice(0, 3).map((n) => avatar(n, 's')));
    this.keepingPlace(() => {
      replaceChildren(this.button,
        icon('arrowUp'),
        faces,
        h('span', { className: 'banner-text' }, countText(entries.length, this.noun)),
        h('span', { className: 'banner-names' }, ` from ${joinNames(names)}`),
      );
      this.button.title = 'Keyboard shortcut: .';
      this.button.hidden = false;
    });
    this.updateTitle();
  }

  hide() {
    this.count = 0;
    if (!this.button.hidden) this.keepingPlace(() => { this.button.hidden = true; });
    this.button.replaceChildren();
    this.button.removeAttribute('title');
    this.busy(false);
    this.updateTitle();
  }

  busy(on) {
    if (on) this.button.setAttribute('aria-disabled', 'true');
    else this.button.removeAttribute('aria-disabled');
    this.button.classList.toggle('is-busy', on);
  }

  setBaseTitle(title) {
    this.baseTitle = title;
    this.updateTitle();
  }

  updateTitle() {
    document.title = document.hidden && this.count > 0 ? `(${this.count}) ${this.baseTitle}` : this.baseTitle;
  }
}
