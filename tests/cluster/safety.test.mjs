// Blocks and suspensions across two nodes on one PostgreSQL database and one Redis:
//
// - a block answered by node A hides the blocked author from the blocker's sockets on A at
//   once (even a tweet posted on node B right after the answer), and on B as soon as the block
//   has come over the bus (the contract allows up to 1 s), both ways; an unblock answered by B
//   brings the tweets back on both nodes;
// - a suspension answered by node A has disconnected the account's sockets on node B.
//
// Nothing here sleeps to see whether something arrives: each node delivers new tweets in id
// order, and changes from one node come over the bus in the order it published them, so a
// control tweet posted after an act and received on the other node proves that node has
// applied the act; a tweet that must arrive, received, proves no earlier hidden tweet is
// still on its way.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, postTweet, quiet, within } from '../realtime/helpers.mjs';
import { setRole } from '../support/roles.mjs';
import { closeAfter, newTweetIds, startCluster } from './helpers.mjs';

const WS = { name: 'websocket', transports: ['websocket'] };
const POLLING = { name: 'polling', transports: ['polling'] };

/** `watch` with an acknowledgement; asserts the server said yes. */
async function watch(client, timeline) {
  assert.deepEqual(await client.socket.timeout(5000).emitWithAck('watch', timeline), { ok: true }, `watch ${timeline}`);
}

/**
 * Waits until each socket has the last of its expected tweets, then compares whole lists.
 * An entry is `[client, tweets, tolerated]`: `tolerated` tweets may be there or not.
 */
async function expectTweets(expected) {
  for (const [client, tweets] of expected) {
    const last = tweets.at(-1);
    if (last) await client.until(() => newTweetIds(client).includes(last.id), `tweet ${last.id} (${last.text})`, 10_000);
  }
  await quiet();
  for (const [client, tweets, tolerated = []] of expected) {
    const allowed = new Set(tolerated.map((t) => t.id));
    assert.deepEqual(
      newTweetIds(client).filter((id) => !allowed.has(id)),
      tweets.map((t) => t.id),
      `${client.label}: expected ${JSON.stringify(tweets.map((t) => t.text))}`,
    );
  }
}

test('a block on node A hides the blocked author from the blocker\'s sockets on both nodes; an unblock on B restores them', async (t) => {
  const { res, nodes: [nodeA, nodeB], apis: [a, b] } = await startCluster(t, { nodes: 2 });
  const vic = await a.signUp('vic');
  const bob = await a.signUp('bob');
  const cal = await a.signUp('cal');
  const ozzy = await b.signUp('ozzy');
  for (const followee of ['bob', 'cal']) assert.equal((await a.put(`/api/users/${followee}/follow`, vic.token)).status, 200);

  const sockets = [];
  const socket = async (node, mode, user, label, timeline) => {
    const client = await connect(node.url, mode, { auth: user ? { token: user.token } : undefined, label: `${node.label} ${label}` });
    sockets.push(client);
    if (timeline) await watch(client, timeline);
    return client;
  };
  closeAfter(res, sockets);
  const vicA = await socket(nodeA, WS, vic, 'vic on everyone', 'everyone');
  const vicAHome = await socket(nodeA, POLLING, vic, 'vic on home', 'home');
  const vicAOnBo = await socket(nodeA, WS, vic, 'vic on user:bob', 'user:bob');
  const vicB = await socket(nodeB, POLLING, vic, 'vic on everyone', 'everyone');
  const vicBOnBo = await socket(nodeB, WS, vic, 'vic on user:bob', 'user:bob');
  const bobB = await socket(nodeB, WS, bob, 'bob on everyone', 'everyone');
  const ozzyB = await socket(nodeB, POLLING, ozzy, 'ozzy on everyone', 'everyone');

  const blocked = await a.put('/api/users/bob/block', vic.token);
  assert.equal(blocked.status, 200, blocked.text);
  assert.equal(blocked.json.blocked_by_me, true);
  // On node B right after A answered: A already hides it from vic's sockets there; B may
  // still let it through to vic's sockets on B (the block travels the bus, within 1 s).
  const early = await postTweet(b, bob.token, 'bob on node B, right after the block');
  // Posted on A after the block: once vic's socket on B has it, B has applied the block.
  const control1 = await postTweet(a, cal.token, 'cal on node A');
  await vicB.until(() => newTweetIds(vicB).includes(control1.id), 'the control tweet from node A', 10_000);
  // Bob's first socket on node A: A reads whom he hides from the store (vic, who blocks him).
  const bobA = await socket(nodeA, POLLING, bob, 'bob on everyone, connected after the block', 'everyone');
  const late = await postTweet(b, bob.token, 'bob on node B, once B has the block');
  const byVic = await postTweet(a, vic.token, 'vic on node A');
  const control2 = await postTweet(b, cal.token, 'cal on node B');

  await expectTweets([
    [vicA, [control1, control2]],
    [vicAHome, [control1, control2]],
    // Node B's sockets of vic may have had the tweet posted there before the block arrived.
    [vicB, [control1, control2], [early]],
    [bobB, [control1, control2]],
    [bobA, [control2]],
    [ozzyB, [early, control1, late, byVic, control2]],
  ]);

  // Unblocked on node B, and vic follows bob again there. A control tweet from B, seen on A,
  // says A has the unblock; then bob's next tweet reaches vic everywhere — and, being the
  // first tweet on the user:bob sockets, proves nothing of bob's was merely late.
  const unblocked = await b.del('/api/users/bob/block', vic.token);
  assert.equal(unblocked.status, 200, unblocked.text);
  assert.equal(unblocked.json.blocked_by_me, false);
  assert.equal((await b.put('/api/users/bob/follow', vic.token)).status, 200);
  const control3 = await postTweet(b, cal.token, 'cal on node B, after the unblock');
  await vicA.until(() => newTweetIds(vicA).includes(control3.id), 'the control tweet from node B', 10_000);
  const back = await postTweet(a, bob.token, 'bob on node A, after the unblock');
  const vicBack = await postTweet(b, vic.token, 'vic on node B, after the unblock');

  await expectTweets([
    [vicA, [control1, control2, control3, back]],
    [vicAHome, [control1, control2, control3, back]],
    [vicAOnBo, [back]],
    [vicB, [control1, control2, control3, back], [early]],
    [vicBOnBo, [back], [early]],
    [bobB, [control1, control2, control3, vicBack]],
  ]);
});

