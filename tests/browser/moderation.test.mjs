// Safety in a real browser (issue 20): blocking and muting from a profile, with their tweets
// leaving the page at once and no reload; the blocks and mutes page with its undo; reporting
// a tweet from its Report action; a moderator's /admin page (a report arriving live, Resolve,
// Suspend / Unsuspend, Delete); and /admin refusing everyone else.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chirpBin } from '../support/chirp.mjs';
import { setUp, post, shownIds, bannerMatching, ready } from './helpers.mjs';

const run = promisify(execFile);

let env;
before(async () => { env = await setUp(); });
after(async () => { await env?.close(); });

/** Make `username` a moderator from the shell, as an instance's first one is made. */
async function promote(username) {
  const { stdout } = await run(chirpBin, ['admin', 'role', username, 'moderator', '--database-url', env.server.databaseUrl]);
  assert.match(stdout, /moderator/);
}

/** Record, in the page, every banner text ever shown (to prove a count never appeared). */
async function recordBanner(page) {
  await page.evaluate(() => {
    window.__banners = [];
    const banner = document.getElementById('banner');
    const check = () => { if (!banner.hidden) window.__banners.push(banner.textContent); };
    new MutationObserver(check).observe(banner, { attributes: true, childList: true, subtree: true, characterData: true });
  });
}

/** Leave a mark on the page's window: it survives in-app navigation, not a reload. */
const mark = (page) => page.evaluate(() => { window.__sameDocument = 'yes'; });
const marked = (page) => page.evaluate(() => window.__sameDocument);

/** The open dialog named `name` (a native <dialog>, so role "dialog"). */
async function dialogNamed(page, name) {
  const dialog = page.getByRole('dialog', { name });
  await dialog.waitFor();
  return dialog;
}

