// Chaos: three nodes on one PostgreSQL database and one Redis, official socket.io-client
// sockets on each (WebSocket and long-polling, anonymous and signed in), steady posting on
// all three, Redis killed and restarted again and again, and one node killed with SIGKILL and
// started again. Every socket that stayed connected must receive every acknowledged tweet
// (except its own user's) exactly once, in id order, and nothing that is not stored.
//
// The default run is short (about 40 s). The soak (`bench/chaos.sh`) sets the environment:
//   CHIRP_CHAOS_SECONDS   how long tweets are posted (default 35)
//   CHIRP_CHAOS_SOCKETS   anonymous sockets per node (default 3), plus one signed-in socket
//   CHIRP_CHAOS_POSTERS   posting loops per node (default 1)
//   CHIRP_CHAOS_PACE_MS   pause between one loop's posts (default 10)
//   CHIRP_CHAOS_REPORT    a file to append the run's figures to, as one JSON line
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { test } from 'node:test';

import { api } from '../support/chirp.mjs';
import { connect } from '../realtime/helpers.mjs';
import {
  allTweetIds, closeAfter, createDatabase, eventually, health, newTweetIds, resources, sleep, startNode, startNodes, startRedis,
} from './helpers.mjs';

const env = (name, fallback) => Number(process.env[name] || fallback);
const SECONDS = env('CHIRP_CHAOS_SECONDS', 35);
const SOCKETS = env('CHIRP_CHAOS_SOCKETS', 3);
const POSTERS = env('CHIRP_CHAOS_POSTERS', 1);
const PACE_MS = env('CHIRP_CHAOS_PACE_MS', 10);

// Posting as fast as the loops go is the point: no per-account limit may get in the way.
// (This file runs in its own process under `node --test`, so this reaches only its nodes.)
process.env.CHIRP_RATE_LIMITS = 'off';

const WS = { name: 'websocket', transports: ['websocket'] };
const POLLING = { name: 'polling', transports: ['polling'] };

/** Connects `n` anonymous sockets (WebSocket and polling in turn) and one signed in as `user`. */
async function socketsOn(node, n, user, generation) {
  const out = [];
  for (let i = 0; i < n; i += 1) {
    const mode = i % 2 === 0 ? WS : POLLING;
    out.push({ node: node.label, user: null, client: await connect(node.url, mode, { label: `${node.label}${generation} anon ${mode.name} ${i}` }) });
  }
  out.push({ node: node.label, user: user.user.id, client: await connect(node.url, WS, { auth: { token: user.token }, label: `${node.label}${generation} ${user.user.username}` }) });
  return out;
}

