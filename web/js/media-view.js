// Images in tweets: each at its own aspect ratio (the box is sized before the image
// arrives, so nothing jumps), its alt text on the <img>, a blurhash painted underneath
// while it loads, and a click (or Enter) that opens the full-size image in a dialog with
// its description. Built with createElement only.

import { h } from './dom.js';
import { blurhashCanvas } from './blurhash.js';

let viewer = null;

/** The one full-size viewer: a modal <dialog> that Escape, the button or the backdrop closes. */
function theViewer() {
  if (viewer) return viewer;
  const img = h('img', { className: 'lightbox-image', alt: '' });
  const caption = h('p', { className: 'lightbox-caption', dir: 'auto' });
  const close = h('button', { type: 'button', className: 'btn lightbox-close' }, 'Close');
  const dialog = h('dialog', { className: 'lightbox', 'aria-label': 'Image' },
    h('figure', {}, img, caption), close);
  close.addEventListener('click', () => dialog.close());
  // A click on the backdrop (the dialog itself, outside its content) closes it.
  dialog.addEventListener('click', (e) => { if (e.target === dialog) dialog.close(); });
  dialog.addEventListener('close', () => { img.removeAttribute('src'); });
  document.body.append(dialog);
  viewer = { dialog, img, caption };
  return viewer;
}

/** Open `attachment` full size. */
export function openImage(attachment) {
  const { dialog, img, caption } = theViewer();
  img.alt = attachment.description || '';
  img.src = attachment.url;
  img.width = attachment.width;
  img.height = attachment.height;
  caption.textContent = attachment.description || '';
  caption.hidden = !attachment.description;
  if (!dialog.open) dialog.showModal();
}

function thumb(attachment, tallest) {
  const ratio = `${attachment.preview_width || 1} / ${attachment.preview_height || 1}`;
  const img = h('img', {
    className: 'media-image',
    src: attachment.preview_url,
    alt: attachment.description || '',
    width: attachment.preview_width,
    height: attachment.preview_height,
    loading: 'lazy',
    decoding: 'async',
  });
  const placeholder = blurhashCanvas(attachment.blurhash);
  placeholder.className = 'media-blurhash';
  placeholder.setAttribute('aria-hidden', 'true');
  const button = h('button', {
    type: 'button',
    className: 'media-thumb',
    title: attachment.description || 'Open image',
    'aria-label': attachment.description ? `Open image: ${attachment.description}` : 'Open image',
  }, placeholder, img);
  button.style.aspectRatio = ratio;
  // A tall image is as wide as `tallest` px of height allows, never cropped.
  const w = attachment.preview_width || 1;
  const hgt = attachment.preview_height || 1;
  button.style.maxWidth = `min(100%, ${Math.round((tallest * w) / hgt)}px)`;
  const loaded = () => button.classList.add('loaded');
  if (img.complete && img.naturalWidth) loaded();
  else img.addEventListener('load', loaded, { once: true });
  button.addEventListener('click', () => openImage(attachment));
  return button;
}

/** The images of a tweet (null when it has none). */
export function mediaGrid(media) {
  if (!Array.isArray(media) || media.length === 0) return null;
  // One image may stand taller than several side by side.
  const tallest = media.length === 1 ? 510 : 320;
  return h('div', { className: `media-grid media-${Math.min(media.length, 4)}` },
    media.map((attachment) => thumb(attachment, tallest)));
}
