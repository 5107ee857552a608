// masto.js 7 (the TypeScript Mastodon client), unchanged, against Chirp's Mastodon client
// API: app registration and sign-in (OAuth password grant), verify credentials, home and
// public timelines with paging, post (with an image made here, and its description), reply,
// favourite, follow, context, notifications, delete — each answer read by masto's own entity
// parsing (JSON answers, absolute `Link` headers for its paginator).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient } from 'masto';
import WebSocket from 'ws';

import { startChirp } from '../support/chirp.mjs';

const PASSWORD = 'correct horse battery';
let chirp;
let app;

before(async () => {
  chirp = await startChirp();
  const anonymous = createRestAPIClient({ url: chirp.url });
  app = await anonymous.v1.apps.create({
    clientName: 'masto.js test',
    redirectUris: 'urn:ietf:wg:oauth:2.0:oob',
    scopes: 'read write follow',
  });
});

after(async () => { await chirp?.stop(); });

async function signUp(prefix) {
  const username = `${prefix}_${Math.random().toString(36).slice(2, 8)}`;
  const made = await fetch(`${chirp.url}/api/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  assert.equal(made.status, 201);
  const oauth = createOAuthAPIClient({ url: chirp.url });
  const token = await oauth.token.create({
    grantType: 'password',
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: 'urn:ietf:wg:oauth:2.0:oob',
    username,
    password: PASSWORD,
    scope: 'read write follow',
  });
  return { username, token, masto: createRestAPIClient({ url: chirp.url, accessToken: token.accessToken }) };
}

test('an app registers and a user signs in', async () => {
  assert.ok(app.clientId && app.clientSecret);
  const { username, token, masto } = await signUp('ada');
  assert.equal(token.tokenType, 'Bearer');
  const me = await masto.v1.accounts.verifyCredentials();
  assert.equal(me.username, username);
  const instance = await masto.v2.instance.fetch();
  assert.match(instance.version, /^4\.3\.0 \(compatible; Chirp /);
});

test('post, reply, favourite, follow, context, notifications and delete', async () => {
  const ada = await signUp('ada');
  const bob = await signUp('bob');
  const bobAccount = await ada.masto.v1.accounts.lookup({ acct: bob.username });
  const rel = await ada.masto.v1.accounts.$select(bobAccount.id).follow();
  assert.equal(rel.following, true);

  const post = await bob.masto.v1.statuses.create({ status: 'hello <world> #masto' });
  assert.match(post.content, /hello &lt;world&gt;/);
  assert.deepEqual(post.tags.map((t) => t.name), ['masto']);
  const reply = await ada.masto.v1.statuses.create({ status: `@${bob.username} hi!`, inReplyToId: post.id });
  assert.equal(reply.inReplyToId, post.id);
  const faved = await ada.masto.v1.statuses.$select(post.id).favourite();
  assert.equal(faved.favourited, true);
  assert.equal(faved.favouritesCount, 1);

  const context = await bob.masto.v1.statuses.$select(post.id).context.fetch();
  assert.deepEqual(context.descendants.map((s) => s.id), [reply.id]);

  const notes = await bob.masto.v1.notifications.list();
  assert.deepEqual(notes.map((n) => n.type), ['favourite', 'mention', 'follow']);
  await bob.masto.v1.notifications.$select(notes[0].id).dismiss();
  assert.equal((await bob.masto.v1.notifications.list()).length, 2);
  await bob.masto.v1.notifications.clear();
  assert.equal((await bob.masto.v1.notifications.list()).length, 0);

  const home = await ada.masto.v1.timelines.home.list({ limit: 5 });
  assert.deepEqual(home.slice(0, 2).map((s) => s.id), [reply.id, post.id]);

  const removed = await ada.masto.v1.statuses.$select(reply.id).remove();
  assert.equal(removed.id, reply.id);
  await assert.rejects(ada.masto.v1.statuses.$select(reply.id).fetch(), (e) => e.statusCode === 404);
});

// A real PNG of one colour, made here.
function png(width, height, [r, g, b]) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (kind, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(kind, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array(width).fill([r, g, b]).flat())]);
  const rows = Buffer.concat(Array(height).fill(row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('post with an image and its description', async () => {
  const { masto } = await signUp('painter');
  // masto waits for the attachment to be processed (it polls GET /api/v1/media/:id).
  const media = await masto.v2.media.create({
    file: new Blob([png(30, 20, [200, 30, 30])], { type: 'image/png' }),
    description: 'a red rectangle',
  });
  assert.equal(media.type, 'image');
  assert.equal(media.description, 'a red rectangle');
  assert.ok(media.url.startsWith(chirp.url), media.url);
  assert.deepEqual([media.meta.original.width, media.meta.original.height], [30, 20]);
  const post = await masto.v1.statuses.create({ status: 'a picture', mediaIds: [media.id] });
  assert.deepEqual(post.mediaAttachments.map((m) => m.id), [media.id]);
  assert.equal(post.mediaAttachments[0].description, 'a red rectangle');
  const fetched = await masto.v1.statuses.$select(post.id).fetch();
  assert.equal(fetched.mediaAttachments[0].url, media.url);
  const served = await fetch(media.url);
  assert.equal(served.status, 200);
  assert.match(served.headers.get('content-type'), /^image\//);
  assert.ok((await served.arrayBuffer()).byteLength > 100);
  // Attached once, never again.
  await assert.rejects(
    masto.v1.statuses.create({ status: 'again', mediaIds: [media.id] }),
    (e) => e.statusCode === 422,
  );
  // Without waiting, an image and no text.
  const quick = await masto.v2.media.create({ file: new Blob([png(4, 4, [0, 0, 255])]), skipPolling: true });
  assert.ok(quick.url, 'processed before the answer');
  const quiet = await masto.v1.statuses.create({ status: '', mediaIds: [quick.id] });
  assert.equal(quiet.content, '');
  assert.equal(quiet.mediaAttachments.length, 1);
});

test('timelines page through the Link header', async () => {
  const { masto } = await signUp('pager');
  const ids = [];
  for (let n = 0; n < 5; n++) ids.push((await masto.v1.statuses.create({ status: `page ${n}` })).id);
  const me = await masto.v1.accounts.verifyCredentials();
  const pages = [];
  for await (const page of masto.v1.accounts.$select(me.id).statuses.list({ limit: 2 })) {
    pages.push(page.map((s) => s.id));
    if (pages.length === 5) break;
  }
  // As on Mastodon, the walk ends with an empty page (no `Link` header after it).
  assert.deepEqual(pages, [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]], []]);
  const first = await masto.v1.timelines.public.list({ limit: 2 });
  assert.deepEqual(first.map((s) => s.id), [ids[4], ids[3]]);
});

test('a read-only token cannot post', async () => {
  const { username } = await signUp('reader');
  const oauth = createOAuthAPIClient({ url: chirp.url });
  const token = await oauth.token.create({
    grantType: 'password',
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: 'urn:ietf:wg:oauth:2.0:oob',
    username,
    password: PASSWORD,
    scope: 'read',
  });
  const reader = createRestAPIClient({ url: chirp.url, accessToken: token.accessToken });
  await assert.rejects(reader.v1.statuses.create({ status: 'nope' }), (e) => e.statusCode === 403);
});

test('streams over WebSocket: user (home and notifications), public, hashtag', async () => {
  const ada = await signUp('ada');
  const bob = await signUp('bob');
  const cat = await signUp('cat');
  const bobAccount = await ada.masto.v1.accounts.lookup({ acct: bob.username });
  await ada.masto.v1.accounts.$select(bobAccount.id).follow();
  const instance = await ada.masto.v2.instance.fetch();
  assert.match(instance.configuration.urls.streaming, /^ws:\/\//);
  const streaming = createStreamingAPIClient({
    streamingApiUrl: instance.configuration.urls.streaming,
    accessToken: ada.token.accessToken,
    implementation: WebSocket,
    retry: false,
  });
  // Every event of each stream, until the deletion of `last` arrives.
  const seen = { user: [], public: [], tag: [] };
  let last;
  const pump = (name, subscription) => (async () => {
    for await (const event of subscription) {
      seen[name].push(event);
      if (event.event === 'delete' && event.payload === last) break;
    }
  })();
  const done = Promise.all([
    pump('user', streaming.user.subscribe()),
    pump('public', streaming.public.subscribe()),
    pump('tag', streaming.hashtag.subscribe({ tag: 'Streams' })),
  ]);
  // masto connects (and subscribes, in this order) in its own time: `cat`, whom ada does not
  // follow, posts to the tag until the last subscription hears it.
  for (let n = 0; seen.tag.length === 0; n++) {
    assert.ok(n < 100, 'the streams never opened');
    await cat.masto.v1.statuses.create({ status: `#streams warming up ${n}` });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const plain = await bob.masto.v1.statuses.create({ status: 'no tag' });
  last = plain.id;
  const post = await bob.masto.v1.statuses.create({ status: `@${ada.username} hi #streams` });
  await bob.masto.v1.statuses.$select(plain.id).remove();
  await done;
  streaming.close();
  const ours = (events) => events.filter((e) => e.event !== 'update' || e.payload.account.username !== cat.username);
  const user = ours(seen.user);
  assert.deepEqual(user.map((e) => e.event), ['update', 'update', 'notification', 'delete']);
  assert.ok(user.every((e) => e.stream.length === 1 && e.stream[0] === 'user'));
  assert.equal(user[1].payload.id, post.id);
  assert.equal(user[2].payload.type, 'mention');
  assert.equal(user[3].payload, plain.id);
  assert.deepEqual(ours(seen.public).map((e) => e.event), ['update', 'update', 'delete']);
  const tag = ours(seen.tag);
  assert.deepEqual(tag.map((e) => [e.event, e.stream]), [['update', ['hashtag', 'Streams']], ['delete', ['hashtag', 'Streams']]]);
  assert.equal(tag[0].payload.id, post.id);
});

test('search and a tag timeline', async () => {
  const { masto, username } = await signUp('finder');
  const post = await masto.v1.statuses.create({ status: 'Brewing #MastoJS café' });
  const found = await masto.v2.search.list({ q: 'cafe', type: 'statuses' });
  assert.deepEqual(found.statuses.map((s) => s.id), [post.id]);
  const people = await masto.v2.search.list({ q: username, type: 'accounts' });
  assert.equal(people.accounts[0].username, username);
  const tagged = await masto.v1.timelines.tag.$select('mastojs').list();
  assert.deepEqual(tagged.map((s) => s.id), [post.id]);
});
