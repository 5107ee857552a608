// Mute, Block and Report on someone else's profile. Mute and Block ask first, in a small
// dialog that says what will happen (Mute can leave their notifications on); Unmute and
// Unblock are undos and act at once. The server's answer (their profile as the viewer now
// sees it) is the truth and goes to `onChange`; Report opens the report dialog (report.js).

import * as api from './api.js';
import { h } from './dom.js';
import { openDialog } from './dialog.js';
import { reportDialog } from './report.js';

let seq = 0;

function notificationsField() {
  const id = `mute-notifications-${++seq}`;
  return h('div', { className: 'field' },
    h('div', { className: 'choice' },
      h('input', { type: 'checkbox', name: 'notifications', id, checked: true }),
      h('label', { htmlFor: id }, h('span', { className: 'choice-label' }, 'Also mute their notifications'))),
    h('p', { className: 'field-error' }));
}

/** Ask, then mute `username`; resolves to their profile, or null when cancelled. */
export function confirmMute(username) {
  return openDialog({
    title: `Mute @${username}?`,
    text: 'Their tweets leave your timelines. They won’t know you muted them, and you can unmute them at any time.',
    fields: [notificationsField()],
    submitLabel: 'Mute',
    onSubmit: (form) => api.setMute(username, true, { notifications: form.elements.notifications.checked }),
  });
}

/** Ask, then block `username`; resolves to their profile, or null when cancelled. */
export function confirmBlock(username) {
  return openDialog({
    title: `Block @${username}?`,
    text: 'You won’t see each other’s tweets, and any follow between you ends. Neither of you can follow, reply to or like the other while the block stands.',
    submitLabel: 'Block',
    danger: true,
    onSubmit: () => api.setBlock(username, true),
  });
}

/** The profile's Mute / Block / Report buttons, kept in step with the profile shown. */
export class SafetyActions {
  /**
   * For `profile` (someone else's, signed in): `onChange(profile, what)` gets the profile the
   * server answered after "block", "unblock", "mute" or "unmute"; `toast(message)` says what
   * went wrong, or that a report was sent.
   */
  constructor(profile, { onChange, toast }) {
    Object.assign(this, { profile, onChange, toast });
    this.mute = h('button', { type: 'button', className: 'btn btn-quiet btn-small mute-btn' });
    this.block = h('button', { type: 'button', className: 'btn btn-quiet btn-small block-btn' });
    this.report = h('button', { type: 'button', className: 'btn btn-quiet btn-small report-btn' }, 'Report');
    this.report.setAttribute('aria-label', `Report @${profile.username}`);
    this.mute.addEventListener('click', () => this.toggle('mute'));
    this.block.addEventListener('click', () => this.toggle('block'));
    this.report.addEventListener('click', async () => {
      const filed = await reportDialog({ username: this.profile.username });
      if (filed) this.toast('Thank you. Your report was sent to the moderators.');
    });
    this.element = h('div', { className: 'profile-safety', role: 'group', 'aria-label': `Safety: @${profile.username}` },
      this.mute, this.block, this.report);
    this.update(profile);
  }

  /** Show `profile`'s muted and blocked state on the buttons. */
  update(profile) {
    this.profile = profile;
    const paint = (btn, on, verb, undo) => {
      btn.textContent = on ? undo : verb;
      btn.setAttribute('aria-pressed', String(on));
      btn.setAttribute('aria-label', `${on ? undo : verb} @${profile.username}`);
    };
    paint(this.mute, !!profile.muted_by_me, 'Mute', 'Unmute');
    paint(this.block, !!profile.blocked_by_me, 'Block', 'Unblock');
  }

  async toggle(kind) {
    const btn = kind === 'mute' ? this.mute : this.block;
    if (btn.getAttribute('aria-busy') === 'true') return;
    const username = this.profile.username;
    const on = kind === 'mute' ? !this.profile.muted_by_me : !this.profile.blocked_by_me;
    let profile = null;
    if (on) {
      profile = await (kind === 'mute' ? confirmMute(username) : confirmBlock(username));
    } else {
      btn.setAttribute('aria-busy', 'true');
      try {
        profile = await (kind === 'mute' ? api.setMute(username, false) : api.setBlock(username, false));
      } catch (e) {
        this.toast(e.message);
      } finally {
        btn.removeAttribute('aria-busy');
      }
    }
    if (!profile) return;
    this.update(profile);
    this.onChange(profile, on ? kind : `un${kind}`);
  }
}
