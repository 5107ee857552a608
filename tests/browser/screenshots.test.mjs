// The main states of the app, photographed (tests/browser/screenshots/*.tmp.png; with
// CHIRP_SCREENSHOTS=1 also docs/screenshots/*.png for the README), plus the layout checks
// that only make sense at those sizes: no sideways scrolling on a phone, a real dark theme.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, post, bannerMatching, screenshot } from './helpers.mjs';

let env;
const people = {};

before(async () => {
  env = await setUp();
  for (const name of ['maya', 'li_wei', 'tomas', 'jordan', 'ana']) people[name] = await env.client.signUp(name);
  const say = async (who, text) => post(env.client, people[who].token, text);
  await say('tomas', 'Good morning! The bakery on 5th finally has the cardamom buns back.');
  await say('li_wei', 'Hot take: the best code review comment is a question, not an instruction.');
  const liked = await say('maya', 'Shipped the new onboarding flow today. Three weeks of work, two lines of copy changed at the last minute, and it reads so much better. @ana thank you for the push!');
  await say('jordan', 'Rain all day here. Perfect excuse to finally read that 600-page novel.');
  await say('ana', 'Anyone else keep a “things I learned this week” note? Mine has 14 entries and one of them is just “sleep”.');
  for (const who of ['tomas', 'li_wei', 'ana']) await env.client.put(`/api/tweets/${liked.id}/like`, people[who].token);
});
after(async () => { await env?.close(); });

/** Move the mouse out of the way so no hover state shows. */
const still = (page) => page.mouse.move(0, 0);

test('timeline and banner (desktop, light)', async () => {
  const { page, context } = await env.open({ username: 'robin', path: '/everyone', viewport: { width: 1000, height: 760 } });
  const liked = page.locator('#timeline > li', { hasText: 'onboarding' }).locator('button.like');
  await liked.click();
  await page.locator('#timeline > li', { hasText: 'onboarding' }).locator('button.like[aria-pressed="true"]').waitFor();
  await page.locator('#compose-text').fill('Trying Chirp for the first time, and');
  await still(page);
  await screenshot(page, 'timeline');

  await post(env.client, people.tomas.token, 'The buns are gone already. Should have come at 7.');
  await post(env.client, people.li_wei.token, 'Follow-up: a good question also teaches the asker something.');
  await bannerMatching(page, /Show 2 new tweets/);
  await still(page);
  await screenshot(page, 'banner', { clip: { x: 0, y: 0, width: 1000, height: 520 } });
  await context.close();
});

test('signed out', async () => {
  const { page, context } = await env.open({ viewport: { width: 1000, height: 760 } });
  await still(page);
  await screenshot(page, 'signed-out');
  await context.close();
});

test('phone width: no sideways scrolling', async () => {
  const { page, context } = await env.open({ username: 'nina', path: '/everyone', viewport: { width: 390, height: 844 } });
  await post(env.client, people.jordan.token, 'Long links wrap too: https://example.com/a/really/long/path/that/would/otherwise/overflow');
  await bannerMatching(page, /Show 1 new tweet/);
  await page.locator('#banner').click();
  await page.locator('#banner').waitFor({ state: 'hidden' });
  await post(env.client, people.maya.token, 'Phones welcome.');
  await bannerMatching(page, /Show 1 new tweet/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page wider than the screen by ${overflow}px`);
  await still(page);
  await screenshot(page, 'phone');
  await context.close();
});

test('dark theme', async () => {
  const { page, context } = await env.open({ username: 'night_owl', path: '/everyone', colorScheme: 'dark', viewport: { width: 1000, height: 760 } });
  assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(17, 22, 29)');
  await post(env.client, people.ana.token, 'Dark mode follows your system setting.');
  await bannerMatching(page, /Show 1 new tweet/);
  await still(page);
  await screenshot(page, 'dark');
  await context.close();
});

test('profile and an empty home with suggestions (desktop, light)', async () => {
  const res = await fetch(env.url('/api/me'), {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${people.maya.token}` },
    body: JSON.stringify({ display_name: 'Maya Okafor', bio: 'Product designer. Onboarding flows, cardamom buns, long walks.' }),
  });
  assert.equal(res.status, 200);
  for (const who of ['tomas', 'ana']) await env.client.put('/api/users/maya/follow', people[who].token);
  await env.client.put('/api/users/li_wei/follow', people.maya.token);
  await env.client.put('/api/users/ana/follow', people.maya.token);

  const { page, context } = await env.open({ username: 'sam', viewport: { width: 1000, height: 760 } });
  await page.locator('#suggestions .person').first().waitFor();
  await still(page);
  await screenshot(page, 'home-suggestions');

  await page.locator('#suggestions .person[data-username="maya"] .person-name').click();
  await page.waitForSelector('html[data-view="user"][data-loading="false"]');
  await page.locator('#profile .profile-name', { hasText: 'Maya Okafor' }).waitFor();
  await page.locator('#profile button.follow-btn').click();
  await page.locator('#profile .profile-counts', { hasText: '3 Followers' }).waitFor();
  await still(page);
  await screenshot(page, 'profile');
  await context.close();
});
