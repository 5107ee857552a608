// Signing up, in and out in the page; the API's errors appear next to the field at fault.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setUp, ready, post, PASSWORD, SIGNED_IN_HINT, bannerMatching } from './helpers.mjs';

let env;
let author;
before(async () => {
  env = await setUp();
  author = await env.client.signUp('penny');
  await post(env.client, author.token, 'Welcome to Chirp! Sign in to join the conversation.');
  await post(env.client, author.token, 'New tweets show up live: no refreshing, ever.');
});
after(async () => { await env?.close(); });

const $err = (page, field) => page.locator(`#auth-${field}-error`);

test('signed out: the sign-in form, no compose box, liking asks to sign in', async () => {
  const { page, context, errors } = await env.open();
  assert.equal(await page.locator('#auth').isVisible(), true);
  assert.equal(await page.locator('#compose').isVisible(), false);
  assert.equal(await page.locator('#timeline > li').count(), 2);

  // Anonymous readers still get the banner.
  await post(env.client, author.token, 'Anyone can read along.');
  await bannerMatching(page, /Show 1 new tweet\b/);

  await page.locator('#timeline button.like').first().click();
  await page.locator('#auth-lede').filter({ hasText: 'Sign in to like' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'auth-username');
  assert.deepEqual(errors, []);
  await context.close();
});

test('signed out: no request fails and nothing is logged in red, also after a reload', async () => {
  const { page, context, consoleErrors, failures } = await env.open();
  assert.equal(await page.locator('#auth').isVisible(), true);
  await page.reload();
  await ready(page);
  await page.goto(env.url('/users/penny'));
  await ready(page);
  assert.deepEqual(failures, []);
  assert.deepEqual(consoleErrors, []);
  await context.close();
});

test('a stale signed-in hint costs one 401, then none', async () => {
  const { page, context, consoleErrors, failures } = await env.open();
  // As after the session ended elsewhere: the page believes it is signed in, the server not.
  await page.evaluate((key) => localStorage.setItem(key, '1'), SIGNED_IN_HINT);
  await page.reload();
  await ready(page);
  assert.equal(await page.locator('#auth').isVisible(), true);
  assert.deepEqual(failures, ['401 GET /api/me']);
  assert.equal(await page.evaluate((key) => localStorage.getItem(key), SIGNED_IN_HINT), null);
  await page.reload();
  await ready(page);
  assert.deepEqual(failures, ['401 GET /api/me'], 'no second 401');
  assert.equal(consoleErrors.length, 1);
  await context.close();
});

test('one name for making an account: "Sign up" in the header and on the card', async () => {
  const { page, context } = await env.open();
  const header = page.locator('#account button', { hasText: 'Sign up' });
  assert.equal(await header.count(), 1);
  assert.equal(await page.locator('#mode-signup').textContent(), 'Sign up');
  await header.click();
  assert.equal(await page.locator('#mode-signup').getAttribute('aria-pressed'), 'true');
  assert.equal(await page.locator('#auth-submit').textContent(), 'Sign up');
  assert.equal(await page.getByText(/create account/i).count(), 0);
  await context.close();
});

test('sign-up errors appear next to the field that caused them', async () => {
  const { page, context } = await env.open();
  await page.locator('#mode-signup').click();
  assert.equal(await page.locator('#auth-submit').textContent(), 'Sign up');

  await page.locator('#auth-username').fill('ab');
  await page.locator('#auth-password').fill(PASSWORD);
  await page.locator('#auth-submit').click();
  await $err(page, 'username').filter({ hasText: /./ }).waitFor();
  assert.equal(await page.locator('#auth-username').getAttribute('aria-invalid'), 'true');
  assert.equal(await $err(page, 'password').textContent(), '');

  await page.locator('#auth-username').fill('newbie');
  assert.equal(await $err(page, 'username').textContent(), '', 'typing clears the error');
  await page.locator('#auth-password').fill('short');
  await page.locator('#auth-submit').click();
  await $err(page, 'password').filter({ hasText: /./ }).waitFor();
  assert.equal(await $err(page, 'username').textContent(), '');

  await page.locator('#auth-username').fill('Penny'); // taken, case-insensitively
  await page.locator('#auth-password').fill(PASSWORD);
  await page.locator('#auth-submit').click();
  await $err(page, 'username').filter({ hasText: /./ }).waitFor();

  // And then it works: signed in at once, the compose box appears.
  await page.locator('#auth-username').fill('newbie');
  await page.locator('#auth-submit').click();
  await page.locator('#account .me').filter({ hasText: '@newbie' }).waitFor();
  assert.equal(await page.locator('#compose').isVisible(), true);
  assert.equal(await page.locator('#auth').isVisible(), false);
  await context.close();
});

test('sign-in errors, sign in, sign out', async () => {
  // Signed in, "/" is Home: quinn follows penny, so penny's tweets count there.
  const quinn = await env.client.signUp('quinn');
  assert.equal((await env.client.put('/api/users/penny/follow', quinn.token)).status, 200);
  const { page, context } = await env.open();
  await page.locator('#auth-username').fill('quinn');
  await page.locator('#auth-password').fill('not the password');
  await page.locator('#auth-submit').click();
  await page.locator('#auth-form .field-error, #auth-form-error').filter({ hasText: /./ }).first().waitFor();
  assert.equal(await page.locator('#account .me').count(), 0);

  await page.locator('#auth-password').fill(PASSWORD);
  await page.locator('#auth-submit').click();
  await page.locator('#account .me').filter({ hasText: '@quinn' }).waitFor();
  await ready(page);
  // The socket reconnected with the session: quinn's own tweet is not announced to quinn.
  await page.locator('#compose-text').fill('Signed in and posting');
  await page.locator('#compose-submit').click();
  await page.locator('#timeline > li').first().filter({ hasText: 'Signed in and posting' }).waitFor();
  await post(env.client, author.token, 'Hi Quinn!');
  const text = await bannerMatching(page, /Show 1 new tweet\b/);
  assert.match(text, /penny/);

  // After a reload the cookie still says who we are.
  await page.reload();
  await ready(page);
  await page.locator('#account .me').filter({ hasText: '@quinn' }).waitFor();

  await page.locator('#sign-out').click();
  await page.locator('#auth').waitFor();
  assert.equal(await page.locator('#compose').isVisible(), false);
  const me = await page.evaluate(() => fetch('/api/me').then((r) => r.status));
  assert.equal(me, 401);
  // Signed out, a reload does not ask who we are (no 401 for it in the console).
  const asked = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/api/me') asked.push(r.url()); });
  await page.reload();
  await ready(page);
  assert.deepEqual(asked, []);
  await context.close();
});
