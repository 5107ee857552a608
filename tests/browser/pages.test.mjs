// What each page is called and what a page that does not exist looks like (issue 18): an
// unknown path, user or tweet answers the app's own "not found" page with HTTP 404 (API
// paths keep their JSON 404), shows no made-up avatar and offers a way home, whether the
// server or the page found out; every page's title says what it is; a profile shows its
// avatar once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, post, ready } from './helpers.mjs';

let env;
let ada;
let tweet;
before(async () => {
  env = await setUp();
  ada = await env.client.signUp('ada');
  tweet = await post(env.client, ada.token, 'Ada was here.');
});
after(async () => { await env?.close(); });

const MISSING = ['/nope/x', '/users/nobody', '/users/nobody/followers', '/users/nobody/following', '/tweets/999999', '/users/no%20such'];

test('unknown paths, users and tweets answer the app with 404; real ones 200; /api keeps JSON', async () => {
  for (const path of MISSING) {
    const res = await fetch(env.url(path));
    assert.equal(res.status, 404, path);
    assert.match(res.headers.get('content-type'), /^text\/html/, path);
    assert.match(await res.text(), /<script type="module" src="\/static\/js\/main.js">/, path);
  }
  for (const path of ['/', '/everyone', '/users/ada', '/users/ADA', '/users/ada/followers', '/users/ada/following', `/tweets/${tweet.id}`, '/notifications']) {
    assert.equal((await fetch(env.url(path))).status, 200, path);
  }
  const api = await fetch(env.url('/api/nope'));
  assert.equal(api.status, 404);
  assert.match(api.headers.get('content-type'), /^application\/json/);
  assert.equal((await api.json()).error.code, 'not_found');
  assert.equal((await fetch(env.url('/static/nope.js'))).status, 404);
});

/** The page shows the in-app "not found" view: message, link home, no avatar. */
async function assertNotFound(page, path) {
  await page.waitForSelector('html[data-view="notfound"][data-loading="false"]');
  assert.match(await page.locator('#view-header h1').textContent(), /not found/i, path);
  assert.equal(await page.title(), 'Not found · Chirp', path);
  const home = page.locator('#main a.home-link[href="/"]');
  assert.equal(await home.count(), 1, `${path}: a way home`);
  assert.ok(await home.isVisible(), path);
  assert.equal(await page.locator('#main .avatar:visible').count(), 0, `${path}: no made-up avatar`);
  assert.equal(await page.locator('#profile').isVisible(), false, path);
  assert.equal(await page.locator('#timeline > li').count(), 0, path);
  assert.equal(await page.locator('#compose').isVisible(), false, path);
}

test('the not-found page, loaded from the server', async () => {
  for (const path of MISSING) {
    const { page, context, errors } = await env.open({ path });
    await assertNotFound(page, path);
    assert.deepEqual(errors, [], path);
    await context.close();
  }
});

test('the not-found page, reached inside the app (the API said 404), signed in too', async () => {
  const { page, context, errors } = await env.open({ username: 'bea', path: '/everyone' });
  await page.evaluate(() => { window.__samePage = true; });
  for (const path of MISSING) {
    await page.evaluate((href) => {
      const a = Object.assign(document.createElement('a'), { href, textContent: 'go' });
      document.getElementById('main').append(a);
      a.click();
      a.remove();
    }, path);
    await page.waitForURL((u) => u.pathname === path);
    await assertNotFound(page, path);
    await page.locator('#main a.home-link').click();
    await page.waitForSelector('html[data-view="home"][data-loading="false"]');
  }
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no full page load');
  assert.deepEqual(errors, []);
  await context.close();
});

test('every page’s title says what it is', async () => {
  const out = await env.open({ path: '/' });
  assert.equal(await out.page.locator('#view-header h1').textContent(), 'Everyone');
  assert.equal(await out.page.title(), 'Everyone · Chirp');
  await out.context.close();

  const { page, context } = await env.open({ username: 'cyd', path: '/' });
  const titles = {
    '/': 'Home · Chirp',
    '/everyone': 'Everyone · Chirp',
    '/users/ada': '@ada · Chirp',
    '/users/ada/followers': 'Followers of @ada · Chirp',
    '/users/ada/following': 'Followed by @ada · Chirp',
    '/notifications': 'Notifications · Chirp',
    [`/tweets/${tweet.id}`]: '@ada: “Ada was here.” · Chirp',
  };
  for (const [path, title] of Object.entries(titles)) {
    await page.goto(env.url(path));
    await ready(page);
    assert.equal(await page.title(), title, path);
  }
  await context.close();
});

test('a profile shows its avatar once', async () => {
  const { page, context } = await env.open({ username: 'dee', path: '/users/ada' });
  await page.locator('#profile .profile-name').waitFor();
  assert.equal(await page.locator('#view-header .avatar, #profile .avatar').count(), 1);
  assert.equal(await page.locator('#view-header h1').textContent(), '@ada');
  await context.close();
});
