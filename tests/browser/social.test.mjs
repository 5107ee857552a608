// Follows and the home timeline in a real browser: B follows A on A's profile page; A's
// tweet raises B's Home banner, C's (not followed) does not, but B's Everyone tab counts it.
// Plus editing your own profile, the followers list and the suggestions on an empty Home.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, post, shownIds, bannerMatching, ready } from './helpers.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.close(); });

/** Record, in the page, every banner text ever shown (to prove a count never appeared). */
async function recordBanner(page) {
  await page.evaluate(() => {
    window.__banners = [];
    const banner = document.getElementById('banner');
    const check = () => { if (!banner.hidden) window.__banners.push(banner.textContent); };
    new MutationObserver(check).observe(banner, { attributes: true, childList: true, subtree: true, characterData: true });
  });
}

test('Home counts only followed accounts; the Everyone tab counts everyone', async () => {
  const a = await env.open({ username: 'ada' });
  const c = await env.open({ username: 'cyd' });
  const b = await env.open({ username: 'bea' });
  assert.equal(await b.page.locator('#view-header h1').textContent(), 'Home');
  assert.equal(await b.page.locator('#tabs a[aria-current="page"]').textContent(), 'Home');

  // An empty Home suggests whom to follow instead of a blank page.
  await b.page.locator('#suggestions .person').first().waitFor();
  const suggested = await b.page.locator('#suggestions .person').evaluateAll((lis) => lis.map((li) => li.dataset.username));
  assert.ok(suggested.includes('ada') && suggested.includes('cyd') && !suggested.includes('bea'), String(suggested));

  // B follows A through A's profile page.
  await b.page.goto(env.url('/users/ada'));
  await ready(b.page);
  const card = b.page.locator('#profile');
  await card.locator('.profile-name').filter({ hasText: 'ada' }).waitFor();
  assert.match(await card.locator('.profile-counts').innerText(), /0 Followers/);
  await card.locator('button.follow-btn', { hasText: 'Follow' }).click();
  await card.locator('button.follow-btn[aria-pressed="true"]', { hasText: 'Unfollow' }).waitFor();
  await card.locator('.profile-counts', { hasText: '1 Follower' }).waitFor();
  const ada = await env.client.get('/api/users/ada');
  assert.equal(ada.json.followers_count, 1, 'the follow reached the server');

  // Back to Home (through the brand link, in the app).
  await b.page.locator('a.brand').click();
  await b.page.waitForSelector('html[data-view="home"][data-loading="false"]');
  await b.page.waitForFunction(() => window.chirp.connection.watching === 'home');
  await recordBanner(b.page);

  const fromA = await post(env.client, a.token, 'Ada writes to her followers');
  await bannerMatching(b.page, /Show 1 new tweet\b/);
  // C is not followed: the Home banner must not count C's tweet.
  const fromC = await post(env.client, c.token, 'Cyd shouts into the void');
  const fromA2 = await post(env.client, a.token, 'Ada again');
  const two = await bannerMatching(b.page, /Show 2 new tweets/);
  assert.doesNotMatch(two, /cyd/);
  const seen = await b.page.evaluate(() => window.__banners);
  assert.ok(seen.every((t) => !/Show 3/.test(t) && !/cyd/.test(t)), `Home counted C: ${seen}`);
  await b.page.locator('#banner').click();
  await b.page.locator('#banner').waitFor({ state: 'hidden' });
  const homeIds = await shownIds(b.page);
  assert.deepEqual(homeIds.slice(0, 2), [fromA2.id, fromA.id]);
  assert.ok(!homeIds.includes(fromC.id));

  // The Everyone tab counts C.
  await b.page.locator('#tabs a', { hasText: 'Everyone' }).click();
  await b.page.waitForSelector('html[data-view="everyone"][data-loading="false"]');
  await b.page.waitForFunction(() => window.chirp.connection.watching === 'everyone');
  assert.ok((await shownIds(b.page)).includes(fromC.id), 'Everyone shows C');
  await post(env.client, c.token, 'Cyd, heard by everyone');
  const text = await bannerMatching(b.page, /Show 1 new tweet\b/);
  assert.match(text, /cyd/);

  // Tweets show the display name (or the username) and the @username.
  const head = await b.page.locator('#timeline > li').first().locator('.tweet-head').innerText();
  assert.match(head, /ada[\s\S]*@ada|cyd[\s\S]*@cyd/);
  assert.deepEqual([...a.errors, ...b.errors, ...c.errors], []);
  for (const x of [a, b, c]) await x.context.close();
});

