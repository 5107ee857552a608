// Socket.IO connection state recovery with the official socket.io-client against a real
// `chirp serve`: a socket that asks (`auth: {recover: true}`) gets a pid and an offset after
// each event; when its connection is lost (a clean transport close, or the WebSocket killed
// without a close frame) and it reconnects with its pid and offset, it gets every newTweet,
// tweetDeleted and notification it missed, in order, once, keeps its watch, and sees
// `socket.recovered`. Also: no event before the loss, twice in a row, beyond the window,
// another user's pid, `--socket-recovery all|off`, and sockets that did not ask unchanged.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io } from 'socket.io-client';
import { api, startChirp } from '../support/chirp.mjs';
import { Client, TRANSPORTS, connect, newTweetArgs, postTweet, quiet, username, within } from './helpers.mjs';

const WS = TRANSPORTS.find((m) => m.name === 'websocket');
const POLLING = TRANSPORTS.find((m) => m.name === 'polling');
const OFFSET = /^[0-9a-f]{8}-[0-9]+-[0-9]+-[0-9]+$/;

let server;
let http;

before(async () => {
  server = await startChirp();
  http = api(server.url);
});

after(() => server?.stop());

/** A socket that reconnects only when told (`again`), so a test decides what it misses. */
async function recovering(url, mode, { auth = { recover: true }, label = 'recovering', reconnection = false } = {}) {
  const socket = io(url, {
    transports: mode.transports,
    auth,
    forceNew: true,
    reconnection,
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    timeout: 5000,
  });
  const client = new Client(socket, label);
  await within(8000, `${label} to connect`, new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  }));
  return client;
}

/** Loses the connection: `close` (a clean Engine.IO close) or `terminate` (the WebSocket's
 *  TCP connection destroyed, no close frame). Resolves once the client knows. */
async function lose(client, how) {
  const { socket } = client;
  const gone = new Promise((resolve) => socket.once('disconnect', resolve));
  if (how === 'terminate') {
    const ws = socket.io.engine.transport.ws;
    assert.ok(ws?.terminate, 'a ws WebSocket');
    ws.terminate();
  } else {
    socket.io.engine.close();
  }
  await within(5000, `${client.label} to notice the loss`, gone);
  assert.equal(socket.connected, false);
}

/** Reconnects (the client sends its pid and last offset) and resolves once connected. */
async function again(client) {
  const { socket } = client;
  const back = new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  socket.connect();
  await within(8000, `${client.label} to reconnect`, back);
}

function watch(client, timeline) {
  return client.socket.timeout(5000).emitWithAck('watch', timeline);
}

/** `newTweet` arguments with the offset a recovering socket gets. */
function stripOffsets(list) {
  return list.map((args) => {
    assert.match(args.at(-1), OFFSET, `offset last in ${JSON.stringify(args)}`);
    return args.slice(0, -1);
  });
}

async function people(...prefixes) {
  return Promise.all(prefixes.map((p) => http.signUp(username(p))));
}

for (const mode of [WS, POLLING]) {
  for (const how of mode === WS ? ['close', 'terminate'] : ['close']) {
    test(`${mode.name}, ${how}: missed tweets, a deletion and a notification come back in order, once`, async (t) => {
      const [ann, ben] = await people('ann', 'ben');
      const c = await recovering(server.url, mode, { auth: { recover: true, token: ann.token }, label: `ann ${mode.name}` });
      t.after(() => c.close());
      assert.ok(c.socket._pid, 'the CONNECT answer carries a pid');
      const pid = c.socket._pid;

      const first = await postTweet(http, ben.token, 'before the loss');
      const [got] = await c.count('newTweet', 1);
      assert.deepEqual(got.slice(0, -1), newTweetArgs(first));
      assert.match(got.at(-1), OFFSET, 'an offset, a string, last');

      await lose(c, how);
      const t1 = await postTweet(http, ben.token, 'while away 1');
      const t2 = await postTweet(http, ben.token, 'while away 2');
      assert.equal((await http.del(`/api/tweets/${first.id}`, ben.token)).status, 204);
      assert.equal((await http.put(`/api/users/${ann.user.username}/follow`, ben.token)).status, 200);
      await again(c);
      assert.equal(c.socket.recovered, true, 'recovered');
      assert.equal(c.socket._pid, pid, 'the same pid');

      await c.until(() => c.received('notification').length >= 1, 'the missed notification');
      await quiet();
      const missed = c.events.slice(1).map(({ event, args }) => [event, ...args.slice(0, -1)]);
      assert.deepEqual(missed.map((e) => e[0]), ['newTweet', 'newTweet', 'tweetDeleted', 'notification']);
      assert.deepEqual(missed[0].slice(1), newTweetArgs(t1));
      assert.deepEqual(missed[1].slice(1), newTweetArgs(t2));
      assert.deepEqual(missed[2].slice(1), [{ id: first.id }]);
      assert.equal(missed[3][1].kind, 'follow');
      assert.equal(missed[3][1].actor.username, ben.user.username);

      // Live again, after the replay.
      const t3 = await postTweet(http, ben.token, 'after');
      const all = await c.count('newTweet', 4);
      assert.deepEqual(all[3].slice(0, -1), newTweetArgs(t3));
    });
  }
}

