// Shared pieces of the cluster tests: real processes only. Each test gets its own PostgreSQL
// database (created with psql, dropped after), its own redis-server on a free port (never the
// shared 6379 instance: pub/sub channels are global to a Redis server, so two clusters on one
// Redis would hear each other), and, when it stops PostgreSQL, its own PostgreSQL cluster.
// Everything a test starts is registered with `resources(t)` and torn down in `t.after`,
// newest first, even when the test failed.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { api, startChirp } from '../support/chirp.mjs';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Admin connection for throwaway databases (same variable as the Rust API suite). */
export const postgresAdminUrl = process.env.CHIRP_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** Resolves after `ms`: only for short windows in which a test asserts that nothing arrives. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A free TCP port on 127.0.0.1: bind port 0, read the port the kernel chose, release it. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `probe()` until it returns a truthy value (which is returned), at most `ms`.
 * A probe that throws counts as "not yet"; the last error or value is in the timeout message.
 */
export async function eventually(what, probe, { ms = 15_000, every = 100 } = {}) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(every);
  }
}

/** GET /healthz: `{status, text}`, or `{status: 0}` when nothing answers. */
export async function health(url) {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
    return { status: res.status, text: await res.text() };
  } catch (err) {
    return { status: 0, text: String(err) };
  }
}

/** Things to stop after a test, newest first. `resources(t)` registers the teardown. */
export function resources(t) {
  const stack = [];
  t.after(async () => {
    const errors = [];
    while (stack.length) {
      const { what, stop } = stack.pop();
      try {
        await stop();
      } catch (err) {
        errors.push(`${what}: ${err.message}`);
      }
    }
    if (errors.length) throw new Error(`cleanup failed:\n${errors.join('\n')}`);
  });
  return {
    /** Registers `stop` and returns `value`. */
    add(what, value, stop) {
      stack.push({ what, stop });
      return value;
    },
  };
}

