// One of two nodes is killed with SIGKILL while tweets are being posted to both. Every tweet
// that was answered 201 (by either node) is stored, and the surviving node's sockets keep
// receiving, each announcement once.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, quiet } from '../realtime/helpers.mjs';
import {
  allTweetIds, assertExactlyOnce, closeAfter, eventually, health, newTweetIds, sleep, startCluster,
} from './helpers.mjs';

const WS = { name: 'websocket', transports: ['websocket'] };
const POLLING = { name: 'polling', transports: ['polling'] };

test('kill -9 of one node while posting loses no acknowledged tweet and the other node keeps delivering', async (t) => {
  const { res, nodes: [nodeA, nodeB], apis: [a, b] } = await startCluster(t, { nodes: 2 });
  const alice = await a.signUp('alice');
  const onB = closeAfter(res, [
    await connect(nodeB.url, WS, { label: 'B websocket' }),
    await connect(nodeB.url, POLLING, { label: 'B polling' }),
  ]);
  closeAfter(res, [await connect(nodeA.url, WS, { label: 'A websocket' })]);

  // A posting loop per node, recording what each answered 201.
  const created = { A: [], B: [] };
  const failures = { A: [], B: [] };
  let posting = true;
  const loop = async (label, http) => {
    for (let i = 0; posting; i += 1) {
      try {
        const r = await http.post('/api/tweets', { text: `tweet ${i} on ${label}` }, alice.token);
        if (r.status === 201) created[label].push(r.json.id);
        else failures[label].push(`${r.status} ${r.text}`);
      } catch (err) {
        failures[label].push(String(err.cause?.code || err));
      }
      await sleep(10); // pace the loops
    }
  };
  const loops = [loop('A', a), loop('B', b)];
  let afterKill;
  try {
    await eventually('both nodes to create tweets', () => created.A.length >= 10 && created.B.length >= 10);
    await nodeA.kill9();
    afterKill = created.B.length;
    await eventually('node B to keep creating tweets', () => created.B.length >= afterKill + 10);
  } finally {
    posting = false;
    await Promise.all(loops);
  }

  assert.deepEqual(failures.B, [], 'node B answered every request');
  assert.ok(failures.A.length > 0, 'posting to A failed once it was killed');
  assert.equal((await health(nodeB.url)).status, 200, 'node B is healthy');

  // Every acknowledged tweet is stored.
  const stored = await allTweetIds(b);
  const storedSet = new Set(stored);
  for (const label of ['A', 'B']) {
    const lost = created[label].filter((id) => !storedSet.has(id));
    assert.deepEqual(lost, [], `tweets answered 201 by ${label} but missing (of ${created[label].length})`);
  }

  // B's sockets kept receiving: each of B's own tweets, before and after the kill, exactly
  // once. Tweets stored by A arrive at most once (one acknowledged just before the kill may
  // not have been published yet), and nothing that is not stored is announced.
  for (const client of onB) {
    await client.until(() => created.B.every((id) => newTweetIds(client).includes(id)), 'every tweet posted on B', 10_000);
  }
  await quiet();
  for (const client of onB) {
    const ids = newTweetIds(client);
    const fromA = new Set(created.A);
    assertExactlyOnce(ids.filter((id) => !fromA.has(id) && created.B.includes(id)), created.B, client.label);
    assert.equal(new Set(ids).size, ids.length, `${client.label}: no tweet twice`);
    assert.deepEqual(ids.filter((id) => !storedSet.has(id)), [], `${client.label}: only stored tweets announced`);
    t.diagnostic(`${client.label}: received ${ids.filter((id) => fromA.has(id)).length} of the ${created.A.length} tweets A acknowledged`);
  }
});
