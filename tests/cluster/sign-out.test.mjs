// Signing out on one node closes the session's sockets on every node: the sign-out reaches
// the other nodes over the Redis bus, and each closes the sockets that authenticated with
// that session, by `auth.token` or by cookie. Other sockets on those nodes stay connected.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { api } from '../support/chirp.mjs';
import { connect, postTweet, sessionCookie, within } from '../realtime/helpers.mjs';
import { closeAfter, createDatabase, resources, startNodes, startRedis } from './helpers.mjs';

const WS = { name: 'websocket', transports: ['websocket'] };
const POLLING = { name: 'polling', transports: ['polling'] };

const disconnected = (client) => within(10_000, `${client.label} to be disconnected`, new Promise((resolve) => {
  client.socket.once('disconnect', resolve);
}));

test('a sign-out on node A closes the session\'s sockets on node B', async (t) => {
  const res = resources(t);
  const databaseUrl = await createDatabase(res);
  const redis = await startRedis(res);
  const [nodeA, nodeB] = await startNodes(res, 2, { databaseUrl, redisUrl: redis.url });
  const a = api(nodeA.url);

  await a.signUp('carol');
  const cookie = await sessionCookie(nodeA.url, 'carol'); // a fresh session, signed in on A
  const token = cookie.slice('chirp_session='.length);
  const byToken = await connect(nodeB.url, WS, { auth: { token }, label: 'B carol auth.token websocket' });
  const byCookie = await connect(nodeB.url, POLLING, { extraHeaders: { cookie }, label: 'B carol cookie polling' });
  const anonymous = await connect(nodeB.url, WS, { label: 'B anonymous websocket' });
  closeAfter(res, [byToken, byCookie, anonymous]);

  const ended = [disconnected(byToken), disconnected(byCookie)];
  assert.equal((await a.del('/api/sessions', token)).status, 204);
  assert.deepEqual(await Promise.all(ended), ['io server disconnect', 'io server disconnect']);

  await assert.rejects(
    connect(nodeB.url, WS, { auth: { token }, label: 'B socket with the old token' }),
    (err) => err.message === 'invalid token',
  );
  const dave = await a.signUp('dave');
  const tweet = await postTweet(a, dave.token, 'anyone still there on B?');
  const [[, notice]] = await anonymous.count('newTweet', 1, 10_000);
  assert.equal(notice.id, tweet.id);
  assert.equal(anonymous.socket.connected, true);
});
