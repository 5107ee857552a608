// Sign up, sign in, sign out. The session lives in the HttpOnly `chirp_session` cookie the
// server sets; the page learns who is signed in only from GET /api/me. The page cannot see
// that cookie, so it keeps a hint in localStorage (set on sign-in, cleared on sign-out) and
// asks /api/me only when the hint is there: a signed-out visit makes no request that fails
// (no red "401" in the console). A stale hint costs one 401, which clears it. Sign-up checks
// every field first, by the contract's rules, and shows each problem next to its field at
// once; the server's errors go next to the field it names in `error.field`, others above
// the submit button.

import * as api from './api.js';
import { h, icon, replaceChildren } from './dom.js';
import { avatar } from './avatar.js';
import { isModerator } from './admin.js';

const $ = (id) => document.getElementById(id);

const HINT = 'chirp.signedIn';

/** The contract's sign-up rules (src/domain/username.rs, password.rs), with the server's words. */
export function signUpProblems(username, password) {
  const problems = {};
  const nameLength = [...username].length;
  if (nameLength < 3 || nameLength > 20) problems.username = 'Username must be 3 to 20 characters long.';
  else if (!/^[A-Za-z0-9_]+$/.test(username)) problems.username = 'Username may contain only letters, digits and underscores.';
  const passwordLength = [...password].length;
  if (passwordLength < 8 || passwordLength > 128) problems.password = 'Password must be 8 to 128 characters long.';
  return problems;
}

/** Whether this browser signed in last time; true when storage is unavailable (so: ask). */
function hinted() {
  try {
    return window.localStorage.getItem(HINT) === '1';
  } catch {
    return true;
  }
}

function setHint(signedIn) {
  try {
    if (signedIn) window.localStorage.setItem(HINT, '1');
    else window.localStorage.removeItem(HINT);
  } catch { /* storage unavailable: hinted() then always asks */ }
}

/** The signed-in user, or null (without asking, when this browser is not signed in). */
export async function currentUser() {
  if (!hinted()) return null;
  try {
    return await api.getMe();
  } catch (e) {
    if (e.status === 401) { setHint(false); return null; }
    throw e;
  }
}

export class AuthForm {
  /** `onSignedIn(user)` runs after a successful sign-in or sign-up. */
  constructor({ onSignedIn }) {
    this.onSignedIn = onSignedIn;
    this.section = $('auth');
    this.form = $('auth-form');
    this.lede = $('auth-lede');
    this.defaultLede = this.lede.textContent;
    this.fields = {
      username: { input: $('auth-username'), error: $('auth-username-error'), hint: $('auth-username-hint') },
      password: { input: $('auth-password'), error: $('auth-password-error'), hint: $('auth-password-hint') },
    };
    this.formError = $('auth-form-error');
    this.submitButton = $('auth-submit');
    this.modeButtons = { signin: $('mode-signin'), signup: $('mode-signup') };
    this.busy = false;
    this.modeButtons.signin.addEventListener('click', () => this.setMode('signin'));
    this.modeButtons.signup.addEventListener('click', () => this.setMode('signup'));
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    for (const { input } of Object.values(this.fields)) {
      input.addEventListener('input', () => this.clearError(input.name));
    }
    this.setMode('signin');
  }

  setMode(mode) {
    this.mode = mode;
    const signup = mode === 'signup';
    this.modeButtons.signin.setAttribute('aria-pressed', String(!signup));
    this.modeButtons.signup.setAttribute('aria-pressed', String(signup));
    this.submitButton.textContent = signup ? 'Sign up' : 'Sign in';
    this.fields.password.input.autocomplete = signup ? 'new-password' : 'current-password';
    this.fields.username.hint.hidden = !signup;
    this.fields.password.hint.hidden = !signup;
    this.clearErrors();
  }

  show(visible) {
    this.section.hidden = !visible;
    if (!visible) {
      this.fields.password.input.value = '';
      this.lede.textContent = this.defaultLede;
      this.clearErrors();
    }
  }

  /** Bring the form into view and focus it, optionally saying why ("Sign in to like"). */
  prompt(mode, message) {
    this.show(true);
    if (mode) this.setMode(mode);
    this.lede.textContent = message || this.defaultLede;
    this.section.scrollIntoView({ block: 'nearest' });
    this.fields.username.input.focus();
  }

  clearError(name) {
    const f = this.fields[name];
    if (!f) return;
    f.error.textContent = '';
    f.input.removeAttribute('aria-invalid');
  }

  clearErrors() {
    for (const name of Object.keys(this.fields)) this.clearError(name);
    this.formError.textContent = '';
  }

  /** Show `message` next to field `name` (marked invalid); false when there is no such field. */
  fieldError(name, message) {
    const f = this.fields[name];
    if (!f) return false;
    f.error.textContent = message;
    f.input.setAttribute('aria-invalid', 'true');
    return true;
  }

  showError(e) {
    if (this.fieldError(e.field, e.message)) this.fields[e.field].input.focus();
    else this.formError.textContent = e.message;
  }

  async submit() {
    if (this.busy) return;
    this.clearErrors();
    const username = this.fields.username.input.value.trim();
    const password = this.fields.password.input.value;
    if (this.mode === 'signup') {
      const problems = Object.entries(signUpProblems(username, password));
      for (const [name, message] of problems) this.fieldError(name, message);
      if (problems.length) {
        this.fields[problems[0][0]].input.focus();
        return;
      }
    }
    this.busy = true;
    this.submitButton.disabled = true;
    const label = this.submitButton.textContent;
    this.submitButton.textContent = this.mode === 'signup' ? 'Signing up…' : 'Signing in…';
    try {
      if (this.mode === 'signup') await api.signUp(username, password);
      const session = await api.signIn(username, password);
      setHint(true);
      this.fields.password.input.value = '';
      await this.onSignedIn(session.user);
    } catch (e) {
      this.showError(e);
    } finally {
      this.busy = false;
      this.submitButton.disabled = false;
      this.submitButton.textContent = label;
    }
  }
}

/**
 * The account area of the top bar, for `me` (or signed out when null); moderators also get
 * the link to /admin.
 */
export function renderAccount(nav, me, { onSignOut, onPrompt }) {
  if (me) {
    const out = h('button', { type: 'button', className: 'btn btn-quiet btn-small', id: 'sign-out' }, 'Sign out');
    out.addEventListener('click', onSignOut);
    const admin = isModerator(me)
      ? h('a', { className: 'admin-link', id: 'admin-link', href: '/admin', title: 'Moderation' },
        icon('shield'), h('span', { className: 'visually-hidden' }, 'Moderation'))
      : null;
    replaceChildren(nav,
      admin,
      h('a', { className: 'me', href: `/users/${encodeURIComponent(me.username)}`, title: 'Your profile' },
        avatar(me.username, 's'), h('span', { className: 'me-name' }, '@' + me.username)),
      out,
    );
  } else {
    const signIn = h('button', { type: 'button', className: 'btn btn-quiet btn-small' }, 'Sign in');
    const signUp = h('button', { type: 'button', className: 'btn btn-primary btn-small' }, 'Sign up');
    signIn.addEventListener('click', () => onPrompt('signin'));
    signUp.addEventListener('click', () => onPrompt('signup'));
    replaceChildren(nav, signIn, signUp);
  }
}

/** End the session on the server (the cookie stops working everywhere). */
export async function signOut() {
  try {
    await api.signOut();
  } catch (e) {
    if (e.status !== 401) throw e; // already signed out: fine
  }
  setHint(false);
}
