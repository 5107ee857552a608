// The list of tweets on screen: newest first, "load more" at the bottom, and insertion or
// removal anywhere without moving what the reader is looking at.
//
// A conversation page shows a tweet's replies instead (`replyTo`): oldest first, "load
// more" walking forward with `after`, new replies joining at the bottom. A tag page lists a
// hashtag's tweets (`tag`), the search page the tweets matching a query (`query`, which pages
// only backwards: it has no banner).
//
// Invariants: the list is sorted by id, descending (ascending for replies), with no duplicates. `syncedId` is the
// newest id up to which this page has seen every tweet of its source (shown, counted as
// pending, or for replies reachable by "load more"); the user's own posts are inserted at once but do not advance it, so "what is
// newer than syncedId" never skips someone else's tweet that landed just before ours. Only
// this module writes it: the first page sets it, `advanceSynced` (the banner) moves it on.
// Tweets of an account the viewer has just blocked or muted (hidden.js) are never shown:
// they are skipped when a page arrives and removed from the list the moment it happens.

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';
import { renderTweet, updateLike } from './tweet.js';
import { hides } from './hidden.js';

const PAGE = 20;

export class Timeline {
  #syncedId = 0;

  /**
   * `list` is the <ol>, `status` a <p role=status>, `more` the load-more button, `topbar`
   * the sticky header (its bottom edge is the top of what the reader can see).
   */
  constructor({ list, status, more, topbar, toast, onReport = () => {} }) {
    this.list = list;
    this.onReport = onReport;
    this.status = status;
    this.more = more;
    this.topbar = topbar;
    this.toast = toast;
    this.items = new Map();
    this.tweets = new Map(); // id → the tweet shown (to judge it again when someone is hidden)
    this.me = null;
    this.username = null;
    this.home = false;
    this.single = false;
    this.replyTo = null;
    this.tag = null;
    this.query = null;
    this.oldestId = null;
    /** What an empty list says instead of the usual (e.g. on the profile of someone you block). */
    this.emptyNote = null;
    this.generation = 0;
    this.listeners = { removed: [] };
    more.addEventListener('click', () => this.loadMore());
  }

  /**
   * Start over for a new source: the signed-in user's home timeline (`home`), one user's
   * tweets (`username`), a tweet's replies (`replyTo`), a hashtag's tweets (`tag`), the
   * tweets matching a search (`query`), or everyone's.
   */
  reset({ username = null, home = false, single = false, me = null, replyTo = null, tag = null, query = null }) {
    this.generation++;
    this.replyTo = replyTo;
    this.tag = tag;
    this.query = query;
    this.username = username;
    this.home = home;
    this.single = single;
    this.me = me;
    this.items.clear();
    this.tweets.clear();
    this.#syncedId = 0;
    this.oldestId = null;
    this.ready = false;
    this.emptyNote = null;
    this.list.replaceChildren();
    this.more.hidden = true;
    this.setStatus('');
    this.list.classList.toggle('single', single);
  }

  /** What this list shows, as `reset` takes it. */
  get source() {
    return { username: this.username, home: this.home, replyTo: this.replyTo, tag: this.tag, query: this.query };
  }

