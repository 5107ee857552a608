// Notifications: the header's unread badge and the /notifications page.
//
// The badge starts from `GET /api/notifications?limit=1` once signed in and then follows the
// `notification` socket event's `unread_count`; it sits in an aria-live="polite" region so a
// screen reader hears the new count, and is hidden at 0. The page lists notifications newest
// first with one sentence per kind ("ada replied: …"; moderators also get "ada filed a
// report", linking to /admin), pages back with `before`, and marks
// everything up to the newest shown as read, which clears the badge.

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';
import { avatar } from './avatar.js';
import { timeElement } from './time.js';

const PAGE = 20;

/** The unread badge on the header's notifications link. */
export class Badge {
  constructor({ link, count }) {
    Object.assign(this, { link, count });
    this.generation = 0;
    this.set(0);
  }

  /** Signed in (`me`) or out: show the link and fetch the count, or hide both. */
  async start(me) {
    const gen = ++this.generation;
    this.me = me;
    this.link.hidden = !me;
    this.set(0);
    if (!me) return;
    try {
      const page = await api.listNotifications({ limit: 1 });
      if (gen === this.generation) this.set(page.unread_count);
    } catch { /* the badge just stays empty until the next event */ }
  }

  /**
   * Ask for the count again, e.g. after a block or mute: the hidden account's notifications
   * have left it, and no event says so.
   */
  async refresh() {
    if (!this.me) return;
    const gen = this.generation;
    try {
      const page = await api.listNotifications({ limit: 1 });
      if (gen === this.generation) this.set(page.unread_count);
    } catch { /* the count stays as it was until the next event */ }
  }

  /** Show `n` unread (hidden at 0). */
  set(n) {
    n = Math.max(0, Number(n) || 0);
    this.value = n;
    this.count.textContent = n ? (n > 99 ? '99+' : String(n)) : '';
    this.count.hidden = n === 0;
    this.link.setAttribute('aria-label', n ? `Notifications (${n} unread)` : 'Notifications');
  }
}

/** The sentence for one notification, as nodes: "ada replied: …" with links. */
function sentence(n) {
  const actor = h('a', { className: 'author', href: `/users/${encodeURIComponent(n.actor.username)}` }, n.actor.username);
  const tweetLink = (text) => (n.tweet ? h('a', { href: `/tweets/${n.tweet.id}` }, text) : text);
  const quote = () => (n.tweet ? h('a', { className: 'notif-quote', href: `/tweets/${n.tweet.id}` }, n.tweet.text) : 'a deleted tweet');
  switch (n.kind) {
    case 'follow': return [actor, ' followed you'];
    case 'like': return [actor, ' liked ', tweetLink('your tweet')];
    case 'reply': return [actor, ' replied: ', quote()];
    case 'mention': return [actor, ' mentioned you: ', quote()];
    // To moderators: a new report, which the /admin page lists.
    case 'report': return [actor, ' filed a ', h('a', { href: '/admin' }, 'report')];
    default: return [actor, ' did something'];
  }
}

function renderNotification(n) {
  return h('li', { className: n.read ? 'notif' : 'notif unread', dataset: { id: String(n.id), kind: n.kind } },
    avatar(n.actor.username),
    h('div', { className: 'notif-body' },
      h('p', { className: 'notif-text' }, sentence(n)),
      h('p', { className: 'muted notif-time' }, timeElement(n.created_at))));
}

/** The /notifications page. */
export class NotificationsPage {
  constructor({ section, list, status, more, badge, toast }) {
    Object.assign(this, { section, list, status, more, badge, toast });
    this.generation = 0;
    this.oldestId = null;
    more.addEventListener('click', () => this.loadMore());
  }

  hide() {
    this.generation++;
    this.section.hidden = true;
    this.list.replaceChildren();
  }

  async show(me) {
    const gen = ++this.generation;
    this.section.hidden = false;
    this.list.replaceChildren();
    this.more.hidden = true;
    if (!me) { replaceChildren(this.status, 'Sign in to see your notifications.'); return; }
    replaceChildren(this.status, 'Loading…');
    try {
      const page = await api.listNotifications({ limit: PAGE });
      if (gen !== this.generation) return;
      this.add(page.notifications);
      replaceChildren(this.status, page.notifications.length ? '' : 'Nothing yet. When someone follows, likes, replies to or mentions you, it shows up here.');
      if (page.notifications.length) await this.markRead(page.notifications[0].id, gen);
    } catch (e) {
      if (gen === this.generation) replaceChildren(this.status, e.message);
    }
  }

  /** A notification that arrived while this page is open: shown at the top and read. */
  arrived(n) {
    if (this.section.hidden || this.list.querySelector(`li[data-id="${n.id}"]`)) return;
    this.list.prepend(renderNotification(n));
    replaceChildren(this.status, '');
    this.markRead(n.id, this.generation);
  }

  async markRead(upTo, gen) {
    try {
      await api.markNotificationsRead(upTo);
      if (gen === this.generation) this.badge.set(0);
    } catch (e) {
      this.toast(e.message);
    }
  }

  add(items) {
    for (const n of items) this.list.append(renderNotification(n));
    if (items.length) this.oldestId = items[items.length - 1].id;
    this.more.hidden = items.length < PAGE;
  }

  async loadMore() {
    const gen = this.generation;
    this.more.disabled = true;
    try {
      const page = await api.listNotifications({ before: this.oldestId, limit: PAGE });
      if (gen === this.generation) this.add(page.notifications);
    } catch (e) {
      this.toast(e.message);
    } finally {
      this.more.disabled = false;
    }
  }
}
