// Blocks, mutes, suspensions and reports, live on one node, with the official socket.io-client
// against a real `chirp serve`:
//
// - a block hides each person's tweets from the other's sockets on every watch (the tutorial's
//   everyone, `user:<name>`, `home`), and replies to the blocked person's tweets from the
//   blocker's everyone and home, from the moment the PUT answered; others hear everything;
//   unblocking brings the live tweets back;
// - a mute hides the muted person's tweets (and notifications) from the muter's sockets, and
//   the muted person notices nothing;
// - a suspension disconnects the account's sockets ("io server disconnect") and signing in
//   then answers 403 `suspended`;
// - a report reaches every moderator's sockets as a `notification` of kind `report`.
//
// "Nothing arrived" is proved without sleeping: tweets reach a socket in the order they were
// posted (one node), so once a tweet posted *after* the hidden ones has arrived, a hidden one
// would have been there before it. Each test therefore ends with tweets that must arrive and
// then compares each socket's whole list.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { api, startChirp } from '../support/chirp.mjs';
import { setRole } from '../support/roles.mjs';
import { TRANSPORTS, connect, postTweet, quiet, username, within } from './helpers.mjs';

const WS = TRANSPORTS.find((m) => m.name === 'websocket');
const POLLING = TRANSPORTS.find((m) => m.name === 'polling');

let server;
let http;

before(async () => {
  server = await startChirp({ args: ['--rate-limits', 'off'] });
  http = api(server.url);
});

after(() => server?.stop());

/** A JSON call with a body (the shared client's `put` sends none). */
async function send(method, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(server.url + path, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, text };
}

/** `watch` with an acknowledgement; asserts the server said yes. */
async function watch(client, timeline) {
  assert.deepEqual(await client.socket.timeout(5000).emitWithAck('watch', timeline), { ok: true }, `watch ${timeline}`);
}

async function reply(token, parent, text) {
  const res = await http.post('/api/tweets', { text, reply_to: parent.id }, token);
  assert.equal(res.status, 201, `reply: ${res.status} ${res.text}`);
  return res.json;
}

/** The ids of every `newTweet` a client received, in order. */
const ids = (client) => client.received('newTweet').map(([, t]) => t.id);

/** Every event but `newTweet` a client received, in order. */
const others = (client) => client.events.filter((e) => e.event !== 'newTweet');

/** Waits until each socket has its expected number of tweets, then compares whole lists. */
async function expectTweets(expected) {
  for (const [client, tweets] of expected) await client.count('newTweet', tweets.length);
  await quiet();
  for (const [client, tweets] of expected) {
    assert.deepEqual(ids(client), tweets.map((t) => t.id), `${client.label}: ${JSON.stringify(tweets.map((t) => t.text))}`);
  }
}

/** Resolves to the reason of the client's next `disconnect`. */
function disconnected(client) {
  return within(5000, `${client.label} to be disconnected`, new Promise((resolve) => {
    client.socket.once('disconnect', resolve);
  }));
}

