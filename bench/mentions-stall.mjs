#!/usr/bin/env node
// Mentions stall: how long an ordinary post takes while other accounts post tweets naming 56
// people each (issue 18, defect 2). Before the notifier, every post waited in the writer
// behind those tweets' notifications.
//
//   node bench/mentions-stall.mjs [--db sqlite|postgres|both] [--seconds 20] [--spammers 19]
//                                 [--bin PATH] [-- extra chirp serve flags]
//
// Starts `chirp serve` (CHIRP_BIN, or --bin; default target/release/chirp, else
// target/debug/chirp) on a fresh SQLite file or a fresh PostgreSQL database beside
// $CHIRP_TEST_POSTGRES_URL (dropped after), with `--rate-limits off` so that the set-up can sign
// up 80 accounts; the spammers pace themselves at the default post limit (30 a minute each).
// Four writers post plain tweets one after another, first for a few seconds alone (quiet), then
// while the spammers post; it prints p50 / p99 / max of those posts' answer times for both
// phases. Traffic goes to 127.0.0.1 only.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const argv = process.argv.slice(2);
const extra = argv.includes('--') ? argv.slice(argv.indexOf('--') + 1) : [];
const opt = (name, fallback) => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 && (extra.length === 0 || at < argv.indexOf('--')) ? argv[at + 1] : fallback;
};
const dbs = { both: ['sqlite', 'postgres'] }[opt('db', 'both')] ?? [opt('db')];
const seconds = Number(opt('seconds', 20));
const spammers = Number(opt('spammers', 19));
const root = new URL('..', import.meta.url).pathname;
const bin = opt('bin', process.env.CHIRP_BIN
  || [join(root, 'target/release/chirp'), join(root, 'target/debug/chirp')].find(existsSync));
const adminUrl = process.env.CHIRP_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';
const QUIET_SECONDS = 5;
const WRITERS = 4;
const PASSWORD = 'correct horse battery';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summary(times) {
  const sorted = [...times].sort((x, y) => x - y);
  const f = (ms) => `${ms.toFixed(1)} ms`;
  return `n=${sorted.length} p50=${f(percentile(sorted, 50))} p99=${f(percentile(sorted, 99))} max=${f(sorted.at(-1) ?? NaN)}`;
}

async function start(databaseUrl) {
  const proc = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--database-url', databaseUrl,
    '--rate-limits', 'off', ...extra], {
    env: { ...process.env, RUST_LOG: 'warn,chirp=info', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      const m = output.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m) resolve(m[1]);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`chirp exited with ${code}:\n${output}`)));
  });
  proc.removeAllListeners('exit');
  return { url, stop: () => new Promise((resolve) => { proc.once('exit', resolve); proc.kill('SIGTERM'); }) };
}

async function call(base, method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function account(base, username) {
  const made = await call(base, 'POST', '/api/users', { username, password: PASSWORD });
  if (made.status !== 201) throw new Error(`sign-up ${username}: ${made.status}`);
  return (await call(base, 'POST', '/api/sessions', { username, password: PASSWORD })).json.token;
}

/** Post plain tweets one after another until `until()`; answer times in ms. */
async function writer(base, token, until) {
  const times = [];
  for (let i = 0; !until(); i += 1) {
    const t0 = performance.now();
    const res = await call(base, 'POST', '/api/tweets', { text: `plain ${i}` }, token);
    if (res.status !== 201) throw new Error(`plain post: ${res.status}`);
    times.push(performance.now() - t0);
    await sleep(50);
  }
  return times;
}

async function run(db) {
  let databaseUrl;
  let cleanup = () => {};
  if (db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'chirp-bench-'));
    databaseUrl = `sqlite://${join(dir, 'chirp.db')}`;
    cleanup = () => rmSync(dir, { recursive: true, force: true });
  } else {
    const name = `chirp_bench_mentions_${process.pid}`;
    execFileSync('psql', [adminUrl, '-qc', `CREATE DATABASE ${name}`]);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    cleanup = () => execFileSync('psql', [adminUrl, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
  }
  const server = await start(databaseUrl);
  try {
    const base = server.url;
    // 56 people to name: "@m00 … @m55" is 279 characters.
    const named = Array.from({ length: 56 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (const name of named) await account(base, name);
    const spam = named.map((n) => `@${n}`).join(' ');
    const spamTokens = [];
    for (let i = 0; i < spammers; i += 1) spamTokens.push(await account(base, `spam${i}`));
    const writerTokens = [];
    for (let i = 0; i < WRITERS; i += 1) writerTokens.push(await account(base, `plain${i}`));

    let end = performance.now() + QUIET_SECONDS * 1000;
    const quiet = (await Promise.all(writerTokens.map((t) => writer(base, t, () => performance.now() > end)))).flat();

    end = performance.now() + seconds * 1000;
    const spamTimes = [];
    const spammer = async (token, i) => {
      await sleep((i * 2000) / spammers); // spread over the 2 s period
      for (let n = 0; performance.now() < end; n += 1) {
        const next = performance.now() + 2000; // 30 a minute: the default post limit
        const t0 = performance.now();
        const res = await call(base, 'POST', '/api/tweets', { text: spam }, token);
        if (res.status !== 201) throw new Error(`spam post: ${res.status}`);
        spamTimes.push(performance.now() - t0);
        await sleep(Math.max(0, next - performance.now()));
      }
    };
    const [loud] = await Promise.all([
      Promise.all(writerTokens.map((t) => writer(base, t, () => performance.now() > end))).then((x) => x.flat()),
      ...spamTokens.map(spammer),
    ]);
    const label = `${db}${extra.length ? ` (${extra.join(' ')})` : ''}`;
    console.log(`${label}: plain posts alone:          ${summary(quiet)}`);
    console.log(`${label}: plain posts beside ${spammers} spammers: ${summary(loud)}`);
    console.log(`${label}: the 56-mention posts:       ${summary(spamTimes)}`);
  } finally {
    await server.stop();
    cleanup();
  }
}

console.log(`chirp: ${bin}; ${spammers} accounts posting 56-mention tweets at 30/min each, ${seconds} s`);
for (const db of dbs) await run(db);