test('Redis restarts and a kill -9 lose, repeat and reorder no announcement', { timeout: (SECONDS + 180) * 1000 }, async (t) => {
  const res = resources(t);
  const databaseUrl = await createDatabase(res);
  const redis = await startRedis(res);
  const nodes = await startNodes(res, 3, { databaseUrl, redisUrl: redis.url });
  const first = api(nodes[0].url);
  const posters = [];
  for (const node of nodes) posters.push(await first.signUp(`poster_${node.label.toLowerCase()}`));

  // Sockets on every node; the signed-in one belongs to the next node's poster. A socket of
  // the node that is killed stops counting; the restarted node gets new ones.
  const sockets = [];
  for (const [i, node] of nodes.entries()) sockets.push(...await socketsOn(node, SOCKETS, posters[(i + 1) % 3], ''));
  closeAfter(res, sockets.map((s) => s.client));

  // Posting loops: every acknowledged tweet with its author; failures counted by kind.
  const acknowledged = new Map(); // id → author id
  const failures = {};
  let posting = true;
  const loop = async (i, k) => {
    for (let n = 0; posting; n += 1) {
      const http = api(nodes[i].url); // the node may have been restarted on a new port
      try {
        const r = await http.post('/api/tweets', { text: `chaos ${nodes[i].label}${k} ${n}` }, posters[i].token);
        if (r.status === 201) acknowledged.set(r.json.id, posters[i].user.id);
        else failures[r.status] = (failures[r.status] || 0) + 1;
      } catch (err) {
        const kind = String(err.cause?.code || err.name);
        failures[kind] = (failures[kind] || 0) + 1;
      }
      await sleep(PACE_MS);
    }
  };
  const loops = [];
  for (let i = 0; i < 3; i += 1) for (let k = 0; k < POSTERS; k += 1) loops.push(loop(i, k));

  // Chaos: Redis down for 0.3–2.5 s every few seconds; node C killed (SIGKILL) half-way.
  const started = Date.now();
  let restarts = 0;
  let killed = false;
  try {
    while (Date.now() - started < SECONDS * 1000) {
      await sleep(1500 + Math.random() * 2500);
      await redis.stop();
      await sleep(300 + Math.random() * 2200);
      await redis.start();
      restarts += 1;
      if (!killed && Date.now() - started > (SECONDS * 1000) / 2) {
        killed = true;
        for (const s of sockets) if (s.node === 'C') s.gone = true;
        await nodes[2].kill9();
        await sleep(1000);
        nodes[2] = await startNode(res, { databaseUrl, redisUrl: redis.url, label: 'C' });
        const fresh = await socketsOn(nodes[2], SOCKETS, posters[0], "'");
        for (const s of fresh) s.late = true;
        closeAfter(res, fresh.map((s) => s.client));
        sockets.push(...fresh);
      }
    }
  } finally {
    posting = false;
    await Promise.all(loops);
  }
  assert.ok(killed, 'node C was killed and restarted');

  // Every node is healthy again once Redis stays up.
  for (const node of nodes) {
    await eventually(`${node.label} /healthz to answer 200`, async () => (await health(node.url)).status === 200, { ms: 20_000 });
  }

  const stored = new Set(await allTweetIds(first));
  const lostWrites = [...acknowledged.keys()].filter((id) => !stored.has(id));
  assert.deepEqual(lostWrites, [], 'every acknowledged tweet is stored');

  // What each socket must get: every acknowledged tweet but its user's own (for a socket
  // that joined late, every one after the first it received: delivery is in id order).
  const live = sockets.filter((s) => !s.gone);
  const expectedFor = (s) => {
    const ids = newTweetIds(s.client);
    const from = s.late ? (ids[0] ?? Infinity) : -Infinity;
    return [...acknowledged].filter(([id, author]) => author !== s.user && id >= from).map(([id]) => id);
  };
  const missingFor = (s) => {
    const got = new Set(newTweetIds(s.client));
    return expectedFor(s).filter((id) => !got.has(id));
  };
  // A deadline, not a measurement: announcements held for a gap or waiting for a sweep of
  // the store arrive within a second or two once Redis is back.
  await eventually('every socket to receive every acknowledged tweet', () => live.every((s) => missingFor(s).length === 0), { ms: 20_000 })
    .catch(() => {});
  await sleep(500); // anything late that would be a duplicate or out of order

  const figures = { seconds: SECONDS, restarts, acknowledged: acknowledged.size, stored: stored.size, failures, sockets: live.length, deliveries: 0, missed: 0, duplicated: 0, outOfOrder: 0, notStored: 0, own: 0 };
  const problems = [];
  for (const s of live) {
    const ids = newTweetIds(s.client);
    const missing = missingFor(s);
    const duplicated = ids.length - new Set(ids).size;
    const outOfOrder = ids.filter((id, i) => i > 0 && id <= ids[i - 1]).length;
    const notStored = ids.filter((id) => !stored.has(id)).length;
    const own = ids.filter((id) => acknowledged.get(id) === s.user && s.user !== null).length;
    figures.deliveries += ids.length;
    figures.missed += missing.length;
    figures.duplicated += duplicated;
    figures.outOfOrder += outOfOrder;
    figures.notStored += notStored;
    figures.own += own;
    const dropped = !s.client.socket.connected;
    if (missing.length || duplicated || outOfOrder || notStored || own || dropped) {
      problems.push(`${s.client.label}${dropped ? ' (disconnected)' : ''}: ${ids.length} received, ${missing.length} missed ${JSON.stringify(missing.slice(0, 10))}, ${duplicated} duplicated, ${outOfOrder} out of order, ${notStored} not stored, ${own} own`);
    }
  }
  t.diagnostic(JSON.stringify(figures));
  if (process.env.CHIRP_CHAOS_REPORT) appendFileSync(process.env.CHIRP_CHAOS_REPORT, `${JSON.stringify({ at: new Date().toISOString(), ...figures })}\n`);
  assert.ok(figures.acknowledged > 0 && figures.deliveries > 0, 'tweets were posted and delivered');
  assert.deepEqual(problems, [], `every socket got every acknowledged tweet once, in order: ${JSON.stringify(figures)}`);
});
