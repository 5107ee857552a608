// nginx, with the site config shipped in deploy/nginx/chirp.conf, in front of two nodes: the
// official client connects through it over long-polling and over WebSocket and receives a
// tweet posted through it; a browser-style cookie session works through it (the config
// passes the Host with its port). Without `ip_hash`, long-polling breaks and WebSocket does
// not: the reason the recipe asks for sticky sessions. Sign-in attempts are limited per
// client. When a node dies, its clients reconnect through nginx to another.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { io } from 'socket.io-client';

import { api } from '../support/chirp.mjs';
import { Client, connect, newTweetArgs, postTweet, quiet, sessionCookie } from '../realtime/helpers.mjs';
import { closeAfter, eventually, resources, startCluster, startNginx, startNodes } from './helpers.mjs';

const WS = { name: 'websocket', transports: ['websocket'] };
const POLLING = { name: 'polling', transports: ['polling'] };

test('through nginx with ip_hash, polling and websocket clients receive tweets', async (t) => {
  const { res, nodes } = await startCluster(t, { nodes: 2 });
  const front = await startNginx(res, nodes.map((n) => n.url));
  const http = api(front.url);
  const alice = await http.signUp('alice');

  const clients = closeAfter(res, [
    await connect(front.url, POLLING, { label: 'polling through nginx' }),
    await connect(front.url, WS, { label: 'websocket through nginx' }),
    // And one straight on each node: whichever node nginx picked, both hear the tweet.
    ...await Promise.all(nodes.map((n) => connect(n.url, WS, { label: `websocket on ${n.label}` }))),
  ]);
  // alice's own socket through nginx, signed in by cookie as a page served by nginx would be.
  const cookie = await sessionCookie(front.url, 'alice');
  const [own] = closeAfter(res, [
    await connect(front.url, WS, { extraHeaders: { cookie, origin: front.url }, label: "alice's own socket through nginx" }),
  ]);

  const tweet = await postTweet(http, alice.token, 'posted through nginx');
  // Posted by a page on nginx's origin with the cookie: the node must see nginx's Host.
  const byCookie = await fetch(`${front.url}/api/tweets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, origin: front.url },
    body: JSON.stringify({ text: 'posted with the cookie through nginx' }),
  });
  const body = await byCookie.text();
  assert.equal(byCookie.status, 201, `cookie POST through nginx: ${byCookie.status} ${body}`);
  const second = JSON.parse(body);

  for (const client of clients) await client.count('newTweet', 2, 10_000);
  await quiet();
  for (const client of clients) {
    assert.deepEqual(client.received('newTweet'), [newTweetArgs(tweet), newTweetArgs(second)], client.label);
  }
  assert.deepEqual(own.received('newTweet'), [], "the author's own socket gets none");
  assert.equal(clients[0].socket.io.engine.transport.name, 'polling', 'still on long-polling');
});

test('without ip_hash, long-polling through nginx fails and WebSocket still works', async (t) => {
  const { res, nodes } = await startCluster(t, { nodes: 2 });
  const front = await startNginx(res, nodes.map((n) => n.url), { ipHash: false });
  assert.doesNotMatch(front.config, /^\s*ip_hash\s*;/m);

  // Round robin sends the session's second request to the node that does not know it.
  await assert.rejects(connect(front.url, POLLING, { label: 'polling through round robin' }));

  const [ws] = closeAfter(res, [await connect(front.url, WS, { label: 'websocket through round robin' })]);
  const http = api(front.url);
  const alice = await http.signUp('alice');
  const tweet = await postTweet(http, alice.token, 'round robin');
  assert.deepEqual(await ws.count('newTweet', 1, 10_000), [newTweetArgs(tweet)]);
});

test('nginx limits sign-in attempts per client and answers in the API error shape', async (t) => {
  const res = resources(t);
  const [node] = await startNodes(res, 1, { databaseUrl: undefined });
  const front = await startNginx(res, [node.url]);
  const http = api(front.url);

  const answers = await Promise.all(Array.from({ length: 20 }, () => http.post('/api/sessions', { username: 'nobody', password: 'not the password' })));
  const statuses = answers.map((r) => r.status);
  assert.deepEqual(statuses.filter((s) => s !== 401 && s !== 429), [], `only 401 or 429: ${statuses}`);
  const limited = answers.filter((r) => r.status === 429);
  assert.ok(limited.length >= 5, `a burst of 20 is cut after about 10: ${statuses}`);
  for (const r of limited) {
    assert.equal(r.json?.error?.code, 'rate_limited', r.text);
    assert.equal(r.headers.get('retry-after'), '1');
  }
  // Everything else still goes through.
  assert.equal((await http.get('/api/tweets')).status, 200);
});

test("when the node nginx sends a client to dies, the client reconnects through nginx to another", async (t) => {
  const { res, nodes } = await startCluster(t, { nodes: 2 });
  const front = await startNginx(res, nodes.map((n) => n.url));
  const http = api(front.url);
  const alice = await http.signUp('alice');

  // The official client as an app uses it: reconnecting by itself (quickly, for the test).
  const clients = closeAfter(res, [POLLING, WS].map((mode) => {
    const socket = io(front.url, { transports: mode.transports, forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
    return new Client(socket, `${mode.name} through nginx`);
  }));
  for (const c of clients) await eventually(`${c.label} to connect`, () => c.socket.connected, { ms: 8000 });

  // ip_hash sent them (all from 127.0.0.1) to one node: the one that counts them.
  const sockets = async (node) => Number((await (await fetch(`${node.url}/metrics`)).text()).match(/^chirp_connected_sockets\s+(\S+)/m)?.[1] ?? 0);
  const chosen = await eventually('a node to hold both sockets', async () => {
    for (const node of nodes) if ((await sockets(node)) === 2) return node;
    return null;
  });
  const other = nodes.find((n) => n !== chosen);

  const seen = clients.map((c) => c.socket.id);
  await chosen.kill9();
  for (const [i, c] of clients.entries()) {
    await eventually(`${c.label} to reconnect`, () => c.socket.connected && c.socket.id !== seen[i]);
  }
  assert.equal(await sockets(other), 2, `both sockets are now on node ${other.label}`);

  const tweet = await postTweet(http, alice.token, 'after a node died');
  for (const c of clients) assert.deepEqual(await c.count('newTweet', 1, 10_000), [newTweetArgs(tweet)], c.label);
});
