// Honest bookkeeping for "new tweets": which tweets exist that this page has not shown yet.
//
// - `newTweet` events add an id to `pending` (unless it is ours, shown, or not from the user
//   whose profile this is), but only once the server has acknowledged that the socket
//   watches this page's timeline (`watch`): until then announcements are the previous
//   page's. `tweetDeleted` takes it out again.
// - After every socket (re)connect, once the server acknowledged the page's `watch`, the
//   page's own API (home, everyone's or one user's tweets) is asked what is newer than the
//   timeline's `syncedId`; everything found that is not ours counts. Announcements are not
//   replayed after a drop, so this is how tweets posted while we were away are never skipped.
// - Showing loads `after=syncedId` (paging by 100 until a short page), then fetches one by
//   one any pending id the pages did not bring (e.g. more than MAX_PAGES pages behind). Ids
//   commit in id order on both back ends (PostgreSQL inserts tweets under an advisory lock),
//   so the pages normally bring everything; the by-id fetch is a safety net.
// - Tweets of an account the viewer has just blocked or muted (hidden.js) never count, and
//   leave the count the moment it happens; the server stops announcing them itself.
// - Showing is always the reader's own request (a click or "."), so it brings the reader to
//   the newest tweet; `syncedId` belongs to the timeline, which this module only advances.

import * as api from './api.js';

const PAGE = 100;
const MAX_PAGES = 50;

export class Pending {
  constructor({ timeline, banner, toast }) {
    this.timeline = timeline;
    this.banner = banner;
    this.toast = toast;
    this.pending = new Map(); // id → {username, authorId, replyToAuthorId}
    this.enabled = false;
    this.me = null;
    this.username = null;
    this.watch = null;
    this.loading = false;
    this.generation = 0;
    timeline.on('removed', (id) => this.forget(id));
  }

  /**
   * Start counting for a new view. `watch` is the timeline its socket watches ("home",
   * "everyone", "user:<name>"); `username` limits counting to one author (profile page).
   */
  reset({ enabled, me, username = null, watch = null }) {
    this.generation++;
    this.enabled = enabled;
    this.me = me;
    this.username = username;
    this.watch = watch;
    this.pending.clear();
    this.loading = false;
    this.render();
  }

  counts(tweet) {
    const author = tweet && tweet.author;
    if (!this.enabled || !author) return false;
    if (this.me && author.id === this.me.id) return false;
    if (this.timeline.hidden(tweet)) return false;
    return !this.username || author.username.toLowerCase() === this.username.toLowerCase();
  }

  /** Remember `tweet` (a full tweet or an announcement) as pending. */
  add(tweet) {
    // An announcement names only the parent's id; a fetched tweet, the parent's author too.
    const parent = tweet.reply_to && typeof tweet.reply_to === 'object' ? tweet.reply_to.author : null;
    this.pending.set(tweet.id, { username: tweet.author.username, authorId: tweet.author.id, replyToAuthorId: parent ? parent.id : null });
  }

  /** A `newTweet` announcement, received while the socket watched `watching`. */
  announced(tweet, watching) {
    if (watching !== this.watch) return;
    if (!this.counts(tweet) || this.timeline.has(tweet.id)) return;
    this.add(tweet);
    this.render();
  }

  /** Someone was just blocked or muted: their pending tweets leave the count. */
  dropHidden() {
    let changed = false;
    for (const [id, p] of [...this.pending]) {
      const shape = { author: { id: p.authorId }, reply_to: p.replyToAuthorId === null ? null : { author: { id: p.replyToAuthorId } } };
      if (this.timeline.hidden(shape)) { this.pending.delete(id); changed = true; }
    }
    if (changed) this.render();
  }

  /** A `tweetDeleted` announcement. */
  deleted(id) {
    this.forget(id);
    this.timeline.remove(id);
  }

  forget(id) {
    if (this.pending.delete(id)) this.render();
  }

