// Follows and tweets in one order across nodes (PostgreSQL + Redis): a follow answered on node
// A, then at once a tweet by the followee posted on node B, reaches the follower's `home`
// sockets on B (the tweet's own node) and on A — every time; an unfollow answered on A keeps
// the next tweet on B from both. Two hundred rounds, no miss and nothing extra. (A tweet
// stored *before* a follow change was answered may be routed either way: home shows it after
// a follow, and not after an unfollow, whatever the socket was told.)
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, postTweet, quiet } from '../realtime/helpers.mjs';
import { closeAfter, newTweetIds, startCluster } from './helpers.mjs';

const WS = { name: 'websocket', transports: ['websocket'] };
const ROUNDS = 200;
const LANES = 8;

/** `watch` with an acknowledgement; resolves to the server's answer. */
const watch = (client, timeline) => client.socket.timeout(5000).emitWithAck('watch', timeline);

test(`a tweet posted on B right after a follow answered on A reaches home on both nodes (${ROUNDS} rounds)`, async (t) => {
  const { res, apis: [a, b], nodes } = await startCluster(t);
  const marker = await a.signUp('marker');
  // Several lanes at once (each its own follower and followee), so that the nodes are busy
  // as they are in use: a follow's way over Redis then takes its time.
  const lanes = await Promise.all(Array.from({ length: LANES }, async (_, i) => {
    const viewer = await a.signUp(`viewer${i}`);
    // Two followees taken in turn: a tweet posted after an unfollow may still be on its way
    // when the next round follows; by the round after, a later tweet has shown it was handled.
    const followees = [await a.signUp(`ada${i}`), await a.signUp(`bob${i}`)];
    assert.equal((await a.put(`/api/users/${marker.user.username}/follow`, viewer.token)).status, 200);
    const homes = [];
    for (const node of nodes) {
      const home = await connect(node.url, WS, { auth: { token: viewer.token }, label: `lane ${i} home on ${node.label}` });
      closeAfter(res, [home]);
      assert.deepEqual(await watch(home, 'home'), { ok: true });
      homes.push(home);
    }
    return { viewer, followees, homes, expected: [], unexpected: [] };
  }));

  await Promise.all(lanes.map(async ({ viewer, followees, homes, expected, unexpected }) => {
    for (let round = 0; round < ROUNDS / LANES; round += 1) {
      const ada = followees[round % 2];
      assert.equal((await a.put(`/api/users/${ada.user.username}/follow`, viewer.token)).status, 200);
      const followed = await postTweet(b, ada.token, `followed, round ${round}`);
      expected.push(followed.id);
      // Only once both have it does the unfollow go (a tweet stored before an unfollow may
      // be dropped by it).
      for (const home of homes) {
        await home.until(() => newTweetIds(home).includes(followed.id), `round ${round}: tweet ${followed.id}, posted after the follow`, 10_000);
      }
      assert.equal((await a.del(`/api/users/${ada.user.username}/follow`, viewer.token)).status, 200);
      unexpected.push((await postTweet(b, ada.token, `unfollowed, round ${round}`)).id);
    }
  }));
  // A tweet by a still-followed author, posted last, shows each node has delivered everything.
  const last = await postTweet(b, marker.token, 'the last one');
  for (const { homes, expected, unexpected } of lanes) {
    expected.push(last.id);
    for (const home of homes) {
      await home.until(() => newTweetIds(home).includes(last.id), 'the last tweet', 20_000);
    }
    await quiet();
    for (const home of homes) {
      const received = newTweetIds(home);
      const extra = received.filter((id) => unexpected.includes(id));
      assert.deepEqual(extra, [], `${home.label}: tweets posted after an unfollow`);
      assert.deepEqual(received, expected, `${home.label}: each once, in order`);
    }
  }
});
