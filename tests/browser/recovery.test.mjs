// Connection state recovery in a real browser: a page loses its connection for a few seconds
// while tweets, a deletion and a notification happen, and shows all of them after the
// socket is recovered — without asking the API what it missed. And the conversation page's
// "N new replies" count is exact after a reconnect (API catch-up) and after a recovery, also
// when the conversation has more replies than its first page shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, post, shownIds, bannerMatching } from './helpers.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.close(); });

/** Every request to the API the page makes from now on (method and path). */
function recordApi(page) {
  const seen = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/')) seen.push(`${r.method()} ${url.pathname}${url.search}`);
  });
  return seen;
}

/** Drop the page's connection (no network, transport closed) until `online` is called. */
async function goOffline(page) {
  await page.context().setOffline(true);
  await page.evaluate(() => window.chirp.connection.socket.io.engine.close());
  await page.locator('#conn-note').filter({ hasText: 'Reconnecting' }).waitFor();
  return async () => {
    await page.context().setOffline(false);
    await page.waitForSelector('html[data-socket="up"]', { timeout: 15_000 });
  };
}

test('after a few seconds away the page shows what it missed with no API catch-up', async () => {
  const a = await env.open({ username: 'rita', path: '/everyone' });
  const b = await env.open({ username: 'sam', path: '/everyone' });
  const first = await post(env.client, a.token, 'Posted while Sam is online');
  const doomed = await post(env.client, a.token, 'Posted, then deleted while Sam is away');
  await bannerMatching(b.page, /Show 2 new tweets/);
  assert.equal(await b.page.evaluate(() => window.chirp.connection.socket.recovered), false);

  const online = await goOffline(b.page);
  const requests = recordApi(b.page);
  const missed1 = await post(env.client, a.token, 'Posted while Sam was away');
  assert.equal((await env.client.del(`/api/tweets/${doomed.id}`, a.token)).status, 204);
  const missed2 = await post(env.client, a.token, 'Also posted while Sam was away');
  assert.equal((await env.client.put('/api/users/sam/follow', a.token)).status, 200);
  await new Promise((r) => setTimeout(r, 2000));
  await online();

  assert.equal(await b.page.evaluate(() => window.chirp.connection.socket.recovered), true, 'recovered');
  // first + missed1 + missed2 (the deleted one left the count), and the follow's badge.
  const text = await bannerMatching(b.page, /Show 3 new tweets/);
  assert.match(text, /rita/);
  await b.page.locator('#notif-badge').filter({ hasText: '1' }).waitFor({ timeout: 10_000 });
  assert.equal(await b.page.evaluate(() => window.chirp.connection.watching), 'everyone');
  assert.deepEqual(requests, [], 'no API request to catch up');

  await b.page.locator('#banner').click();
  await b.page.locator('#banner').waitFor({ state: 'hidden' });
  const ids = await shownIds(b.page);
  assert.deepEqual(ids.slice(0, 3), [missed2.id, missed1.id, first.id]);
  assert.ok(!ids.includes(doomed.id));
  await a.context.close();
  await b.context.close();
});

test('a conversation with more replies than its first page counts only new replies after a reconnect or a recovery', async () => {
  const a = await env.open({ username: 'tess' });
  const parent = await post(env.client, a.token, 'A long thread');
  for (let i = 0; i < 25; i++) {
    const res = await env.client.post('/api/tweets', { text: `reply ${i}`, reply_to: parent.id }, a.token);
    assert.equal(res.status, 201);
  }
  const b = await env.open({ username: 'uma', path: `/tweets/${parent.id}` });
  await b.page.waitForFunction(() => window.chirp.connection.watching?.startsWith('replies:'));
  assert.equal((await shownIds(b.page)).length, 20, 'the first page of replies');

  // A reconnect that is not recovered (the client left on purpose): the API catch-up.
  await b.page.evaluate(() => window.chirp.connection.socket.disconnect());
  const r1 = await env.client.post('/api/tweets', { text: 'new while away', reply_to: parent.id }, a.token);
  const requests = recordApi(b.page);
  await b.page.evaluate(() => window.chirp.connection.socket.connect());
  await b.page.waitForFunction(() => window.chirp.connection.watching?.startsWith('replies:'));
  await bannerMatching(b.page, /Show 1 new reply\b/);
  assert.equal(await b.page.evaluate(() => window.chirp.connection.socket.recovered), false);
  assert.ok(requests.some((r) => r.includes(`/api/tweets/${parent.id}/replies`)), 'caught up through the API');

  // A recovery: the missed reply comes from the server, the count stays exact.
  const online = await goOffline(b.page);
  const r2 = await env.client.post('/api/tweets', { text: 'new while offline', reply_to: parent.id }, a.token);
  requests.length = 0;
  await online();
  assert.equal(await b.page.evaluate(() => window.chirp.connection.socket.recovered), true);
  await bannerMatching(b.page, /Show 2 new replies/);
  assert.deepEqual(requests, [], 'no API request to catch up');

  await b.page.locator('#banner').click();
  await b.page.locator('#banner').waitFor({ state: 'hidden' });
  const ids = await shownIds(b.page);
  assert.ok(ids.includes(r1.json.id) && ids.includes(r2.json.id));
  await a.context.close();
  await b.context.close();
});
