// The Mastodon authorization-code flow in a real browser: an app's authorize URL opens the
// consent page (in the web app's style), the user signs in there — or is already signed in
// — and approves, the browser is redirected to the app with a code, and the token endpoint
// takes that code (with its PKCE verifier) for a token that works. Deny redirects with
// `error=access_denied`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { setUp, PASSWORD } from './helpers.mjs';

let REDIRECT;
let CALLBACK;
let env;
let app;
let appServer;

before(async () => {
  env = await setUp();
  // The app's own web server (on loopback), where the browser is sent back with the code.
  appServer = createServer((req, res) => { res.end('app'); });
  await new Promise((resolve) => appServer.listen(0, '127.0.0.1', resolve));
  REDIRECT = `http://127.0.0.1:${appServer.address().port}/callback`;
  CALLBACK = new RegExp(`^${REDIRECT.replace(/[.]/g, '\\.')}`);
  const res = await env.client.post('/api/v1/apps', {
    client_name: 'Browser test app', redirect_uris: REDIRECT, scopes: 'read write',
  });
  assert.equal(res.status, 200, res.text);
  app = res.json;
});
after(async () => { await env?.close(); appServer?.close(); });

/** An authorize URL with a fresh PKCE pair and state. */
function authorize(scope = 'read') {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(8).toString('hex');
  const query = new URLSearchParams({
    response_type: 'code', client_id: app.client_id, redirect_uri: REDIRECT, scope, state,
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  return { url: env.url(`/oauth/authorize?${query}`), verifier, state };
}

/** A page, and the errors it reports. */
async function appPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  return { page, errors };
}

async function exchange(code, verifier) {
  return env.client.post('/oauth/token', {
    grant_type: 'authorization_code', client_id: app.client_id, client_secret: app.client_secret,
    redirect_uri: REDIRECT, code, code_verifier: verifier,
  });
}

test('signing in on the consent page and approving gives the app a working code', async () => {
  await env.client.signUp('olive', PASSWORD);
  const context = await env.browser.newContext();
  const { page, errors } = await appPage(context);
  const { url, verifier, state } = authorize('read write');
  await page.goto(url);
  assert.equal(await page.locator('#app-name').textContent(), 'Browser test app');
  assert.deepEqual(await page.locator('ul.scopes li').allTextContents(), ['read', 'write']);
  // The web app's stylesheet applies: the primary button has the accent colour, not the default.
  const background = await page.locator('#authorize').evaluate((b) => getComputedStyle(b).backgroundColor);
  assert.notEqual(background, 'rgba(0, 0, 0, 0)');
  await page.fill('#username', 'olive');
  await page.fill('#password', 'not the password');
  await page.click('#authorize');
  await page.locator('.form-error').filter({ hasText: 'Wrong username or password.' }).waitFor();
  await page.fill('#username', 'olive');
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(CALLBACK), page.click('#authorize')]);
  const back = new URL(page.url());
  assert.equal(back.searchParams.get('state'), state);
  const code = back.searchParams.get('code');
  assert.ok(code);
  const token = await exchange(code, verifier);
  assert.equal(token.status, 200, token.text);
  assert.equal(token.json.scope, 'read write');
  const me = await env.client.get('/api/v1/accounts/verify_credentials', token.json.access_token);
  assert.equal(me.json.username, 'olive');
  assert.deepEqual(errors, []);
  await context.close();
});

test('already signed in: the page names the user, and Deny tells the app so', async () => {
  const { context, page: home } = await env.open({ username: 'pablo' });
  await home.close();
  const { page, errors } = await appPage(context);
  const first = authorize();
  await page.goto(first.url);
  assert.match(await page.locator('#signed-in-as').textContent(), /@pablo/);
  assert.equal(await page.locator('#password').count(), 0);
  await Promise.all([page.waitForURL(CALLBACK), page.click('#deny')]);
  const denied = new URL(page.url());
  assert.equal(denied.searchParams.get('error'), 'access_denied');
  assert.equal(denied.searchParams.get('state'), first.state);
  assert.equal(denied.searchParams.get('code'), null);

  const second = authorize();
  await page.goto(second.url);
  await Promise.all([page.waitForURL(CALLBACK), page.click('#authorize')]);
  const code = new URL(page.url()).searchParams.get('code');
  const token = await exchange(code, second.verifier);
  assert.equal(token.status, 200, token.text);
  const me = await env.client.get('/api/v1/accounts/verify_credentials', token.json.access_token);
  assert.equal(me.json.username, 'pablo');
  // A code works once.
  const again = await exchange(code, second.verifier);
  assert.equal(again.json.error, 'invalid_grant');
  assert.deepEqual(errors, []);
});

test('an unknown app or redirect URI is refused on the page, never redirected', async () => {
  const context = await env.browser.newContext();
  const { page } = await appPage(context);
  const response = await page.goto(env.url(`/oauth/authorize?response_type=code&client_id=${app.client_id}&redirect_uri=${encodeURIComponent('http://127.0.0.2/elsewhere')}`));
  assert.equal(response.status(), 400);
  assert.match(await page.locator('.auth-lede').textContent(), /redirect_uri/);
  await context.close();
});
