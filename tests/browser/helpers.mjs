// Shared set-up for the browser tests: the system's Debian chromium driven by playwright-core
// (never a downloaded browser), a real `chirp serve` per test file, and signed-in pages.
import { chromium } from 'playwright-core';
import { mkdirSync, copyFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChirp, api } from '../support/chirp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-quic', '--no-first-run', '--disable-sync',
];

export const PASSWORD = 'correct horse battery';

/** The localStorage key the page keeps while signed in (web/js/auth.js). */
export const SIGNED_IN_HINT = 'chirp.signedIn';

/** Start a server and a browser for one test file. Call `close()` in `after`. */
export async function setUp() {
  const server = await startChirp();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const client = api(server.url);
  const contexts = [];
  let seq = 0;
  return {
    server,
    browser,
    client,
    url: (path = '/') => server.url + path,

    /**
     * A new browser context with its own cookies, opened on `path`; signed in as a fresh
     * user (created through the API) unless `username` is null.
     */
    async open({ username, path = '/', viewport = { width: 900, height: 820 }, colorScheme = 'light' } = {}) {
      let session = null;
      let storageState;
      if (username) {
        // Signed in as the page itself would leave it: the session cookie, and the hint
        // that tells the page it is worth asking GET /api/me (web/js/auth.js).
        session = await client.signUp(username, PASSWORD);
        const { hostname } = new URL(server.url);
        storageState = {
          cookies: [{
            name: 'chirp_session', value: session.token, domain: hostname, path: '/',
            expires: -1, httpOnly: true, secure: false, sameSite: 'Lax',
          }],
          origins: [{ origin: server.url, localStorage: [{ name: SIGNED_IN_HINT, value: '1' }] }],
        };
      }
      const context = await browser.newContext({ viewport, colorScheme, reducedMotion: 'reduce', storageState });
      contexts.push(context);
      const page = await context.newPage();
      const errors = [];
      const consoleErrors = [];
      const failures = [];
      page.on('pageerror', (e) => errors.push(e));
      // Uncaught exceptions and console errors go to `errors`, except the browser's own note
      // about an HTTP error status, which tests of error answers cause on purpose; every
      // console error, that note included, also goes to `consoleErrors`, and every request
      // that failed or answered 4xx/5xx to `failures` ("401 GET /api/me").
      page.on('console', (m) => {
        if (m.type() !== 'error') return;
        consoleErrors.push(m.text());
        if (!m.text().startsWith('Failed to load resource')) errors.push(new Error(m.text()));
      });
      // A request the page's own reload or navigation cut short (net::ERR_ABORTED, e.g. a
      // catch-up fetch still in flight) is the test's doing, not a failure of the page.
      page.on('requestfailed', (r) => {
        const reason = r.failure()?.errorText;
        if (reason !== 'net::ERR_ABORTED') failures.push(`failed ${r.method()} ${r.url()}: ${reason}`);
      });
      page.on('response', (r) => {
        if (r.status() >= 400) failures.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
      });
      await page.goto(server.url + path);
      await ready(page);
      return {
        context, page, errors, consoleErrors, failures,
        token: session && session.token, user: session && session.user, id: ++seq,
      };
    },

    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close().catch(() => {});
      await server.stop();
    },
  };
}

/** Wait until the page rendered its view and its socket is connected. */
export async function ready(page) {
  await page.waitForSelector('html[data-ready="true"][data-loading="false"][data-socket="up"]', { timeout: 15_000 });
}

/** Post as `token` through the API; resolves to the tweet. */
export async function post(client, token, text) {
  const res = await client.post('/api/tweets', { text }, token);
  if (res.status !== 201) throw new Error(`post: ${res.status} ${res.text}`);
  return res.json;
}

/** The ids of the tweets on screen, top to bottom. */
export function shownIds(page) {
  return page.$$eval('#timeline > li', (lis) => lis.map((li) => Number(li.dataset.id)));
}

/** Resolves to the banner's visible text once it matches `re`. */
export async function bannerMatching(page, re) {
  const banner = page.locator('#banner');
  await banner.filter({ hasText: re }).waitFor({ state: 'visible', timeout: 10_000 });
  return banner.innerText();
}

/**
 * Save a screenshot as tests/browser/screenshots/<name>.tmp.png (ignored by git); with
 * CHIRP_SCREENSHOTS=1 also as docs/screenshots/<name>.png, the pictures in the README.
 */
export async function screenshot(page, name, options = {}) {
  const dir = join(root, 'tests', 'browser', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${name}.tmp.png`);
  await page.screenshot({ path: tmp, ...options });
  if (process.env.CHIRP_SCREENSHOTS === '1') {
    const docs = join(root, 'docs', 'screenshots');
    mkdirSync(docs, { recursive: true });
    copyFileSync(tmp, join(docs, `${name}.png`));
  }
  return tmp;
}
