// The compose box: a live counter that counts exactly like the server (Unicode scalar values
// after trimming Unicode white space), a Post button that is disabled when the text is empty
// or too long, and a draft that survives navigation and reloads (sessionStorage). The same
// class drives a conversation's reply box, with its own draft and a `reply_to`. Both take
// up to four images (`media-attach.js`); with images the text may be empty.

import * as api from './api.js';
import { Attachments } from './media-attach.js';

export const MAX_CHARS = 280;
const DRAFT_KEY = 'chirp:draft';

/** Trim like Rust's str::trim (Unicode White_Space), which is what the server does. */
export const trimText = (text) => text.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');

/** Length as the server measures it: Unicode scalar values (not UTF-16 units) after trim. */
export const charCount = (text) => [...trimText(text)].length;

function loadDraft(key) {
  try { return sessionStorage.getItem(key) || ''; } catch { return ''; }
}
function saveDraft(key, text) {
  try {
    if (text) sessionStorage.setItem(key, text);
    else sessionStorage.removeItem(key);
  } catch { /* storage unavailable: the draft just lives in the textarea */ }
}

export class Compose {
  /**
   * `onPosted(tweet)` receives the created tweet; `replyTo` (a tweet id) makes every post a
   * reply to it, and `draftKey` keeps that box's draft apart from the others.
   */
  constructor({ form, textarea, left, counter, submit, error, onPosted, replyTo = null, draftKey = DRAFT_KEY }) {
    Object.assign(this, { form, textarea, left, counter, submit, error, onPosted, replyTo, draftKey });
    this.posting = false;
    this.attachments = null;
    this.attachments = new Attachments({ form, textarea, bar: submit.parentElement, onChange: () => this.update() });
    if (!textarea.value) textarea.value = loadDraft(draftKey);
    textarea.addEventListener('input', () => {
      this.clearError();
      saveDraft(this.draftKey, textarea.value);
      this.update();
    });
    textarea.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.post();
      }
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.post();
    });
    this.update();
  }

  update() {
    const n = charCount(this.textarea.value);
    const remaining = MAX_CHARS - n;
    this.left.textContent = String(remaining);
    this.counter.classList.toggle('warn', remaining <= 20 && remaining >= 0);
    this.counter.classList.toggle('over', remaining < 0);
    this.textarea.setAttribute('aria-invalid', remaining < 0 ? 'true' : 'false');
    this.submit.disabled = !this.canPost(n);
  }

  /** Whether a post of `n` characters (and the attached images) may go now. */
  canPost(n) {
    const images = this.attachments ? this.attachments.count : 0;
    const uploading = this.attachments ? this.attachments.busy : false;
    return !this.posting && !uploading && (n > 0 || images > 0) && n <= MAX_CHARS;
  }

  clearError() {
    this.error.textContent = '';
  }

  async post() {
    const n = charCount(this.textarea.value);
    if (!this.canPost(n)) return;
    this.posting = true;
    this.update();
    this.submit.textContent = 'Posting…';
    try {
      const mediaIds = await this.attachments.prepare();
      const tweet = await api.postTweet(this.textarea.value, this.replyTo, mediaIds);
      this.textarea.value = '';
      saveDraft(this.draftKey, '');
      this.attachments.clear();
      this.onPosted(tweet);
    } catch (e) {
      // The text stays in the box: nothing the user typed is lost on an error.
      this.error.textContent = e.message;
    } finally {
      this.posting = false;
      this.submit.textContent = this.replyTo ? 'Reply' : 'Post';
      this.update();
    }
  }
}
