// The "Show N new tweets" loop in a real browser: two people in two browser contexts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, post, shownIds, bannerMatching } from './helpers.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.close(); });

/** Record, in the page, whether the banner was ever visible. */
async function watchBanner(page) {
  await page.evaluate(() => {
    window.__bannerSeen = false;
    const banner = document.getElementById('banner');
    const check = () => { if (!banner.hidden) window.__bannerSeen = true; };
    new MutationObserver(check).observe(banner, { attributes: true, childList: true, subtree: true });
    check();
  });
}

test('another user’s tweets raise the banner and load at the top, in order, draft untouched', async () => {
  const a = await env.open({ username: 'alice', path: '/everyone' });
  const b = await env.open({ username: 'bob', path: '/everyone' });
  await watchBanner(a.page);

  // Bob is halfway through writing something.
  const draft = 'Half-typed thought about 🐦 and';
  await b.page.locator('#compose-text').fill(draft);
  const before = await shownIds(b.page);

  // Alice posts through the page: her tweet is at the top at once, no banner for her.
  await a.page.locator('#compose-text').fill('Hello from Alice!');
  await a.page.locator('#compose-submit').click();
  await a.page.locator('#timeline > li').first().filter({ hasText: 'Hello from Alice!' }).waitFor();
  assert.equal(await a.page.locator('#compose-text').inputValue(), '');

  const one = await bannerMatching(b.page, /Show 1 new tweet\b/);
  assert.match(one, /alice/);
  // The banner is a button in a polite live region, and it did not take focus.
  assert.equal(await b.page.locator('[aria-live="polite"] > button#banner').count(), 1);
  assert.equal(await b.page.evaluate(() => document.activeElement.id), 'compose-text');

  await a.page.locator('#compose-text').fill('And a second one.');
  await a.page.locator('#compose-submit').click();
  await a.page.locator('#timeline > li').first().filter({ hasText: 'And a second one.' }).waitFor();
  await bannerMatching(b.page, /Show 2 new tweets/);
  assert.deepEqual(await shownIds(b.page), before, 'nothing inserted before the click');

  await b.page.locator('#banner').click();
  await b.page.locator('#banner').waitFor({ state: 'hidden' });
  const texts = await b.page.locator('#timeline > li .tweet-text').allInnerTexts();
  assert.deepEqual(texts.slice(0, 2), ['And a second one.', 'Hello from Alice!']);
  const ids = await shownIds(b.page);
  assert.ok(ids[0] > ids[1], 'newest first');
  assert.equal(await b.page.locator('#compose-text').inputValue(), draft, 'the draft is untouched');
  assert.equal(await b.page.title(), 'Everyone · Chirp');

  assert.equal(await a.page.evaluate(() => window.__bannerSeen), false, 'no banner for one’s own tweets');
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.context.close();
  await b.context.close();
});

test('a tweet with HTML in it stays text and runs nothing; "." shows new tweets', async () => {
  const a = await env.open({ username: 'mallory', path: '/everyone' });
  const b = await env.open({ username: 'carol', path: '/everyone' });
  const evil = '<img src=x onerror=window.__xss=1> <script>window.__xss=2</script> & "quotes"';
  await post(env.client, a.token, evil);
  await bannerMatching(b.page, /Show 1 new tweet\b/);

  // While typing, "." is just a character.
  const box = b.page.locator('#compose-text');
  await box.click();
  await b.page.keyboard.press('.');
  assert.equal(await box.inputValue(), '.');
  assert.equal(await b.page.locator('#banner').isVisible(), true);

  // Outside a field it shows the new tweets.
  await box.fill('');
  await b.page.locator('#view-header h1').click();
  await b.page.keyboard.press('.');
  await b.page.locator('#banner').waitFor({ state: 'hidden' });
  const first = b.page.locator('#timeline > li').first();
  assert.equal(await first.locator('.tweet-text').textContent(), evil);
  assert.equal(await b.page.locator('#timeline img, #timeline script').count(), 0);
  assert.equal(await b.page.evaluate(() => window.__xss), undefined);
  assert.deepEqual(b.errors, []);
  await a.context.close();
  await b.context.close();
});

test('a pending tweet deleted before it is shown leaves the count', async () => {
  const a = await env.open({ username: 'dave', path: '/everyone' });
  const b = await env.open({ username: 'erin', path: '/everyone' });
  const keep = await post(env.client, a.token, 'This one stays');
  const gone = await post(env.client, a.token, 'This one will be deleted');
  await bannerMatching(b.page, /Show 2 new tweets/);

  assert.equal((await env.client.del(`/api/tweets/${gone.id}`, a.token)).status, 204);
  await bannerMatching(b.page, /Show 1 new tweet\b/);

  await b.page.locator('#banner').click();
  await b.page.locator('#banner').waitFor({ state: 'hidden' });
  const ids = await shownIds(b.page);
  assert.equal(ids[0], keep.id);
  assert.ok(!ids.includes(gone.id));

  // A shown tweet deleted elsewhere leaves the page too.
  assert.equal((await env.client.del(`/api/tweets/${keep.id}`, a.token)).status, 204);
  await b.page.locator(`#timeline > li[data-id="${keep.id}"]`).waitFor({ state: 'detached' });
  await a.context.close();
  await b.context.close();
});