test('blocking from a profile takes their tweets off every page at once, without a reload', async () => {
  const cyd = await env.client.signUp('cyd');
  const bob = await env.open({ username: 'bob', path: '/everyone' });
  const old = await post(env.client, bob.token, 'Bob, before anyone came');
  const amy = await env.open({ username: 'amy', path: '/everyone' });
  // A second tab of Amy's, on Everyone too: it learns of the block without being touched.
  const tab = await amy.context.newPage();
  await tab.goto(env.url('/everyone'));
  await ready(tab);
  assert.ok((await shownIds(amy.page)).includes(old.id));

  // Bob posts; Amy sees it. Bob follows Amy, which she is notified of.
  const seen = await post(env.client, bob.token, 'Bob says hello');
  await bannerMatching(amy.page, /Show 1 new tweet\b/);
  await amy.page.locator('#banner').click();
  await amy.page.locator(`#timeline > li[data-id="${seen.id}"]`).waitFor();
  assert.equal((await env.client.put('/api/users/amy/follow', bob.token)).status, 200);
  await amy.page.locator('#notif-badge', { hasText: '1' }).waitFor();
  await mark(amy.page);
  await mark(tab);

  // To Bob's profile, in the app (his name on his tweet).
  await amy.page.locator(`#timeline > li[data-id="${seen.id}"] a.author`).click();
  await amy.page.waitForSelector('html[data-view="user"][data-loading="false"]');
  const card = amy.page.locator('#profile');
  await card.locator('.profile-name', { hasText: 'bob' }).waitFor();
  await card.locator('.badge', { hasText: 'Follows you' }).waitFor();
  await amy.page.locator(`#timeline > li[data-id="${seen.id}"]`).waitFor();
  // A tweet of Bob's that neither page has shown yet: both banners count it (the other
  // tab has not shown the one before either).
  const pending = await post(env.client, bob.token, 'Bob, not yet shown');
  await bannerMatching(amy.page, /Show 1 new tweet\b/);
  await bannerMatching(tab, /Show 2 new tweets\b/);

  // Block asks first; Escape (or Cancel) changes nothing and gives focus back.
  await card.locator('button.block-btn', { hasText: 'Block' }).click();
  let dialog = await dialogNamed(amy.page, 'Block @bob?');
  assert.equal(await amy.page.evaluate(() => document.activeElement.textContent), 'Cancel', 'a confirmation starts on Cancel');
  await amy.page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await amy.page.evaluate(() => document.activeElement.classList.contains('block-btn')), true);
  assert.equal((await env.client.get('/api/users/bob', amy.token)).json.blocked_by_me, false);

  await card.locator('button.block-btn').click();
  dialog = await dialogNamed(amy.page, 'Block @bob?');
  await dialog.getByRole('button', { name: 'Block' }).click();
  await dialog.waitFor({ state: 'detached' });
  await card.locator('button.block-btn[aria-pressed="true"]', { hasText: 'Unblock' }).waitFor();
  await card.locator('.profile-note', { hasText: 'You blocked @bob' }).waitFor();
  assert.equal(await card.locator('button.follow-btn').count(), 0, 'no Follow button across a block');
  assert.equal((await env.client.get('/api/users/bob', amy.token)).json.blocked_by_me, true);

  // His tweets leave this page, his pending one leaves the banner, and his follow's
  // notification leaves the unread count.
  await amy.page.waitForFunction(() => document.querySelectorAll('#timeline > li').length === 0);
  await amy.page.locator('#banner').waitFor({ state: 'hidden' });
  await amy.page.locator('#notif-badge').waitFor({ state: 'hidden' });
  // The other tab drops them too, banner included, still without a reload.
  await tab.waitForFunction((ids) => ids.every((id) => !document.querySelector(`#timeline > li[data-id="${id}"]`)), [old.id, seen.id]);
  await tab.locator('#banner').waitFor({ state: 'hidden' });
  assert.equal(await marked(tab), 'yes');

  // Back to Everyone: Bob's tweets are gone, Cyd's are there, and the page never reloaded.
  const fromCyd = await post(env.client, cyd.token, 'Cyd was here all along');
  await amy.page.evaluate(() => history.back());
  await amy.page.waitForSelector('html[data-view="everyone"][data-loading="false"]');
  await amy.page.waitForFunction(() => window.chirp.connection.watching === 'everyone');
  const ids = await shownIds(amy.page);
  assert.ok(ids.includes(fromCyd.id), `Cyd's tweet is shown: ${ids}`);
  for (const t of [old, seen, pending]) assert.ok(!ids.includes(t.id), `Bob's ${t.id} is gone: ${ids}`);
  assert.equal(await marked(amy.page), 'yes', 'no reload happened');

  // A new tweet by Bob raises no banner; one by Cyd, posted after it, does.
  await recordBanner(amy.page);
  await post(env.client, bob.token, 'Bob, into the void');
  await post(env.client, cyd.token, 'Cyd again');
  const text = await bannerMatching(amy.page, /Show 1 new tweet\b/);
  assert.match(text, /cyd/);
  const banners = await amy.page.evaluate(() => window.__banners);
  assert.ok(banners.every((b) => !/bob/.test(b) && !/Show 2/.test(b)), `Bob was counted: ${banners}`);

  // Bob, on Amy's profile: "@amy blocked you", and no Follow button.
  await bob.page.goto(env.url('/users/amy'));
  await ready(bob.page);
  await bob.page.locator('#profile .profile-note', { hasText: '@amy blocked you' }).waitFor();
  assert.equal(await bob.page.locator('#profile button.follow-btn').count(), 0);
  assert.deepEqual([...amy.errors, ...bob.errors], []);
  await tab.close();
  for (const x of [amy, bob]) await x.context.close();
});

