// Redis goes away and comes back under three running nodes. While it is down each node keeps
// serving HTTP and its own sockets, says so on /healthz and in one log line; when it is back,
// fan-out resumes by itself and the other nodes' sockets receive what they missed, each
// announcement exactly once.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, postTweet, quiet } from '../realtime/helpers.mjs';
import {
  assertExactlyOnce, closeAfter, eventually, health, newTweetIds, sleep, startCluster,
} from './helpers.mjs';

/** How long Redis stays down after the nodes noticed: a few reconnection attempts. */
const OUTAGE_MS = 1500;

const WS = { name: 'websocket', transports: ['websocket'] };
const POLLING = { name: 'polling', transports: ['polling'] };

/** Log lines at WARN or above that mention Redis. */
const redisWarnings = (logs) => logs.split('\n').filter((l) => /\b(WARN|ERROR)\b/.test(l) && /redis/i.test(l));

test('a Redis restart degrades fan-out for a moment and loses nothing', async (t) => {
  const { res, redis, nodes, apis: [a, b, c] } = await startCluster(t, { nodes: 3 });
  const alice = await a.signUp('alice');

  // An anonymous socket per transport on every node.
  const sockets = [];
  for (const node of nodes) {
    sockets.push({ node, client: await connect(node.url, WS, { label: `${node.label} websocket` }) });
    sockets.push({ node, client: await connect(node.url, POLLING, { label: `${node.label} polling` }) });
  }
  closeAfter(res, sockets.map((s) => s.client));
  const has = (client, tweets) => () => tweets.every((tw) => newTweetIds(client).includes(tw.id));

  // Fan-out works before the fault.
  const before = await postTweet(a, alice.token, 'before the outage, on A');
  const early = [before, await postTweet(b, alice.token, 'before the outage, on B')];
  for (const { client } of sockets) await client.until(has(client, early), 'the tweets posted before the outage', 10_000);

  await redis.stop();
  for (const node of nodes) {
    const h = await eventually(`${node.label} /healthz to answer 503`, async () => {
      const r = await health(node.url);
      return r.status === 503 && r;
    }, { ms: 10_000 });
    assert.match(h.text, /redis/i, `${node.label} /healthz names the reason`);
  }

  // HTTP keeps working, and each node's own sockets get its tweets at once.
  const onA = [];
  const onB = [];
  for (let i = 0; i < 3; i += 1) onA.push(await postTweet(a, alice.token, `outage tweet ${i} on A`));
  for (let i = 0; i < 2; i += 1) onB.push(await postTweet(b, alice.token, `outage tweet ${i} on B`));
  const outage = [...onA, ...onB];
  assert.equal((await b.del(`/api/tweets/${before.id}`, alice.token)).status, 204, 'deleting during the outage');
  assert.equal((await c.get('/api/tweets?limit=10')).json.tweets.length, 6, 'reading during the outage');
  for (const { node, client } of sockets) {
    if (node === nodes[0]) await client.until(has(client, onA), 'same-node delivery on A during the outage', 5000);
    if (node === nodes[1]) {
      await client.until(has(client, onB), 'same-node delivery on B during the outage', 5000);
      await client.until(() => client.received('tweetDeleted').length === 1, 'same-node tweetDeleted on B during the outage', 5000);
    }
  }

  // Stay down long enough for several reconnection attempts (250 ms, 500 ms, 1 s, …), and
  // meanwhile nothing crosses between nodes: Redis really is the only path.
  await sleep(OUTAGE_MS);
  for (const { node, client } of sockets) {
    if (node === nodes[2]) assert.deepEqual(newTweetIds(client).filter((id) => outage.some((tw) => tw.id === id)), [], `${client.label} during the outage`);
  }

  // Back on the same port: each node resubscribes (backoff reaches 5 s) and is healthy again.
  await redis.start();
  for (const node of nodes) {
    await eventually(`${node.label} /healthz to answer 200 after Redis is back`, async () => (await health(node.url)).status === 200, { ms: 20_000 });
  }

  // Catch-up: what was announced while Redis was down reaches the other nodes' sockets.
  for (const { client } of sockets) {
    await client.until(
      () => has(client, outage)() && client.received('tweetDeleted').length >= 1,
      'the tweets and the deletion of the outage (catch-up)',
      20_000,
    );
  }

  // Fan-out resumes from every node.
  const after = [
    await postTweet(a, alice.token, 'after the outage, on A'),
    await postTweet(b, alice.token, 'after the outage, on B'),
    await postTweet(c, alice.token, 'after the outage, on C'),
  ];
  for (const { client } of sockets) await client.until(has(client, after), 'tweets posted on A, B and C after the outage', 10_000);

  // Exactly once, nothing twice.
  await quiet();
  const all = [...early, ...outage, ...after].map((tw) => tw.id);
  for (const { client } of sockets) {
    assertExactlyOnce(newTweetIds(client), all, client.label);
    assert.deepEqual(client.received('tweetDeleted'), [[{ id: before.id }]], `${client.label}: tweetDeleted once`);
  }

  // One outage, a few lines per node — not one per message (A and B each posted through it).
  for (const node of nodes) {
    const warnings = redisWarnings(node.logs());
    assert.ok(warnings.length >= 1, `${node.label} logged the outage:\n${node.logs()}`);
    assert.ok(warnings.length <= 3, `${node.label} logged the outage once, not per message:\n${warnings.join('\n')}`);
  }
});

// A node that published before the outage but had nothing to publish during it still holds
// its broken publishing connection when Redis is back: its next announcement must not be
// lost (the other nodes are subscribed again by then, so no catch-up would bring it).
test('the first tweet after a Redis restart crosses nodes even from a node that was idle during the outage', async (t) => {
  const { res, redis, nodes, apis: [a, b] } = await startCluster(t, { nodes: 2 });
  const alice = await a.signUp('alice');
  const [onA] = closeAfter(res, [await connect(nodes[0].url, WS, { label: 'A websocket' })]);

  const before = await postTweet(b, alice.token, 'before the outage, on B');
  await onA.until(() => newTweetIds(onA).includes(before.id), 'the tweet from B before the outage', 10_000);

  await redis.stop();
  for (const node of nodes) {
    await eventually(`${node.label} /healthz to answer 503`, async () => (await health(node.url)).status === 503, { ms: 10_000 });
  }
  await redis.start();
  for (const node of nodes) {
    await eventually(`${node.label} /healthz to answer 200 after Redis is back`, async () => (await health(node.url)).status === 200, { ms: 20_000 });
  }

  const after = await postTweet(b, alice.token, 'after the outage, on B');
  await onA.until(() => newTweetIds(onA).includes(after.id), 'the first tweet from B after the outage', 5000);
  await quiet();
  assertExactlyOnce(newTweetIds(onA), [before.id, after.id], onA.label);
});
