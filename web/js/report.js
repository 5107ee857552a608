// The report dialog, the same from a profile ("Report @x") and from a tweet (that tweet
// chosen, `tweet_ids: [id]`): a category (spam, abuse, illegal, other) and a reason of 1 to
// 1000 characters, checked here as the server checks them, then `POST /api/reports`.

import * as api from './api.js';
import { h } from './dom.js';
import { openDialog, textField, checkText } from './dialog.js';

/** The categories of the contract, with the words a reporter reads. */
export const CATEGORIES = [
  ['spam', 'Spam', 'Ads, scams or the same thing over and over'],
  ['abuse', 'Abuse or harassment', 'Insults, threats or targeting someone'],
  ['illegal', 'Illegal content', 'Something that breaks the law'],
  ['other', 'Something else', 'Tell the moderators below'],
];

const MAX_REASON = 1000;

let seq = 0;

function categoryField() {
  const n = ++seq;
  const error = h('p', { className: 'field-error', id: `report-${n}-category-error` });
  const options = CATEGORIES.map(([value, label, hint]) => {
    const id = `report-${n}-${value}`;
    return h('div', { className: 'choice' },
      h('input', { type: 'radio', name: 'category', id, value, 'aria-describedby': `${id}-hint` }),
      h('label', { htmlFor: id }, h('span', { className: 'choice-label' }, label),
        h('span', { className: 'choice-hint', id: `${id}-hint` }, hint)));
  });
  return h('fieldset', { className: 'field choices', 'aria-describedby': error.id },
    h('legend', {}, 'What’s the problem?'), options, error);
}

function tweetField(tweet) {
  const id = `report-${++seq}-tweet`;
  return h('div', { className: 'field report-tweet' },
    h('div', { className: 'choice' },
      h('input', { type: 'checkbox', name: 'tweet_ids', id, value: String(tweet.id), checked: true }),
      h('label', { htmlFor: id }, h('span', { className: 'choice-label' }, 'Include this tweet'))),
    // The tweet's text as text, as everywhere.
    h('blockquote', { className: 'report-quote', dir: 'auto' }, tweet.text),
    h('p', { className: 'field-error' }));
}

/**
 * Ask for a report on `username` (with `tweet` chosen, when given) and file it. Resolves to
 * the report filed, or null when the reporter cancelled.
 */
export function reportDialog({ username, tweet = null }) {
  return openDialog({
    title: tweet ? `Report this tweet by @${username}` : `Report @${username}`,
    text: 'Your report goes to the moderators of this Chirp, with the tweet you include.',
    fields: [
      tweet ? tweetField(tweet) : null,
      categoryField(),
      textField({ name: 'reason', label: 'What should the moderators know?', max: MAX_REASON, required: true }),
    ],
    submitLabel: 'Send report',
    className: 'report-dialog',
    async onSubmit(form) {
      const chosen = form.querySelector('input[name="category"]:checked');
      if (!chosen) throw Object.assign(new Error('Choose what the problem is.'), { field: 'category' });
      const reason = checkText(form, 'reason', { max: MAX_REASON, required: true, what: 'The reason' });
      const tweetIds = [...form.querySelectorAll('input[name="tweet_ids"]:checked')].map((el) => Number(el.value));
      return api.fileReport({ username, tweetIds, category: chosen.value, reason });
    },
  });
}
