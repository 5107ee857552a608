// Rate limits shared by the cluster: two nodes on one Redis count one allowance per account,
// so N + k posts spread over both nodes are refused exactly k times (429 `rate_limited` with
// Retry-After, as on one node). While Redis is down no request fails because of it: each
// node counts on its own again (N on each), and says so once in its log.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { eventually, health, startCluster } from './helpers.mjs';

/** Posts allowed per account per minute: one more every 20 s, far longer than the test. */
const N = 3;
const EXTRA = 5;
const ARGS = [
  '--rate-limits', 'on', '--post-rate-limit', String(N),
  // Sign-ups and sign-ins are not what is tested.
  '--signup-rate-limit', '0', '--auth-rate-limit', '0',
];

/** Posts `count` tweets by `token`, taking the nodes in turn; resolves to the answers. */
async function postInTurn(apis, token, count) {
  const answers = [];
  for (let i = 0; i < count; i += 1) {
    const http = apis[i % apis.length];
    answers.push(await http.post('/api/tweets', { text: `attempt ${i}` }, token));
  }
  return answers;
}

/** Asserts a refusal is the API's 429 with a Retry-After in whole seconds. */
function assertRefused(r) {
  assert.equal(r.status, 429, r.text);
  assert.equal(r.json.error.code, 'rate_limited', r.text);
  const retry = Number(r.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After ${r.headers.get('retry-after')}`);
}

test('N + k posts over two nodes sharing Redis: exactly k refused; with Redis down, each node counts its own', async (t) => {
  const { redis, nodes, apis } = await startCluster(t, { args: ARGS });
  const ada = await apis[0].signUp('ada');
  const answers = await postInTurn(apis, ada.token, N + EXTRA);
  assert.equal(answers.filter((r) => r.status === 201).length, N, answers.map((r) => r.status).join(' '));
  answers.filter((r) => r.status !== 201).forEach(assertRefused);
  assert.deepEqual(answers.slice(0, N).map((r) => r.status), Array(N).fill(201), 'the first N pass');
  // Another account has its own allowance.
  const bob = await apis[1].signUp('bob');
  assert.equal((await apis[1].post('/api/tweets', { text: 'bob' }, bob.token)).status, 201);

  await redis.stop();
  for (const node of nodes) {
    await eventually(`${node.label} /healthz to answer 503`, async () => (await health(node.url)).status === 503, { ms: 10_000 });
  }
  const cyd = await apis[0].signUp('cyd');
  for (const http of apis) {
    const alone = [];
    for (let i = 0; i < N + 1; i += 1) alone.push(await http.post('/api/tweets', { text: `redis down ${i}` }, cyd.token));
    assert.deepEqual(alone.map((r) => r.status), [...Array(N).fill(201), 429], 'each node counts on its own');
    assertRefused(alone[N]);
  }
  for (const node of nodes) {
    const lines = node.logs().split('\n').filter((l) => l.includes('redis unavailable for rate limits'));
    assert.equal(lines.length, 1, `${node.label} logs the fallback once:\n${node.logs()}`);
  }
});
