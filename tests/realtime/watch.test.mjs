// `watch`: a socket watches one timeline and gets `newTweet` only for tweets that timeline
// gains — checked with the official socket.io-client over WebSocket and long-polling against a
// real `chirp serve`. A socket that never says `watch` still gets every tweet (the tutorial).
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { api, startChirp } from '../support/chirp.mjs';
import { TRANSPORTS, connect, postTweet, quiet, username } from './helpers.mjs';

let server;
let http;
let ada;
let bob;
let cy;
let viewer;

before(async () => {
  server = await startChirp({ args: ['--rate-limits', 'off'] });
  http = api(server.url);
  [ada, bob, cy, viewer] = await Promise.all([
    http.signUp(username('ada')),
    http.signUp(username('bob')),
    http.signUp(username('cy')),
    http.signUp(username('viewer')),
  ]);
});

after(() => server?.stop());

/** `watch` with an acknowledgement; resolves to the server's answer. */
function watch(client, timeline) {
  return client.socket.timeout(5000).emitWithAck('watch', timeline);
}

/** The ids of every `newTweet` a client received, in order. */
const ids = (client) => client.received('newTweet').map(([, t]) => t.id);

for (const mode of TRANSPORTS.filter((m) => m.transports)) {
  describe(`over ${mode.name}`, () => {
    let open = [];
    const client = async (label, opts = {}) => {
      const c = await connect(server.url, mode, { label, ...opts });
      open.push(c);
      return c;
    };
    afterEach(async () => {
      for (const c of open) c.close();
      open = [];
      // Follows made by a test are undone so the next starts from nobody followed.
      for (const who of [ada, bob, cy]) await http.del(`/api/users/${who.user.username}/follow`, viewer.token);
    });

    test('a socket that never says watch gets every tweet; user:<name> gets only that author', async () => {
      const tutorial = await client('tutorial');
      const onAda = await client('on ada');
      assert.deepEqual(await watch(onAda, `user:${ada.user.username}`), { ok: true });

      const a1 = await postTweet(http, ada.token, 'ada 1');
      const b1 = await postTweet(http, bob.token, 'bob 1');
      const a2 = await postTweet(http, ada.token, 'ada 2');
      await tutorial.count('newTweet', 3);
      await onAda.count('newTweet', 2);
      await quiet();
      assert.deepEqual(ids(tutorial), [a1.id, b1.id, a2.id]);
      assert.deepEqual(ids(onAda), [a1.id, a2.id], 'exactly once each, nothing of bob');
    });

    test('watch names are checked; a refused watch leaves the socket where it was', async () => {
      const anon = await client('anonymous');
      assert.deepEqual(await watch(anon, `user:${bob.user.username}`), { ok: true });
      const refusals = [
        ['home', 'not_signed_in'],
        ['user:nobody_here_x', 'not_found'],
        ['user:no spaces', 'not_found'],
        ['replies:987654321', 'not_found'],
        ['bogus', 'invalid_timeline'],
        ['replies:abc', 'invalid_timeline'],
        ['tag:123', 'invalid_timeline'],
        ['tag:', 'invalid_timeline'],
        ['tag:no spaces', 'invalid_timeline'],
        [42, 'invalid_timeline'],
        [{ timeline: 'home' }, 'invalid_timeline'],
      ];
      for (const [name, code] of refusals) {
        const answer = await watch(anon, name);
        assert.equal(answer?.error?.code, code, `watch(${JSON.stringify(name)}) → ${JSON.stringify(answer)}`);
        assert.equal(typeof answer.error.message, 'string');
      }
      const a = await postTweet(http, ada.token, 'not for bob watchers');
      const b = await postTweet(http, bob.token, 'for bob watchers');
      await anon.count('newTweet', 1);
      await quiet();
      assert.deepEqual(ids(anon), [b.id], `still on user:bob, not ${a.id}`);
    });

    test('back to everyone; replies:<id> of a top-level tweet gets no top-level tweets', async () => {
      const parent = await postTweet(http, cy.token, 'a conversation starts');
      const c = await client('switcher');
      assert.deepEqual(await watch(c, `replies:${parent.id}`), { ok: true });
      await postTweet(http, cy.token, 'not a reply');
      await quiet();
      assert.deepEqual(ids(c), []);
      assert.deepEqual(await watch(c, 'everyone'), { ok: true });
      const t = await postTweet(http, bob.token, 'everyone sees this');
      await c.count('newTweet', 1);
      assert.deepEqual(ids(c), [t.id]);
    });

    test('tag:<name> gets the tweets that gain that tag, by any spelling, once each; hidden authors skipped', async () => {
      const onTag = await client('on #Café', { auth: { token: viewer.token } });
      const spelled = await client('on #CAFE\u0301');
      assert.deepEqual(await watch(onTag, 'tag:Café'), { ok: true });
      assert.deepEqual(await watch(spelled, 'tag:#CAFE\u0301'), { ok: true });
      const t1 = await postTweet(http, ada.token, 'un #café #café et un #thé');
      await postTweet(http, ada.token, 'un #cafe sans accent');
      await postTweet(http, bob.token, 'no tag at all, café');
      const t2 = await postTweet(http, bob.token, 'du #CAFÉ');
      for (const c of [onTag, spelled]) await c.count('newTweet', 2);
      await quiet();
      for (const c of [onTag, spelled]) assert.deepEqual(ids(c), [t1.id, t2.id]);
      // Muting bob hides him from the muter's tag sockets, not from others'.
      assert.equal((await http.put(`/api/users/${bob.user.username}/mute`, viewer.token)).status, 200);
      const muted = await postTweet(http, bob.token, 'encore un #café');
      await spelled.count('newTweet', 3);
      await quiet();
      assert.deepEqual(ids(onTag), [t1.id, t2.id], `not ${muted.id}`);
      assert.equal((await http.del(`/api/users/${bob.user.username}/mute`, viewer.token)).status, 200);
    });

    test('home: the viewer and whom they follow, live across follow and unfollow', async () => {
      const home = await client('viewer home', { auth: { token: viewer.token } });
      assert.deepEqual(await watch(home, 'home'), { ok: true });

      await postTweet(http, ada.token, 'before the follow');
      await quiet();
      assert.deepEqual(ids(home), [], 'not followed yet');

      assert.equal((await http.put(`/api/users/${ada.user.username}/follow`, viewer.token)).status, 200);
      const followed = await postTweet(http, ada.token, 'after the follow');
      const stranger = await postTweet(http, bob.token, 'bob is not followed');
      await home.count('newTweet', 1);
      await quiet();
      assert.deepEqual(ids(home), [followed.id], `not ${stranger.id}`);

      assert.equal((await http.del(`/api/users/${ada.user.username}/follow`, viewer.token)).status, 200);
      await postTweet(http, ada.token, 'after the unfollow');
      await quiet();
      assert.deepEqual(ids(home), [followed.id], 'unfollow takes effect on the next tweet');

      await postTweet(http, viewer.token, 'my own tweet');
      await quiet();
      assert.deepEqual(ids(home), [followed.id], "the author's own sockets are never told");
    });

    test('a follow made before watching is read from the store; two home tabs get a tweet once each', async () => {
      assert.equal((await http.put(`/api/users/${cy.user.username}/follow`, viewer.token)).status, 200);
      const tab1 = await client('home tab 1', { auth: { token: viewer.token } });
      const tab2 = await client('home tab 2', { auth: { token: viewer.token } });
      assert.deepEqual(await watch(tab1, 'home'), { ok: true });
      assert.deepEqual(await watch(tab2, 'home'), { ok: true });
      const t = await postTweet(http, cy.token, 'to both tabs');
      for (const tab of [tab1, tab2]) await tab.count('newTweet', 1);
      await quiet();
      for (const tab of [tab1, tab2]) assert.deepEqual(ids(tab), [t.id]);
    });
  });
}

