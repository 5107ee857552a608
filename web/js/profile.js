// The profile card above a user's tweets: name (the username where none is set), @username,
// "Follows you", bio, follower / following / tweet counts, and either the Follow button with
// Mute, Block and Report (safety.js) or, on your own, an inline form to edit your name (0–50
// characters) and bio (0–160), counted as the server counts them, with the server's errors
// shown by their field, and a link to the accounts you block and mute. Where they block you
// it says "@x blocked you" and offers no Follow button; where you block them, neither.

import * as api from './api.js';
import { h, replaceChildren } from './dom.js';
import { avatar } from './avatar.js';
import { charCount } from './compose.js';
import { followButton } from './follow.js';
import { displayName } from './people.js';
import { SafetyActions } from './safety.js';

const LIMITS = { display_name: 50, bio: 160 };

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

export class ProfileCard {
  /**
   * `section` is the card; `onSaved(profile)` runs after you edited your own;
   * `onSafety(profile, what)` after you blocked, unblocked, muted or unmuted them (`what`).
   */
  constructor({ section, toast, needAuth, onSaved = () => {}, onSafety = () => {} }) {
    Object.assign(this, { section, toast, needAuth, onSaved, onSafety });
    this.generation = 0;
    this.profile = null;
  }

  hide() {
    this.generation++;
    this.profile = null;
    this.section.hidden = true;
    this.section.replaceChildren();
  }

  /** Load and show `username`'s profile for `me`. Resolves to the profile, or null. */
  async load(username, me) {
    const gen = ++this.generation;
    this.me = me;
    this.section.hidden = true;
    let profile;
    try {
      profile = await api.getProfile(username);
    } catch {
      return null; // the page says "not found", or the timeline below offers to try again
    }
    if (gen !== this.generation) return null;
    this.render(profile);
    return profile;
  }

  own() { return !!(this.me && this.profile && this.me.id === this.profile.id); }

  render(profile) {
    this.profile = profile;
    const base = `/users/${encodeURIComponent(profile.username)}`;
    this.name = h('h2', { className: 'profile-name', dir: 'auto' });
    this.badge = h('span', { className: 'badge' }, 'Follows you');
    this.bio = h('p', { className: 'profile-bio', dir: 'auto' });
    this.following = h('a', { className: 'count-link', href: `${base}/following` });
    this.followers = h('a', { className: 'count-link', href: `${base}/followers` });
    this.tweets = h('span', { className: 'count-text' });
    this.suspendedBadge = h('span', { className: 'badge badge-danger' }, 'Suspended');
    this.note = h('p', { className: 'profile-note', role: 'status' });
    this.safety = null;
    this.followSlot = h('div', { className: 'profile-action' });
    this.followFor = null;
    let extra = null;
    if (this.own()) {
      const edit = h('button', { type: 'button', className: 'btn btn-quiet btn-small', id: 'edit-profile' }, 'Edit profile');
      edit.addEventListener('click', () => this.edit());
      this.followSlot.append(edit);
      extra = h('p', { className: 'profile-links' },
        h('a', { href: '/settings/blocks', id: 'blocks-link' }, 'Blocked and muted accounts'));
    } else if (this.me) {
      this.safety = new SafetyActions(profile, {
        toast: this.toast,
        onChange: (p, what) => { this.update(p); this.onSafety(p, what); },
      });
      extra = this.safety.element;
    }
    this.view = h('div', { className: 'profile-view' },
      h('div', { className: 'profile-top' },
        avatar(profile.username, 'l'),
        h('div', { className: 'profile-ids' },
          this.name,
          h('p', { className: 'handle' }, '@' + profile.username, ' ', this.badge, ' ', this.suspendedBadge)),
        this.followSlot),
      this.note,
      this.bio,
      h('p', { className: 'profile-counts' }, this.following, this.followers, this.tweets),
      extra);
    replaceChildren(this.section, this.view);
    this.update(profile);
    this.section.hidden = false;
  }

  /**
   * The Follow button, only while no block stands between you (a follow would answer 403
   * `blocked`); built again when a block comes or goes, since the button keeps its own state.
   */
  paintFollow(profile) {
    if (this.own()) return;
    const blocked = !!(profile.blocks_me || profile.blocked_by_me);
    if (this.followFor === blocked) return;
    this.followFor = blocked;
    const hadFocus = this.followSlot.contains(document.activeElement);
    this.followSlot.replaceChildren();
    if (blocked) return;
    this.followSlot.append(followButton(profile, {
      me: this.me, toast: this.toast, needAuth: this.needAuth,
      onChange: (p) => this.update(p),
    }));
    if (hadFocus) this.followSlot.firstChild.focus();
  }