test('a block hides each from the other on every watch from the PUT\'s answer; others hear all; unblock restores', async (t) => {
  const [ann, ben, cat, dan] = await Promise.all(['ann', 'ben', 'cat', 'dan'].map((n) => http.signUp(username(n))));
  const [a, b, c] = [ann, ben, cat].map((u) => u.user.username);
  for (const followee of [b, c]) assert.equal((await http.put(`/api/users/${followee}/follow`, ann.token)).status, 200);
  const parent = await postTweet(http, ben.token, 'a thread by ben');

  const open = [];
  const socket = async (label, mode, user, timeline) => {
    const client = await connect(server.url, mode, { label, auth: user ? { token: user.token } : undefined });
    open.push(client);
    if (timeline) await watch(client, timeline);
    return client;
  };
  t.after(() => open.forEach((s) => s.close()));
  const annTutorial = await socket('ann, never watched', POLLING, ann);
  const annEveryone = await socket('ann on everyone', WS, ann, 'everyone');
  const annOnBen = await socket(`ann on user:${b}`, WS, ann, `user:${b}`);
  const annOnCat = await socket(`ann on user:${c}`, POLLING, ann, `user:${c}`);
  const annHome = await socket('ann on home', WS, ann, 'home');
  const benEveryone = await socket('ben on everyone', WS, ben, 'everyone');
  const benOnAnn = await socket(`ben on user:${a}`, POLLING, ben, `user:${a}`);
  const danEveryone = await socket('dan (someone else) on everyone', WS, dan, 'everyone');
  const anonymous = await socket('anonymous', POLLING, null);

  const blocked = await http.put(`/api/users/${b}/block`, ann.token);
  assert.equal(blocked.status, 200, blocked.text);
  assert.equal(blocked.json.blocked_by_me, true);
  // Right after the answer, from both sides, and a reply by a third person to ben's tweet.
  const byBen = await postTweet(http, ben.token, 'ben, just after the block');
  const catReplies = await reply(cat.token, parent, 'cat answers ben');
  const byAnn = await postTweet(http, ann.token, 'ann, just after the block');
  const control = await postTweet(http, cat.token, 'cat, top level');
  // While it stands, ann cannot follow ben again.
  const refused = await http.put(`/api/users/${b}/follow`, ann.token);
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.code, 'blocked');

  await expectTweets([
    [annTutorial, [control]],
    [annEveryone, [control]],
    [annOnCat, [catReplies, control]],
    [annHome, [control]],
    [benEveryone, [catReplies, control]],
    [danEveryone, [byBen, catReplies, byAnn, control]],
    [anonymous, [byBen, catReplies, byAnn, control]],
  ]);

  // Unblocked (and ann follows ben again, since the block removed that follow): the next
  // tweets come through again — and being first on the two sockets that got nothing so far,
  // they also prove nothing hidden was merely late.
  const unblocked = await http.del(`/api/users/${b}/block`, ann.token);
  assert.equal(unblocked.status, 200, unblocked.text);
  assert.equal(unblocked.json.blocked_by_me, false);
  assert.equal((await http.put(`/api/users/${b}/follow`, ann.token)).status, 200);
  const benBack = await postTweet(http, ben.token, 'ben, after the unblock');
  const catAgain = await reply(cat.token, parent, 'cat answers ben again');
  const annBack = await postTweet(http, ann.token, 'ann, after the unblock');

  await expectTweets([
    [annTutorial, [control, benBack, catAgain]],
    [annEveryone, [control, benBack, catAgain]],
    [annOnBen, [benBack]],
    [annOnCat, [catReplies, control, catAgain]],
    [annHome, [control, benBack, catAgain]],
    [benEveryone, [catReplies, control, catAgain, annBack]],
    [benOnAnn, [annBack]],
    [danEveryone, [byBen, catReplies, byAnn, control, benBack, catAgain, annBack]],
  ]);
});

