// Caches stay coherent across two nodes (PostgreSQL + Redis) under concurrent load: each node
// answers the anonymous first page, home pages and sessions from memory (its /metrics count
// the hits), yet a tweet posted on one node shows in the other's first page and home pages a
// moment later, a like, a deletion, a follow and an unfollow too, and a token signed out on
// one node is refused by the other from the very next request.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { postTweet } from '../realtime/helpers.mjs';
import { eventually, startCluster } from './helpers.mjs';

/** `chirp_cache_hits_total{cache=…}` on a node. */
async function cacheHits(url, cache) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`chirp_cache_hits_total{cache="${cache}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** The ids on `token`'s home page on a node. */
async function homeIds(http, token) {
  const res = await http.get('/api/timelines/home?limit=20', token);
  assert.equal(res.status, 200, `GET /api/timelines/home: ${res.status} ${res.text}`);
  return res.json.tweets.map((tw) => tw.id);
}

/** The anonymous first page of a node. */
async function firstPage(http) {
  const res = await http.get('/api/tweets?limit=20');
  assert.equal(res.status, 200, `GET /api/tweets: ${res.status} ${res.text}`);
  return res.json.tweets;
}

/**
 * Reads and writes on every node until `stop()`: first pages, `GET /api/me` with `tokens`,
 * and now and then a tweet. Any answer but the expected one fails the test at `stop()`.
 */
function load(apis, tokens, poster) {
  let running = true;
  const errors = [];
  const loop = async (http, i) => {
    let n = 0;
    while (running) {
      n += 1;
      const page = await http.get('/api/tweets?limit=20');
      if (page.status !== 200) errors.push(`first page: ${page.status}`);
      const me = await http.get('/api/me', tokens[(i + n) % tokens.length]);
      if (me.status !== 200) errors.push(`/api/me: ${me.status}`);
      if (n % 10 === 0) {
        const posted = await http.post('/api/tweets', { text: `load ${i} ${n}` }, poster);
        if (posted.status !== 201) errors.push(`post: ${posted.status}`);
      }
    }
  };
  const loops = [];
  for (let i = 0; i < 4; i += 1) loops.push(loop(apis[i % apis.length], i));
  return async () => {
    running = false;
    await Promise.all(loops);
    assert.deepEqual(errors.slice(0, 5), [], 'the load saw errors');
  };
}

test('two nodes serve from their caches and never serve what another node changed', async (t) => {
  const { nodes: [nodeA, nodeB], apis: [a, b] } = await startCluster(t);
  const loaders = await Promise.all(['load_1', 'load_2', 'load_3'].map((name) => a.signUp(name)));
  const ada = await a.signUp('ada');
  const stop = load([a, b], loaders.map((l) => l.token), loaders[0].token);
  try {
    // The caches are bypassed until each node's bus has settled; then both answer from memory.
    for (const node of [nodeA, nodeB]) {
      for (const cache of ['first_page', 'sessions']) {
        const start = await cacheHits(node.url, cache);
        await eventually(`${node.label} to answer from its ${cache} cache`, async () => await cacheHits(node.url, cache) > start + 10, { ms: 30_000, every: 200 });
      }
    }

    // A tweet acknowledged by one node shows in the other's first page a moment later.
    for (let i = 0; i < 6; i += 1) {
      const [from, to] = i % 2 ? [b, a] : [a, b];
      const tweet = await postTweet(from, ada.token, `coherent ${i}`);
      await eventually(`tweet ${tweet.id} in the other node's first page`, async () => (await firstPage(to)).some((tw) => tw.id === tweet.id), { ms: 5000, every: 10 });
    }

    // A like on A shows in B's first page; an unlike too.
    const liked = await postTweet(b, ada.token, 'like me');
    await eventually('the tweet to be in B\'s first page', async () => (await firstPage(b)).some((tw) => tw.id === liked.id), { ms: 5000, every: 10 });
    const likeCount = async (http) => (await firstPage(http)).find((tw) => tw.id === liked.id)?.like_count;
    assert.equal((await a.put(`/api/tweets/${liked.id}/like`, loaders[1].token)).status, 200);
    await eventually('the like in B\'s first page', async () => await likeCount(b) === 1, { ms: 5000, every: 10 });
    assert.equal((await a.del(`/api/tweets/${liked.id}/like`, loaders[1].token)).status, 200);
    await eventually('the unlike in B\'s first page', async () => await likeCount(b) === 0, { ms: 5000, every: 10 });

    // Home pages: picked from memory on both nodes, and a follow, a tweet, a deletion and an
    // unfollow made on one node show on the other's a moment later.
    const bo = await b.signUp('bob');
    const old = await postTweet(b, bo.token, 'bo, before ada followed');
    for (const [node, http] of [[nodeA, a], [nodeB, b]]) {
      const start = await cacheHits(node.url, 'home');
      await eventually(`${node.label} to pick home pages from memory`, async () => {
        await homeIds(http, ada.token);
        return await cacheHits(node.url, 'home') > start;
      }, { ms: 30_000, every: 100 });
    }
    assert.equal((await a.put('/api/users/bob/follow', ada.token)).status, 200);
    assert.ok((await homeIds(a, ada.token)).includes(old.id), 'the follow shows on its own node at once');
    await eventually('the follow in B\'s home page', async () => (await homeIds(b, ada.token)).includes(old.id), { ms: 5000, every: 10 });
    const bobs = [];
    for (let i = 0; i < 4; i += 1) {
      const [from, to] = i % 2 ? [a, b] : [b, a];
      const tweet = await postTweet(from, bo.token, `bo on home ${i}`);
      bobs.push(tweet.id);
      assert.ok((await homeIds(from, ada.token)).includes(tweet.id), 'a tweet shows on its own node at once');
      await eventually(`tweet ${tweet.id} in the other node's home page`, async () => (await homeIds(to, ada.token)).includes(tweet.id), { ms: 5000, every: 10 });
    }
    assert.equal((await a.del(`/api/tweets/${old.id}`, bo.token)).status, 204);
    await eventually('the deletion in B\'s home page', async () => !(await homeIds(b, ada.token)).includes(old.id), { ms: 5000, every: 10 });
    const showsBob = (ids) => ids.some((id) => bobs.includes(id));
    assert.ok(showsBob(await homeIds(a, ada.token)));
    assert.equal((await b.del('/api/users/bob/follow', ada.token)).status, 200);
    assert.ok(!showsBob(await homeIds(b, ada.token)), 'the unfollow shows on its own node at once');
    await eventually('the unfollow in A\'s home page', async () => !showsBob(await homeIds(a, ada.token)), { ms: 5000, every: 10 });

    // A token signed out on A is refused by B on the very next request, though B had it in
    // memory (it answered it a moment before, from its cache).
    for (let i = 0; i < 5; i += 1) {
      const session = await a.post('/api/sessions', { username: 'ada', password: 'correct horse battery' });
      assert.equal(session.status, 200);
      const { token } = session.json;
      const hits = await cacheHits(nodeB.url, 'sessions');
      for (let k = 0; k < 3; k += 1) assert.equal((await b.get('/api/me', token)).status, 200);
      assert.ok(await cacheHits(nodeB.url, 'sessions') > hits, 'B answered the token from memory');
      const [here, there] = i % 2 ? [b, a] : [a, b];
      assert.equal((await here.del('/api/sessions', token)).status, 204);
      assert.equal((await there.get('/api/me', token)).status, 401, `sign-out ${i}: the other node refuses the token at once`);
      assert.equal((await here.get('/api/me', token)).status, 401, `sign-out ${i}: the signing-out node refuses it`);
    }
  } finally {
    await stop();
  }
});