  /** Show `profile`'s changing parts in place (keeps focus on the Follow button). */
  update(profile) {
    this.profile = profile;
    this.name.textContent = displayName(profile);
    this.badge.hidden = !profile.follows_me || !!profile.blocks_me || !!profile.blocked_by_me;
    this.suspendedBadge.hidden = !profile.suspended;
    this.paintFollow(profile);
    if (this.safety) this.safety.update(profile);
    let note = '';
    if (profile.blocks_me) note = `@${profile.username} blocked you`;
    else if (profile.blocked_by_me) note = `You blocked @${profile.username}`;
    else if (profile.muted_by_me) note = `You muted @${profile.username}`;
    this.note.textContent = note;
    this.note.hidden = !note;
    this.bio.textContent = profile.bio || '';
    this.bio.hidden = !profile.bio;
    replaceChildren(this.following, h('strong', {}, String(profile.following_count)), ' Following');
    replaceChildren(this.followers, h('strong', {}, String(profile.followers_count)),
      profile.followers_count === 1 ? ' Follower' : ' Followers');
    replaceChildren(this.tweets, plural(profile.tweet_count, 'Tweet', 'Tweets'));
  }

  /** The inline edit form, in place of the card's view until saved or cancelled. */
  edit() {
    const gen = this.generation;
    const field = (name, labelText, control) => {
      const counter = h('span', { className: 'field-count', id: `profile-${name}-count` });
      const error = h('p', { className: 'field-error', id: `profile-${name}-error` });
      control.id = `profile-${name}`;
      control.name = name;
      control.setAttribute('aria-describedby', `${counter.id} ${error.id}`);
      const paint = () => {
        const n = charCount(control.value);
        counter.textContent = `${n}/${LIMITS[name]}`;
        counter.classList.toggle('over', n > LIMITS[name]);
        error.textContent = '';
        control.removeAttribute('aria-invalid');
      };
      control.addEventListener('input', () => { paint(); check(); });
      const el = h('div', { className: 'field' },
        h('div', { className: 'field-label' }, h('label', { htmlFor: control.id }, labelText), counter),
        control, error);
      return { el, control, error, paint };
    };
    const fields = {
      display_name: field('display_name', 'Name', h('input', { type: 'text', autocomplete: 'name', value: this.profile.display_name || '' })),
      bio: field('bio', 'Bio', h('textarea', { rows: 3 })),
    };
    fields.bio.control.value = this.profile.bio || '';
    const formError = h('p', { className: 'form-error', role: 'alert' });
    const save = h('button', { type: 'submit', className: 'btn btn-primary btn-small' }, 'Save');
    const cancel = h('button', { type: 'button', className: 'btn btn-quiet btn-small' }, 'Cancel');
    const form = h('form', { className: 'profile-edit', id: 'profile-edit', 'aria-label': 'Edit your profile', noValidate: true },
      fields.display_name.el, fields.bio.el, formError,
      h('div', { className: 'profile-edit-bar' }, cancel, save));
    function check() {
      save.disabled = Object.entries(fields).some(([name, f]) => charCount(f.control.value) > LIMITS[name]);
    }
    for (const f of Object.values(fields)) f.paint();
    check();
    const close = () => {
      replaceChildren(this.section, this.view);
      this.section.querySelector('#edit-profile')?.focus();
    };
    cancel.addEventListener('click', close);
    form.addEventListener('keydown', (e) => { if (e.key === 'Escape') close(); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (save.disabled) return;
      formError.textContent = '';
      save.disabled = true;
      save.textContent = 'Saving…';
      try {
        const profile = await api.updateMe({ display_name: fields.display_name.control.value, bio: fields.bio.control.value });
        if (gen !== this.generation) return;
        this.update(profile);
        close();
        this.onSaved(profile);
      } catch (err) {
        if (gen !== this.generation) return;
        const f = fields[err.field];
        if (f) {
          f.error.textContent = err.message;
          f.control.setAttribute('aria-invalid', 'true');
          f.control.focus();
        } else {
          formError.textContent = err.message;
        }
      } finally {
        save.textContent = 'Save';
        check();
      }
    });
    replaceChildren(this.section, form);
    fields.display_name.control.focus();
  }
}
