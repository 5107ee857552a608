// The tutorial's own client page, served from another origin, works against Chirp unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setUp, post } from './helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let env;
let site;
let siteUrl;

before(async () => {
  env = await setUp();
  // The page is written for http://localhost:8000; point it at this test's server instead.
  const html = readFileSync(join(root, 'examples', 'tutorial-client.html'), 'utf8')
    .replaceAll('http://localhost:8000', env.server.url);
  site = createServer((req, res) => {
    if (req.url === '/tutorial-client.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${site.address().port}/tutorial-client.html`;
});
after(async () => {
  site?.close();
  await env?.close();
});

test('the tutorial page on another origin receives newTweet and shows its banner', async () => {
  const author = await env.client.signUp('tutor');
  await post(env.client, author.token, 'Before the page opened');

  const context = await env.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(siteUrl);
  assert.notEqual(new URL(siteUrl).origin, new URL(env.server.url).origin);
  await page.locator('#status').filter({ hasText: 'Connected' }).waitFor();
  await page.locator('#tweets li').filter({ hasText: 'Before the page opened' }).waitFor();
  assert.equal(await page.locator('#banner').isVisible(), false);

  await post(env.client, author.token, 'Hello, tutorial!');
  await page.locator('#banner').filter({ hasText: 'New tweet from tutor' }).waitFor();
  await post(env.client, author.token, 'Again!');
  await page.locator('#banner').filter({ hasText: '2 new tweets' }).waitFor();

  await page.locator('#banner').click(); // reloads, as the tutorial did
  await page.locator('#tweets li').filter({ hasText: 'Again!' }).waitFor();
  assert.equal(await page.locator('#banner').isVisible(), false);
  assert.deepEqual(errors, []);
  await context.close();
});
