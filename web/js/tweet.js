// One tweet as a list item: avatar, author (display name and @username), relative time,
// "Replying to @name" for a reply, text, reply (with the reply count), like, delete (your
// own) and report (others', signed in).
// The tweet's text only ever becomes text nodes; @mentions, #hashtags and http(s) links
// become <a> elements built from the matched text, never parsed as HTML. Only names the
// server listed in the tweet's `mentions` (existing users) become links, matched at the
// contract's boundaries: not after a letter, digit or `_` (so `mail@ada` stays text), and the
// name runs to the end of its `[A-Za-z0-9_]` characters (so `@adaX` is not `@ada`). Likewise
// only the tags the server listed in `tags` link to their tag page (hashtag.js).

import { h, icon } from './dom.js';
import { avatar } from './avatar.js';
import { timeElement, exactTime } from './time.js';
import { TAG_BLOCKER, TAG_BODY, isTagBody, tagName, tagPath } from './hashtag.js';
import { mediaGrid } from './media-view.js';

const TOKEN = new RegExp(String.raw`(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'])|(^|[^A-Za-z0-9_])@([A-Za-z0-9_]+)`
  + `|(?<!${TAG_BLOCKER})#(${TAG_BODY})`, 'gu');

/**
 * The tweet's text as nodes, with web links, mentions and hashtags made clickable.
 * `mentions` is the tweet's list of mentioned users ({id, username}), `tags` its list of tag
 * names; a tweet without them (an announcement) links no names or tags.
 */
export function textNodes(text, mentions = [], tags = []) {
  const known = new Map((mentions || []).map((m) => [String(m.username).toLowerCase(), m.username]));
  const listed = new Set(tags || []);
  const nodes = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (m[4] !== undefined) {
      if (!isTagBody(m[4]) || !listed.has(tagName(m[4]))) continue;
      nodes.push(text.slice(last, m.index));
      nodes.push(h('a', { href: tagPath(m[4]), className: 'hashtag' }, m[0]));
      last = m.index + m[0].length;
    } else if (m[1]) {
      nodes.push(text.slice(last, m.index));
      const a = h('a', { href: m[1], className: 'ext', rel: 'noopener noreferrer nofollow ugc', target: '_blank' }, m[1]);
      nodes.push(a);
      last = m.index + m[0].length;
    } else {
      const user = known.get(m[3].toLowerCase());
      if (!user) continue;
      const start = m.index + m[2].length;
      nodes.push(text.slice(last, start));
      nodes.push(h('a', { href: `/users/${encodeURIComponent(user)}`, className: 'mention' }, '@' + m[3]));
      last = start + 1 + m[3].length;
    }
  }
  nodes.push(text.slice(last));
  return nodes.filter((n) => n !== '');
}

function likeButton(tweet, onLike) {
  const count = h('span', { className: 'count' });
  const label = h('span', { className: 'visually-hidden' });
  const btn = h('button', { type: 'button', className: 'action like' }, icon('heart'), label, count);
  btn.addEventListener('click', () => onLike(tweet.id, btn.getAttribute('aria-pressed') !== 'true', btn));
  updateLike(btn, tweet);
  return btn;
}

/** Reflect a tweet's like state on its like button. */
export function updateLike(btn, tweet) {
  const n = Number(tweet.like_count) || 0;
  btn.setAttribute('aria-pressed', tweet.liked_by_me ? 'true' : 'false');
  btn.querySelector('.count').textContent = n ? String(n) : '';
  btn.querySelector('.visually-hidden').textContent = n === 1 ? 'Like (1 like)' : `Like (${n} likes)`;
  btn.title = tweet.liked_by_me ? 'Unlike' : 'Like';
}

