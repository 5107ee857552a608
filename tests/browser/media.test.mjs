// Images in a real browser: attach by the button, by pasting and by dropping, write alt
// text, post; another person sees the images (alt text, aspect ratio, blurhash underneath)
// after clicking the banner, opens the full-size view and closes it; a phone-wide page fits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, bannerMatching } from './helpers.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.close(); });

/** A PNG of `width` × `height` filled with `colour`, drawn by the page's own canvas. */
async function png(page, width, height, colour) {
  const dataUrl = await page.evaluate(([w, h, c]) => {
    const canvas = document.createElement('canvas');
    canvas.width = w; canvas.height = h;
    const g = canvas.getContext('2d');
    g.fillStyle = c; g.fillRect(0, 0, w, h);
    g.fillStyle = '#fff'; g.fillRect(0, 0, w / 4, h / 4);
    return canvas.toDataURL('image/png');
  }, [width, height, colour]);
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

/** Hand `bytes` to the compose box as a paste (`paste`) or a drop (`drop`). */
async function give(page, kind, bytes, name) {
  await page.evaluate(([k, b64, n]) => {
    const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const file = new File([bin], n, { type: 'image/png' });
    const data = new DataTransfer();
    data.items.add(file);
    if (k === 'paste') {
      document.getElementById('compose-text').dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    } else {
      const form = document.getElementById('compose');
      form.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
      form.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    }
  }, [kind, bytes.toString('base64'), name]);
}

test('images attached by button, paste and drop are posted with alt text and shown to others', async () => {
  const a = await env.open({ username: 'alice', path: '/everyone' });
  const b = await env.open({ username: 'bob', path: '/everyone' });
  const compose = a.page.locator('#compose');

  // By the button (its file input), by pasting, by dropping.
  await compose.locator('input[type=file]').setInputFiles({ name: 'wide.png', mimeType: 'image/png', buffer: await png(a.page, 400, 200, '#c00') });
  await give(a.page, 'paste', await png(a.page, 120, 240, '#00c'), 'tall.png');
  await give(a.page, 'drop', await png(a.page, 100, 100, '#0a0'), 'square.png');
  await compose.locator('.attachment').nth(2).waitFor();
  await a.page.waitForFunction(() => document.querySelectorAll('#compose .attachment').length === 3
    && !document.querySelector('#compose .attachment.uploading'));
  const alts = compose.locator('textarea.attachment-alt');
  await alts.nth(0).fill('A wide red banner');
  await alts.nth(1).fill('A tall blue strip');
  // The third is removed again: two images go with the tweet.
  await compose.locator('.attachment-remove').nth(2).click();
  assert.equal(await compose.locator('.attachment').count(), 2);
  await a.page.locator('#compose-text').fill('Two pictures');
  await a.page.locator('#compose-submit').click();
  const mine = a.page.locator('#timeline > li').first();
  await mine.filter({ hasText: 'Two pictures' }).waitFor();
  assert.deepEqual(await mine.locator('.media-image').evaluateAll((imgs) => imgs.map((i) => i.alt)),
    ['A wide red banner', 'A tall blue strip']);
  assert.equal(await compose.locator('.attachment').count(), 0, 'the box is empty again');

  // Bob sees it after the banner, with alt text, at the images' aspect ratios.
  await bannerMatching(b.page, /Show 1 new tweet\b/);
  await b.page.locator('#banner').click();
  const theirs = b.page.locator('#timeline > li').first();
  await theirs.filter({ hasText: 'Two pictures' }).waitFor();
  const thumbs = theirs.locator('.media-thumb');
  assert.equal(await thumbs.count(), 2);
  assert.equal(await theirs.locator('canvas.media-blurhash').count(), 2, 'a blurhash under each');
  await b.page.waitForFunction(() => [...document.querySelectorAll('#timeline > li:first-child .media-image')].every((i) => i.complete && i.naturalWidth > 0));
  const boxes = await thumbs.evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => r.width / r.height));
  assert.ok(Math.abs(boxes[0] - 2) < 0.05, `wide image at 2:1, got ${boxes[0]}`);
  assert.ok(Math.abs(boxes[1] - 0.5) < 0.05, `tall image at 1:2, got ${boxes[1]}`);
  assert.equal(await theirs.locator('.media-image').first().getAttribute('alt'), 'A wide red banner');

  // The full-size view: the stored file itself, with its description; Escape closes it.
  await thumbs.first().click();
  const viewer = b.page.locator('dialog.lightbox[open]');
  await viewer.waitFor();
  const big = viewer.locator('img.lightbox-image');
  await b.page.waitForFunction(() => { const i = document.querySelector('dialog.lightbox img'); return i && i.complete && i.naturalWidth > 0; });
  assert.equal(await big.evaluate((i) => i.naturalWidth), 400);
  assert.equal(await big.getAttribute('alt'), 'A wide red banner');
  assert.match(await viewer.textContent(), /A wide red banner/);
  await b.page.keyboard.press('Escape');
  await viewer.waitFor({ state: 'detached' }).catch(() => {});
  assert.equal(await b.page.locator('dialog.lightbox[open]').count(), 0);

  // A phone-wide page of the tweet fits the screen.
  const id = await theirs.getAttribute('data-id');
  const phone = await env.open({ username: 'carol', path: `/tweets/${id}`, viewport: { width: 375, height: 740 } });
  await phone.page.locator('.tweet-big .media-thumb').first().waitFor();
  const widths = await phone.page.evaluate(() => ({
    page: document.documentElement.scrollWidth,
    thumbs: [...document.querySelectorAll('.tweet-big .media-thumb')].map((t) => t.getBoundingClientRect().right),
  }));
  assert.ok(widths.page <= 375, `no sideways scrolling at 375 px (page is ${widths.page})`);
  for (const right of widths.thumbs) assert.ok(right <= 375, `an image overflows: ${right}`);

  assert.deepEqual([...a.errors, ...b.errors, ...phone.errors], []);
});

test('an image with no text is a tweet; a file that is not an image is explained', async () => {
  const a = await env.open({ username: 'dana', path: '/everyone' });
  const submit = a.page.locator('#compose-submit');
  assert.equal(await submit.isDisabled(), true);
  await a.page.locator('#compose input[type=file]').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('not really a picture') });
  await a.page.locator('#compose .attach-error').filter({ hasText: /JPEG, PNG, WebP or GIF|could not|corrupt/ }).waitFor();
  assert.equal(await a.page.locator('#compose .attachment').count(), 0);
  await a.page.locator('#compose input[type=file]').setInputFiles({ name: 'ok.png', mimeType: 'image/png', buffer: await png(a.page, 50, 50, '#999') });
  await a.page.waitForFunction(() => document.querySelector('#compose .attachment') && !document.querySelector('#compose .attachment.uploading'));
  assert.equal(await submit.isDisabled(), false, 'an image alone may be posted');
  const top = await a.page.locator('#timeline > li').first().getAttribute('data-id');
  await submit.click();
  await a.page.waitForFunction((old) => {
    const li = document.querySelector('#timeline > li');
    return li && li.dataset.id !== old;
  }, top);
  const mine = a.page.locator('#timeline > li').first();
  assert.equal(await mine.locator('.media-thumb').count(), 1);
  assert.equal(await mine.locator('.tweet-text').count(), 0, 'no empty text paragraph');
  assert.equal(await mine.locator('.media-image').getAttribute('alt'), '');
});
