// PostgreSQL stops and starts again under a serving node (its own private cluster, so the
// shared server is never disturbed). While it is away every request that needs it answers
// 503 `unavailable` — never 500 — and /healthz says why; when it is back the pool recovers
// without restarting chirp, and every tweet that was answered 201 is still there.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { allTweetIds, eventually, health, sleep, startCluster } from './helpers.mjs';

/** Asserts a 503 in the contract's error shape with code `unavailable`. */
function assertUnavailable(res, what) {
  assert.equal(res.status, 503, `${what}: expected 503, got ${res.status} ${res.text}`);
  assert.equal(res.json?.error?.code, 'unavailable', `${what}: ${res.text}`);
  assert.equal(typeof res.json.error.message, 'string', `${what}: ${res.text}`);
}

test('a PostgreSQL restart answers 503 while it lasts, then recovers with nothing lost', async (t) => {
  // With a Redis, as a node of a cluster runs (a node without one caches sessions and the
  // first page, and may answer those from memory).
  const { pg, nodes: [node], apis: [http] } = await startCluster(t, { nodes: 1, postgres: 'private' });
  const alice = await http.signUp('alice');

  // Post in a loop through the whole fault, recording every answer.
  const created = [];
  const answers = [];
  let posting = true;
  const poster = (async () => {
    for (let i = 0; posting; i += 1) {
      const r = await http.post('/api/tweets', { text: `tweet ${i}` }, alice.token);
      answers.push(r);
      if (r.status === 201) created.push(r.json.id);
      await sleep(10); // pace the loop: a few hundred tweets, not tens of thousands
    }
  })();
  try {
    await eventually('tweets to be created', () => created.length >= 5);

    await pg.stop();
    const [postRes, listRes, meRes, signInRes, healthRes] = await Promise.all([
      http.post('/api/tweets', { text: 'while the database is away' }, alice.token),
      http.get('/api/tweets'),
      http.get('/api/me', alice.token),
      http.post('/api/sessions', { username: 'alice', password: 'correct horse battery' }),
      health(node.url),
    ]);
    assertUnavailable(postRes, 'POST /api/tweets');
    assertUnavailable(listRes, 'GET /api/tweets');
    assertUnavailable(meRes, 'GET /api/me');
    assertUnavailable(signInRes, 'POST /api/sessions');
    assert.equal(healthRes.status, 503, `/healthz: ${healthRes.text}`);
    assert.match(healthRes.text, /storage|database/i, '/healthz names the reason');
    await eventually('the posting loop to see a 503', () => answers.some((r) => r.status === 503));

    const beforeRestart = created.length;
    await pg.start();
    await eventually('/healthz to answer 200 after PostgreSQL is back', async () => (await health(node.url)).status === 200, { ms: 20_000 });
    await eventually('tweets to be created again', () => created.length >= beforeRestart + 5, { ms: 20_000 });
  } finally {
    posting = false;
    await poster;
  }

  // Only 201 or 503 `unavailable`, never a 500.
  for (const r of answers) {
    if (r.status !== 201) assertUnavailable(r, 'POST /api/tweets in the loop');
  }
  assert.ok(answers.some((r) => r.status === 503), 'the loop ran through the outage');
  // Every tweet answered 201 is still there; the session survived too.
  const stored = new Set(await allTweetIds(http));
  const lost = created.filter((id) => !stored.has(id));
  assert.deepEqual(lost, [], `tweets answered 201 but missing after the restart (of ${created.length})`);
  assert.equal((await http.get('/api/me', alice.token)).status, 200, 'the session still works');
});