test('a reconnect before any event arrived recovers too (no offset yet)', async (t) => {
  const [ann] = await people('ann');
  const c = await recovering(server.url, WS, { label: 'no events yet' });
  t.after(() => c.close());
  await lose(c, 'terminate');
  assert.equal(c.socket._lastOffset, undefined);
  const missed = await postTweet(http, ann.token, 'you were away');
  await again(c);
  assert.equal(c.socket.recovered, true);
  const got = await c.count('newTweet', 1);
  await quiet();
  assert.deepEqual(stripOffsets(c.received('newTweet')), [newTweetArgs(missed)]);
  assert.equal(got.length, 1);
});

test('a second recovery in a row replays only what was missed the second time', async (t) => {
  const [ann] = await people('ann');
  const c = await recovering(server.url, WS, { label: 'twice' });
  t.after(() => c.close());
  await lose(c, 'close');
  const a = await postTweet(http, ann.token, 'first gap');
  await again(c);
  assert.equal(c.socket.recovered, true);
  await c.count('newTweet', 1);
  await lose(c, 'terminate');
  const b = await postTweet(http, ann.token, 'second gap');
  await again(c);
  assert.equal(c.socket.recovered, true, 'recovered the second time');
  await c.count('newTweet', 2);
  // And a third time with nothing missed.
  await lose(c, 'close');
  await again(c);
  assert.equal(c.socket.recovered, true, 'recovered the third time');
  await quiet();
  assert.deepEqual(stripOffsets(c.received('newTweet')), [newTweetArgs(a), newTweetArgs(b)]);
});

test('the watch is kept: only the watched timeline is replayed and heard after', async (t) => {
  const [ann, ben, cat] = await people('ann', 'ben', 'cat');
  const c = await recovering(server.url, WS, { auth: { recover: true, token: ann.token }, label: 'watching ben' });
  t.after(() => c.close());
  assert.deepEqual(await watch(c, `user:${ben.user.username}`), { ok: true });
  await lose(c, 'terminate');
  await postTweet(http, cat.token, 'not watched');
  const b1 = await postTweet(http, ben.token, 'watched');
  await again(c);
  assert.equal(c.socket.recovered, true);
  await postTweet(http, cat.token, 'not watched either');
  const b2 = await postTweet(http, ben.token, 'watched too');
  await c.count('newTweet', 2);
  await quiet();
  assert.deepEqual(stripOffsets(c.received('newTweet')), [newTweetArgs(b1), newTweetArgs(b2)]);
});

test('the client reconnecting by itself after a killed WebSocket recovers', async (t) => {
  const [ann] = await people('ann');
  const c = await recovering(server.url, WS, { label: 'auto', reconnection: true });
  t.after(() => c.close());
  const reconnected = new Promise((resolve) => c.socket.once('connect', resolve));
  c.socket.io.engine.transport.ws.terminate();
  const posted = [];
  for (let i = 0; i < 3; i += 1) posted.push(await postTweet(http, ann.token, `during ${i}`));
  await within(8000, 'the automatic reconnect', reconnected);
  assert.equal(c.socket.recovered, true);
  await c.count('newTweet', 3);
  await quiet();
  assert.deepEqual(stripOffsets(c.received('newTweet')), posted.map(newTweetArgs));
});

test("another user's pid recovers nothing, and replays none of their notifications", async (t) => {
  const [ann, ben, cat] = await people('ann', 'ben', 'cat');
  const a = await recovering(server.url, WS, { auth: { recover: true, token: ann.token }, label: 'ann' });
  await a.count('newTweet', 0);
  const pid = a.socket._pid;
  await lose(a, 'close');
  assert.equal((await http.put(`/api/users/${ann.user.username}/follow`, cat.token)).status, 200);
  // Ben presents Ann's pid with his own token.
  const socket = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { recover: true, token: ben.token, pid } });
  const b = new Client(socket, 'ben with ann\'s pid');
  t.after(() => b.close());
  await within(8000, 'ben to connect', new Promise((resolve) => socket.once('connect', resolve)));
  assert.notEqual(socket._pid, pid, 'a new pid');
  assert.equal(socket.recovered, false);
  await quiet();
  assert.deepEqual(b.received('notification'), []);
  // Ann herself still can.
  await again(a);
  assert.equal(a.socket.recovered, true);
  const [n] = await a.count('notification', 1);
  assert.equal(n[0].actor.username, cat.user.username);
  a.close();
});