test('muting from a profile shows Unmute and takes their tweets off Home and Everyone; the blocks page undoes', async () => {
  const ned = await env.client.signUp('ned');
  await env.client.signUp('zed');
  const nedTweet = await post(env.client, ned.token, 'Ned talks a lot');
  const mia = await env.open({ username: 'mia', path: '/users/ned' });
  assert.equal((await env.client.put('/api/users/ned/follow', mia.token)).status, 200);
  assert.equal((await env.client.put('/api/users/zed/block', mia.token)).status, 200);
  await mia.page.goto(env.url('/'));
  await ready(mia.page);
  await mia.page.locator(`#timeline > li[data-id="${nedTweet.id}"]`).waitFor();
  await mark(mia.page);

  await mia.page.locator(`#timeline > li[data-id="${nedTweet.id}"] a.author`).click();
  await mia.page.waitForSelector('html[data-view="user"][data-loading="false"]');
  const card = mia.page.locator('#profile');
  await card.locator('button.mute-btn', { hasText: 'Mute' }).click();
  const dialog = await dialogNamed(mia.page, 'Mute @ned?');
  assert.equal(await dialog.locator('input[name="notifications"]').isChecked(), true);
  await dialog.getByRole('button', { name: 'Mute' }).click();
  await dialog.waitFor({ state: 'detached' });
  await card.locator('button.mute-btn[aria-pressed="true"]', { hasText: 'Unmute' }).waitFor();
  await card.locator('.profile-note', { hasText: 'You muted @ned' }).waitFor();
  await mia.page.waitForFunction(() => document.querySelectorAll('#timeline > li').length === 0);
  assert.equal((await env.client.get('/api/users/ned', mia.token)).json.muted_by_me, true);

  // Home and Everyone leave Ned out.
  await mia.page.locator('a.brand').click();
  await mia.page.waitForSelector('html[data-view="home"][data-loading="false"]');
  assert.ok(!(await shownIds(mia.page)).includes(nedTweet.id), 'Home leaves Ned out');
  await mia.page.locator('#tabs a', { hasText: 'Everyone' }).click();
  await mia.page.waitForSelector('html[data-view="everyone"][data-loading="false"]');
  assert.ok(!(await shownIds(mia.page)).includes(nedTweet.id), 'Everyone leaves Ned out');
  assert.equal(await marked(mia.page), 'yes', 'no reload happened');

  // The blocks page, linked from her own profile, lists Zed (blocked) and Ned (muted).
  await mia.page.locator('a.me').click();
  await mia.page.waitForSelector('html[data-view="user"][data-loading="false"]');
  await mia.page.locator('#profile a#blocks-link').click();
  await mia.page.waitForSelector('html[data-view="blocks"]');
  const blocked = mia.page.locator('#blocks-list .person[data-username="zed"]');
  const muted = mia.page.locator('#mutes-list .person[data-username="ned"]');
  await blocked.waitFor();
  await muted.waitFor();
  assert.equal(await mia.page.locator('#blocks-list .person').count(), 1);
  assert.equal(await mia.page.locator('#mutes-list .person').count(), 1);

  await muted.getByRole('button', { name: 'Unmute @ned' }).click();
  await muted.getByRole('button', { name: 'Mute @ned' }).waitFor();
  await blocked.getByRole('button', { name: 'Unblock @zed' }).click();
  await blocked.getByRole('button', { name: 'Block @zed' }).waitFor();
  assert.deepEqual((await env.client.get('/api/me/mutes', mia.token)).json.users, []);
  assert.deepEqual((await env.client.get('/api/me/blocks', mia.token)).json.users, []);

  // Unmuted, Ned is back on Everyone.
  await mia.page.goto(env.url('/everyone'));
  await ready(mia.page);
  await mia.page.locator(`#timeline > li[data-id="${nedTweet.id}"]`).waitFor();
  const res = await mia.page.goto(env.url('/settings/blocks'));
  assert.equal(res.status(), 200, 'the server answers /settings/blocks with the app');
  await ready(mia.page);
  await mia.page.locator('#blocks-section .timeline-status', { hasText: 'You don’t block anyone.' }).waitFor();
  assert.deepEqual(mia.errors, []);
  await mia.context.close();
});