test('editing your own name and bio, with the limits, and the followers list', async () => {
  const a = await env.open({ username: 'dora', path: '/users/dora' });
  const b = await env.open({ username: 'eli', path: '/users/dora' });
  await b.page.locator('#profile button.follow-btn', { hasText: 'Follow' }).click();
  await b.page.locator('#profile button.follow-btn[aria-pressed="true"]').waitFor();

  // Dora edits her profile; over the limit, Save is disabled and the counter says so.
  await a.page.locator('#edit-profile').click();
  const name = a.page.locator('#profile-display_name');
  await name.fill('x'.repeat(51));
  assert.equal(await a.page.locator('#profile-edit button[type="submit"]').isDisabled(), true);
  assert.match(await a.page.locator('#profile-display_name-count').textContent(), /51\/50/);
  await name.fill('Dora the Explorer');
  await a.page.locator('#profile-bio').fill('Maps, mountains and <b>markup</b> that stays text.');
  await a.page.locator('#profile-edit button[type="submit"]').click();
  await a.page.locator('#profile .profile-name', { hasText: 'Dora the Explorer' }).waitFor();
  assert.equal(await a.page.locator('#profile .profile-bio').textContent(), 'Maps, mountains and <b>markup</b> that stays text.');
  assert.equal(await a.page.locator('#profile b').count(), 0);
  const saved = await env.client.get('/api/users/dora');
  assert.equal(saved.json.display_name, 'Dora the Explorer');

  // Eli follows Dora, so Dora sees "Follows you" on Eli's profile.
  await a.page.goto(env.url('/users/eli'));
  await ready(a.page);
  await a.page.locator('#profile .badge', { hasText: 'Follows you' }).waitFor({ state: 'visible' });

  // Dora's followers list shows Eli, reached through the count link.
  await a.page.goto(env.url('/users/dora'));
  await ready(a.page);
  await a.page.locator('#profile a.count-link', { hasText: 'Follower' }).click();
  await a.page.waitForSelector('html[data-view="people"]');
  await a.page.locator('#people-list .person[data-username="eli"]').waitFor();
  assert.equal(await a.page.locator('#view-header .muted').textContent(), 'Followers');
  assert.equal(await a.page.locator('#people-list .person').count(), 1);
  // Dora can follow back from the list.
  await a.page.locator('#people-list .person[data-username="eli"] button.follow-btn').click();
  await a.page.locator('#people-list .person[data-username="eli"] button.follow-btn[aria-pressed="true"]').waitFor();
  // A reload of the list page serves the app.
  await a.page.reload();
  await ready(a.page);
  await a.page.locator('#people-list .person[data-username="eli"] button[aria-pressed="true"]').waitFor();
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.context.close();
  await b.context.close();
});

test('a refused edit shows the server’s error and keeps what was typed', async () => {
  const a = await env.open({ username: 'fay', path: '/users/fay' });
  await a.page.locator('#edit-profile').click();
  await a.page.locator('#profile-display_name').fill('Fay');
  // The session ends elsewhere: the server refuses the edit, and the form says so.
  assert.equal((await env.client.del('/api/sessions', a.token)).status, 204);
  await a.page.locator('#profile-edit button[type="submit"]').click();
  await a.page.locator('#profile-edit .form-error').filter({ hasText: /./ }).waitFor();
  assert.equal(await a.page.locator('#profile-display_name').inputValue(), 'Fay');
  await a.context.close();
});

test('following from the suggestions brings their tweets into Home at once', async () => {
  const a = await env.open({ username: 'gus' });
  await post(env.client, a.token, 'Gus was here before you followed');
  const b = await env.open({ username: 'hal' });
  const row = b.page.locator('#suggestions .person[data-username="gus"]');
  await row.locator('button.follow-btn').click();
  await b.page.locator('#timeline > li .tweet-text', { hasText: 'Gus was here before you followed' }).waitFor();
  await row.locator('button.follow-btn[aria-pressed="true"]').waitFor();
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.context.close();
  await b.context.close();
});

test('Home watches again after a reconnect and catches up with its own API', async () => {
  const a = await env.open({ username: 'ivy' });
  const c = await env.open({ username: 'jon' });
  const b = await env.open({ username: 'kim' });
  assert.equal((await env.client.put('/api/users/ivy/follow', b.token)).status, 200);
  await b.page.reload();
  await ready(b.page);
  await b.page.waitForFunction(() => window.chirp.connection.watching === 'home');

  await b.context.setOffline(true);
  await b.page.evaluate(() => window.chirp.connection.socket.io.engine.close());
  await b.page.locator('#conn-note').filter({ hasText: 'Reconnecting' }).waitFor();
  const missed = await post(env.client, a.token, 'Ivy, while Kim was away');
  await post(env.client, c.token, 'Jon, while Kim was away');
  await b.context.setOffline(false);
  await b.page.waitForSelector('html[data-socket="up"]', { timeout: 15_000 });
  await b.page.waitForFunction(() => window.chirp.connection.watching === 'home');
  // The catch-up counted Ivy's tweet only (GET /api/timelines/home?after=…).
  const text = await bannerMatching(b.page, /Show 1 new tweet\b/);
  assert.match(text, /ivy/);

  // Live again, on Home: Jon's next tweet is not counted, Ivy's is.
  await post(env.client, c.token, 'Jon, live');
  const live = await post(env.client, a.token, 'Ivy, live');
  const two = await bannerMatching(b.page, /Show 2 new tweets/);
  assert.doesNotMatch(two, /jon/);
  await b.page.locator('#banner').click();
  await b.page.locator('#banner').waitFor({ state: 'hidden' });
  assert.deepEqual((await shownIds(b.page)).slice(0, 2), [live.id, missed.id]);
  for (const x of [a, b, c]) await x.context.close();
});

test('a followers list pages with "Load more", never repeating anyone', async () => {
  await env.client.signUp('lena');
  const fans = [];
  for (let i = 0; i < 22; i++) {
    const fan = await env.client.signUp(`fan_${String(i).padStart(2, '0')}`);
    assert.equal((await env.client.put('/api/users/lena/follow', fan.token)).status, 200);
    fans.push(fan.user.username);
  }
  const v = await env.open({ username: 'viewer_lena', path: '/users/lena/followers' });
  const rows = v.page.locator('#people-list .person');
  await rows.nth(19).waitFor();
  assert.equal(await rows.count(), 20);
  await v.page.locator('#people-more').click();
  await rows.nth(21).waitFor();
  await v.page.locator('#people-more').waitFor({ state: 'hidden' });
  const names = await rows.evaluateAll((lis) => lis.map((li) => li.dataset.username));
  assert.deepEqual(names, [...fans].reverse(), 'most recent follow first, each once');
  assert.deepEqual(v.errors, []);
  await v.context.close();
});
