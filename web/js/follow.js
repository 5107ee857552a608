// The Follow / Unfollow button, optimistic but correct: a click shows the new state (and the
// new follower count, through `onChange`) at once, then the server's answer, which is the
// truth, replaces it; a failure puts the old state back and says why. A second click while
// one is on its way waits for it, so two requests never race each other.

import * as api from './api.js';
import { h } from './dom.js';

const label = (following) => (following ? 'Unfollow' : 'Follow');

/** A copy of `profile` as it will be once the viewer (un)follows. */
function predicted(profile, following) {
  const delta = following === profile.followed_by_me ? 0 : following ? 1 : -1;
  return { ...profile, followed_by_me: following, followers_count: Math.max(0, profile.followers_count + delta) };
}

/**
 * The button for `profile`, or null on your own. `onChange(profile)` runs with the predicted
 * and then the confirmed profile; `onSettled(profile, ok)` once the server answered;
 * `needAuth()` when signed out; `toast(message)` on errors.
 */
export function followButton(profile, { me, onChange = () => {}, onSettled = () => {}, needAuth = () => {}, toast = () => {} }) {
  if (me && me.id === profile.id) return null;
  let current = profile;
  let busy = false;
  const btn = h('button', { type: 'button', className: 'btn btn-small follow-btn' });
  const paint = () => {
    const following = !!current.followed_by_me;
    btn.textContent = label(following);
    btn.setAttribute('aria-pressed', String(following));
    btn.classList.toggle('btn-primary', !following);
    btn.classList.toggle('btn-quiet', following);
    btn.setAttribute('aria-label', `${label(following)} @${current.username}`);
  };
  paint();
  btn.addEventListener('click', async () => {
    if (!me) { needAuth(`Sign in to follow @${current.username}.`); return; }
    if (busy) return;
    busy = true;
    btn.setAttribute('aria-busy', 'true');
    const before = current;
    const want = !current.followed_by_me;
    current = predicted(current, want);
    paint();
    onChange(current);
    let ok = false;
    try {
      current = await api.setFollow(current.username, want);
      ok = true;
    } catch (e) {
      current = before;
      toast(e.message || 'Couldn’t change the follow.');
    } finally {
      busy = false;
      btn.removeAttribute('aria-busy');
      paint();
      onChange(current);
    }
    onSettled(current, ok);
  });
  return btn;
}
