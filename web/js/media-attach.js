// Images in the compose box: up to four, added with the "Add images" button, by pasting or
// by dropping files on the box. Each uploads at once (POST /api/media) and shows a preview,
// an alt-text field and a Remove button; alt text typed meanwhile is sent just before the
// tweet (PUT /api/media/{id}), so typing never waits for an upload.

import * as api from './api.js';
import { h } from './dom.js';

export const MAX_IMAGES = 4;
const ACCEPT = 'image/jpeg,image/png,image/webp,image/gif';

let boxes = 0;

export class Attachments {
  /** Adds its controls to `form`: the button in `bar`, the previews before `bar`. */
  constructor({ form, textarea, bar, onChange }) {
    this.onChange = onChange;
    this.items = [];
    const n = ++boxes;
    this.input = h('input', { type: 'file', accept: ACCEPT, multiple: true, hidden: true, id: `attach-input-${n}` });
    this.button = h('button', { type: 'button', className: 'btn attach-button', 'aria-label': 'Add images' }, 'Add images');
    this.list = h('ul', { className: 'attachments', 'aria-label': 'Images to post' });
    this.note = h('p', { className: 'field-error attach-error', role: 'status' });
    bar.prepend(this.button, this.input);
    bar.before(this.list, this.note);
    this.button.addEventListener('click', () => this.input.click());
    this.input.addEventListener('change', () => {
      this.add([...this.input.files]);
      this.input.value = '';
    });
    textarea.addEventListener('paste', (e) => {
      const files = [...((e.clipboardData && e.clipboardData.files) || [])].filter(isImage);
      if (files.length === 0) return;
      e.preventDefault();
      this.add(files);
    });
    form.addEventListener('dragover', (e) => {
      if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) {
        e.preventDefault();
        form.classList.add('dropping');
      }
    });
    form.addEventListener('dragleave', () => form.classList.remove('dropping'));
    form.addEventListener('drop', (e) => {
      form.classList.remove('dropping');
      const files = [...((e.dataTransfer && e.dataTransfer.files) || [])].filter(isImage);
      if (files.length === 0) return;
      e.preventDefault();
      this.add(files);
    });
    this.refresh();
  }

  /** How many images are attached (uploaded or uploading). */
  get count() { return this.items.length; }

  /** Whether an upload is still running (the tweet waits for it). */
  get busy() { return this.items.some((item) => item.id === null); }

  add(files) {
    this.note.textContent = '';
    const room = MAX_IMAGES - this.items.length;
    if (files.length > room) this.note.textContent = `A tweet carries at most ${MAX_IMAGES} images.`;
    for (const file of files.slice(0, Math.max(0, room))) this.upload(file);
    this.refresh();
  }

  upload(file) {
    const preview = URL.createObjectURL(file);
    const alt = h('textarea', {
      className: 'attachment-alt', rows: 2, maxLength: 1500,
      placeholder: 'Describe this image for people who can’t see it',
      'aria-label': 'Image description (alt text)',
    });
    const remove = h('button', { type: 'button', className: 'btn attachment-remove', 'aria-label': 'Remove image' }, 'Remove');
    const status = h('span', { className: 'attachment-status muted', role: 'status' }, 'Uploading…');
    const img = h('img', { className: 'attachment-preview', src: preview, alt: '' });
    const el = h('li', { className: 'attachment uploading' }, img, h('div', { className: 'attachment-side' }, alt, h('div', { className: 'attachment-row' }, status, remove)));
    const item = { id: null, sent: '', alt, el, preview };
    this.items.push(item);
    this.list.append(el);
    remove.addEventListener('click', () => this.remove(item));
    api.uploadMedia(file).then((attachment) => {
      if (!this.items.includes(item)) return;
      item.id = attachment.id;
      el.classList.remove('uploading');
      status.textContent = '';
      this.refresh();
    }, (e) => {
      if (!this.items.includes(item)) return;
      this.remove(item);
      this.note.textContent = e.message;
    });
  }

  remove(item) {
    this.items = this.items.filter((other) => other !== item);
    item.el.remove();
    URL.revokeObjectURL(item.preview);
    this.refresh();
  }

  /** Send alt text that changed, then answer the ids to post with (in order). */
  async prepare() {
    for (const item of this.items) {
      const text = item.alt.value.trim();
      if (item.id !== null && text !== item.sent) {
        await api.describeMedia(item.id, text);
        item.sent = text;
      }
    }
    return this.items.map((item) => item.id);
  }

  clear() {
    for (const item of [...this.items]) this.remove(item);
    this.note.textContent = '';
  }

  refresh() {
    this.button.disabled = this.items.length >= MAX_IMAGES;
    this.list.hidden = this.items.length === 0;
    this.onChange();
  }
}

function isImage(file) {
  return file && typeof file.type === 'string' && file.type.startsWith('image/');
}
