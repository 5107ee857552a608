// Mastodon streams beside Socket.IO sockets on one Chirp node (issue 23): for each kind of
// client — Mastodon SSE (`/api/v1/streaming/public`), Mastodon WebSocket (`/api/v1/streaming`,
// `public`) and Socket.IO (`everyone`) — open N of them, read the server's RSS before and
// after (memory per stream), then post T tweets one after the other, each once the last one
// reached every client, and read the server's CPU time before and after (CPU per delivery).
// One kind at a time, each on a fresh server process (so memory freed by one kind is not
// reused by the next), fresh SQLite, rate limits off.
//
//   node bench/mastodon_streams.mjs --bin target/release/chirp [--clients 1000] [--tweets 50]
//
// Prints one JSON line per kind. Only 127.0.0.1 is contacted.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { io } from 'socket.io-client';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const BIN = args.bin || 'target/release/chirp';
const CLIENTS = Number(args.clients || 1000);
const TWEETS = Number(args.tweets || 50);
const TICKS = 100; // clock ticks per second (getconf CLK_TCK on Linux)
const PAGE = 4096;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function stat(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { cpu: (Number(fields[11]) + Number(fields[12])) / TICKS, rss: Number(fields[21]) * PAGE };
}

async function start() {
  const dir = mkdtempSync(join(tmpdir(), 'chirp-bench-'));
  const proc = spawn(BIN, ['serve', '--addr', '127.0.0.1:0', '--database-url', `sqlite://${join(dir, 'c.db')}`, '--rate-limits', 'off'],
    { env: { ...process.env, RUST_LOG: 'warn,chirp=info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise((resolve, reject) => {
    const onData = (c) => { out += c; const m = out.match(/listening on (http:\/\/[0-9.:]+)/); if (m) resolve(m[1]); };
    proc.stdout.on('data', onData); proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`chirp exited ${code}: ${out}`)));
  });
  proc.removeAllListeners('exit');
  return { url, proc, dir };
}

async function json(url, path, body, token) {
  const res = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return res.json();
}

/** N clients of one kind; `onTweet(id)` is called for each tweet a client hears. */
async function open(kind, url, n, onTweet) {
  const closers = [];
  const host = new URL(url);
  for (let i = 0; i < n; i++) {
    await new Promise((resolve, reject) => {
      if (kind === 'sse') {
        const req = http.get({ host: host.hostname, port: host.port, path: '/api/v1/streaming/public', agent: false }, (res) => {
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            buffer += chunk;
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end); buffer = buffer.slice(end + 2);
              if (block.includes('event: update')) onTweet(JSON.parse(block.split('\ndata: ')[1]).id);
            }
          });
          resolve();
        });
        req.on('error', reject);
        closers.push(() => req.destroy());
      } else if (kind === 'ws') {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/streaming?stream=public`);
        ws.on('message', (m) => { const e = JSON.parse(m); if (e.event === 'update') onTweet(JSON.parse(e.payload).id); });
        ws.on('open', resolve); ws.on('error', reject);
        closers.push(() => ws.terminate());
      } else {
        const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
        socket.on('newTweet', (_, tweet) => onTweet(String(tweet.id)));
        socket.on('connect', resolve); socket.on('connect_error', reject);
        closers.push(() => socket.close());
      }
    });
  }
  return () => closers.forEach((close) => close());
}

for (const kind of (args.kinds || 'sse,ws,socketio').split(',')) {
  const server = await start();
  const pid = server.proc.pid;
  try {
    await json(server.url, '/api/users', { username: 'poster', password: 'correct horse battery' });
    const { token } = await json(server.url, '/api/sessions', { username: 'poster', password: 'correct horse battery' });
    // Warm the server up (its allocator, the first page) with one tweet before measuring.
    await json(server.url, '/api/tweets', { text: 'warm-up' }, token);
    await sleep(500);
    const heard = new Map();
    let waiting = null;
    const onTweet = (id) => {
      const count = (heard.get(id) || 0) + 1;
      heard.set(id, count);
      if (waiting && waiting.id === id && count === CLIENTS) waiting.resolve();
    };
    const before = stat(pid);
    const close = await open(kind, server.url, CLIENTS, onTweet);
    await sleep(1000);
    const connected = stat(pid);
    const started = Date.now();
    for (let t = 0; t < TWEETS; t++) {
      const done = new Promise((resolve) => { waiting = { resolve, id: null }; });
      const tweet = await json(server.url, '/api/tweets', { text: `bench ${kind} ${t}` }, token);
      waiting.id = String(tweet.id);
      if ((heard.get(waiting.id) || 0) === CLIENTS) waiting.resolve();
      await Promise.race([done, sleep(10_000).then(() => { throw new Error(`${kind}: tweet ${t} reached ${heard.get(waiting.id) || 0} of ${CLIENTS}`); })]);
    }
    const after = stat(pid);
    const deliveries = CLIENTS * TWEETS;
    console.log(JSON.stringify({
      kind,
      clients: CLIENTS,
      tweets: TWEETS,
      kib_per_stream: Math.round(((connected.rss - before.rss) / CLIENTS / 1024) * 10) / 10,
      server_cpu_us_per_delivery: Math.round(((after.cpu - connected.cpu) * 1e6 / deliveries) * 10) / 10,
      seconds: (Date.now() - started) / 1000,
    }));
    close();
  } finally {
    server.proc.kill('SIGTERM');
    rmSync(server.dir, { recursive: true, force: true });
  }
}