describe('the watch rate limit', () => {
  let limited;
  let limitedHttp;
  let open = [];
  before(async () => {
    limited = await startChirp({ args: ['--rate-limits', 'on', '--watch-rate-limit', '3'] });
    limitedHttp = api(limited.url);
  });
  after(() => {
    for (const c of open) c.close();
    return limited?.stop();
  });
  const client = async (label, opts = {}) => {
    const c = await connect(limited.url, TRANSPORTS[0], { label, ...opts });
    open.push(c);
    return c;
  };

  test("past it a watch is refused rate_limited and the socket keeps its timeline; the account's other sockets share it, others do not", async () => {
    const [fan, star, other] = await Promise.all([
      limitedHttp.signUp(username('fan')),
      limitedHttp.signUp(username('star')),
      limitedHttp.signUp(username('other')),
    ]);
    const tab1 = await client('fan tab 1', { auth: { token: fan.token } });
    const tab2 = await client('fan tab 2', { auth: { token: fan.token } });
    assert.deepEqual(await watch(tab1, 'everyone'), { ok: true });
    assert.deepEqual(await watch(tab1, `user:${other.user.username}`), { ok: true });
    assert.deepEqual(await watch(tab2, `user:${star.user.username}`), { ok: true });
    for (const [tab, timeline] of [[tab1, 'everyone'], [tab2, 'home'], [tab1, `user:${star.user.username}`]]) {
      const answer = await watch(tab, timeline);
      assert.equal(answer?.error?.code, 'rate_limited', `watch(${timeline}) → ${JSON.stringify(answer)}`);
      assert.equal(typeof answer.error.message, 'string');
    }
    // Another account, and anonymous sockets (counted by address), have their own allowance.
    const someoneElse = await client('other', { auth: { token: other.token } });
    assert.deepEqual(await watch(someoneElse, `user:${star.user.username}`), { ok: true });
    const anon = await client('anonymous');
    assert.deepEqual(await watch(anon, `user:${star.user.username}`), { ok: true });
    // Each refused watch changed nothing: tab1 still watches `other`, tab2 `star`.
    const s = await postTweet(limitedHttp, star.token, 'for star watchers');
    const o = await postTweet(limitedHttp, other.token, 'for other watchers');
    await tab1.count('newTweet', 1);
    await tab2.count('newTweet', 1);
    await anon.count('newTweet', 1);
    await quiet();
    assert.deepEqual(ids(tab1), [o.id]);
    assert.deepEqual(ids(tab2), [s.id]);
    assert.deepEqual(ids(anon), [s.id]);
  });
});
