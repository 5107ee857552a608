// Notifications from someone you block or mute leave your live badge: the server sends
// `unreadCount` with the new count to every socket of yours (and, for a block, of theirs),
// with the official socket.io-client against a real `chirp serve`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { api, startChirp } from '../support/chirp.mjs';
import { TRANSPORTS, connect, postTweet, quiet, username } from './helpers.mjs';

const WS = TRANSPORTS.find((m) => m.name === 'websocket');

let server;
let http;

before(async () => {
  server = await startChirp({ args: ['--rate-limits', 'off'] });
  http = api(server.url);
});

after(() => server?.stop());

test('blocking or muting someone sends the new unread count to your sockets', async (t) => {
  const names = [username('ann'), username('ben'), username('cat')];
  const [ann, ben, cat] = await Promise.all(names.map((n) => http.signUp(n)));
  const tweet = await postTweet(http, ann.token, 'like me');
  for (const fan of [ben, cat]) {
    const res = await http.put(`/api/tweets/${tweet.id}/like`, fan.token);
    assert.equal(res.status, 200, res.text);
  }
  const socket = await connect(server.url, WS, { auth: { token: ann.token }, label: 'ann' });
  t.after(() => socket.close());
  const other = await connect(server.url, WS, { auth: { token: cat.token }, label: 'cat' });
  t.after(() => other.close());

  const blocked = await http.put(`/api/users/${names[1]}/block`, ann.token);
  assert.equal(blocked.status, 200, blocked.text);
  const [[first]] = await socket.count('unreadCount', 1);
  assert.deepEqual(first, { unread_count: 1 }, 'ben\'s like left the count');

  const muted = await http.put(`/api/users/${names[2]}/mute`, ann.token);
  assert.equal(muted.status, 200, muted.text);
  const counts = await socket.count('unreadCount', 2);
  assert.deepEqual(counts[1][0], { unread_count: 0 });
  // The muted person notices nothing.
  await quiet();
  assert.deepEqual(other.received('unreadCount'), []);
  const list = await http.get('/api/notifications', ann.token);
  assert.equal(list.json.unread_count, 0);
});
