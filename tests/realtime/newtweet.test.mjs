// `newTweet` and `tweetDeleted` as the official socket.io-client sees them, over WebSocket,
// long-polling and the default polling → WebSocket upgrade, against a real `chirp serve`.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { api, startChirp } from '../support/chirp.mjs';
import { TRANSPORTS, connect, newTweetArgs, postTweet, quiet, username } from './helpers.mjs';

let server;
let http;
let author;
let reader;
let other;

before(async () => {
  server = await startChirp();
  http = api(server.url);
  [author, reader, other] = await Promise.all([
    http.signUp(username('author')),
    http.signUp(username('reader')),
    http.signUp(username('other')),
  ]);
});

after(() => server?.stop());

for (const mode of TRANSPORTS) {
  describe(`over ${mode.name}`, () => {
    let open = [];
    const client = async (label, opts = {}) => {
      const c = await connect(server.url, mode, { label, ...opts });
      open.push(c);
      return c;
    };
    afterEach(() => {
      for (const c of open) c.close();
      open = [];
    });

    test('anonymous and signed-in sockets receive newTweet exactly once with (true, {id, author})', async () => {
      const anon = await client('anonymous');
      const signedIn = await client('reader', { auth: { token: reader.token } });

      const tweet = await postTweet(http, author.token, 'hello, sockets');
      for (const c of [anon, signedIn]) await c.count('newTweet', 1);
      await quiet();

      for (const c of [anon, signedIn]) {
        assert.deepEqual(c.events, [{ event: 'newTweet', args: newTweetArgs(tweet) }], `${c.label} got exactly one newTweet and nothing else`);
        const payload = JSON.stringify(c.events);
        for (const s of [anon, signedIn]) {
          assert.ok(!payload.includes(s.socket.id), `${c.label}'s newTweet carries a socket id`);
        }
      }
    });

    test("the author's own sockets get none of its tweets, not even a second socket", async () => {
      const observer = await client('observer');
      const first = await client('author #1', { auth: { token: author.token } });
      const second = await client('author #2', { auth: { token: author.token } });

      // Posted right after the handshakes: the author's room must already be joined.
      const own = await postTweet(http, author.token, 'my own tweet');
      await observer.count('newTweet', 1);
      // Positive control: the author's sockets are live and do receive other people's tweets.
      const theirs = await postTweet(http, other.token, 'someone else speaks');
      await observer.count('newTweet', 2);
      await first.count('newTweet', 1);
      await second.count('newTweet', 1);
      await quiet();

      assert.deepEqual(observer.received('newTweet'), [newTweetArgs(own), newTweetArgs(theirs)]);
      for (const c of [first, second]) {
        assert.deepEqual(c.received('newTweet'), [newTweetArgs(theirs)], `${c.label} must not hear its own tweet`);
      }
    });

    test('a newTweet emitted by a client reaches nobody and is acked when it asks', async () => {
      const emitter = await client('emitter', { auth: { token: other.token } });
      const anon = await client('anonymous');
      const signedIn = await client('reader', { auth: { token: reader.token } });

      const fake = [true, { id: 999_999, author: { id: reader.user.id, username: reader.user.username } }];
      const ack = await emitter.socket.timeout(3000).emitWithAck('newTweet', ...fake);
      assert.notDeepEqual(ack, fake, 'the ack must not echo the fake announcement');
      emitter.socket.emit('newTweet', ...fake); // the tutorial's client: no ack asked
      emitter.socket.emit('newTweet'); // no arguments at all
      await quiet();
      for (const c of [emitter, anon, signedIn]) assert.deepEqual(c.events, [], `${c.label} heard a client-made newTweet`);

      // The emitting client keeps working: a real tweet still reaches it.
      assert.ok(emitter.socket.connected, 'the emitter was disconnected');
      const real = await postTweet(http, author.token, 'a real one');
      for (const c of [emitter, anon, signedIn]) {
        assert.deepEqual(await c.count('newTweet', 1), [newTweetArgs(real)]);
      }
    });

    test('tweetDeleted {id} reaches every socket when a tweet is deleted', async () => {
      const anon = await client('anonymous');
      const signedIn = await client('reader', { auth: { token: reader.token } });
      const authorsOther = await client("author's other tab", { auth: { token: author.token } });

      const tweet = await postTweet(http, author.token, 'soon gone');
      await anon.count('newTweet', 1);
      await signedIn.count('newTweet', 1);
      const res = await http.del(`/api/tweets/${tweet.id}`, author.token);
      assert.equal(res.status, 204, res.text);

      for (const c of [anon, signedIn, authorsOther]) {
        assert.deepEqual(await c.count('tweetDeleted', 1), [[{ id: tweet.id }]], `${c.label}: tweetDeleted`);
      }
      await quiet();
      for (const c of [anon, signedIn]) {
        assert.deepEqual(c.events.map((e) => e.event), ['newTweet', 'tweetDeleted'], c.label);
      }
      assert.deepEqual(authorsOther.events.map((e) => e.event), ['tweetDeleted'], authorsOther.label);
    });
  });
}
