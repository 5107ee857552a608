// Connection state recovery across nodes: two `chirp serve` nodes on one PostgreSQL and one
// Redis. A socket on node A loses its connection (its WebSocket killed without a close
// frame) and the official client reconnects to node B with its pid and last offset: it is
// recovered there (`socket.recovered`), keeps its watch, and gets the tweets of its timeline,
// the deletion and its notification that it missed, from the store, once each; and also
// with no event before the loss. Another user's pid recovers nothing on B.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { io } from 'socket.io-client';

import { Client, newTweetArgs, postTweet, quiet, within } from '../realtime/helpers.mjs';
import { closeAfter, startCluster } from './helpers.mjs';

/** A recovering socket on `url` that reconnects only when told. */
async function recovering(url, auth, label) {
  const socket = io(url, { transports: ['websocket'], auth: { recover: true, ...auth }, forceNew: true, reconnection: false, timeout: 5000 });
  const client = new Client(socket, label);
  await within(8000, `${label} to connect`, new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  }));
  return client;
}

/** Kill the WebSocket (no close frame), as a network failure would. */
async function kill(client) {
  const gone = new Promise((resolve) => client.socket.once('disconnect', resolve));
  client.socket.io.engine.transport.ws.terminate();
  await within(5000, 'the loss', gone);
}

/** Reconnect to another node: the official client sends its pid and last offset. */
async function landOn(client, url) {
  client.socket.io.uri = url;
  const back = new Promise((resolve, reject) => {
    client.socket.once('connect', resolve);
    client.socket.once('connect_error', reject);
  });
  client.socket.connect();
  await within(8000, `${client.label} to reconnect`, back);
}

const stripOffsets = (list) => list.map((args) => args.slice(0, -1));

test('a socket lost on node A is recovered on node B with what it missed, once', async (t) => {
  const { res, nodes: [nodeA, nodeB], apis: [a, b] } = await startCluster(t, { nodes: 2 });
  const ann = await a.signUp('ann');
  const ben = await a.signUp('ben');
  const cat = await b.signUp('cat');

  const c = await recovering(nodeA.url, { token: ann.token }, 'ann, A then B');
  closeAfter(res, [c]);
  assert.deepEqual(await c.socket.timeout(5000).emitWithAck('watch', 'user:ben'), { ok: true });
  const seen = await postTweet(b, ben.token, 'seen on A');
  await c.count('newTweet', 1);
  const pid = c.socket._pid;

  await kill(c);
  await postTweet(b, cat.token, 'not watched');
  const missed1 = await postTweet(a, ben.token, 'missed 1');
  const missed2 = await postTweet(b, ben.token, 'missed 2');
  assert.equal((await b.del(`/api/tweets/${seen.id}`, ben.token)).status, 204);
  assert.equal((await a.put('/api/users/ann/follow', cat.token)).status, 200);

  await landOn(c, nodeB.url);
  assert.equal(c.socket.recovered, true, 'recovered on B');
  assert.equal(c.socket._pid, pid);
  await c.count('newTweet', 3);
  await c.count('notification', 1);
  await c.count('tweetDeleted', 1);
  await quiet();
  assert.deepEqual(stripOffsets(c.received('newTweet')).slice(1), [newTweetArgs(missed1), newTweetArgs(missed2)]);
  assert.deepEqual(stripOffsets(c.received('tweetDeleted')), [[{ id: seen.id }]]);
  const [[note]] = c.received('notification');
  assert.equal(note.kind, 'follow');
  assert.equal(note.actor.username, 'cat');

  // The watch came along: on B, ben's next tweet arrives, cat's does not.
  await postTweet(a, cat.token, 'still not watched');
  const live = await postTweet(a, ben.token, 'live on B');
  await c.count('newTweet', 4);
  await quiet();
  assert.deepEqual(stripOffsets(c.received('newTweet')).at(-1), newTweetArgs(live));
  assert.equal(c.received('newTweet').length, 4);
});

test('no event before the loss, and another user presenting the pid', async (t) => {
  const { res, nodes: [nodeA, nodeB], apis: [a] } = await startCluster(t, { nodes: 2 });
  const dan = await a.signUp('dan');
  const eve = await a.signUp('eve');
  const c = await recovering(nodeA.url, { token: dan.token }, 'dan, no events yet');
  closeAfter(res, [c]);
  const pid = c.socket._pid;
  await kill(c);
  const missed = await postTweet(a, eve.token, 'while dan was away');

  // Eve presents Dan's pid on B with her own token: a fresh socket, nothing of Dan's.
  const other = await recovering(nodeB.url, { token: eve.token, pid }, 'eve with dan\'s pid');
  closeAfter(res, [other]);
  assert.notEqual(other.socket._pid, pid);

  await landOn(c, nodeB.url);
  assert.equal(c.socket.recovered, true, 'recovered with no offset');
  await c.count('newTweet', 1);
  await quiet();
  assert.deepEqual(stripOffsets(c.received('newTweet')), [newTweetArgs(missed)]);
  assert.deepEqual(other.received('newTweet'), []);
});
