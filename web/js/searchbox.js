// The search field in the header. It is a real GET form to /search (so it works before the
// script runs); the app takes the submit and goes to `/search?q=…` itself, keeping the tab
// (Tweets | People) the reader is on. On a phone the field hides behind a magnifier button
// and opens over the header row. "/" puts the cursor in it (unless the user is typing).
// What the reader typed is never replaced while the field has focus.

import * as router from './router.js';
import { isTyping } from './dom.js';

/** The address of a search: `/search?q=…`, with `&type=users` for people. */
export function searchPath(q, type = 'tweets') {
  const params = new URLSearchParams({ q });
  if (type === 'users') params.set('type', 'users');
  return `/search?${params}`;
}

export class SearchBox {
  /**
   * `form` is the header's search form, `input` its field, `open` the phone's magnifier
   * button, `close` the button that folds it again, `bar` the header that shows it open.
   */
  constructor({ form, input, open, close, bar }) {
    Object.assign(this, { form, input, open, close, bar });
    this.type = 'tweets';
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = input.value.trim();
      if (!q) { input.focus(); return; }
      input.blur();
      this.fold();
      router.navigate(searchPath(q, this.type));
    });
    open.addEventListener('click', () => this.unfold());
    close.addEventListener('click', () => { this.fold(); open.focus(); });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.bar.classList.contains('searching')) { this.fold(); open.focus(); }
    });
    document.addEventListener('keydown', (e) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented || isTyping(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      e.preventDefault();
      this.focus();
    });
  }

  /** Put the cursor in the field (opening it first on a phone). */
  focus() {
    if (getComputedStyle(this.open).display !== 'none') this.unfold();
    else this.input.focus();
  }

  /** Phone: show the field over the header row. */
  unfold() {
    this.bar.classList.add('searching');
    this.open.setAttribute('aria-expanded', 'true');
    this.input.focus();
  }

  /** Phone: hide the field behind its button again. */
  fold() {
    this.bar.classList.remove('searching');
    this.open.setAttribute('aria-expanded', 'false');
  }

  /**
   * A page was shown: on a search page the field holds its query and its tab is kept for
   * the next search; elsewhere it is emptied (unless the reader is typing in it).
   */
  showing(route) {
    const onSearch = route.name === 'search';
    this.type = onSearch ? route.type : 'tweets';
    if (document.activeElement === this.input) return;
    this.input.value = onSearch ? route.q : '';
  }
}
