// The /admin page, for moderators (role "moderator" or "admin"): the open reports, newest
// first ("Load more" via `before=`), each with its reporter, target, category, reason and
// the reported tweets. Per report: Resolve (with an optional note), Suspend the target
// (asking why) or Unsuspend it, and Delete a reported tweet. A new report arrives live: the
// server sends every moderator a `notification` of kind "report", and the page then asks
// for the open reports again and puts the ones it lacks on top. Anyone else is told the
// page is for moderators, without asking the API anything.

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';
import { avatar } from './avatar.js';
import { timeElement } from './time.js';
import { textNodes } from './tweet.js';
import { openDialog, textField, checkText } from './dialog.js';
import { CATEGORIES } from './report.js';

const PAGE = 20;
const MAX_NOTE = 1000;

/** Whether `me` may moderate: role "moderator" or "admin". */
export const isModerator = (me) => !!me && (me.role === 'moderator' || me.role === 'admin');

const categoryName = (value) => (CATEGORIES.find(([v]) => v === value) || [value, value])[1];
const userLink = (user) => h('a', { className: 'author', href: `/users/${encodeURIComponent(user.username)}` }, '@' + user.username);

export class AdminPage {
  /** `section` receives the page; `toast(message)` says what happened or went wrong. */
  constructor({ section, toast }) {
    Object.assign(this, { section, toast });
    this.generation = 0;
    this.cards = new Map(); // report id → <li>
    this.targets = new Map(); // username (lowercase) → { profile, paints: Set<fn> }
    this.oldestId = null;
  }

  hide() {
    this.generation++;
    this.section.hidden = true;
    this.section.replaceChildren();
    this.cards.clear();
    this.targets.clear();
  }

  /** Show the page for `me`: the open reports, or why there are none to see. */
  async show(me) {
    const gen = ++this.generation;
    this.me = me;
    this.cards.clear();
    this.targets.clear();
    this.oldestId = null;
    this.section.hidden = false;
    if (!isModerator(me)) { this.refuse(me); return; }
    this.list = h('ol', { className: 'report-list', id: 'reports', 'aria-label': 'Open reports' });
    this.status = h('p', { className: 'timeline-status', id: 'reports-status', role: 'status' });
    this.more = h('button', { type: 'button', className: 'btn btn-quiet', id: 'reports-more', hidden: true }, 'Load more');
    this.more.addEventListener('click', () => this.page());
    replaceChildren(this.section, this.list, h('div', { className: 'timeline-foot' }, this.status, this.more));
    await this.page(gen);
  }

  /** Not a moderator: say so, kindly, instead of a broken page. */
  refuse(me) {
    replaceChildren(this.section, h('div', { className: 'card refusal', id: 'admin-refusal' },
      h('h2', { className: 'refusal-title' }, 'Moderators only'),
      h('p', { className: 'muted' }, me
        ? 'This page is for the moderators of this Chirp. Your account may not see it.'
        : 'This page is for the moderators of this Chirp. Sign in with a moderator’s account to see it.'),
      h('a', { className: 'btn btn-primary home-link', href: '/' }, 'Go to the home timeline')));
  }

  /** The next page of open reports (the first when none is shown). */
  async page(gen = this.generation) {
    const first = this.oldestId === null;
    this.more.disabled = true;
    replaceChildren(this.status, 'Loading…');
    try {
      const answer = await api.listReports({ before: this.oldestId || undefined, limit: PAGE });
      if (gen !== this.generation) return;
      for (const r of answer.reports) this.add(r, { atTop: false });
      if (answer.reports.length) this.oldestId = answer.reports[answer.reports.length - 1].id;
      this.more.hidden = answer.reports.length < PAGE;
      replaceChildren(this.status, first && !answer.reports.length ? this.emptyText() : '');
    } catch (e) {
      if (gen !== this.generation) return;
      if (e.status === 403 || e.status === 401) { this.refuse(this.me); return; }
      replaceChildren(this.status, e.message || 'Couldn’t load the reports.');
    } finally {
      if (gen === this.generation) this.more.disabled = false;
    }
  }

