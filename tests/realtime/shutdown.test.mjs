// SIGTERM with sockets open: the server closes them so that clients reconnect (elsewhere, or
// to the restarted server), and exits 0 at once, whatever state its sessions are in.
// Each test stops its own server, so each starts one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startChirp } from '../support/chirp.mjs';
import { TRANSPORTS, connect, within } from './helpers.mjs';

/** Sends SIGTERM and resolves to { code, ms } once the process has exited. */
async function terminate(server) {
  const started = Date.now();
  const exited = new Promise((resolve) => server.proc.once('exit', (code, signal) => resolve({ code, signal })));
  server.proc.kill('SIGTERM');
  const { code, signal } = await within(15_000, 'chirp to exit after SIGTERM', exited);
  return { code, signal, ms: Date.now() - started };
}

test('SIGTERM closes open sockets in a way that lets clients reconnect, and exits 0 at once', async () => {
  const server = await startChirp();
  try {
    const clients = await Promise.all(TRANSPORTS.map((mode) => connect(server.url, mode, { label: mode.name })));
    const reasons = clients.map((c) => new Promise((resolve) => c.socket.once('disconnect', resolve)));
    const { code, signal, ms } = await terminate(server);
    assert.equal(code, 0, `exit code ${code} (signal ${signal})`);
    assert.ok(ms < 3000, `took ${ms} ms to exit`);
    for (const [i, reason] of (await within(3000, 'every client to see the disconnect', Promise.all(reasons))).entries()) {
      // "io server disconnect" would tell the client not to reconnect.
      assert.notEqual(reason, 'io server disconnect', `${clients[i].label}: ${reason}`);
    }
  } finally {
    await server.stop();
  }
});

test('SIGTERM exits at once even with a long-poll pending on a session whose connect was refused', async () => {
  const server = await startChirp();
  try {
    // A refused handshake leaves an Engine.IO session with no Socket.IO socket in it; its
    // client keeps a long-poll GET open until it notices (or the next ping).
    const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const { sid } = JSON.parse(open.slice(1));
    const post = await fetch(`${base}&sid=${sid}`, { method: 'POST', body: '40{"token":"not-a-real-token"}' });
    assert.equal(post.status, 200);
    let received = '';
    while (!received.includes('44{"message":"invalid token"}')) {
      received += await within(5000, `the connect error (got ${JSON.stringify(received)})`, fetch(`${base}&sid=${sid}`).then((r) => r.text()));
    }
    const pending = fetch(`${base}&sid=${sid}`).then((r) => r.text()).catch((e) => `error: ${e.message}`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the GET reach the server

    const { code, signal, ms } = await terminate(server);
    assert.equal(code, 0, `exit code ${code} (signal ${signal})`);
    assert.ok(ms < 3000, `took ${ms} ms to exit: the pending long-poll held the shutdown`);
    await pending;
  } finally {
    await server.stop();
  }
});