async function psql(url, sql) {
  const { stdout } = await run('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  return stdout.trim();
}

/** `url` with its database name replaced. */
function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

let databases = 0;
/** A fresh PostgreSQL database on the server of `adminUrl`, dropped after the test. */
export async function createDatabase(res, adminUrl = postgresAdminUrl) {
  databases += 1;
  const name = `chirp_cluster_${process.pid}_${databases}_${Date.now().toString(36)}`;
  await psql(adminUrl, `CREATE DATABASE ${name}`);
  const url = withDatabase(adminUrl, name);
  return res.add(`database ${name}`, url, () => psql(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** Waits for `proc` to exit (resolves at once if it already has). */
function exited(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => proc.once('exit', resolve));
}

/** Sends `signal`, and SIGKILL if the process is still there after `graceMs`. */
async function terminate(proc, signal = 'SIGTERM', graceMs = 10_000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const done = exited(proc);
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

/**
 * A private redis-server on a free port, nothing kept on disk. `stop()` and `start()` take
 * it down and bring it back on the same port, as a Redis restart would.
 */
export async function startRedis(res) {
  const port = await freePort();
  let proc = null;
  let output = '';
  const redis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    logs: () => output,
    async start() {
      assert.equal(proc, null, 'redis-server is already running');
      proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const started = proc;
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`redis-server did not start in 10 s:\n${output}`)), 10_000);
        const onData = (chunk) => {
          output += chunk;
          if (output.includes('Ready to accept connections')) { clearTimeout(timer); resolve(); }
        };
        started.stdout.on('data', onData);
        started.stderr.on('data', onData);
        started.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited with ${code}:\n${output}`)); });
      });
      started.removeAllListeners('exit');
    },
    /** Stops it (SIGTERM: Redis closes every client connection and exits). */
    async stop() {
      if (!proc) return;
      const stopping = proc;
      proc = null;
      await terminate(stopping);
    },
  };
  await redis.start();
  return res.add(`redis-server :${port}`, redis, () => redis.stop());
}

/** The newest PostgreSQL server binaries installed (Debian: /usr/lib/postgresql/N/bin). */
function postgresBin() {
  if (process.env.CHIRP_TEST_PG_BIN) return process.env.CHIRP_TEST_PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : [];
  assert.ok(versions.length, `no PostgreSQL server binaries under ${base} (set CHIRP_TEST_PG_BIN)`);
  versions.sort((a, b) => Number(b) - Number(a));
  return join(base, versions[0], 'bin');
}

/**
 * A private PostgreSQL cluster in a temporary directory on a free port, trust auth, with a
 * database `chirp`. PostgreSQL refuses to run as root, so as root it runs as the `postgres`
 * OS user. `stop()` (fast shutdown) and `start()` restart it on the same port and data.
 */
export async function startPostgres(res) {
  const bin = postgresBin();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'chirp-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout);
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout);
    chownSync(dir, uid, gid);
  }
  const pg = (tool, args) => (asRoot
    ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args])
    : run(join(bin, tool), args));
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  const cluster = {
    port,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    url: `postgres://postgres@127.0.0.1:${port}/chirp`,
    logs: () => { try { return readFileSync(join(dir, 'server.log'), 'utf8'); } catch { return ''; } },
    async start() {
      await pg('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
    },
    /** Fast shutdown: open connections are terminated, as when PostgreSQL restarts. */
    async stop(mode = 'fast') {
      await pg('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    },
  };
  res.add(`postgres cluster ${dir}`, cluster, async () => {
    // Whatever state the test left it in (pg_ctl says so when nothing is running).
    if (existsSync(join(data, 'postmaster.pid'))) await cluster.stop('immediate').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });
  await pg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  await cluster.start();
  await psql(cluster.adminUrl, 'CREATE DATABASE chirp');
  return cluster;
}

/**
 * Starts `chirp serve` on `databaseUrl` (with `--redis-url` when given, and `args`). Stopped after the
 * test (SIGTERM, SIGKILL after a short grace). `node.kill9()` kills it the hard way.
 */
export async function startNode(res, { databaseUrl, redisUrl, label = 'node', args: extra = [] }) {
  const args = [...(redisUrl ? ['--redis-url', redisUrl] : []), ...extra];
  const node = await startChirp({ args, databaseUrl });
  node.label = label;
  node.kill9 = async () => {
    node.proc.kill('SIGKILL');
    // `stop()` (called in the same tick, before the exit is reported) waits for that exit
    // and removes the node's temporary directory; its SIGTERM reaches a dying process.
    await node.stop();
  };
  return res.add(`chirp ${label} ${node.url}`, node, async () => {
    if (process.env.TEST_LOG) process.stderr.write(`--- ${label} logs ---\n${node.logs()}\n`);
    // Already gone (killed by the test): `stop()` would wait for an exit already reported.
    if (node.proc.exitCode !== null || node.proc.signalCode !== null) return;
    // SIGTERM, then SIGKILL after a short grace: these tests are not about shutting down,
    // and a graceful stop can wait its whole --shutdown-timeout for the pending long-poll of
    // a client whose close packet arrived after the listener stopped accepting.
    const timer = setTimeout(() => node.proc.kill('SIGKILL'), STOP_GRACE_MS);
    await node.stop();
    clearTimeout(timer);
  });
}

/** How long a node may take to stop gracefully after a test before it is killed. */
const STOP_GRACE_MS = 2000;

/**
 * Starts `n` nodes on one database and one Redis, labelled A, B, C… All at once, as a
 * deployment would: each applies the migrations at start, and they must not trip over
 * each other on a fresh database.
 */
export async function startNodes(res, n, { databaseUrl, redisUrl, args }) {
  const labels = Array.from({ length: n }, (_, i) => String.fromCharCode(65 + i));
  const started = await Promise.allSettled(labels.map((label) => startNode(res, { databaseUrl, redisUrl, label, args })));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  return started.map((s) => s.value);
}

/**
 * The usual cluster for a test: a private Redis, a database, and `nodes` nodes on both,
 * started together (labelled A, B, C…). The database is a fresh one on the shared PostgreSQL,
 * or with `postgres: 'private'` the `chirp` database of a PostgreSQL cluster of the test's
 * own (`pg`), which the test may stop and start; `args` go to every node. Returns `{ res, databaseUrl, pg, redis,
 * nodes, apis }`: `res` to register whatever else the test starts (torn down first), `apis`
 * an API client per node.
 */
export async function startCluster(t, { nodes: count = 2, postgres = 'shared', args = [] } = {}) {
  const res = resources(t);
  let pg = null;
  let databaseUrl;
  if (postgres === 'private') {
    pg = await startPostgres(res);
    databaseUrl = pg.url;
  } else {
    assert.equal(postgres, 'shared', `postgres: 'shared' or 'private', not ${postgres}`);
    databaseUrl = await createDatabase(res);
  }
  const redis = await startRedis(res);
  const nodes = await startNodes(res, count, { databaseUrl, redisUrl: redis.url, args });
  return { res, databaseUrl, pg, redis, nodes, apis: nodes.map((node) => api(node.url)) };
}

/** Closes socket clients after the test (before the servers stop, since cleanup is LIFO). */
export function closeAfter(res, clients) {
  res.add('sockets', clients, () => { for (const c of clients) c.close(); });
  return clients;
}

/** The nginx site config shipped in deploy/. */
export const nginxSiteConfig = join(root, 'deploy', 'nginx', 'chirp.conf');

/**
 * nginx in front of `upstreams` (base URLs), using deploy/nginx/chirp.conf with only the
 * listen address and the upstream servers replaced (and `ip_hash` removed if `ipHash` is
 * false). Runs in the foreground with every path in a temporary directory.
 */
export async function startNginx(res, upstreams, { ipHash = true } = {}) {
  const nginx = process.env.CHIRP_TEST_NGINX || (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');
  const port = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'chirp-nginx-'));
  chmodSync(prefix, 0o755); // nginx workers run as an unprivileged user and need to get in
  const site = sitesFor(readFileSync(nginxSiteConfig, 'utf8'), upstreams, port, ipHash);
  writeFileSync(join(prefix, 'chirp.conf'), site);
  writeFileSync(join(prefix, 'nginx.conf'), `
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log info;
events { worker_connections 1024; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  include ${prefix}/chirp.conf;
}
`);
  await run(nginx, ['-t', '-q', '-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')]);
  const proc = spawn(nginx, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const front = {
    url,
    port,
    config: site,
    logs: () => { try { return readFileSync(join(prefix, 'error.log'), 'utf8'); } catch { return ''; } },
    accessLog: () => { try { return readFileSync(join(prefix, 'access.log'), 'utf8'); } catch { return ''; } },
  };
  res.add(`nginx ${url}`, front, async () => {
    await terminate(proc);
    rmSync(prefix, { recursive: true, force: true });
  });
  await eventually(`nginx to answer on ${url}`, async () => {
    if (proc.exitCode !== null) throw new Error(`nginx exited with ${proc.exitCode}:\n${front.logs()}`);
    return (await health(url)).status === 200;
  }, { ms: 10_000 });
  return front;
}

/** The shipped site config with this test's listen port and upstream servers. */
function sitesFor(config, upstreams, port, ipHash) {
  const servers = upstreams.map((u) => `    server ${new URL(u).host};`).join('\n');
  let out = config.replace(/^(\s*upstream\s+chirp\s*\{)[^}]*\}/m, (block, head) => {
    const body = block.slice(head.length, -1)
      .split('\n')
      .filter((line) => !/^\s*server\s/.test(line) && (ipHash || !/^\s*ip_hash\s*;/.test(line)))
      .join('\n');
    return `${head}\n${servers}${body}}`;
  });
  assert.notEqual(out, config, `no "upstream chirp { … }" block in ${nginxSiteConfig}`);
  out = out.replace(/^\s*listen\s+\[::\][^;]*;\s*$/gm, '');
  const listens = out.match(/^\s*listen\s+[^;]*;/gm) || [];
  assert.equal(listens.length, 1, `expected one IPv4 listen directive in ${nginxSiteConfig}`);
  return out.replace(/^(\s*)listen\s+[^;]*;/m, `$1listen 127.0.0.1:${port};`);
}

/** Every tweet id the API lists, newest first (pages of 100 with `before=`). */
export async function allTweetIds(http) {
  const ids = [];
  let path = '/api/tweets?limit=100';
  for (;;) {
    const res = await http.get(path);
    assert.equal(res.status, 200, `GET ${path}: ${res.status} ${res.text}`);
    const { tweets } = res.json;
    ids.push(...tweets.map((t) => t.id));
    if (tweets.length < 100) return ids;
    path = `/api/tweets?limit=100&before=${tweets[tweets.length - 1].id}`;
  }
}

/** Ids of the `newTweet` events a client received, in arrival order. */
export const newTweetIds = (client) => client.received('newTweet').map(([, t]) => t.id);

/** Asserts each id appears exactly once in `received` and nothing else does. */
export function assertExactlyOnce(received, expected, who) {
  const sorted = (xs) => [...xs].sort((a, b) => a - b);
  assert.deepEqual(sorted(received), sorted(expected), `${who}: expected each of ${JSON.stringify(sorted(expected))} exactly once, got ${JSON.stringify(received)}`);
}
