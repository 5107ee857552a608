// Whom the viewer has just blocked or muted, so that their tweets leave the page at once,
// without a reload. The server already leaves them out of every list and announcement it
// sends afterwards; this covers what is on screen or counted before that: the tweets shown,
// the banner's pending count, a page of a list fetched while the block was on its way, and
// the viewer's other tabs (told over a BroadcastChannel, which stays inside this origin and
// this browser profile). Cleared on sign-in and sign-out; an unblock or unmute takes the
// account out again, so the next load shows them as the server says.

const CHANNEL = 'chirp.hidden';

const ids = new Set();
const listeners = [];
const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;

function apply(userId, on) {
  if (on === ids.has(userId)) return false;
  if (on) ids.add(userId);
  else ids.delete(userId);
  for (const fn of listeners) fn(userId, on);
  return true;
}

if (channel) {
  channel.addEventListener('message', (e) => {
    const m = e.data;
    if (m && Number.isSafeInteger(m.userId) && typeof m.on === 'boolean') apply(m.userId, m.on);
  });
}

/** Whether the account with this id was blocked or muted here (this session, any tab). */
export const isHidden = (userId) => ids.has(userId);

/**
 * Whether `tweet` should leave a list: its author is hidden, or (`replies`, in everyone's and
 * the home timeline) it answers a hidden author's tweet.
 */
export function hides(tweet, { replies = false } = {}) {
  if (!ids.size || !tweet || !tweet.author) return false;
  if (ids.has(tweet.author.id)) return true;
  return replies && !!tweet.reply_to && !!tweet.reply_to.author && ids.has(tweet.reply_to.author.id);
}

/**
 * Hide (`on`) or show again the account `userId`, here and in the viewer's other tabs.
 * Returns whether that changed anything here (and so told the listeners).
 */
export function setHidden(userId, on) {
  if (channel) channel.postMessage({ userId, on });
  return apply(userId, on);
}

/** Forget everything (another account signed in, or nobody). */
export function clear() {
  for (const userId of [...ids]) apply(userId, false);
}

/** `fn(userId, on)` runs whenever an account is hidden or shown again. */
export function onChange(fn) {
  listeners.push(fn);
}
