// Redis goes away and comes back under three running nodes. While it is down each node keeps
// serving HTTP and its own sockets, says so on /healthz and in one log line, and reads the
// other nodes' new tweets from the store; when it is back, fan-out resumes by itself and the
// other nodes' sockets receive what they missed (deletions too), each announcement once.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';

import { connect, postTweet, quiet } from '../realtime/helpers.mjs';
import {
  assertExactlyOnce, closeAfter, eventually, health, newTweetIds, sleep, startCluster,
} from './helpers.mjs';

const run = promisify(execFile);

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

  // Even with Redis down, the other nodes' tweets reach C's sockets: a node whose
  // subscription is down reads new tweets from the store. Then stay down long enough for
  // several reconnection attempts (250 ms, 500 ms, 1 s, …).
  for (const { node, client } of sockets) {
    if (node === nodes[2]) await client.until(has(client, outage), 'the outage tweets of A and B, read from the store', 10_000);
  }
  await sleep(OUTAGE_MS);

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

// Redis answers everything but PUBLISH (`CLIENT PAUSE … WRITE` holds writes): the node that
// cannot publish says so on /healthz, keeps what it could not send and sends it once Redis
// takes writes again, so the other node's sockets get the tweet late, once, not never.
test('a node that cannot publish reports unhealthy and its tweet arrives once Redis takes it', async (t) => {
  const { res, redis, nodes, apis: [a, b] } = await startCluster(t, { nodes: 2 });
  const alice = await a.signUp('alice');
  const [onB] = closeAfter(res, [await connect(nodes[1].url, WS, { label: 'B websocket' })]);
  const before = await postTweet(a, alice.token, 'before the pause');
  await onB.until(() => newTweetIds(onB).includes(before.id), 'the tweet from A before the pause', 10_000);
  // Past the settle period that follows a node's first subscription, so that nothing but
  // the bus (or a later gap) can bring A's next tweet to B.
  for (const node of nodes) {
    await eventually(`${node.label} /healthz to answer 200`, async () => (await health(node.url)).status === 200);
  }
  await sleep(SETTLE_MS);
  // B has its first page in memory now (settled: its cache is on).
  const firstPageIds = async (http) => (await http.get('/api/tweets?limit=20')).json.tweets.map((tw) => tw.id);
  assert.ok((await firstPageIds(b)).includes(before.id));
  assert.ok((await firstPageIds(b)).includes(before.id));

  await redisCli(redis.port, 'CLIENT', 'PAUSE', '60000', 'WRITE');
  const paused = await postTweet(a, alice.token, 'while Redis takes no writes');
  // B never heard of it over the bus, yet its cached first page does not hide it for long:
  // B's periodic read of new tweets finds it and drops the page.
  await eventually('B\'s first page to show the tweet A could not publish', async () => (await firstPageIds(b)).includes(paused.id), { ms: 15_000 });
  const h = await eventually('A /healthz to answer 503', async () => {
    const r = await health(nodes[0].url);
    return r.status === 503 && r;
  }, { ms: 10_000 });
  assert.match(h.text, /publish/i, 'A /healthz names the reason');
  // (B may say so too: every node publishes a heartbeat every 2 s, which waits as well.)

  await redisCli(redis.port, 'CLIENT', 'UNPAUSE');
  await onB.until(() => newTweetIds(onB).includes(paused.id), 'the tweet A could not publish', 15_000);
  await eventually('A /healthz to answer 200 again', async () => (await health(nodes[0].url)).status === 200, { ms: 15_000 });
  const after = await postTweet(b, alice.token, 'after the pause, on B');
  const onA = closeAfter(res, [await connect(nodes[0].url, WS, { label: 'A websocket' })]);
  const last = await postTweet(b, alice.token, 'last, on B');
  await onA[0].until(() => newTweetIds(onA[0]).includes(last.id), 'a tweet from B on A', 10_000);
  await onB.until(() => newTweetIds(onB).includes(last.id), 'the last tweet on B', 10_000);
  await quiet();
  assertExactlyOnce(newTweetIds(onB), [before.id, paused.id, after.id, last.id], onB.label);
});

/** Longer than a node's settle period after (re)subscribing (`SETTLE` in src/changes/redis.rs). */
const SETTLE_MS = 10_500;

/** Runs a redis-cli command against the test's own Redis. */
async function redisCli(port, ...args) {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  assert.equal(stdout.trim(), 'OK', `redis-cli ${args.join(' ')}`);
}