test('a suspension answered by node A has disconnected the account\'s sockets on node B', async (t) => {
  const { res, nodes: [nodeA, nodeB], apis: [a, b] } = await startCluster(t, { nodes: 2 });
  const mod = await a.signUp('mod');
  const sus = await b.signUp('sus');
  const pal = await b.signUp('pal');
  await setRole(nodeA, 'mod', 'moderator');

  const susWs = await connect(nodeB.url, WS, { auth: { token: sus.token }, label: 'B sus websocket' });
  const susPolling = await connect(nodeB.url, POLLING, { auth: { token: sus.token }, label: 'B sus polling' });
  const susOnA = await connect(nodeA.url, WS, { auth: { token: sus.token }, label: 'A sus websocket' });
  const palB = await connect(nodeB.url, WS, { auth: { token: pal.token }, label: 'B pal websocket' });
  closeAfter(res, [susWs, susPolling, susOnA, palB]);

  const reasons = [susWs, susPolling, susOnA].map((client) => within(10_000, `${client.label} to be disconnected`, new Promise((resolve) => {
    client.socket.once('disconnect', resolve);
  })));
  const suspended = await a.post('/api/admin/users/sus/suspend', { reason: 'spam' }, mod.token);
  assert.equal(suspended.status, 200, suspended.text);
  assert.equal(suspended.json.suspended, true);
  // Node B ended the session before A answered: its token opens nothing there any more.
  await assert.rejects(
    connect(nodeB.url, WS, { auth: { token: sus.token }, label: 'B sus again, same token' }),
    (err) => err.message === 'invalid token',
  );
  assert.equal((await b.get('/api/me', sus.token)).status, 401);
  assert.deepEqual(await Promise.all(reasons), ['io server disconnect', 'io server disconnect', 'io server disconnect']);

  const signIn = await b.post('/api/sessions', { username: 'sus', password: 'correct horse battery' });
  assert.equal(signIn.status, 403, signIn.text);
  assert.equal(signIn.json.error.code, 'suspended');

  // Pal, on node B, is still connected and still hears tweets from node A.
  const tweet = await postTweet(a, mod.token, 'carry on');
  const [[, notice]] = await palB.count('newTweet', 1, 10_000);
  assert.equal(notice.id, tweet.id);
  assert.equal(palB.socket.connected, true);
});
