// Hashtags across two nodes on one PostgreSQL database and one Redis: a tweet posted on node A
// reaches `tag:<name>` sockets on node B (one bus message per tweet, however many tags), is
// found by search and the tag's timeline on node B the moment A answered, and counts in
// node B's trending tags; its deletion on A takes it out of B's trending.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, postTweet, quiet } from '../realtime/helpers.mjs';
import { closeAfter, eventually, newTweetIds, startCluster } from './helpers.mjs';

const WS = { name: 'websocket', transports: ['websocket'] };
const POLLING = { name: 'polling', transports: ['polling'] };

test('tags travel the cluster: live tag sockets, search, tag timelines and trending on every node', async (t) => {
  const { res, nodes: [nodeA, nodeB], apis: [a, b] } = await startCluster(t, { nodes: 2 });
  const ann = await a.signUp('ann');
  const bob = await b.signUp('bob');
  const sockets = [];
  for (const [node, mode, label] of [[nodeB, WS, 'B ws'], [nodeB, POLLING, 'B polling'], [nodeA, WS, 'A ws']]) {
    const client = await connect(node.url, mode, { label: `${label} on tag:Rust` });
    sockets.push(client);
    assert.deepEqual(await client.socket.timeout(5000).emitWithAck('watch', 'tag:Rust'), { ok: true });
  }
  closeAfter(res, sockets);

  const tagged = await postTweet(a, ann.token, 'node A: #rust and #tokio #RUST');
  assert.deepEqual(tagged.tags, ['rust', 'tokio']);
  // Found on node B at once: the answer on A means it is committed and indexed.
  const search = await b.get('/api/search?q=tokio');
  assert.deepEqual(search.json.tweets.map((x) => x.id), [tagged.id]);
  const timeline = await b.get('/api/tags/rust/tweets');
  assert.deepEqual(timeline.json.tweets.map((x) => x.id), [tagged.id]);

  await postTweet(a, ann.token, 'node A: #go only');
  const second = await postTweet(b, bob.token, 'node B: #rust too');
  for (const client of sockets) {
    await client.until(() => newTweetIds(client).includes(second.id), 'the second #rust tweet', 10_000);
  }
  await quiet();
  for (const client of sockets) assert.deepEqual(newTweetIds(client), [tagged.id, second.id], client.label);

  // Trending on B counts A's tweets as they come over the bus.
  const trendsOn = async (api) => (await api.get('/api/tags/trending')).json.tags;
  assert.deepEqual((await trendsOn(b))[0], { name: 'rust', tweets: 2, people: 2 });
  assert.equal((await a.del(`/api/tweets/${tagged.id}`, ann.token)).status, 204);
  await eventually('node B to count the deletion', async () => {
    const trends = await trendsOn(b);
    return trends.find((x) => x.name === 'rust')?.tweets === 1 && !trends.some((x) => x.name === 'tokio');
  });
  assert.deepEqual((await b.get('/api/search?q=tokio')).json.tweets, []);
});
