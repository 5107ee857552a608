// The home timeline across two nodes (PostgreSQL + Redis): a `home` watcher on node A hears of
// a follow made on A and of an unfollow made on B before the next tweet, gets each tweet of
// whom it follows exactly once wherever it was posted, and loses nothing across a Redis
// restart — not the tweets posted while Redis was away, and not a follow made meanwhile
// (whose bus message may reach Redis before node A has subscribed again).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, postTweet, quiet } from '../realtime/helpers.mjs';
import {
  assertExactlyOnce, closeAfter, eventually, health, newTweetIds, startCluster,
} from './helpers.mjs';

const WS = { name: 'websocket', transports: ['websocket'] };

/** `watch` with an acknowledgement; resolves to the server's answer. */
const watch = (client, timeline) => client.socket.timeout(5000).emitWithAck('watch', timeline);

test('a home watcher on node A follows, unfollows and survives a Redis restart', async (t) => {
  const { res, redis, nodes: [nodeA, nodeB], apis: [a, b] } = await startCluster(t);
  const viewer = await a.signUp('viewer');
  const ada = await a.signUp('ada');
  const bob = await a.signUp('bob');

  const home = await connect(nodeA.url, WS, { auth: { token: viewer.token }, label: 'A viewer home' });
  closeAfter(res, [home]);
  assert.deepEqual(await watch(home, 'home'), { ok: true });

  // Follow on A, post on B: delivered on A exactly once; bob (not followed) is not.
  assert.equal((await a.put(`/api/users/${ada.user.username}/follow`, viewer.token)).status, 200);
  const followed = await postTweet(b, ada.token, 'on B, by someone the viewer follows');
  const stranger = await postTweet(b, bob.token, 'on B, by a stranger');
  await home.until(() => newTweetIds(home).includes(followed.id), 'the followed tweet from B', 10_000);
  await quiet();
  assertExactlyOnce(newTweetIds(home), [followed.id], `home on A (not ${stranger.id})`);

  // Unfollow on B: the next tweet (on B, after the unfollow's 200) is not delivered on A.
  // A tweet by a still-followed author, posted after it, shows the bus has passed that point.
  assert.equal((await a.put(`/api/users/${bob.user.username}/follow`, viewer.token)).status, 200);
  assert.equal((await b.del(`/api/users/${ada.user.username}/follow`, viewer.token)).status, 200);
  const unfollowed = await postTweet(b, ada.token, 'after the unfollow');
  const marker = await postTweet(b, bob.token, 'bob is followed now');
  await home.until(() => newTweetIds(home).includes(marker.id), 'the marker tweet', 10_000);
  await quiet();
  assertExactlyOnce(newTweetIds(home), [followed.id, marker.id], `home on A (not ${unfollowed.id})`);

  // Redis restarts. Tweets by bob posted across it (on both nodes) all arrive once; a follow
  // of ada made on B while Redis is down takes effect on A once the bus is back.
  const expected = [followed.id, marker.id];
  expected.push((await postTweet(b, bob.token, 'just before the restart')).id);
  await redis.stop();
  for (const node of [nodeA, nodeB]) {
    await eventually(`${node.label} /healthz to answer 503`, async () => (await health(node.url)).status === 503, { ms: 10_000 });
  }
  expected.push((await postTweet(b, bob.token, 'during the outage, on B')).id);
  expected.push((await postTweet(a, bob.token, 'during the outage, on A')).id);
  assert.equal((await b.put(`/api/users/${ada.user.username}/follow`, viewer.token)).status, 200);
  await redis.start();
  for (const node of [nodeA, nodeB]) {
    await eventually(`${node.label} /healthz to answer 200`, async () => (await health(node.url)).status === 200, { ms: 20_000 });
  }
  expected.push((await postTweet(b, bob.token, 'after the restart, on B')).id);
  await home.until(() => expected.every((id) => newTweetIds(home).includes(id)), 'every tweet by bob across the restart', 20_000);

  // The follow made during the outage reaches A's index (at the latest when the bus settles):
  // ada's tweets come through again. Until then the watcher may miss one, which a client
  // fills from GET /api/timelines/home; once one arrives, every later one does.
  const maybe = [];
  const adaAgain = await eventually('a tweet by ada (followed during the outage) to reach home on A', async () => {
    const tweet = await postTweet(b, ada.token, 'ada again');
    maybe.push(tweet.id);
    await quiet();
    return newTweetIds(home).includes(tweet.id) && tweet;
  }, { ms: 30_000, every: 500 });
  assert.ok(maybe.includes(adaAgain.id));
  const last = await postTweet(b, ada.token, 'ada, once more');
  expected.push(last.id);
  await home.until(() => newTweetIds(home).includes(last.id), 'the last tweet', 10_000);
  await quiet();
  const received = newTweetIds(home);
  // Every expected tweet once; of ada's probes, only those posted before the follow reached
  // A may be missing; nothing else, nothing twice.
  assertExactlyOnce(received.filter((id) => !maybe.includes(id)), expected, 'home on A');
  assert.equal(new Set(received).size, received.length, `duplicates on home: ${JSON.stringify(received)}`);
  assert.equal(home.socket.connected, true);
});

test('home on node B is exact right after a follow or an unfollow on node A', async (t) => {
  const { apis: [a, b] } = await startCluster(t);
  const authors = [];
  for (const name of ['amy', 'ben', 'cal', 'dot']) {
    const author = await a.signUp(name);
    author.tweet = await postTweet(a, author.token, `by ${name}`);
    authors.push(author);
  }
  // Several readers at once, as on a busy site: each follows on A and reads home on B.
  const wrong = [];
  const reader = async (n) => {
    const viewer = await a.signUp(`reader${n}`);
    const homeOnB = async () => {
      const res = await b.get('/api/timelines/home?limit=20', viewer.token);
      assert.equal(res.status, 200, res.text);
      return res.json.tweets.map((tweet) => tweet.id);
    };
    for (let round = 0; round < 40; round += 1) {
      const author = authors[(round + n) % authors.length];
      const path = `/api/users/${author.user.username}/follow`;
      // B's memory is warm: whom the viewer follows, and a first page built from it.
      await homeOnB();
      assert.equal((await a.put(path, viewer.token)).status, 200);
      if (!(await homeOnB()).includes(author.tweet.id)) wrong.push(`reader ${n} round ${round}: follow not seen`);
      assert.equal((await a.del(path, viewer.token)).status, 200);
      if ((await homeOnB()).includes(author.tweet.id)) wrong.push(`reader ${n} round ${round}: unfollow not seen`);
    }
  };
  await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(reader));
  assert.deepEqual(wrong, [], `${wrong.length} wrong pages of 640`);
});
