// Conversations and notifications in a real browser: replying from a tweet's page, the live
// unread badge, the notifications page marking things read, the "Show N new replies" banner
// on a conversation open elsewhere, and @mentions rendered as links only where they are.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, post, bannerMatching, screenshot } from './helpers.mjs';

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.close(); });

test('a reply reaches the parent’s author live, and the conversation open elsewhere', async () => {
  const b = await env.open({ username: 'bea', path: '/everyone' });
  const parent = await post(env.client, b.token, 'What should I read next?');
  const a = await env.open({ username: 'arlo', path: `/tweets/${parent.id}` });
  const c = await env.open({ username: 'cyrus', path: `/tweets/${parent.id}` });

  // B's badge starts hidden: nothing unread yet.
  assert.equal(await b.page.locator('#notif-badge').isHidden(), true);
  assert.equal(await b.page.locator('#notif-badge').evaluate((el) => el.parentElement.getAttribute('aria-live')), 'polite');

  // A replies from the conversation page: the reply joins the list at once.
  const text = 'Try “The Dispossessed”, @bea.';
  await a.page.locator('#conversation textarea').fill(text);
  assert.equal(await a.page.locator('#conversation .counter').innerText().then((t) => t.trim().split(/\s/)[0]), String(280 - [...text].length));
  await a.page.locator('#conversation button[type="submit"]').click();
  await a.page.locator('#timeline > li').filter({ hasText: 'The Dispossessed' }).waitFor();
  assert.equal(await a.page.locator('#conversation textarea').inputValue(), '');
  const reply = await a.page.locator('#timeline > li').first().getAttribute('data-id');

  // B's badge shows 1 without a reload.
  await b.page.locator('#notif-badge').filter({ hasText: /^1$/ }).waitFor({ timeout: 10_000 });

  // The third reader's conversation page offers the reply.
  await bannerMatching(c.page, /Show 1 new reply\b/);
  await c.page.locator('#banner').click();
  await c.page.locator(`#timeline > li[data-id="${reply}"]`).waitFor();
  await c.page.locator('#banner').waitFor({ state: 'hidden' });
  // The reply says whom it answers, and its mention links to the profile.
  const li = c.page.locator(`#timeline > li[data-id="${reply}"]`);
  assert.equal(await li.locator('.replying-to a').getAttribute('href'), `/tweets/${parent.id}`);
  assert.equal(await li.locator('a.mention').getAttribute('href'), '/users/bea');

  // B opens notifications: the reply is there and the badge clears.
  await b.page.locator('#notif-link').click();
  await b.page.waitForURL(/\/notifications$/);
  const item = b.page.locator('#notif-list > li').first();
  await item.filter({ hasText: 'arlo replied: Try “The Dispossessed”' }).waitFor();
  assert.equal(await item.getAttribute('data-kind'), 'reply');
  await b.page.locator('#notif-badge').waitFor({ state: 'hidden' });
  const unread = await env.client.get('/api/notifications?limit=1', b.token);
  assert.equal(unread.json.unread_count, 0);
  await screenshot(b.page, 'notifications', { clip: { x: 0, y: 0, width: 900, height: 420 } });

  // The parent now shows its reply count; its reply action opens the reply box.
  await b.page.goto(env.url('/everyone'));
  const parentLi = b.page.locator(`#timeline > li[data-id="${parent.id}"]`);
  await parentLi.locator('a.reply').filter({ hasText: '1' }).waitFor();
  await parentLi.locator('a.reply').click();
  await b.page.waitForURL(new RegExp(`/tweets/${parent.id}#reply$`));
  await b.page.locator('#conversation textarea:focus').waitFor();
  await b.page.locator(`#timeline > li[data-id="${reply}"]`).waitFor();
  await screenshot(b.page, 'conversation', { clip: { x: 0, y: 0, width: 900, height: 720 } });

  for (const p of [a, b, c]) assert.deepEqual(p.errors, []);
});

test('only mentioned users become links; mail@ada stays text', async () => {
  const ada = await env.open({ username: 'ada', path: '/everyone' });
  const tweet = await post(env.client, ada.token, 'Write to mail@ada or ping @ADA, not @nobody_here.');
  await ada.page.goto(env.url(`/tweets/${tweet.id}`));
  const text = ada.page.locator('#conversation .tweet-text');
  await text.waitFor();
  assert.equal(await text.innerText(), 'Write to mail@ada or ping @ADA, not @nobody_here.');
  const links = await text.locator('a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  assert.deepEqual(links, [['@ADA', '/users/ada']]);
  assert.deepEqual(ada.errors, []);
});

test('a reply whose parent was deleted says so', async () => {
  const d = await env.open({ username: 'dora', path: '/everyone' });
  const parent = await post(env.client, d.token, 'Soon gone.');
  const res = await env.client.post('/api/tweets', { text: 'Still here.', reply_to: parent.id }, d.token);
  assert.equal(res.status, 201);
  assert.equal((await env.client.del(`/api/tweets/${parent.id}`, d.token)).status, 204);
  await d.page.goto(env.url(`/tweets/${res.json.id}`));
  await d.page.locator('.conversation-parent').filter({ hasText: 'deleted tweet by @dora' }).waitFor();
  assert.deepEqual(d.errors, []);
});
