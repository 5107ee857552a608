// Hashtags and search in the web app (issue 21): the search field in the header and its
// Tweets | People tabs, a #tag in a tweet opening the tag's page, that page's live banner,
// and the Trending box beside everyone's tweets, on a desktop and a phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, post, shownIds, bannerMatching } from './helpers.mjs';

let env;
let ada;
let bob;
let cy;
const tweets = {};

before(async () => {
  env = await setUp();
  ada = await env.client.signUp('ada');
  bob = await env.client.signUp('bob_builder');
  cy = await env.client.signUp('cyd');
  const named = await fetch(env.url('/api/me'), {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bob.token}` },
    body: JSON.stringify({ display_name: 'Adélaïde Builder' }),
  });
  assert.equal(named.status, 200);
  tweets.cafe = await post(env.client, ada.token, 'Morning at the Café de Flore, croissants included.');
  tweets.rust = await post(env.client, ada.token, 'Learning #Rust this week: the borrow checker and me.');
  tweets.other = await post(env.client, bob.token, 'Nothing to find here, just a sandwich.');
  // Trending: #alpha by three people (four tweets), #beta three times by one.
  for (const who of [ada, bob, cy, ada]) await post(env.client, who.token, `Voting for #alpha, says ${who.user.username}`);
  for (let i = 0; i < 3; i++) await post(env.client, cy.token, `#beta number ${i}`);
});
after(async () => { await env?.close(); });

/** Submit `q` in the header's search field (opening it first on a phone). */
async function searchFor(page, q) {
  if (await page.locator('#search-open').isVisible()) await page.locator('#search-open').click();
  await page.locator('#search-q').fill(q);
  await page.locator('#search-q').press('Enter');
}

/** Wait until the page shows `view` and has finished loading. */
async function settled(page, view) {
  await page.waitForSelector(`html[data-view="${view}"][data-loading="false"]`);
}

test('the server answers the search and tag pages with the app; a name that is no tag’s, 404', async () => {
  for (const path of ['/search', '/search?q=rust&type=users', '/tags/rust', '/tags/Caf%C3%A9', '/tags/%23rust', '/tags/unused']) {
    const res = await fetch(env.url(path));
    assert.equal(res.status, 200, path);
    assert.match(await res.text(), /<script type="module" src="\/static\/js\/main.js">/, path);
  }
  for (const path of ['/tags/123', '/tags/a%20b', `/tags/${'x'.repeat(101)}`]) {
    const res = await fetch(env.url(path));
    assert.equal(res.status, 404, path);
    assert.match(await res.text(), /<script type="module" src="\/static\/js\/main.js">/, path);
  }
  const r = await env.open({ path: '/tags/123' });
  await settled(r.page, 'notfound');
  assert.match(await r.page.locator('#not-found').textContent(), /not a hashtag/);
  const unused = await env.open({ path: '/tags/Unused' });
  await settled(unused.page, 'tag');
  assert.equal(await unused.page.locator('#view-header h1').textContent(), '#unused');
  assert.equal(await unused.page.locator('#timeline-status').textContent(), 'No tweets with #unused yet.');
  assert.deepEqual([...r.errors, ...unused.errors], []);
  await r.context.close();
  await unused.context.close();
});

test('search from the header: matching tweets ignoring accents, then people, and back', async () => {
  const r = await env.open({ username: 'reader1', path: '/everyone' });
  const { page } = r;
  await page.evaluate(() => { window.__samePage = true; });
  await searchFor(page, 'cafe');
  await page.waitForURL((u) => u.pathname === '/search' && u.searchParams.get('q') === 'cafe');
  await settled(page, 'search');
  assert.equal(await page.title(), 'Search: cafe · Chirp');
  assert.deepEqual(await shownIds(page), [tweets.cafe.id]);
  assert.equal(await page.locator('#tabs .tab[aria-current="page"]').textContent(), 'Tweets');
  assert.equal(await page.locator('#search-q').inputValue(), 'cafe', 'the field keeps the query');

  // The last word is also a prefix; nothing found says so.
  await searchFor(page, 'borrow chec');
  await page.waitForURL((u) => u.searchParams.get('q') === 'borrow chec');
  await page.waitForFunction((id) => document.querySelector('#timeline > li')?.dataset.id === String(id), tweets.rust.id);
  await searchFor(page, 'zebra');
  await page.locator('#timeline-status').filter({ hasText: 'No tweets match “zebra”.' }).waitFor();
  assert.equal(await page.locator('#timeline > li').count(), 0);

  // People: usernames and display names beginning with the query, ignoring case and accents
  // as the server does; the tab keeps the query.
  await searchFor(page, 'ad');
  await page.waitForURL((u) => u.searchParams.get('q') === 'ad');
  await page.locator('#tabs .tab', { hasText: 'People' }).click();
  await page.waitForURL((u) => u.searchParams.get('type') === 'users');
  await settled(page, 'search');
  await page.locator('#people-list > li').first().waitFor();
  const names = await page.locator('#people-list > li').evaluateAll((lis) => lis.map((li) => li.dataset.username));
  assert.ok(names.includes('ada'), `ada found: ${names}`);
  assert.ok(names.includes('bob_builder'), `bob found by his display name "Adélaïde": ${names}`);
  assert.equal(await page.locator('#timeline').isVisible(), false);
  // A new search from the People tab stays on People.
  await searchFor(page, 'cyd');
  await page.waitForURL((u) => u.searchParams.get('q') === 'cyd' && u.searchParams.get('type') === 'users');
  await page.locator('#people-list > li[data-username="cyd"]').waitFor();

  await page.goBack();
  await page.waitForURL((u) => u.searchParams.get('q') === 'ad' && u.searchParams.get('type') === 'users');
  await page.goBack();
  await page.waitForURL((u) => u.searchParams.get('q') === 'ad' && !u.searchParams.get('type'));
  await settled(page, 'search');
  assert.equal(await page.locator('#tabs .tab[aria-current="page"]').textContent(), 'Tweets');
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no full page load');
  assert.deepEqual(r.errors, []);
  await r.context.close();
});

test('an empty search asks for words; one the server refuses says why', async () => {
  const r = await env.open({ path: '/search' });
  await settled(r.page, 'search');
  assert.match(await r.page.locator('#timeline-status').textContent(), /Search tweets by their words/);
  assert.equal(await r.page.evaluate(() => document.activeElement.id), 'search-q');
  // Pressing Enter on nothing goes nowhere.
  await r.page.locator('#search-q').press('Enter');
  assert.equal(new URL(r.page.url()).search, '');

  const long = 'x'.repeat(201);
  await r.page.goto(env.url(`/search?q=${long}`));
  await settled(r.page, 'search');
  await r.page.locator('#timeline-status').filter({ hasText: /\S/ }).waitFor();
  const status = await r.page.locator('#timeline-status').textContent();
  assert.doesNotMatch(status, /Try again|Something went wrong/, status);
  assert.ok(r.failures.some((f) => f.startsWith('400 GET /api/search')), r.failures.join('\n'));
  assert.deepEqual(r.errors, []);
  await r.context.close();
});

test('"/" puts the cursor in the search field, unless one is typing', async () => {
  const r = await env.open({ username: 'slasher', path: '/everyone' });
  await r.page.locator('#view-header h1').click();
  await r.page.keyboard.press('/');
  assert.equal(await r.page.evaluate(() => document.activeElement.id), 'search-q');
  await r.page.locator('#compose-text').fill('a/b');
  assert.equal(await r.page.locator('#compose-text').inputValue(), 'a/b');
  await r.context.close();
});

test('a #tag in a tweet opens its page; the page counts new tweets with the tag live', async () => {
  const r = await env.open({ username: 'reader2', path: '/everyone' });
  const { page } = r;
  const link = page.locator(`#timeline > li[data-id="${tweets.rust.id}"] a.hashtag`);
  assert.equal(await link.textContent(), '#Rust');
  assert.equal(await link.getAttribute('href'), '/tags/rust');
  // Text around the link stays text.
  assert.equal(await page.locator(`#timeline > li[data-id="${tweets.rust.id}"] .tweet-text`).textContent(),
    'Learning #Rust this week: the borrow checker and me.');
  await link.click();
  await page.waitForURL((u) => u.pathname === '/tags/rust');
  await settled(page, 'tag');
  await page.waitForSelector('html[data-socket="up"]');
  assert.equal(await page.locator('#view-header h1').textContent(), '#rust');
  assert.equal(await page.title(), '#rust · Chirp');
  assert.deepEqual(await shownIds(page), [tweets.rust.id]);

  // Only tweets that gain the tag count, however it is written.
  const untagged = await post(env.client, bob.token, 'rust without the hash');
  const tagged = await post(env.client, bob.token, 'Weekend plans: more #RUST.');
  await bannerMatching(page, /Show 1 new tweet\b/);
  await page.locator('#banner').click();
  await page.locator('#banner').waitFor({ state: 'hidden' });
  assert.deepEqual(await shownIds(page), [tagged.id, tweets.rust.id]);
  assert.ok(!(await shownIds(page)).includes(untagged.id));
  assert.equal(await page.locator(`#timeline > li[data-id="${tagged.id}"] a.hashtag`).getAttribute('href'), '/tags/rust');
  assert.deepEqual(r.errors, []);
  await r.context.close();
});

test('a tag page catches up with what was posted while its socket was away', async () => {
  const r = await env.open({ username: 'reader3', path: '/tags/Rust' });
  const { page } = r;
  assert.equal(await page.locator('#view-header h1').textContent(), '#rust', 'the name in the address is normalised');
  const before = (await shownIds(page)).length;
  await page.evaluate(() => window.chirp.connection.socket.disconnect());
  const missed = await post(env.client, cy.token, 'Posted while you were away #rust');
  await page.evaluate(() => window.chirp.connection.socket.connect());
  await bannerMatching(page, /Show 1 new tweet\b/);
  await page.locator('#banner').click();
  await page.locator('#banner').waitFor({ state: 'hidden' });
  const ids = await shownIds(page);
  assert.equal(ids[0], missed.id);
  assert.equal(ids.length, before + 1);
  await r.context.close();
});

test('the Trending box: beside everyone’s tweets on a wide screen, most people first, linking to the tag', async () => {
  const r = await env.open({ username: 'trender', path: '/everyone', viewport: { width: 1280, height: 900 } });
  const { page } = r;
  const box = page.locator('#trending');
  await box.waitFor({ state: 'visible' });
  await box.locator('.trend').first().waitFor();
  const names = await box.locator('.trend-name').allTextContents();
  // (#rust, from the tests above, may have up to three people and three tweets.)
  assert.equal(names[0], '#alpha');
  assert.equal(names[names.length - 1], '#beta');
  assert.match(await box.locator('.trend').first().textContent(), /3 people · 4 tweets/);
  assert.match(await box.locator('.trend').last().textContent(), /1 person · 3 tweets/);
  const column = await page.locator('#main').boundingBox();
  const aside = await box.boundingBox();
  assert.ok(aside.x >= column.x + column.width, `the box ${JSON.stringify(aside)} sits beside the column ${JSON.stringify(column)}`);
  assert.ok(aside.x + aside.width <= 1280, 'inside the window');

  // Not on Home, back on Everyone; its links open the tag.
  await page.locator('#tabs .tab', { hasText: 'Home' }).click();
  await settled(page, 'home');
  assert.equal(await box.isVisible(), false);
  await page.locator('#tabs .tab', { hasText: 'Everyone' }).click();
  await settled(page, 'everyone');
  await box.locator('.trend-name', { hasText: '#beta' }).click();
  await page.waitForURL((u) => u.pathname === '/tags/beta');
  await settled(page, 'tag');
  assert.equal((await shownIds(page)).length, 3);
  assert.deepEqual(r.errors, []);
  await r.context.close();
});

test('on a phone: the search field opens from the header, trending is a row, nothing scrolls sideways', async () => {
  const r = await env.open({ username: 'phoneuser', path: '/everyone', viewport: { width: 390, height: 844 } });
  const { page } = r;
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.equal(await page.locator('#search-q').isVisible(), false, 'folded behind its button');
  await page.locator('#trending .trend').first().waitFor();
  const aside = await page.locator('#trending').boundingBox();
  assert.ok(aside.x >= 0 && aside.x + aside.width <= 390, JSON.stringify(aside));
  assert.ok(await overflow() <= 0, 'no sideways scrolling on Everyone');

  await page.locator('#search-open').click();
  assert.equal(await page.locator('#search-open').getAttribute('aria-expanded'), 'true');
  const field = await page.locator('#search-q').boundingBox();
  assert.ok(field.width > 200, `the field gets the header's width: ${field.width}`);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search-q');
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('#search-q').isVisible(), false, 'Escape folds it');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search-open');

  await searchFor(page, 'croissants');
  await page.waitForURL((u) => u.searchParams.get('q') === 'croissants');
  await settled(page, 'search');
  assert.deepEqual(await shownIds(page), [tweets.cafe.id]);
  assert.equal(await page.locator('#search-q').isVisible(), false, 'folded again after searching');
  assert.ok(await overflow() <= 0, 'no sideways scrolling on the search page');
  assert.deepEqual(r.errors, []);
  await r.context.close();
});
