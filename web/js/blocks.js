// The /settings/blocks page: the accounts you block and the accounts you mute, most recent
// first, each list paged by the API's opaque `next_cursor` ("Load more"). Each row has its
// undo (Unblock, Unmute); an undone row stays, its button then offering to block or mute
// again, so a slip of the finger is one click to put right.

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';
import { avatar } from './avatar.js';
import { displayName } from './people.js';

const PAGE = 20;

const KINDS = {
  blocks: {
    title: 'Blocked accounts',
    empty: 'You don’t block anyone.',
    list: (opts) => api.listBlocks(opts),
    set: (username, on) => api.setBlock(username, on),
    state: (profile) => !!profile.blocked_by_me,
    verbs: ['Block', 'Unblock'],
    what: 'block',
  },
  mutes: {
    title: 'Muted accounts',
    empty: 'You don’t mute anyone.',
    list: (opts) => api.listMutes(opts),
    set: (username, on) => api.setMute(username, on),
    state: (profile) => !!profile.muted_by_me,
    verbs: ['Mute', 'Unmute'],
    what: 'mute',
  },
};

/** One of the two lists: its heading, rows, status line and "Load more". */
class SafetyList {
  constructor(kind, { toast, onChange, isCurrent }) {
    Object.assign(this, { kind, spec: KINDS[kind], toast, onChange, isCurrent });
    this.cursor = null;
    const titleId = `${kind}-title`;
    this.list = h('ol', { className: 'people-list', id: `${kind}-list`, 'aria-labelledby': titleId });
    this.status = h('p', { className: 'timeline-status', role: 'status' });
    this.more = h('button', { type: 'button', className: 'btn btn-quiet', hidden: true }, 'Load more');
    this.more.addEventListener('click', () => this.page());
    this.element = h('section', { className: 'safety-list', id: `${kind}-section`, 'aria-labelledby': titleId },
      h('h2', { className: 'section-title', id: titleId }, this.spec.title),
      this.list,
      h('div', { className: 'timeline-foot' }, this.status, this.more));
  }

  row(profile) {
    const href = `/users/${encodeURIComponent(profile.username)}`;
    const btn = h('button', { type: 'button', className: `btn btn-small btn-quiet undo-btn` });
    let current = profile;
    const paint = () => {
      const on = this.spec.state(current);
      const label = this.spec.verbs[on ? 1 : 0];
      btn.textContent = label;
      btn.setAttribute('aria-pressed', String(on));
      btn.setAttribute('aria-label', `${label} @${current.username}`);
    };
    paint();
    btn.addEventListener('click', async () => {
      if (btn.getAttribute('aria-busy') === 'true') return;
      const on = !this.spec.state(current);
      btn.setAttribute('aria-busy', 'true');
      try {
        current = await this.spec.set(current.username, on);
        this.onChange(current, on ? this.spec.what : `un${this.spec.what}`);
      } catch (e) {
        this.toast(e.message);
      } finally {
        btn.removeAttribute('aria-busy');
        paint();
      }
    });
    return h('li', { className: 'person', dataset: { username: profile.username } },
      h('a', { className: 'avatar-link', href, tabIndex: -1, 'aria-hidden': 'true' }, avatar(profile.username)),
      h('div', { className: 'person-body' },
        h('div', { className: 'person-head' },
          h('a', { className: 'person-name', href }, displayName(profile)),
          h('span', { className: 'handle' }, '@' + profile.username))),
      btn);
  }

  /** The next page (the first when nothing is shown yet). */
  async page() {
    const first = !this.cursor;
    this.more.disabled = true;
    replaceChildren(this.status, 'Loading…');
    try {
      const answer = await this.spec.list({ cursor: this.cursor || undefined, limit: PAGE });
      if (!this.isCurrent()) return;
      for (const p of answer.users) this.list.append(this.row(p));
      this.cursor = answer.next_cursor;
      this.more.hidden = !answer.next_cursor;
      replaceChildren(this.status, first && !answer.users.length ? this.spec.empty : '');
    } catch (e) {
      if (this.isCurrent()) replaceChildren(this.status, e.message || 'Couldn’t load this list.');
    } finally {
      this.more.disabled = false;
    }
  }
}

/** The page's part of the column: both lists. */
export class BlocksPage {
  /** `onChange(profile, what)` runs after an undo (or redo) the server confirmed. */
  constructor({ section, toast, onChange = () => {} }) {
    Object.assign(this, { section, toast, onChange });
    this.generation = 0;
  }

  hide() {
    this.generation++;
    this.section.hidden = true;
    this.section.replaceChildren();
  }

  /** Show both lists for `me` (signed out: say why there is nothing). */
  show(me) {
    const gen = ++this.generation;
    this.section.hidden = false;
    if (!me) {
      replaceChildren(this.section, h('p', { className: 'timeline-status' }, 'Sign in to see the accounts you block and mute.'));
      return;
    }
    const opts = { toast: this.toast, onChange: this.onChange, isCurrent: () => gen === this.generation };
    const lists = [new SafetyList('blocks', opts), new SafetyList('mutes', opts)];
    replaceChildren(this.section, lists.map((l) => l.element));
    for (const l of lists) l.page();
  }
}