test('a mute hides the muted person\'s tweets and notifications from the muter\'s sockets; the muted person notices nothing', async (t) => {
  const [eve, max, cy, dot] = await Promise.all(['eve', 'max', 'cy', 'dot'].map((n) => http.signUp(username(n))));
  const [e, m, c] = [eve, max, cy].map((u) => u.user.username);
  for (const followee of [m, c]) assert.equal((await http.put(`/api/users/${followee}/follow`, eve.token)).status, 200);
  const parent = await postTweet(http, max.token, 'a thread by max');
  const eves = await postTweet(http, eve.token, 'something of eve\'s to like');

  const open = [];
  const socket = async (label, mode, user, timeline) => {
    const client = await connect(server.url, mode, { label, auth: user ? { token: user.token } : undefined });
    open.push(client);
    if (timeline) await watch(client, timeline);
    return client;
  };
  t.after(() => open.forEach((s) => s.close()));
  const eveEveryone = await socket('eve on everyone', WS, eve, 'everyone');
  const eveOnMax = await socket(`eve on user:${m}`, POLLING, eve, `user:${m}`);
  const eveHome = await socket('eve on home (following max)', WS, eve, 'home');
  const maxEveryone = await socket('max (muted) on everyone', POLLING, max, 'everyone');
  const maxOnEve = await socket(`max on user:${e}`, WS, max, `user:${e}`);
  const dotEveryone = await socket('dot (someone else) on everyone', WS, dot, 'everyone');

  const muted = await send('PUT', `/api/users/${m}/mute`, { notifications: true }, eve.token);
  assert.equal(muted.status, 200, muted.text);
  assert.equal(muted.json.muted_by_me, true);
  assert.equal(muted.json.followed_by_me, true, 'a mute keeps the follow: eve\'s home still has max in it');
  const byMax = await postTweet(http, max.token, 'max, just after the mute');
  const cyReplies = await reply(cy.token, parent, 'cy answers max');
  assert.equal((await http.put(`/api/tweets/${eves.id}/like`, max.token)).status, 200, 'max can still like eve\'s tweets');
  const byEve = await postTweet(http, eve.token, 'eve, just after the mute');
  const control = await postTweet(http, cy.token, 'cy, top level');

  await expectTweets([
    [eveEveryone, [control]],
    [eveHome, [control]],
    [maxEveryone, [cyReplies, byEve, control]],
    [maxOnEve, [byEve]],
    [dotEveryone, [byMax, cyReplies, byEve, control]],
  ]);
  // Max hears of cy's reply to him, and nothing else: nothing of the mute.
  for (const s of [maxEveryone, maxOnEve]) {
    await s.count('notification', 1);
    const heard = others(s).map(({ event, args: [n] }) => [event, n.kind, n.actor.username]);
    assert.deepEqual(heard, [['notification', 'reply', c]], `${s.label} is told nothing of the mute`);
  }
  const seen = await http.get(`/api/users/${e}`, max.token);
  assert.equal(seen.status, 200);
  assert.equal(seen.json.blocks_me, false);
  assert.equal(seen.json.follows_me, true, 'to max, eve still follows him');

  // Unmuted: max's next tweet and his reply to eve come through, and being the first tweet on
  // eve's user:max socket and the first notification on all of hers, they prove that nothing
  // of max's was merely late (the like above never notifies her).
  const unmuted = await http.del(`/api/users/${m}/mute`, eve.token);
  assert.equal(unmuted.status, 200, unmuted.text);
  assert.equal(unmuted.json.muted_by_me, false);
  const maxBack = await postTweet(http, max.token, 'max, after the unmute');
  const maxReplies = await reply(max.token, eves, 'max answers eve');
  await expectTweets([
    [eveEveryone, [control, maxBack, maxReplies]],
    [eveOnMax, [maxBack, maxReplies]],
    [eveHome, [control, maxBack, maxReplies]],
  ]);
  for (const s of [eveEveryone, eveOnMax, eveHome]) {
    const [[n]] = await s.count('notification', 1);
    assert.equal(n.kind, 'reply', s.label);
    assert.equal(n.actor.username, m, s.label);
    assert.equal(n.tweet.id, maxReplies.id, s.label);
    assert.equal(s.received('notification').length, 1, `${s.label}: the like made while muted never arrives`);
  }
});

test('a suspension disconnects the account\'s sockets, and signing in then answers 403 suspended', async (t) => {
  const [sam, mod, pat] = await Promise.all(['sam', 'mod', 'pat'].map((n) => http.signUp(username(n))));
  await setRole(server, mod.user.username, 'moderator');
  const samWs = await connect(server.url, WS, { auth: { token: sam.token }, label: 'sam websocket' });
  const samPolling = await connect(server.url, POLLING, { auth: { token: sam.token }, label: 'sam polling' });
  const patWs = await connect(server.url, WS, { auth: { token: pat.token }, label: 'pat websocket' });
  const anonymous = await connect(server.url, POLLING, { label: 'anonymous' });
  t.after(() => [samWs, samPolling, patWs, anonymous].forEach((s) => s.close()));

  const ended = [disconnected(samWs), disconnected(samPolling)];
  const suspended = await send('POST', `/api/admin/users/${sam.user.username}/suspend`, { reason: 'spam, over and over' }, mod.token);
  assert.equal(suspended.status, 200, suspended.text);
  assert.equal(suspended.json.suspended, true);
  // The sockets were ended before the answer: a new one with the same token is refused now.
  await assert.rejects(
    connect(server.url, WS, { auth: { token: sam.token }, label: 'sam again, same token' }),
    (err) => err.message === 'invalid token',
  );
  assert.deepEqual(await Promise.all(ended), ['io server disconnect', 'io server disconnect']);
  assert.equal((await http.get('/api/me', sam.token)).status, 401);

  const signIn = await http.post('/api/sessions', { username: sam.user.username, password: 'correct horse battery' });
  assert.equal(signIn.status, 403, signIn.text);
  assert.equal(signIn.json.error.code, 'suspended');

  // Everyone else stays connected and keeps hearing tweets.
  const tweet = await postTweet(http, mod.token, 'carry on');
  for (const s of [patWs, anonymous]) {
    const [[, notice]] = await s.count('newTweet', 1);
    assert.equal(notice.id, tweet.id, s.label);
    assert.equal(s.socket.connected, true, s.label);
  }

  // Unsuspended, sam may sign in again (the old session stays ended).
  const back = await send('POST', `/api/admin/users/${sam.user.username}/unsuspend`, {}, mod.token);
  assert.equal(back.status, 200, back.text);
  assert.equal(back.json.suspended, false);
  assert.equal((await http.get('/api/me', sam.token)).status, 401);
  const again = await http.post('/api/sessions', { username: sam.user.username, password: 'correct horse battery' });
  assert.equal(again.status, 200, again.text);
});

