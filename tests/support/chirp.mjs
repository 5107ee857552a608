// Starts a real `chirp serve` process for the JavaScript test suites (realtime, browser).
//
// Each call gets its own port (the server binds 127.0.0.1:0 and logs the address it got) and,
// unless a database URL is given, its own fresh SQLite file in a temporary directory.
// The binary is $CHIRP_BIN, or target/debug/chirp (the test command builds it first).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const chirpBin = process.env.CHIRP_BIN || join(root, 'target', 'debug', 'chirp');

/**
 * Start a server. `args` are extra `chirp serve` flags, `env` extra environment.
 * Resolves to { url, port, databaseUrl, proc, logs(), stop() } once the server logs where
 * it listens (`databaseUrl` is for `chirp admin …` against the same database).
 */
export async function startChirp({ args = [], env = {}, databaseUrl } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'chirp-test-'));
  const db = databaseUrl || `sqlite://${join(dir, 'chirp.db')}`;
  const proc = spawn(chirpBin, ['serve', '--addr', '127.0.0.1:0', '--database-url', db, ...args], {
    // Rate limits off (the suites sign up and post far faster than a person), unless the
    // test's own `env` or `args` switch them on.
    // Image files beside the database, removed with it.
    env: {
      RUST_LOG: 'info', ...process.env, NO_COLOR: '1', CHIRP_RATE_LIMITS: 'off',
      CHIRP_MEDIA_URL: `file://${join(dir, 'media')}`, ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chirp did not start in 30 s:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      const m = output.match(/listening on (http:\/\/[0-9.:]+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`chirp exited with ${code}:\n${output}`)); });
  });
  proc.removeAllListeners('exit');
  if (process.env.TEST_LOG) { proc.stdout.pipe(process.stderr); proc.stderr.pipe(process.stderr); }
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    databaseUrl: db,
    proc,
    logs: () => output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Small JSON API client for tests: `api(url).post('/api/users', body, token)`. */
export function api(base) {
  const call = async (method, path, body, token) => {
    const headers = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, json, text, headers: res.headers };
  };
  return {
    get: (p, t) => call('GET', p, undefined, t),
    post: (p, b, t) => call('POST', p, b, t),
    put: (p, t) => call('PUT', p, undefined, t),
    del: (p, t) => call('DELETE', p, undefined, t),
    /** Create a user and sign in; resolves to { user, token }. */
    async signUp(username, password = 'correct horse battery') {
      const created = await call('POST', '/api/users', { username, password });
      if (created.status !== 201) throw new Error(`sign-up ${username}: ${created.status} ${created.text}`);
      const session = await call('POST', '/api/sessions', { username, password });
      if (session.status !== 200) throw new Error(`sign-in ${username}: ${session.status} ${session.text}`);
      return session.json;
    },
  };
}
