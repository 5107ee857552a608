// Replies and notifications live, with the official socket.io-client against a real
// `chirp serve`: a `replies:<id>` watcher gets each new reply exactly once (and nothing
// else), `newTweet` names the parent, and `notification` reaches every socket of its
// recipient — both of them, over WebSocket and long-polling — and nobody else's.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, startChirp } from '../support/chirp.mjs';
import { TRANSPORTS, connect, newTweetArgs, postTweet, quiet, username } from './helpers.mjs';

const WS = TRANSPORTS.find((m) => m.name === 'websocket');
const POLLING = TRANSPORTS.find((m) => m.name === 'polling');

let server;
let http;

before(async () => {
  server = await startChirp({ args: ['--rate-limits', 'off'] });
  http = api(server.url);
});

after(() => server?.stop());

function watch(client, timeline) {
  return client.socket.timeout(5000).emitWithAck('watch', timeline);
}

async function reply(token, parent, text) {
  const res = await http.post('/api/tweets', { text, reply_to: parent.id }, token);
  assert.equal(res.status, 201, `reply: ${res.status} ${res.text}`);
  return res.json;
}

test('replies:<id> watchers get each new reply exactly once, naming its parent', async (t) => {
  const [ann, ben] = await Promise.all([http.signUp(username('ann')), http.signUp(username('ben'))]);
  const parent = await postTweet(http, ann.token, 'what do you think?');
  const other = await postTweet(http, ann.token, 'another thread');
  const watchers = [];
  for (const mode of [WS, POLLING]) {
    const c = await connect(server.url, mode, { label: `replies watcher ${mode.name}` });
    t.after(() => c.close());
    assert.deepEqual(await watch(c, `replies:${parent.id}`), { ok: true });
    watchers.push(c);
  }
  const everyone = await connect(server.url, WS, { label: 'everyone' });
  t.after(() => everyone.close());

  const r1 = await reply(ben.token, parent, 'I think so');
  await reply(ben.token, other, 'elsewhere');
  await postTweet(http, ben.token, 'not a reply');
  const r2 = await reply(ann.token, parent, 'thanks');
  assert.deepEqual(r1.reply_to.id, parent.id);

  for (const c of watchers) {
    await c.count('newTweet', 2);
  }
  await everyone.count('newTweet', 4);
  await quiet();
  for (const c of watchers) {
    assert.deepEqual(c.received('newTweet'), [newTweetArgs(r1), newTweetArgs(r2)], c.label);
    assert.equal(c.received('newTweet')[0][1].reply_to, parent.id);
  }
  const top = everyone.received('newTweet').find(([, n]) => n.reply_to === null);
  assert.ok(top, 'a top-level tweet says reply_to: null');
  assert.equal(everyone.received('newTweet').length, 4);
});

test('a notification reaches both of the recipient\'s sockets and nobody else', async (t) => {
  const [cat, dan, eve] = await Promise.all([
    http.signUp(username('cat')),
    http.signUp(username('dan')),
    http.signUp(username('eve')),
  ]);
  const catWs = await connect(server.url, WS, { auth: { token: cat.token }, label: 'cat websocket' });
  const catPolling = await connect(server.url, POLLING, { auth: { token: cat.token }, label: 'cat polling' });
  const danWs = await connect(server.url, WS, { auth: { token: dan.token }, label: 'dan (the actor)' });
  const eveWs = await connect(server.url, WS, { auth: { token: eve.token }, label: 'eve' });
  const anon = await connect(server.url, POLLING, { label: 'anonymous' });
  const all = [catWs, catPolling, danWs, eveWs, anon];
  t.after(() => all.forEach((c) => c.close()));

  // A follow, then a reply that also mentions cat (one `reply`), then a like.
  const followed = await http.put(`/api/users/${cat.user.username}/follow`, dan.token);
  assert.equal(followed.status, 200);
  const parent = await postTweet(http, cat.token, 'hello');
  const answer = await reply(dan.token, parent, `hi @${cat.user.username}`);
  const liked = await http.put(`/api/tweets/${parent.id}/like`, dan.token);
  assert.equal(liked.status, 200);

  for (const c of [catWs, catPolling]) {
    const got = (await c.count('notification', 3)).map(([n]) => n);
    assert.deepEqual(got.map((n) => n.kind), ['follow', 'reply', 'like'], c.label);
    assert.deepEqual(got.map((n) => n.unread_count), [1, 2, 3], c.label);
    for (const n of got) {
      assert.deepEqual(n.actor, { id: dan.user.id, username: dan.user.username });
      assert.equal(n.read, false);
      assert.equal(typeof n.id, 'number');
      assert.match(n.created_at, /Z$/);
    }
    assert.equal(got[0].tweet, null);
    assert.equal(got[1].tweet.id, answer.id);
    assert.equal(got[1].tweet.reply_to.id, parent.id);
    assert.equal(got[2].tweet.id, parent.id);
    assert.equal(got[2].tweet.liked_by_me, false, 'the tweet as the recipient sees it');
  }
  // The same notifications as the API lists them.
  const listed = await http.get('/api/notifications', cat.token);
  const pushed = catWs.received('notification').map(([n]) => n.id);
  assert.deepEqual(listed.json.notifications.map((n) => n.id), [...pushed].reverse());

  // Unliking and liking again makes no second notification; nor does anything dan does to himself.
  await http.del(`/api/tweets/${parent.id}/like`, dan.token);
  await http.put(`/api/tweets/${parent.id}/like`, dan.token);
  await postTweet(http, dan.token, `me, @${dan.user.username}`);
  await quiet();
  for (const c of [catWs, catPolling]) assert.equal(c.received('notification').length, 3, c.label);
  for (const c of [danWs, eveWs, anon]) assert.deepEqual(c.received('notification'), [], `${c.label} hears no one else's notifications`);
});
