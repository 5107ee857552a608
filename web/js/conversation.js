// The top of a conversation page (/tweets/{id}): the parent the tweet replies to (a link to
// its own page, or "deleted tweet" when it is gone), the tweet itself, large, and the reply
// box. The replies below are the page's timeline (timeline.js in `replyTo` mode), so the
// "Show N new replies" banner and "load more" work as on every other timeline.

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';
import { renderTweet } from './tweet.js';
import { Compose } from './compose.js';
import { avatar } from './avatar.js';

let seq = 0;

export class Conversation {
  /**
   * `section` receives the parent, the tweet and the reply box; `onReplied(tweet)` gets a
   * reply posted here; `onLike(id, liked, btn)` likes; `onReport(tweet)` reports;
   * `needAuth(message)` asks to sign in.
   */
  constructor({ section, onReplied, onLike, onReport = () => {}, needAuth, toast }) {
    Object.assign(this, { section, onReplied, onLike, onReport, needAuth, toast });
    this.generation = 0;
    this.compose = null;
  }

  hide() {
    this.generation++;
    this.section.hidden = true;
    this.section.replaceChildren();
    this.compose = null;
  }

  /**
   * Show tweet `id` for `me`; resolves to the tweet, or null when it cannot be shown (the
   * status line says why). Rejects with the API's 404 when there is no such tweet (the
   * page then says so). `focusReply` puts the cursor in the reply box.
   */
  async load(id, me, { focusReply = false, status }) {
    const gen = ++this.generation;
    this.me = me;
    this.section.replaceChildren();
    this.section.hidden = false;
    let tweet;
    try {
      tweet = await api.getTweet(id);
    } catch (e) {
      if (gen !== this.generation) return null;
      if (e.status === 404) throw e;
      status(e.message);
      return null;
    }
    if (gen !== this.generation) return null;

    const parentSlot = h('div', { className: 'conversation-parent' });
    const main = h('ol', { className: 'timeline single', 'aria-label': 'Tweet' }, this.renderMain(tweet, me));
    replaceChildren(this.section, parentSlot, main, this.replyBox(tweet, me));
    if (focusReply) {
      const box = this.section.querySelector('textarea');
      if (box) box.focus();
      else this.needAuth('Sign in to reply.');
    }
    if (tweet.reply_to) this.loadParent(tweet.reply_to, me, parentSlot, gen);
    return tweet;
  }

  renderMain(tweet, me) {
    return renderTweet(tweet, {
      me,
      big: true,
      onLike: this.onLike,
      onReport: this.onReport,
      onDelete: async (id, btn) => {
        btn.disabled = true;
        try {
          await api.deleteTweet(id);
        } catch (e) {
          if (e.status !== 404) { btn.disabled = false; this.toast(e.message); return; }
        }
        const li = this.section.querySelector(`li[data-id="${id}"]`);
        if (li) li.replaceWith(h('li', { className: 'tweet-gone muted' }, 'This tweet was deleted.'));
      },
    });
  }

  /** Our reply was stored: the tweet above it now has one more. */
  countReply(tweet) {
    tweet.reply_count = (Number(tweet.reply_count) || 0) + 1;
    const li = this.section.querySelector(`li[data-id="${tweet.id}"]`);
    if (li) li.replaceWith(this.renderMain(tweet, this.me));
  }

  async loadParent(ref, me, slot, gen) {
    let parent = null;
    try {
      parent = await api.getTweet(ref.id);
    } catch (e) {
      if (e.status !== 404) { this.toast(e.message); return; }
    }
    if (gen !== this.generation) return;
    if (parent) {
      replaceChildren(slot, h('ol', { className: 'timeline', 'aria-label': 'In reply to' },
        renderTweet(parent, { me, onLike: this.onLike, onReport: this.onReport, onDelete: () => {} })));
    } else {
      // The parent was deleted; its replies stay, and still say whom they answered.
      replaceChildren(slot, h('p', { className: 'tweet-gone muted' },
        avatar(ref.author.username, 's'), ` Replying to a deleted tweet by @${ref.author.username}`));
    }
  }

  replyBox(tweet, me) {
    if (!me) {
      const btn = h('button', { type: 'button', className: 'btn btn-quiet' }, 'Sign in to reply');
      btn.addEventListener('click', () => this.needAuth('Sign in to reply.'));
      return h('p', { className: 'reply-signin' }, btn);
    }
    const n = ++seq;
    const ids = { text: `reply-text-${n}`, counter: `reply-counter-${n}`, error: `reply-error-${n}` };
    const textarea = h('textarea', {
      id: ids.text, name: 'text', rows: 2, placeholder: 'Post your reply',
      'aria-describedby': `${ids.counter} ${ids.error}`,
    });
    const left = h('span', {}, '280');
    const counter = h('span', { className: 'counter', id: ids.counter }, left,
      h('span', { className: 'visually-hidden' }, ' characters left'));
    const submit = h('button', { type: 'submit', className: 'btn btn-primary', disabled: true }, 'Reply');
    const error = h('p', { className: 'field-error', id: ids.error });
    const form = h('form', { className: 'compose reply-box', id: 'reply', 'aria-label': `Reply to @${tweet.author.username}` },
      avatar(me.username),
      h('div', { className: 'compose-main' },
        h('p', { className: 'replying-to muted' }, `Replying to @${tweet.author.username}`),
        h('label', { className: 'visually-hidden', for: ids.text }, 'Reply text'),
        textarea, error,
        h('div', { className: 'compose-bar' }, counter, submit)));
    this.compose = new Compose({
      form, textarea, left, counter, submit, error,
      replyTo: tweet.id,
      draftKey: `chirp:reply:${tweet.id}`,
      onPosted: (reply) => { this.countReply(tweet); this.onReplied(reply); },
    });
    return form;
  }
}