test('reporting a tweet from its Report action files a report with that tweet', async () => {
  const sam = await env.client.signUp('sam');
  const spam = await post(env.client, sam.token, 'Buy cheap <b>watches</b> now');
  const rae = await env.open({ username: 'rae', path: '/everyone' });
  const own = await post(env.client, rae.token, 'My own tweet');
  await rae.page.goto(env.url('/everyone'));
  await ready(rae.page);
  assert.equal(await rae.page.locator(`#timeline > li[data-id="${own.id}"] .action.report`).count(), 0, 'no Report on your own');

  await rae.page.locator(`#timeline > li[data-id="${spam.id}"] .action.report`).click();
  const dialog = await dialogNamed(rae.page, 'Report this tweet by @sam');
  assert.equal(await dialog.locator('.report-quote').textContent(), spam.text);
  assert.equal(await dialog.locator('b').count(), 0, 'the tweet is quoted as text');
  const include = dialog.locator('input[name="tweet_ids"]');
  assert.equal(await include.isChecked(), true);
  assert.equal(await include.inputValue(), String(spam.id));

  // Nothing chosen: the dialog says so by the category, and asks the server nothing.
  await dialog.locator('textarea[name="reason"]').fill('Selling things in every tweet.');
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await dialog.locator('.choices .field-error', { hasText: /Choose/ }).waitFor();
  await dialog.getByLabel(/Spam/).check();
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await dialog.waitFor({ state: 'detached' });
  await rae.page.locator('#toast', { hasText: /report was sent/ }).waitFor();

  // A moderator sees it, with that tweet.
  const mod = await env.client.signUp('mod_three');
  await promote('mod_three');
  const reports = await env.client.get('/api/admin/reports', mod.token);
  assert.equal(reports.status, 200, reports.text);
  const report = reports.json.reports.find((r) => r.reporter.username === 'rae');
  assert.ok(report, JSON.stringify(reports.json));
  assert.equal(report.target.username, 'sam');
  assert.equal(report.category, 'spam');
  assert.equal(report.reason, 'Selling things in every tweet.');
  assert.deepEqual(report.tweets.map((t) => t.id), [spam.id]);

  // From a profile, the same dialog with no tweet chosen.
  await rae.page.goto(env.url('/users/sam'));
  await ready(rae.page);
  await rae.page.locator('#profile button.report-btn').click();
  const again = await dialogNamed(rae.page, 'Report @sam');
  assert.equal(await again.locator('input[name="tweet_ids"]').count(), 0);
  await again.getByRole('button', { name: 'Cancel' }).click();
  await again.waitFor({ state: 'detached' });
  assert.deepEqual(rae.errors, []);
  await rae.context.close();
});