  render() {
    if (!this.enabled) { this.banner.hide(); return; }
    const entries = [...this.pending]
      .filter(([id]) => !this.timeline.has(id))
      .sort((a, b) => b[0] - a[0])
      .map(([id, p]) => ({ id, username: p.username }));
    this.banner.show(entries);
  }

  /** Every tweet of this view's source newer than `after`, following pages until done. */
  async fetchAfter(after) {
    const all = [];
    // Replies page forward only (oldest first), from the start when nothing is shown.
    if (after > 0 || this.timeline.replyTo) {
      let cursor = after;
      for (let i = 0; i < MAX_PAGES; i++) {
        const page = await this.timeline.fetch({ after: cursor, limit: PAGE });
        all.push(...page);
        if (page.length < PAGE) return { tweets: all, complete: true };
        const newest = page.reduce((m, t) => Math.max(m, t.id), cursor);
        if (newest <= cursor) break;
        cursor = newest;
      }
    } else {
      // Nothing shown yet: everything is new. Walk down from the newest.
      let before;
      for (let i = 0; i < MAX_PAGES; i++) {
        const page = await this.timeline.fetch({ before, limit: PAGE });
        all.push(...page);
        if (page.length < PAGE) return { tweets: all, complete: true };
        before = page.reduce((m, t) => Math.min(m, t.id), Infinity);
      }
    }
    return { tweets: all, complete: false };
  }

  /** After a (re)connect: count what was posted while no announcement could reach us. */
  async catchUp() {
    if (!this.enabled || !this.timeline.ready) return;
    const gen = this.generation;
    const since = this.timeline.syncedId;
    const before = new Set(this.pending.keys());
    let result;
    try {
      result = await this.fetchAfter(since);
    } catch {
      return; // the next reconnect or click tries again; nothing is lost by waiting
    }
    if (gen !== this.generation || since !== this.timeline.syncedId) return;
    const found = new Set();
    for (const t of result.tweets) {
      found.add(t.id);
      if (this.counts(t) && !this.timeline.has(t.id)) this.add(t);
    }
    // A pending id newer than `since` that the complete answer lacks was deleted while the
    // socket was down (its tweetDeleted is lost). Ids announced during the request stay.
    if (result.complete) {
      for (const id of before) if (id > since && !found.has(id)) this.pending.delete(id);
    }
    this.render();
  }

  /**
   * The banner was activated: bring every pending tweet in at the top and take the reader
   * there (as Twitter's pill does); they asked for it, so their place is not kept.
   */
  async show({ hadFocus = false } = {}) {
    if (this.loading) return;
    const gen = this.generation;
    this.loading = true;
    this.banner.busy(true);
    const wanted = [...this.pending.keys()];
    let added = [];
    try {
      const since = this.timeline.syncedId;
      const { tweets, complete } = await this.fetchAfter(since);
      if (gen !== this.generation) return;
      const byId = new Map(tweets.map((t) => [t.id, t]));
      for (const id of wanted) {
        if (byId.has(id) || this.timeline.has(id)) continue;
        try {
          byId.set(id, await api.getTweet(id));
        } catch (e) {
          if (e.status === 404) this.pending.delete(id); // deleted meanwhile
          else throw e;
        }
        if (gen !== this.generation) return;
      }
      added = this.timeline.insert([...byId.values()]);
      if (complete) this.timeline.advanceSynced(tweets.reduce((m, t) => Math.max(m, t.id), since));
      for (const id of [...this.pending.keys()]) if (this.timeline.has(id)) this.pending.delete(id);
    } catch (e) {
      if (gen === this.generation) this.toast(e.message || 'Couldn’t load new tweets.');
    } finally {
      if (gen === this.generation) {
        this.loading = false;
        this.banner.busy(false);
        this.render();
      }
    }
    if (gen !== this.generation || !added.length) return;
    // After the banner's row is gone, so that nothing moves once the reader is there.
    this.timeline.reveal(added[0]);
    // Keyboard users who pressed the banner land on the first new tweet, not on <body>.
    if (hadFocus) added[0].querySelector('article').focus({ preventScroll: true });
  }
}