test('a socket that said goodbye (socket.disconnect()) is not recovered', async (t) => {
  const [ann] = await people('ann');
  const c = await recovering(server.url, WS, { label: 'goodbye' });
  t.after(() => c.close());
  const pid = c.socket._pid;
  c.socket.disconnect();
  await postTweet(http, ann.token, 'after the goodbye');
  await again(c);
  assert.equal(c.socket.recovered, false);
  assert.notEqual(c.socket._pid, pid);
  await quiet();
  assert.deepEqual(c.received('newTweet'), []);
});

test('an unknown pid or a foreign offset connects normally', async (t) => {
  const socket = io(server.url, {
    transports: ['websocket'], forceNew: true, reconnection: false,
    auth: { recover: true, pid: 'AAAAAAAAAAAAAAAAAAAA', offset: 'deadbeef-1' },
  });
  t.after(() => socket.disconnect());
  await within(8000, 'connect', new Promise((resolve) => socket.once('connect', resolve)));
  assert.equal(socket.recovered, false);
  assert.ok(socket._pid && socket._pid !== 'AAAAAAAAAAAAAAAAAAAA');
});

test('sockets that did not ask are unchanged beside recovering ones', async (t) => {
  const [ann] = await people('ann');
  const plain = await connect(server.url, WS, { label: 'plain' });
  t.after(() => plain.close());
  const polling = await connect(server.url, POLLING, { label: 'plain polling' });
  t.after(() => polling.close());
  const r = await recovering(server.url, WS, { label: 'recovering' });
  t.after(() => r.close());
  assert.equal(plain.socket._pid, undefined, 'no pid for a socket that did not ask');
  // A handler with a fixed number of parameters sees exactly them.
  const arities = [];
  plain.socket.on('newTweet', (...args) => arities.push(args.length));
  const tw = await postTweet(http, ann.token, 'hello all');
  await plain.count('newTweet', 1);
  await polling.count('newTweet', 1);
  await r.count('newTweet', 1);
  assert.deepEqual(plain.received('newTweet'), [newTweetArgs(tw)]);
  assert.deepEqual(polling.received('newTweet'), [newTweetArgs(tw)]);
  assert.deepEqual(arities, [2]);
  assert.deepEqual(stripOffsets(r.received('newTweet')), [newTweetArgs(tw)]);
});

describe('modes and the window', () => {
  test('--socket-recovery all: every socket gets a pid and offsets', async (t) => {
    const s = await startChirp({ args: ['--socket-recovery', 'all'] });
    t.after(() => s.stop());
    const h = api(s.url);
    const ann = await h.signUp('ann_all');
    const c = await recovering(s.url, WS, { auth: {}, label: 'all' });
    t.after(() => c.close());
    assert.ok(c.socket._pid);
    const tw = await postTweet(h, ann.token, 'x');
    await c.count('newTweet', 1);
    assert.deepEqual(stripOffsets(c.received('newTweet')), [newTweetArgs(tw)]);
  });

  test('--socket-recovery off: nobody gets a pid, events are plain', async (t) => {
    const s = await startChirp({ env: { CHIRP_SOCKET_RECOVERY: 'off' } });
    t.after(() => s.stop());
    const h = api(s.url);
    const ann = await h.signUp('ann_off');
    const c = await recovering(s.url, WS, { label: 'off' });
    t.after(() => c.close());
    assert.equal(c.socket._pid, undefined);
    const tw = await postTweet(h, ann.token, 'x');
    await c.count('newTweet', 1);
    assert.deepEqual(c.received('newTweet'), [newTweetArgs(tw)]);
  });

  test('beyond the window: a normal connect, nothing replayed', async (t) => {
    const s = await startChirp({ args: ['--socket-recovery-window-ms', '200'] });
    t.after(() => s.stop());
    const h = api(s.url);
    const ann = await h.signUp('ann_window');
    const c = await recovering(s.url, WS, { label: 'too late' });
    t.after(() => c.close());
    await lose(c, 'close');
    await postTweet(h, ann.token, 'missed for good');
    await quiet(600);
    await again(c);
    assert.equal(c.socket.recovered, false);
    await quiet();
    assert.deepEqual(c.received('newTweet'), []);
  });
});