/** A link to the tweet's page that puts the cursor in its reply box, with the reply count. */
function replyLink(tweet) {
  const n = Number(tweet.reply_count) || 0;
  return h('a', { className: 'action reply', href: `/tweets/${tweet.id}#reply`, title: 'Reply' },
    icon('reply'),
    h('span', { className: 'visually-hidden' }, n === 1 ? 'Reply (1 reply)' : `Reply (${n} replies)`),
    h('span', { className: 'count', 'aria-hidden': 'true' }, n ? String(n) : ''));
}

function deleteButton(tweet, onDelete) {
  const label = h('span', { className: 'label' }, 'Delete');
  const btn = h('button', { type: 'button', className: 'action delete', title: 'Delete this tweet' }, icon('trash'), label);
  let timer = 0;
  const reset = () => { clearTimeout(timer); btn.classList.remove('confirm'); label.textContent = 'Delete'; };
  btn.addEventListener('click', () => {
    if (!btn.classList.contains('confirm')) {
      // Two steps instead of a modal dialog: the first click arms, the second deletes.
      btn.classList.add('confirm');
      label.textContent = 'Delete? Click again';
      timer = setTimeout(reset, 4000);
      return;
    }
    reset();
    onDelete(tweet.id, btn);
  });
  btn.addEventListener('blur', reset);
  return btn;
}

/** "Report": opens the report dialog with this tweet chosen (report.js). */
function reportButton(tweet, onReport) {
  const btn = h('button', { type: 'button', className: 'action report', title: 'Report this tweet' },
    icon('flag'), h('span', { className: 'visually-hidden' }, `Report this tweet by @${tweet.author.username}`));
  btn.addEventListener('click', () => onReport(tweet));
  return btn;
}

/**
 * Build the <li> for `tweet`. `me` is the signed-in user or null; `onLike(id, liked, btn)`,
 * `onDelete(id, btn)` and `onReport(tweet)` are called on those actions (no report action
 * without `onReport`); `big` renders the single-tweet page.
 */
export function renderTweet(tweet, { me, onLike, onDelete, onReport = null, big = false }) {
  const username = tweet.author.username;
  const profile = `/users/${encodeURIComponent(username)}`;
  const headId = `tweet-${tweet.id}-head`;

  // The display name where the author set one (announcements carry none), else the username.
  const name = (tweet.author.display_name || '').trim() || username;
  const head = h('div', { className: 'tweet-head', id: headId },
    h('a', { className: 'author', href: profile }, name),
    h('span', { className: 'handle' }, '@' + username),
    h('span', { className: 'sep', 'aria-hidden': 'true' }, '·'),
    h('a', { className: 'time', href: `/tweets/${tweet.id}` }, timeElement(tweet.created_at)),
  );
  const when = big && !Number.isNaN(new Date(tweet.created_at).getTime())
    ? h('p', { className: 'tweet-when' }, exactTime(new Date(tweet.created_at)))
    : null;
  const actions = h('div', { className: 'tweet-actions' }, replyLink(tweet), likeButton(tweet, onLike));
  const parent = tweet.reply_to && tweet.reply_to.author
    ? h('p', { className: 'replying-to muted' }, 'Replying to ',
      h('a', { href: `/tweets/${tweet.reply_to.id}` }, '@' + tweet.reply_to.author.username))
    : null;
  if (me && me.id === tweet.author.id) actions.append(deleteButton(tweet, onDelete));
  else if (me && onReport) actions.append(reportButton(tweet, onReport));

  const article = h('article', { className: big ? 'tweet tweet-big' : 'tweet', 'aria-labelledby': headId, tabIndex: -1 },
    h('a', { className: 'avatar-link', href: profile, tabIndex: -1, 'aria-hidden': 'true' }, avatar(username)),
    h('div', { className: 'tweet-body' },
      head,
      parent,
      tweet.text ? h('p', { className: 'tweet-text', dir: 'auto' }, textNodes(tweet.text, tweet.mentions, tweet.tags)) : null,
      mediaGrid(tweet.media),
      when,
      actions,
    ),
  );
  return h('li', { className: 'tweet-item', dataset: { id: String(tweet.id), author: String(tweet.author.id) } }, article);
}