test('a report reaches every socket of every moderator as a notification of kind report, and no one else', async (t) => {
  const [rex, troll, mia, lee, bystander] = await Promise.all(['rex', 'troll', 'mia', 'lee', 'bys'].map((n) => http.signUp(username(n))));
  await setRole(server, mia.user.username, 'moderator');
  await setRole(server, lee.user.username, 'admin');
  const miaWs = await connect(server.url, WS, { auth: { token: mia.token }, label: 'moderator mia websocket' });
  const miaPolling = await connect(server.url, POLLING, { auth: { token: mia.token }, label: 'moderator mia polling' });
  const leeWs = await connect(server.url, WS, { auth: { token: lee.token }, label: 'admin lee websocket' });
  const rexWs = await connect(server.url, WS, { auth: { token: rex.token }, label: 'rex (the reporter)' });
  const trollWs = await connect(server.url, WS, { auth: { token: troll.token }, label: 'troll (reported)' });
  const byWs = await connect(server.url, POLLING, { auth: { token: bystander.token }, label: 'bystander' });
  const all = [miaWs, miaPolling, leeWs, rexWs, trollWs, byWs];
  t.after(() => all.forEach((s) => s.close()));

  const bad = await postTweet(http, troll.token, 'buy my stuff');
  const filed = await send('POST', '/api/reports', {
    username: troll.user.username, tweet_ids: [bad.id], category: 'spam', reason: 'the same ad ten times',
  }, rex.token);
  assert.equal(filed.status, 201, filed.text);
  assert.equal(typeof filed.json.id, 'number');

  for (const s of [miaWs, miaPolling, leeWs]) {
    const [[n]] = await s.count('notification', 1);
    assert.equal(n.kind, 'report', s.label);
    assert.equal(n.report_id, filed.json.id, s.label);
    assert.deepEqual(n.actor, { id: rex.user.id, username: rex.user.username }, s.label);
    assert.equal(n.tweet, null, s.label);
    assert.equal(n.read, false, s.label);
    assert.equal(n.unread_count, 1, s.label);
  }
  // The same notification, listed; and the report in the moderators' queue.
  const listed = await http.get('/api/notifications', mia.token);
  assert.deepEqual(listed.json.notifications.map((n) => n.id), [miaWs.received('notification')[0][0].id]);
  const queue = await http.get('/api/admin/reports', mia.token);
  assert.equal(queue.status, 200, queue.text);
  assert.deepEqual(queue.json.reports.map((r) => r.id), [filed.json.id]);

  // The next notification anyone here gets is this like: had the report reached the others,
  // it would have come first.
  assert.equal((await http.put(`/api/tweets/${bad.id}/like`, bystander.token)).status, 200);
  const [[like]] = await trollWs.count('notification', 1);
  assert.equal(like.kind, 'like');
  await quiet();
  for (const s of [rexWs, byWs]) assert.deepEqual(s.received('notification'), [], `${s.label} hears of no report`);
  assert.equal(trollWs.received('notification').length, 1, 'the reported person hears of no report');
});