  emptyText() { return 'No open reports. All quiet.'; }

  /**
   * A notification reached this moderator: when it is a new report, ask for the open
   * reports again and put those not shown yet on top.
   */
  async arrived(n) {
    if (!n || n.kind !== 'report' || this.section.hidden || !this.list) return;
    const gen = this.generation;
    let answer;
    try {
      answer = await api.listReports({ limit: PAGE });
    } catch (e) {
      if (gen === this.generation) this.toast(e.message);
      return;
    }
    if (gen !== this.generation) return;
    const newest = Math.max(0, ...this.cards.keys());
    const fresh = answer.reports.filter((r) => !this.cards.has(r.id) && r.id > newest);
    // Oldest first, each on top: the newest ends up first.
    for (const r of fresh.sort((a, b) => a.id - b.id)) this.add(r, { atTop: true });
    if (fresh.length) {
      replaceChildren(this.status, fresh.length === 1 ? 'A new report arrived.' : `${fresh.length} new reports arrived.`);
      if (this.oldestId === null) this.oldestId = fresh[0].id;
    }
  }

  /** A tweet was deleted (here or elsewhere): say so where a report shows it. */
  deleted(id) {
    for (const li of this.section.querySelectorAll(`.report-tweet-item[data-id="${id}"]`)) markDeleted(li);
  }

  add(report, { atTop }) {
    if (this.cards.has(report.id)) return;
    const li = this.card(report);
    if (atTop) { li.classList.add('is-new'); this.list.prepend(li); } else this.list.append(li);
    this.cards.set(report.id, li);
  }

  /** The suspension state of `target`, shared by every report about them. */
  target(user) {
    const key = user.username.toLowerCase();
    let t = this.targets.get(key);
    if (!t) {
      t = { profile: null, paints: new Set() };
      this.targets.set(key, t);
      const gen = this.generation;
      // Moderators see a suspended account's profile, with `suspended: true`.
      api.getProfile(user.username).then((profile) => {
        if (gen !== this.generation) return;
        t.profile = profile;
        for (const paint of t.paints) paint();
      }, () => { /* gone or unreachable: the buttons stay as they are */ });
    }
    return t;
  }

  card(report) {
    const headId = `report-${report.id}-head`;
    const t = this.target(report.target);
    const suspendBtn = h('button', { type: 'button', className: 'btn btn-small btn-quiet suspend-btn', disabled: true }, 'Suspend');
    const state = h('span', { className: 'badge badge-danger', hidden: true }, 'Suspended');
    const paint = () => {
      const suspended = !!(t.profile && t.profile.suspended);
      suspendBtn.disabled = !t.profile;
      suspendBtn.textContent = suspended ? 'Unsuspend' : 'Suspend';
      suspendBtn.setAttribute('aria-label', `${suspended ? 'Unsuspend' : 'Suspend'} @${report.target.username}`);
      suspendBtn.classList.toggle('btn-danger', !suspended);
      suspendBtn.classList.toggle('btn-quiet', suspended);
      state.hidden = !suspended;
    };
    t.paints.add(paint);
    paint();
    suspendBtn.addEventListener('click', () => this.toggleSuspension(report.target, t));

    const resolveBtn = h('button', { type: 'button', className: 'btn btn-small btn-primary resolve-btn', 'aria-label': `Resolve report ${report.id}` }, 'Resolve');
    resolveBtn.addEventListener('click', () => this.resolve(report));

    const tweets = (report.tweets || []).length
      ? h('ol', { className: 'report-tweets', 'aria-label': 'Reported tweets' }, report.tweets.map((tw) => this.reportedTweet(tw)))
      : h('p', { className: 'muted' }, 'No tweet chosen: the report is about the account.');

    const li = h('li', { className: 'report', dataset: { id: String(report.id), target: report.target.username } },
      h('article', { className: 'report-card', 'aria-labelledby': headId },
        h('div', { className: 'report-head' },
          avatar(report.target.username),
          h('div', { className: 'report-ids' },
            h('p', { className: 'report-who', id: headId }, userLink(report.reporter), ' reported ', userLink(report.target), ' ', state),
            h('p', { className: 'muted report-meta' },
              h('span', { className: 'badge report-category' }, categoryName(report.category)), ' ', timeElement(report.created_at)))),
        h('p', { className: 'report-reason', dir: 'auto' }, report.reason),
        tweets,
        h('div', { className: 'report-actions' }, resolveBtn, suspendBtn)));
    return li;
  }

