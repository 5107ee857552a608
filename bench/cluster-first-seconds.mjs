// Reads in the first seconds after a cluster node starts: two nodes (PostgreSQL + Redis) with
// 200 tweets, then a third node starts and is read at once (`GET /api/tweets?limit=20`, 32
// loops in one Node process) for 8 s; prints the reads answered in each second and when the
// node said it was settled, as one JSON line per run.
//
//   CHIRP_BIN=target/release/chirp node bench/cluster-first-seconds.mjs [answered|held]
//
// `answered`: as deployed — the new node settles once both others answered its ask.
// `held`: a silent extra subscriber of the shared channel (redis-cli SUBSCRIBE), which Redis
// counts and which never answers, makes the node wait the longest settle (10 s): what every
// start cost before the settle ended on answers.
import { spawn } from 'node:child_process';

import { postTweet } from '../tests/realtime/helpers.mjs';
import { closeAfter, startCluster, startNode } from '../tests/cluster/helpers.mjs';

const mode = process.argv[2] || 'answered';
const SECONDS = 8;
const LOOPS = 32;

const after = [];
const t = { after: (fn) => after.push(fn) };
try {
  const { res, redis, databaseUrl, apis: [a] } = await startCluster(t);
  const author = await a.signUp('author');
  for (let i = 0; i < 200; i += 1) await postTweet(a, author.token, `seed ${i}`);
  if (mode === 'held') {
    const silent = spawn('redis-cli', ['-p', String(redis.port), 'SUBSCRIBE', 'chirp:announcements'], { stdio: 'ignore' });
    closeAfter(res, [{ close: () => silent.kill() }]);
    await new Promise((resolve) => { setTimeout(resolve, 300); });
  }
  const started = performance.now();
  const node = await startNode(res, { databaseUrl, redisUrl: redis.url, label: 'C' });
  const listening = performance.now();
  const perSecond = Array(SECONDS).fill(0);
  let failed = 0;
  const end = listening + SECONDS * 1000;
  await Promise.all(Array.from({ length: LOOPS }, async () => {
    while (performance.now() < end) {
      const r = await fetch(`${node.url}/api/tweets?limit=20`);
      await r.arrayBuffer();
      const at = performance.now();
      if (r.status !== 200) failed += 1;
      else if (at < end) perSecond[Math.floor((at - listening) / 1000)] += 1;
    }
  }));
  const log = node.logs();
  const settled = log.match(/redis fan-out settled: (every other node answered answered=\d+|after the longest wait)/)?.[1] ?? 'not yet';
  const hits = Number((await (await fetch(`${node.url}/metrics`)).text()).match(/^chirp_cache_hits_total\{cache="first_page"\}\s+(\S+)/m)?.[1] ?? 0);
  console.log(JSON.stringify({
    mode, bin: process.env.CHIRP_BIN, start_to_listening_ms: Math.round(listening - started),
    reads_per_second: perSecond, failed, settled, first_page_cache_hits: hits,
  }));
} finally {
  for (const fn of after.reverse()) await fn();
}
