// The edges of the Socket.IO endpoint: token checks on the handshake, the browser client
// served at /socket.io/socket.io.js, CORS for pages on other origins, connect/disconnect logs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { api, startChirp } from '../support/chirp.mjs';
import { TRANSPORTS, connect, username } from './helpers.mjs';

const vendor = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'vendor');
const FOREIGN = 'http://example.test';

let server;
let http;

before(async () => {
  server = await startChirp();
  http = api(server.url);
});

after(() => server?.stop());

for (const mode of TRANSPORTS) {
  describe(`handshake over ${mode.name}`, () => {
    test('an unknown token is refused with connect_error "invalid token"', async () => {
      await assert.rejects(
        connect(server.url, mode, { auth: { token: 'not-a-real-token' } }),
        (err) => { assert.equal(err.message, 'invalid token'); return true; },
      );
    });

    test('a signed-out token is refused with connect_error "invalid token"', async () => {
      const name = username('gone');
      const { token } = await http.signUp(name);
      const out = await http.del('/api/sessions', token);
      assert.equal(out.status, 204, out.text);
      await assert.rejects(
        connect(server.url, mode, { auth: { token } }),
        (err) => { assert.equal(err.message, 'invalid token'); return true; },
      );
    });
  });
}

test('web/vendor holds the socket.io-client dist files that package.json pins, as SHA256SUMS says', () => {
  const require = createRequire(import.meta.url);
  const pinned = JSON.parse(readFileSync(join(vendor, '..', '..', 'package.json'), 'utf8')).devDependencies['socket.io-client'];
  const installed = dirname(require.resolve('socket.io-client/package.json'));
  assert.equal(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version, pinned);
  const sums = readFileSync(join(vendor, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.split(/\s+\*?/));
  assert.deepEqual(sums.map(([, f]) => f).sort(), ['LICENSE', 'socket.io.js', 'socket.io.js.map', 'socket.io.min.js', 'socket.io.min.js.map']);
  for (const [sum, file] of sums) {
    const bytes = readFileSync(join(vendor, file));
    assert.equal(createHash('sha256').update(bytes).digest('hex'), sum, `web/vendor/${file} does not match SHA256SUMS`);
    const upstream = readFileSync(join(installed, file === 'LICENSE' ? file : join('dist', file)));
    assert.ok(bytes.equals(upstream), `web/vendor/${file} differs from socket.io-client@${pinned}; run scripts/vendor-socketio.sh`);
  }
});

for (const file of ['socket.io.js', 'socket.io.min.js']) {
  test(`GET /socket.io/${file} serves the vendored client, loadable from another origin`, async () => {
    const res = await fetch(`${server.url}/socket.io/${file}`, { headers: { origin: FOREIGN } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^(text|application)\/javascript\b/);
    const body = Buffer.from(await res.arrayBuffer());
    assert.ok(body.equals(readFileSync(join(vendor, file))), `the body is not web/vendor/${file}`);
    assert.match(body.subarray(0, 200).toString(), /Socket\.IO v4\./);
    const acao = res.headers.get('access-control-allow-origin');
    assert.ok(acao === '*' || acao === FOREIGN, `Access-Control-Allow-Origin: ${acao}`);
    const corp = res.headers.get('cross-origin-resource-policy');
    assert.ok(corp === null || corp === 'cross-origin', `Cross-Origin-Resource-Policy: ${corp} blocks other origins`);
  });
}

test('a polling handshake from another origin gets Access-Control-Allow-Origin', async () => {
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: FOREIGN } });
  assert.equal(res.status, 200);
  const acao = res.headers.get('access-control-allow-origin');
  assert.ok(acao === '*' || acao === FOREIGN, `Access-Control-Allow-Origin: ${acao}`);
  const body = await res.text();
  const open = JSON.parse(body.slice(1));
  assert.equal(body[0], '0');
  assert.ok(open.sid, body);
  assert.deepEqual(open.upgrades, ['websocket']);
});

test('a CORS preflight for a polling POST from another origin is granted', async () => {
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=x`, {
    method: 'OPTIONS',
    headers: { origin: FOREIGN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  await res.arrayBuffer();
  assert.ok(res.status >= 200 && res.status < 300, `status ${res.status}`);
  const acao = res.headers.get('access-control-allow-origin');
  assert.ok(acao === '*' || acao === FOREIGN, `Access-Control-Allow-Origin: ${acao}`);
  assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST|\*/);
});

for (const mode of TRANSPORTS.filter((m) => m.transports)) {
  test(`one log line on connect and one on disconnect, naming the socket and ${mode.name}`, async () => {
    const c = await connect(server.url, mode, { label: 'logged' });
    const id = c.socket.id;
    // Request logs may name the session id too (polling URLs carry it): keep the (dis)connect lines.
    const lines = () => server.logs().split('\n').filter((l) => l.includes(id) && /connect/i.test(l));
    const disconnects = () => lines().filter((l) => /disconnect/i.test(l));
    await waitFor(() => lines().length >= 1, `a connect log line with socket id ${id}`);
    assert.equal(disconnects().length, 0, lines().join('\n'));
    assert.match(lines()[0], new RegExp(mode.name), `the connect line names the transport: ${lines()[0]}`);
    c.close();
    await waitFor(() => disconnects().length >= 1, `a disconnect log line with socket id ${id}`);
    assert.equal(lines().length, 2, lines().join('\n'));
  });
}

/** Polls `cond` every 20 ms until it holds, at most 5 s (server logs have no events to await). */
function waitFor(cond, what) {
  const deadline = Date.now() + 5000;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out after 5000 ms waiting for ${what}:\n${server.logs()}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}