  reportedTweet(tweet) {
    const del = h('button', { type: 'button', className: 'action delete', title: 'Delete this tweet' },
      h('span', { className: 'label' }, 'Delete tweet'));
    const li = h('li', { className: 'report-tweet-item', dataset: { id: String(tweet.id) } },
      h('p', { className: 'report-tweet-head' },
        userLink(tweet.author), ' · ', h('a', { className: 'time', href: `/tweets/${tweet.id}` }, timeElement(tweet.created_at))),
      h('p', { className: 'tweet-text', dir: 'auto' }, textNodes(tweet.text, tweet.mentions, tweet.tags)),
      h('div', { className: 'tweet-actions' }, del));
    del.addEventListener('click', () => this.deleteTweet(tweet, li));
    return li;
  }

  async deleteTweet(tweet, li) {
    const done = await openDialog({
      title: 'Delete this tweet?',
      text: `The tweet by @${tweet.author.username} is deleted for everyone. This can’t be undone.`,
      submitLabel: 'Delete',
      danger: true,
      async onSubmit() {
        try {
          await api.deleteTweet(tweet.id);
        } catch (e) {
          if (e.status !== 404) throw e; // already gone: what we wanted
        }
        return true;
      },
    });
    if (done) { markDeleted(li); this.toast('Tweet deleted.'); }
  }

  async resolve(report) {
    const resolved = await openDialog({
      title: `Resolve the report on @${report.target.username}?`,
      text: 'It leaves the open reports. A note says what you did, for the other moderators.',
      fields: [textField({ name: 'note', label: 'Note (optional)', max: MAX_NOTE, rows: 3 })],
      submitLabel: 'Resolve',
      onSubmit: (form) => api.resolveReport(report.id, checkText(form, 'note', { max: MAX_NOTE, what: 'The note' })),
    });
    if (!resolved) return;
    const li = this.cards.get(report.id);
    this.cards.delete(report.id);
    if (li) {
      const next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      if (next) next.querySelector('.resolve-btn').focus();
    }
    this.toast('Report resolved.');
    if (!this.cards.size && this.more.hidden) replaceChildren(this.status, this.emptyText());
  }

  async toggleSuspension(user, t) {
    if (!t.profile) return;
    let profile = null;
    if (t.profile.suspended) {
      try {
        profile = await api.unsuspendUser(user.username);
      } catch (e) {
        this.toast(e.message);
        return;
      }
    } else {
      profile = await openDialog({
        title: `Suspend @${user.username}?`,
        text: 'Their sessions end at once, they can’t sign in, and their tweets disappear for everyone until you unsuspend them. Nothing is deleted.',
        fields: [textField({ name: 'reason', label: 'Reason', max: MAX_NOTE, required: true, rows: 3 })],
        submitLabel: 'Suspend',
        danger: true,
        onSubmit: (form) => api.suspendUser(user.username, checkText(form, 'reason', { max: MAX_NOTE, required: true, what: 'The reason' })),
      });
      if (!profile) return;
    }
    t.profile = profile;
    for (const paint of t.paints) paint();
    this.toast(profile.suspended ? `@${user.username} is suspended.` : `@${user.username} is no longer suspended.`);
  }
}

function markDeleted(li) {
  if (li.classList.contains('is-deleted')) return;
  li.classList.add('is-deleted');
  const actions = li.querySelector('.tweet-actions');
  if (actions) replaceChildren(actions, h('span', { className: 'muted' }, 'Deleted.'));
}
