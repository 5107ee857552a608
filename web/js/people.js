// People: one row per account (avatar, name, @username, "Follows you", bio, Follow button),
// the followers / following pages and the search page's People tab, with "Load more" (the
// API's opaque `next_cursor`), and the "Who to follow" card an empty home timeline shows.

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';
import { avatar } from './avatar.js';
import { followButton } from './follow.js';

/** The name to show: the display name, or the username where none is set. */
export const displayName = (profile) => (profile.display_name || '').trim() || profile.username;

/** One person as a list item. `opts` go to followButton. */
export function personRow(profile, opts) {
  const href = `/users/${encodeURIComponent(profile.username)}`;
  const badge = profile.follows_me ? h('span', { className: 'badge' }, 'Follows you') : null;
  return h('li', { className: 'person', dataset: { username: profile.username } },
    h('a', { className: 'avatar-link', href, tabIndex: -1, 'aria-hidden': 'true' }, avatar(profile.username)),
    h('div', { className: 'person-body' },
      h('div', { className: 'person-head' },
        h('a', { className: 'person-name', href }, displayName(profile)),
        h('span', { className: 'handle' }, '@' + profile.username),
        badge),
      profile.bio ? h('p', { className: 'person-bio', dir: 'auto' }, profile.bio) : null),
    followButton(profile, opts));
}

/** The /users/{name}/followers and /following pages, and people found by a search. */
export class PeopleList {
  /** `list` is the <ol>, `status` a <p role=status>, `more` the load-more button. */
  constructor({ section, list, status, more, toast, needAuth }) {
    Object.assign(this, { section, list, status, more, toast, needAuth });
    this.generation = 0;
    this.cursor = null;
    more.addEventListener('click', () => this.loadMore());
  }

  hide() {
    this.generation++;
    this.section.hidden = true;
    this.list.replaceChildren();
  }

  /**
   * Show `kind` ("followers" | "following") of `username` for `me`. Resolves to false when
   * there is no such account (the page then says so), else true.
   */
  show(username, kind, me) {
    return this.open({
      me,
      label: kind === 'followers' ? `Followers of @${username}` : `Followed by @${username}`,
      fetch: (cursor) => api.listPeople(username, kind, { cursor }),
      empty: kind === 'followers' ? `Nobody follows @${username} yet.` : `@${username} doesn’t follow anyone yet.`,
      missing: 'This account doesn’t exist.',
    });
  }

  /** The accounts whose username or display name begins with `q`, most followed first. */
  search(q, me) {
    return this.open({
      me,
      label: `People matching “${q}”`,
      fetch: (cursor) => api.search(q, 'users', { cursor }),
      empty: `No people match “${q}”.`,
      // A query the server refuses (too long, say): its own words.
      missing: null,
    });
  }

  /**
   * Show the list `fetch(cursor)` pages ({users, next_cursor?}): `label` names it, `empty`
   * is what an empty list says, `missing` what a 400 or 404 on the first page says (then it
   * resolves to false; null shows the server's message instead).
   */
  async open({ me, label, fetch, empty, missing }) {
    this.generation++;
    Object.assign(this, { me, fetch, emptyText: empty, missing, cursor: null });
    this.section.hidden = false;
    this.list.replaceChildren();
    this.list.setAttribute('aria-label', label);
    this.more.hidden = true;
    return this.page();
  }

  loadMore() { return this.page(); }

  async page() {
    const gen = this.generation;
    const first = !this.cursor;
    this.more.disabled = true;
    replaceChildren(this.status, 'Loading…');
    try {
      const answer = await this.fetch(this.cursor || undefined);
      if (gen !== this.generation) return;
      for (const p of answer.users) {
        this.list.append(personRow(p, { me: this.me, toast: this.toast, needAuth: this.needAuth }));
      }
      this.cursor = answer.next_cursor || null;
      this.more.hidden = !answer.next_cursor;
      replaceChildren(this.status, first && !answer.users.length ? this.emptyText : '');
    } catch (e) {
      if (gen !== this.generation) return true;
      // 400: not even a valid username (or query); 404: no such user.
      if (first && (e.status === 404 || e.status === 400)) {
        replaceChildren(this.status, this.missing || e.message);
        return !this.missing;
      }
      replaceChildren(this.status, e.message || 'Couldn’t load people.');
    } finally {
      if (gen === this.generation) this.more.disabled = false;
    }
    return true;
  }
}

/**
 * Fill `section` with "Who to follow" for `me` (hidden when there is nobody to suggest).
 * `onFollowed(profile)` runs once the server confirmed a follow or unfollow made there.
 */
export async function showSuggestions(section, { me, toast, needAuth, onFollowed = () => {}, isCurrent = () => true }) {
  let answer;
  try {
    answer = await api.suggestions(5);
  } catch {
    return; // a suggestion box is a nicety: the empty timeline already says what to do
  }
  if (!isCurrent() || !answer.users.length) return;
  replaceChildren(section,
    h('h2', { className: 'suggestions-title' }, 'Who to follow'),
    h('ol', { className: 'people-list', 'aria-label': 'Suggested accounts' },
      answer.users.map((p) => personRow(p, { me, toast, needAuth, onSettled: (q, ok) => { if (ok) onFollowed(q); } }))));
  section.hidden = false;
}