test('tweets posted while the socket was down are counted after it reconnects', async () => {
  const a = await env.open({ username: 'frank', path: '/everyone' });
  const b = await env.open({ username: 'grace', path: '/everyone' });
  const first = await post(env.client, a.token, 'Posted while Grace is online');
  const doomed = await post(env.client, a.token, 'Posted, then deleted while Grace is away');
  await bannerMatching(b.page, /Show 2 new tweets/);

  // Cut the connection: the network goes away and the live transport with it. (Offline
  // emulation alone leaves an open WebSocket be; it does stop the reconnection attempts.)
  await b.context.setOffline(true);
  await b.page.evaluate(() => window.chirp.connection.socket.io.engine.close());
  await b.page.locator('#conn-note').filter({ hasText: 'Reconnecting' }).waitFor();
  assert.equal(await b.page.locator('html').getAttribute('data-socket'), 'down');

  // Two tweets and a deletion that no announcement will ever tell Grace about.
  const missed1 = await post(env.client, a.token, 'Posted while Grace was away');
  assert.equal((await env.client.del(`/api/tweets/${doomed.id}`, a.token)).status, 204);
  const missed2 = await post(env.client, a.token, 'Also posted while Grace was away');
  assert.equal(await b.page.locator('html').getAttribute('data-socket'), 'down');
  await b.context.setOffline(false);
  await b.page.waitForSelector('html[data-socket="up"]', { timeout: 15_000 });
  assert.equal((await b.page.locator('#conn-note').textContent()).trim(), '');

  // first + missed1 + missed2: the catch-up counted what was missed and dropped the deleted.
  const text = await bannerMatching(b.page, /Show 3 new tweets/);
  assert.match(text, /frank/);
  await b.page.locator('#banner').click();
  await b.page.locator('#banner').waitFor({ state: 'hidden' });
  const ids = await shownIds(b.page);
  assert.deepEqual(ids.slice(0, 3), [missed2.id, missed1.id, first.id]);
  assert.ok(!ids.includes(doomed.id));
  await a.context.close();
  await b.context.close();
});

test('the title carries the count while the tab is hidden', async () => {
  const a = await env.open({ username: 'heidi', path: '/everyone' });
  const b = await env.open({ username: 'ivan', path: '/everyone' });
  await b.page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await post(env.client, a.token, 'Are you there?');
  await b.page.waitForFunction(() => document.title === '(1) Everyone · Chirp');
  await post(env.client, a.token, 'Hello?');
  await b.page.waitForFunction(() => document.title === '(2) Everyone · Chirp');
  await b.page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  assert.equal(await b.page.title(), 'Everyone · Chirp');
  await a.context.close();
  await b.context.close();
});

/** Whether two boxes from boundingBox() overlap. */
const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

for (const [name, viewport] of [['a phone (390 px)', { width: 390, height: 844 }], ['a desktop', { width: 1000, height: 760 }]]) {
  test(`on ${name} the banner covers neither the first tweet’s name line nor the compose box`, async () => {
    const a = await env.open({ username: `poster_${viewport.width}`, path: '/everyone' });
    const b = await env.open({ username: `phone_${viewport.width}`, viewport, path: '/everyone' });
    await post(env.client, a.token, 'Seen first');
    await bannerMatching(b.page, /Show 1 new tweet\b/);
    await b.page.locator('#banner').click();
    await b.page.locator('#banner').waitFor({ state: 'hidden' });
    await post(env.client, a.token, 'A long name line is the one that matters here');
    await bannerMatching(b.page, /Show 1 new tweet\b/);
    // The animation is off (reduced motion), so this is where the pill stays.
    const banner = await b.page.locator('#banner').boundingBox();
    const head = await b.page.locator('#timeline > li').first().locator('.tweet-head').boundingBox();
    const bar = await b.page.locator('#compose .compose-bar').boundingBox();
    assert.ok(!overlap(banner, head), `banner ${JSON.stringify(banner)} covers the name line ${JSON.stringify(head)}`);
    assert.ok(!overlap(banner, bar), `banner ${JSON.stringify(banner)} covers the compose bar ${JSON.stringify(bar)}`);
    await a.context.close();
    await b.context.close();
  });
}

test('the banner shows no bare shortcut key; "." still works and is announced', async () => {
  const a = await env.open({ username: 'judy', path: '/everyone' });
  const b = await env.open({ username: 'ken', path: '/everyone' });
  await post(env.client, a.token, 'Press the dot');
  const text = await bannerMatching(b.page, /Show 1 new tweet\b/);
  assert.match(text.trim(), /Show 1 new tweet\s+from judy$/, 'nothing after the names: no lone "."');
  assert.equal(await b.page.locator('#banner kbd').count(), 0);
  assert.equal(await b.page.locator('#banner').getAttribute('aria-keyshortcuts'), '.');
  assert.match(await b.page.locator('#banner').getAttribute('title'), /shortcut: \./);
  await b.page.locator('#view-header h1').click();
  await b.page.keyboard.press('.');
  await b.page.locator('#banner').waitFor({ state: 'hidden' });
  assert.equal(await b.page.locator('#timeline > li .tweet-text').first().textContent(), 'Press the dot');
  await a.context.close();
  await b.context.close();
});
