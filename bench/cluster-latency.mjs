// Tweet delivery latency in a two-node cluster (PostgreSQL + Redis): from sending a POST
// /api/tweets to node B to `newTweet` on a socket on B (the tweet's own node) and on A, one tweet at
// a time. Prints the median and p99 of each in ms, as one JSON line.
//
//   CHIRP_BIN=target/release/chirp node bench/cluster-latency.mjs [tweets=500]
//
// Uses the cluster test helpers (a private Redis, a fresh database on the shared PostgreSQL
// at CHIRP_TEST_POSTGRES_URL).
import { connect, postTweet } from '../tests/realtime/helpers.mjs';
import { closeAfter, startCluster } from '../tests/cluster/helpers.mjs';

const tweets = Number(process.argv[2] || 500);
const WS = { name: 'websocket', transports: ['websocket'] };

const after = [];
const t = { after: (fn) => after.push(fn) };
try {
  const { res, apis: [, b], nodes: [nodeA, nodeB] } = await startCluster(t);
  const author = await b.signUp('author');
  const sockets = { own: await connect(nodeB.url, WS, { label: 'B' }), other: await connect(nodeA.url, WS, { label: 'A' }) };
  closeAfter(res, Object.values(sockets));
  const arrived = { own: new Map(), other: new Map() };
  const waiters = new Map();
  for (const [name, client] of Object.entries(sockets)) {
    client.socket.on('newTweet', (_, tweet) => {
      arrived[name].set(tweet.id, performance.now());
      waiters.get(`${name}:${tweet.id}`)?.();
    });
  }
  const arrival = (name, id) => (arrived[name].has(id)
    ? Promise.resolve()
    : new Promise((resolve) => { waiters.set(`${name}:${id}`, resolve); }));
  const times = { own: [], other: [] };
  for (let i = 0; i < tweets; i += 1) {
    const sent = performance.now();
    const tweet = await postTweet(b, author.token, `latency ${i}`);
    for (const name of ['own', 'other']) {
      await arrival(name, tweet.id);
      times[name].push(arrived[name].get(tweet.id) - sent);
    }
  }
  const pct = (xs, p) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
  const summary = Object.fromEntries(Object.entries(times).map(([name, xs]) => [name, {
    p50_ms: +pct(xs, 0.5).toFixed(3), p99_ms: +pct(xs, 0.99).toFixed(3),
  }]));
  console.log(JSON.stringify({ tweets, bin: process.env.CHIRP_BIN, ...summary }));
} finally {
  for (const fn of after) await fn();
}
