// Two `chirp serve` nodes on one PostgreSQL and one Redis: a notification made on either
// node reaches every socket of its recipient on both nodes, exactly once, and nobody else's;
// a reply posted on one node reaches `replies:<id>` watchers on the other, once.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, newTweetArgs, postTweet, quiet } from '../realtime/helpers.mjs';
import { closeAfter, startCluster } from './helpers.mjs';

const WS = { name: 'websocket', transports: ['websocket'] };
const POLLING = { name: 'polling', transports: ['polling'] };

test('notifications and replies cross nodes, to the recipient only, once each', async (t) => {
  const { res, nodes: [nodeA, nodeB], apis: [a, b] } = await startCluster(t, { nodes: 2 });
  const cat = await a.signUp('cat');
  const dan = await b.signUp('dan');
  const eve = await a.signUp('eve');

  const catA = await connect(nodeA.url, WS, { auth: { token: cat.token }, label: 'cat on A (websocket)' });
  const catB = await connect(nodeB.url, POLLING, { auth: { token: cat.token }, label: 'cat on B (polling)' });
  const danA = await connect(nodeA.url, WS, { auth: { token: dan.token }, label: 'dan on A' });
  const eveB = await connect(nodeB.url, WS, { auth: { token: eve.token }, label: 'eve on B' });
  const anonA = await connect(nodeA.url, POLLING, { label: 'anonymous on A' });
  closeAfter(res, [catA, catB, danA, eveB, anonA]);

  const parent = await postTweet(a, cat.token, 'a question');
  const watcherB = await connect(nodeB.url, WS, { label: 'replies watcher on B' });
  closeAfter(res, [watcherB]);
  assert.deepEqual(await watcherB.socket.timeout(5000).emitWithAck('watch', `replies:${parent.id}`), { ok: true });

  // Follow on B, reply on A, like on B.
  assert.equal((await b.put('/api/users/cat/follow', dan.token)).status, 200);
  const replied = await a.post('/api/tweets', { text: 'an answer for @cat and @eve', reply_to: parent.id }, dan.token);
  assert.equal(replied.status, 201, replied.text);
  assert.equal((await b.put(`/api/tweets/${parent.id}/like`, dan.token)).status, 200);

  for (const c of [catA, catB]) {
    const got = (await c.count('notification', 3, 10_000)).map(([n]) => n);
    assert.deepEqual(got.map((n) => n.kind).sort(), ['follow', 'like', 'reply'], c.label);
    assert.deepEqual(got.map((n) => n.unread_count).sort(), [1, 2, 3], c.label);
  }
  const eveGot = (await eveB.count('notification', 1, 10_000)).map(([n]) => n);
  assert.deepEqual(eveGot.map((n) => [n.kind, n.tweet.id]), [['mention', replied.json.id]]);
  assert.deepEqual(await watcherB.count('newTweet', 1, 10_000), [newTweetArgs(replied.json)]);

  await quiet();
  for (const c of [catA, catB]) {
    const ids = c.received('notification').map(([n]) => n.id);
    assert.equal(ids.length, 3, `${c.label}: each once`);
    assert.equal(new Set(ids).size, 3, c.label);
  }
  assert.equal(eveB.received('notification').length, 1);
  for (const c of [danA, anonA, watcherB]) assert.deepEqual(c.received('notification'), [], `${c.label} hears none`);
  assert.equal(watcherB.received('newTweet').length, 1, 'the reply once, nothing else');
});