test('a moderator works the open reports on /admin, and a new one arrives live', async () => {
  const troll = await env.client.signUp('troll');
  const vic = await env.client.signUp('vic');
  const wes = await env.client.signUp('wes');
  const first = await post(env.client, troll.token, 'First rude thing');
  const second = await post(env.client, troll.token, 'Second rude thing');
  const filed = await env.client.post('/api/reports',
    { username: 'troll', tweet_ids: [first.id], category: 'abuse', reason: 'Rude to everyone.' }, vic.token);
  assert.equal(filed.status, 201, filed.text);

  const obs = await env.open({ username: 'obs', path: '/everyone' });
  await obs.page.locator(`#timeline > li[data-id="${first.id}"]`).waitFor();
  const mona = await env.open({ username: 'mona', path: '/' });
  await promote('mona');
  const res = await mona.page.goto(env.url('/admin'));
  assert.equal(res.status(), 200, 'the server answers /admin with the app');
  await ready(mona.page);
  await mona.page.locator('#topbar a#admin-link[href="/admin"]').waitFor();
  await mark(mona.page);

  const r1 = mona.page.locator(`#reports > li.report[data-id="${filed.json.id}"]`);
  await r1.waitFor();
  const who = await r1.locator('.report-who').innerText();
  assert.match(who, /@vic reported @troll/);
  assert.match(await r1.locator('.report-category').innerText(), /Abuse/);
  assert.equal(await r1.locator('.report-reason').textContent(), 'Rude to everyone.');
  assert.equal(await r1.locator('.report-tweet-item .tweet-text').textContent(), first.text);

  // Another user reports meanwhile: it appears on top, live.
  const live = await env.client.post('/api/reports',
    { username: 'troll', tweet_ids: [second.id], category: 'spam', reason: 'And spam too.' }, wes.token);
  assert.equal(live.status, 201, live.text);
  const r2 = mona.page.locator(`#reports > li.report[data-id="${live.json.id}"]`);
  await r2.waitFor();
  assert.equal(await mona.page.locator('#reports > li.report').first().getAttribute('data-id'), String(live.json.id));
  assert.equal(await marked(mona.page), 'yes', 'the new report came without a reload');

  // Resolve the first, with a note: it leaves the open list.
  await r1.getByRole('button', { name: /Resolve/ }).click();
  let dialog = await dialogNamed(mona.page, 'Resolve the report on @troll?');
  await dialog.locator('textarea[name="note"]').fill('Warned them.');
  await dialog.getByRole('button', { name: 'Resolve' }).click();
  await dialog.waitFor({ state: 'detached' });
  await r1.waitFor({ state: 'detached' });
  const resolved = await env.client.get('/api/admin/reports?status=resolved', mona.token);
  const done = resolved.json.reports.find((r) => r.id === filed.json.id);
  assert.equal(done && done.note, 'Warned them.');
  assert.equal(done.status, 'resolved');

  // Suspend the target (a reason is required): their tweets leave others' pages.
  await r2.locator('button.suspend-btn', { hasText: 'Suspend' }).click();
  dialog = await dialogNamed(mona.page, 'Suspend @troll?');
  await dialog.getByRole('button', { name: 'Suspend' }).click();
  await dialog.locator('.field-error', { hasText: /empty/ }).waitFor();
  await dialog.locator('textarea[name="reason"]').fill('Abuse and spam.');
  await dialog.getByRole('button', { name: 'Suspend' }).click();
  await dialog.waitFor({ state: 'detached' });
  await r2.locator('button.suspend-btn', { hasText: 'Unsuspend' }).waitFor();
  await r2.locator('.badge', { hasText: 'Suspended' }).waitFor();
  await obs.page.reload();
  await ready(obs.page);
  const hiddenIds = await shownIds(obs.page);
  assert.ok(!hiddenIds.includes(first.id) && !hiddenIds.includes(second.id), `suspended tweets still shown: ${hiddenIds}`);

  // Unsuspend brings them back.
  await r2.locator('button.suspend-btn', { hasText: 'Unsuspend' }).click();
  await r2.locator('button.suspend-btn', { hasText: /^Suspend$/ }).waitFor();
  await obs.page.reload();
  await ready(obs.page);
  await obs.page.locator(`#timeline > li[data-id="${first.id}"]`).waitFor();

  // Delete the reported tweet: gone for everyone.
  await r2.getByRole('button', { name: 'Delete tweet' }).click();
  dialog = await dialogNamed(mona.page, 'Delete this tweet?');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await dialog.waitFor({ state: 'detached' });
  await r2.locator('.report-tweet-item.is-deleted').waitFor();
  assert.equal((await env.client.get(`/api/tweets/${second.id}`)).status, 404);
  await obs.page.locator(`#timeline > li[data-id="${second.id}"]`).waitFor({ state: 'detached' });

  // The reports are notifications too, which lead to /admin.
  await mona.page.locator('#notif-link').click();
  await mona.page.waitForSelector('html[data-view="notifications"]');
  const note = mona.page.locator('#notif-list li[data-kind="report"]').first();
  await note.waitFor();
  assert.match(await note.innerText(), /filed a report/);
  await note.locator('a[href="/admin"]').click();
  await mona.page.waitForSelector('html[data-view="admin"]');
  await r2.waitFor();
  assert.deepEqual([...mona.errors, ...obs.errors], []);
  for (const x of [mona, obs]) await x.context.close();
});

test('anyone but a moderator gets no admin link, and /admin says they may not', async () => {
  const norm = await env.open({ username: 'norm', path: '/admin' });
  await norm.page.locator('#admin-refusal', { hasText: 'Moderators only' }).waitFor();
  assert.equal(await norm.page.locator('#topbar a[href="/admin"]').count(), 0);
  assert.deepEqual(norm.errors, []);
  assert.deepEqual(norm.failures, [], 'the page asked the admin API nothing');
  await norm.context.close();

  const anon = await env.open({ path: '/admin' });
  await anon.page.locator('#admin-refusal', { hasText: 'Moderators only' }).waitFor();
  assert.equal(await anon.page.locator('#topbar a[href="/admin"]').count(), 0);
  assert.deepEqual(anon.errors, []);
  await anon.context.close();
});
