// People: one row per account (avatar, name, @username, "Follows you", bio, Follow button),
// the followers / following pages with "Load more" (the API's opaque `next_cursor`), and
// the "Who to follow" card an empty home timeline shows.

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

/** The /users/{name}/followers and /following pages. */
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
  async show(username, kind, me) {
    this.generation++;
    Object.assign(this, { username, kind, me, cursor: null });
    this.section.hidden = false;
    this.list.replaceChildren();
    this.list.setAttribute('aria-label', kind === 'followers' ? `Followers of @${username}` : `Followed by @${username}`);
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
      const answer = await api.listPeople(this.username, this.kind, { cursor: this.cursor || undefined });
      if (gen !== this.generation) return;
      for (const p of answer.users) {
        this.list.append(personRow(p, { me: this.me, toast: this.toast, needAuth: this.needAuth }));
      }
      this.cursor = answer.next_cursor;
      this.more.hidden = !answer.next_cursor;
      let text = '';
      if (first && !answer.users.length) {
        text = this.kind === 'followers' ? `Nobody follows @${this.username} yet.` : `@${this.username} doesn’t follow anyone yet.`;
      }
      replaceChildren(this.status, text);
    } catch (e) {
      if (gen !== this.generation) return true;
      // 400: not even a valid username; 404: no such user.
      if (first && (e.status === 404 || e.status === 400)) {
        replaceChildren(this.status, 'This account doesn’t exist.');
        return false;
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
