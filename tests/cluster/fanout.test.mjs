// Three `chirp serve` processes on one PostgreSQL database and one Redis act as one server:
// a socket on any node, over WebSocket or long-polling, receives every tweet posted on any
// node exactly once; the author's own signed-in sockets get none of theirs on any node;
// deletions cross nodes too, and so does signing out.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, newTweetArgs, postTweet, quiet } from '../realtime/helpers.mjs';
import { assertExactlyOnce, closeAfter, newTweetIds, startCluster } from './helpers.mjs';

const WS = { name: 'websocket', transports: ['websocket'] };
const POLLING = { name: 'polling', transports: ['polling'] };

test('three nodes deliver every tweet to every socket once, never to the author, and deletions too', async (t) => {
  const { res, nodes, apis: [a, b, c] } = await startCluster(t, { nodes: 3 });

  // Accounts live in the shared database: sign up on one node, use the token on any.
  const alice = await a.signUp('alice');
  const bob = await b.signUp('bob');

  // On every node: an anonymous socket per transport, and alice's and bob's own sockets.
  const sockets = [];
  for (const node of nodes) {
    const n = node.label;
    sockets.push({ who: 'anon', client: await connect(node.url, WS, { label: `${n} anon websocket` }) });
    sockets.push({ who: 'anon', client: await connect(node.url, POLLING, { label: `${n} anon polling` }) });
    sockets.push({ who: 'alice', client: await connect(node.url, WS, { auth: { token: alice.token }, label: `${n} alice websocket` }) });
    sockets.push({ who: 'bob', client: await connect(node.url, POLLING, { auth: { token: bob.token }, label: `${n} bob polling` }) });
  }
  closeAfter(res, sockets.map((s) => s.client));

  // Every node has read the (empty) first page: none may keep serving it once others post.
  for (const http of [a, b, c]) assert.deepEqual((await http.get('/api/tweets')).json.tweets, []);

  // Posted on A, B and C in turn, by both authors.
  const tweets = [
    { by: 'alice', tweet: await postTweet(a, alice.token, 'hello from node A') },
    { by: 'bob', tweet: await postTweet(b, bob.token, 'hello from node B') },
    { by: 'alice', tweet: await postTweet(c, alice.token, 'hello from node C') },
    { by: 'bob', tweet: await postTweet(a, bob.token, 'bob on node A') },
  ];
  const ids = tweets.map(({ tweet }) => tweet.id);
  assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'ids grow with time across nodes');
  for (const http of [a, b, c]) {
    assert.deepEqual((await http.get('/api/tweets')).json.tweets.map((tw) => tw.id), [...ids].reverse(), 'every node lists every tweet');
  }

  for (const { who, client } of sockets) {
    const expected = tweets.filter(({ by }) => by !== who).map(({ tweet }) => newTweetArgs(tweet));
    await client.count('newTweet', expected.length, 10_000);
  }
  await quiet();
  for (const { who, client } of sockets) {
    const expected = tweets.filter(({ by }) => by !== who);
    assertExactlyOnce(newTweetIds(client), expected.map(({ tweet }) => tweet.id), client.label);
    // Right arguments. Not necessarily in id order: a node may deliver its own next tweet
    // before an earlier one from another node has come through Redis.
    const byId = (x, y) => x[1].id - y[1].id;
    assert.deepEqual(client.received('newTweet').sort(byId), expected.map(({ tweet }) => newTweetArgs(tweet)), client.label);
  }

  // Deleted through node B, the tweet alice posted on node A: every socket hears it once,
  // her own included.
  const gone = tweets[0].tweet;
  assert.equal((await b.del(`/api/tweets/${gone.id}`, alice.token)).status, 204);
  for (const { client } of sockets) await client.count('tweetDeleted', 1, 10_000);
  await quiet();
  for (const { client } of sockets) {
    assert.deepEqual(client.received('tweetDeleted'), [[{ id: gone.id }]], client.label);
  }
  assert.equal((await c.get(`/api/tweets/${gone.id}`)).status, 404, 'gone on every node');

  // Signing out on one node ends the session on every node.
  assert.equal((await a.get('/api/me', bob.token)).status, 200);
  assert.equal((await c.get('/api/me', bob.token)).status, 200);
  assert.equal((await b.del('/api/sessions', bob.token)).status, 204);
  for (const http of [a, b, c]) assert.equal((await http.get('/api/me', bob.token)).status, 401, 'signed out everywhere');
});