  /** See the invariants above: every tweet of the source up to this id is accounted for. */
  get syncedId() { return this.#syncedId; }

  /** Everything up to `id` is now shown or counted (never moves back). */
  advanceSynced(id) { this.#syncedId = Math.max(this.#syncedId, id); }

  /** Start this source over and load its first page again (the "Try again" button). */
  retry(load) {
    this.reset({ ...this.source, single: this.single, me: this.me });
    return load();
  }

  /** Fetch a page of the current source (for the pending tracker and catch-up). */
  fetch(params) {
    if (this.replyTo) return api.listReplies(this.replyTo, { after: params.after, limit: params.limit });
    if (this.query !== null) return api.searchTweets(this.query, { before: params.before, limit: params.limit });
    return api.listTweets({ home: this.home, username: this.username, tag: this.tag, ...params });
  }

  setStatus(text, retry) {
    replaceChildren(this.status, text || '');
    if (retry) {
      const btn = h('button', { type: 'button', className: 'btn btn-quiet' }, 'Try again');
      btn.addEventListener('click', retry);
      this.status.append(' ', btn);
    }
  }

  /** First page of the timeline. Resolves once it is on screen (or failed). */
  async loadInitial() {
    const gen = this.generation;
    this.setStatus('Loading…');
    this.list.setAttribute('aria-busy', 'true');
    try {
      // Replies page oldest first, so the first page's newest is not the newest reply: every
      // reply stored before the page loaded has an id at most the newest tweet's then (ids
      // grow in commit order), and is old news ("load more" shows it), never a new reply.
      const floor = this.replyTo ? await this.newestTweetId() : 0;
      if (gen !== this.generation) return;
      const tweets = await this.fetch({ limit: PAGE });
      if (gen !== this.generation) return;
      this.setStatus('');
      this.append(tweets);
      this.#syncedId = tweets.reduce((m, t) => Math.max(m, t.id), floor);
      // The id "load more" continues from: the oldest shown, or for replies the newest.
      this.oldestId = tweets.length ? tweets[tweets.length - 1].id : null;
      this.more.hidden = tweets.length < PAGE;
      this.ready = true;
      if (!this.items.size) this.empty();
    } catch (e) {
      if (gen !== this.generation) return;
      // 400: not even a valid username; 404: no such user.
      if ((e.status === 404 || e.status === 400) && this.username) this.setStatus('This account doesn’t exist.');
      // A query the server refuses (too long, say) says why; trying it again would not help.
      else if (e.status === 400 && this.query !== null) this.setStatus(e.message);
      else this.setStatus(e.message || 'Couldn’t load tweets.', () => this.retry(() => this.loadInitial()).catch(() => {}));
      throw e;
    } finally {
      if (gen === this.generation) this.list.removeAttribute('aria-busy');
    }
  }

  /** The newest tweet's id now (0 when there is none). */
  async newestTweetId() {
    const [newest] = await api.listTweets({ limit: 1 });
    return newest ? newest.id : 0;
  }

  /** Show one tweet on its own (the /tweets/{id} page). */
  async loadSingle(id) {
    const gen = this.generation;
    this.setStatus('Loading…');
    try {
      const tweet = await api.getTweet(id);
      if (gen !== this.generation) return null;
      this.setStatus('');
      this.append([tweet], { big: true });
      return tweet;
    } catch (e) {
      if (gen !== this.generation) return null;
      if (e.status === 404) this.setStatus('This tweet doesn’t exist. It may have been deleted.');
      else this.setStatus(e.message, () => this.retry(() => this.loadSingle(id)));
      return null;
    }
  }

  /** Nothing to show: say so, and let listeners add to it (home suggests whom to follow). */
  empty() {
    this.setStatus(this.emptyText());
    for (const fn of this.listeners.empty || []) fn();
  }

  /** Say `text` (or the usual, when null) whenever this list is empty. */
  setEmptyNote(text) {
    this.emptyNote = text;
    if (this.ready && !this.items.size) this.setStatus(this.emptyText());
  }

  emptyText() {
    if (this.emptyNote) return this.emptyNote;
    if (this.replyTo) return 'No replies yet.';
    if (this.home) return 'Your home timeline is empty: follow people to see their tweets here.';
    if (this.tag !== null) return `No tweets with #${this.tag} yet.`;
    if (this.query !== null) return `No tweets match “${this.query}”.`;
    if (this.username) {
      return this.me && this.me.username.toLowerCase() === this.username.toLowerCase()
        ? 'You haven’t posted yet. Say hello!'
        : `@${this.username} hasn’t posted yet.`;
    }
    return 'No tweets yet. Be the first to chirp!';
  }

  async loadMore() {
    if (this.oldestId === null || this.more.disabled) return;
    const gen = this.generation;
    this.more.disabled = true;
    this.more.textContent = 'Loading…';
    try {
      const tweets = await this.fetch(this.replyTo
        ? { after: this.oldestId, limit: PAGE }
        : { before: this.oldestId, limit: PAGE });
      if (gen !== this.generation) return;
      this.append(tweets);
      if (tweets.length) this.oldestId = tweets[tweets.length - 1].id;
      // Replies this page now shows are no longer news for the banner.
      if (this.replyTo) this.advanceSynced(this.oldestId || 0);
      this.more.hidden = tweets.length < PAGE;
    } catch (e) {
      if (gen === this.generation) this.toast(e.message);
    } finally {
      this.more.disabled = false;
      this.more.textContent = 'Load more';
    }
  }

  has(id) { return this.items.has(id); }
  get size() { return this.items.size; }

  /** The newest id on screen (0 when empty). */
  newestShown() {
    const first = this.list.firstElementChild;
    return first ? Number(first.dataset.id) : 0;
  }

  render(tweet, big = false) {
    return renderTweet(tweet, {
      me: this.me,
      big,
      onLike: (id, liked, btn) => this.like(id, liked, btn),
      onDelete: (id, btn) => this.deleteOwn(id, btn),
      onReport: (t) => this.onReport(t),
    });
  }

  /**
   * Whether this list leaves `tweet` out because its author was just blocked or muted (and,
   * in everyone's and the home timeline, a reply to such an author's tweet), as the server does.
   */
  hidden(tweet) {
    return hides(tweet, { replies: this.home || this.everyone });
  }

  /** Whether this list is everyone's tweets. */
  get everyone() {
    return !this.home && this.username === null && this.replyTo === null && this.tag === null && this.query === null;
  }

  /** Add older tweets at the bottom (first page, load more). */
  append(tweets, { big = false } = {}) {
    for (const t of tweets) {
      if (this.items.has(t.id) || this.hidden(t)) continue;
      const li = this.render(t, big);
      this.items.set(t.id, li);
      this.tweets.set(t.id, t);
      this.placeSorted(li, t.id);
    }
  }

  /** Take out every tweet shown that is now hidden (someone was just blocked or muted). */
  removeHidden() {
    for (const [id, t] of [...this.tweets]) if (this.hidden(t)) this.remove(id);
  }

  placeSorted(li, id) {
    for (const child of this.list.children) {
      const other = Number(child.dataset.id);
      if (this.replyTo ? other > id : other < id) { this.list.insertBefore(li, child); return; }
    }
    this.list.append(li);
  }

  /**
   * Insert newer tweets in id order, keeping the reader's place, and mark them as new.
   * Returns the inserted elements (newest first).
   */
  insert(tweets, { highlight = true } = {}) {
    const fresh = tweets.filter((t) => !this.items.has(t.id) && !this.hidden(t)).sort((a, b) => b.id - a.id);
    const added = [];
    this.keepingPlace(() => {
      for (const t of fresh) {
        if (this.items.has(t.id)) continue;
        const li = this.render(t);
        if (highlight) li.classList.add('is-new');
        this.items.set(t.id, li);
        this.tweets.set(t.id, t);
        this.placeSorted(li, t.id);
        added.push(li);
      }
      if (this.items.size) this.setStatus('');
    });
    return added;
  }

  /** Remove a tweet from the page (deleted here or elsewhere). */
  remove(id) {
    const li = this.items.get(id);
    if (!li) return false;
    // If focus is inside the tweet (its delete button), hand it to a neighbour, not <body>.
    const hadFocus = li.contains(document.activeElement);
    const next = li.nextElementSibling || li.previousElementSibling;
    this.keepingPlace(() => {
      li.remove();
      this.items.delete(id);
      this.tweets.delete(id);
    }, li);
    if (hadFocus && next) next.querySelector('article').focus({ preventScroll: true });
    if (!this.items.size) {
      if (this.single) this.setStatus('This tweet was deleted.');
      else this.empty();
    }
    for (const fn of this.listeners.removed) fn(id);
    return true;
  }

  /**
   * Bring the reader to `li` (a tweet they asked to see): scroll it to just below the sticky
   * header unless it is already in view, e.g. when the reader is at the top of the page.
   */
  reveal(li) {
    const viewTop = this.topbar.getBoundingClientRect().bottom;
    const rect = li.getBoundingClientRect();
    if (rect.top >= viewTop && rect.bottom <= window.innerHeight) return;
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    window.scrollBy({ top: rect.top - viewTop, left: 0, behavior: smooth ? 'smooth' : 'instant' });
  }

  /**
   * Run `mutate` (which adds or removes list items, or the banner's row above them) so that the tweet the reader is looking
   * at stays exactly where it is on screen: measure the first visible tweet below the sticky
   * header before and after, and scroll by the difference. When the top of the list is in
   * view the reader is at the top of the timeline, and new tweets simply appear there.
   */
  keepingPlace(mutate, excluded) {
    const viewTop = this.topbar.getBoundingClientRect().bottom;
    let anchor = null;
    if (this.list.getBoundingClientRect().top < viewTop) {
      for (const li of this.list.children) {
        if (li === excluded) continue;
        const rect = li.getBoundingClientRect();
        if (rect.bottom > viewTop) { anchor = { el: li, top: rect.top }; break; }
      }
    }
    mutate();
    if (anchor && anchor.el.isConnected) {
      const delta = anchor.el.getBoundingClientRect().top - anchor.top;
      if (delta) window.scrollBy({ top: delta, left: 0, behavior: 'instant' });
    }
  }

  async like(id, liked, btn) {
    if (!this.me) {
      for (const fn of this.listeners.needAuth || []) fn('Sign in to like tweets.');
      return;
    }
    btn.disabled = true;
    try {
      const tweet = await api.setLike(id, liked);
      updateLike(btn, tweet);
    } catch (e) {
      this.toast(e.message);
    } finally {
      btn.disabled = false;
    }
  }

  async deleteOwn(id, btn) {
    btn.disabled = true;
    try {
      await api.deleteTweet(id);
      this.remove(id);
    } catch (e) {
      if (e.status === 404) this.remove(id);
      else { btn.disabled = false; this.toast(e.message); }
    }
  }

  on(event, fn) {
    (this.listeners[event] ||= []).push(fn);
  }
}
