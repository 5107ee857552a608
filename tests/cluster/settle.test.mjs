// The settle period ends when the node knows: a node that has just subscribed to Redis (at
// start, or again after Redis restarted) asks the other nodes and is settled once every one
// answered — its caches answer again from then on — rather than after a fixed wait. Judged
// by state (the log line and /metrics `chirp_redis_settled`), never by the clock.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { eventually, health, startCluster, startNode } from './helpers.mjs';

const ANSWERED = /redis fan-out settled: every other node answered answered=(\d+)/g;
const WAITED_OUT = 'redis fan-out settled after the longest wait';

/** The `answered=` count of each "every other node answered" line in `node`'s log. */
const answers = (node) => [...node.logs().matchAll(ANSWERED)].map((m) => Number(m[1]));

/** `chirp_redis_settled` on `node`'s /metrics. */
async function settledGauge(node) {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return Number(text.match(/^chirp_redis_settled\s+(\S+)/m)?.[1]);
}

test('nodes settle as soon as every other node answered, at start and after a Redis restart', async (t) => {
  const { res, redis, databaseUrl, nodes } = await startCluster(t, { nodes: 2 });
  // A third node joins the running two: it hears both.
  const nodeC = await startNode(res, { databaseUrl, redisUrl: redis.url, label: 'C' });
  await eventually('C to settle on both other nodes\' answers', async () => answers(nodeC).includes(2));
  for (const node of [...nodes, nodeC]) {
    await eventually(`${node.label} to settle on answers`, async () => answers(node).length >= 1);
    assert.equal(await settledGauge(node), 1, `${node.label} /metrics says settled`);
  }

  // Redis restarts: every node subscribes again and settles again on the others' answers
  // (each waits for the nodes it heard from before the outage).
  const before = new Map([...nodes, nodeC].map((node) => [node, answers(node).length]));
  await redis.stop();
  for (const node of [...nodes, nodeC]) {
    await eventually(`${node.label} /healthz to answer 503`, async () => (await health(node.url)).status === 503, { ms: 10_000 });
    assert.equal(await settledGauge(node), 0, `${node.label} is unsettled while Redis is down`);
  }
  await redis.start();
  for (const node of [...nodes, nodeC]) {
    await eventually(`${node.label} to settle again on both other nodes' answers`, async () => answers(node).slice(before.get(node)).includes(2), { ms: 20_000 });
    assert.equal(await settledGauge(node), 1, `${node.label} /metrics says settled again`);
    assert.ok(!node.logs().includes(WAITED_OUT), `${node.label} never waited the longest wait:\n${node.logs()}`);
  }
});
