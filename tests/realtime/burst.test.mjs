// Many sockets, many tweets at once: every socket hears every tweet exactly once, in id order,
// over each transport. The authors' own sockets hear everyone's tweets but their own.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { api, startChirp } from '../support/chirp.mjs';
import { TRANSPORTS, connect, newTweetArgs, postTweet, quiet, username } from './helpers.mjs';

const SOCKETS = 50;
const TWEETS = 20;
const AUTHORS = 4; // the tweets are spread over a few authors, TWEETS / AUTHORS each

let server;
let http;
let authors;
let reader;

before(async () => {
  server = await startChirp();
  http = api(server.url);
  [reader, ...authors] = await Promise.all(
    [username('reader'), ...Array.from({ length: AUTHORS }, () => username('author'))].map((u) => http.signUp(u)),
  );
});

after(() => server?.stop());

for (const mode of TRANSPORTS) {
  describe(`over ${mode.name}`, () => {
    test(`${SOCKETS} sockets × ${TWEETS} tweets posted at once: each arrives exactly once, in id order`, async () => {
      // A fifth of the listeners signed in (as a user who posts nothing), the rest anonymous.
      const listeners = await Promise.all(Array.from({ length: SOCKETS }, (_, i) => (
        i % 5 === 0
          ? connect(server.url, mode, { label: `reader #${i}`, auth: { token: reader.token } })
          : connect(server.url, mode, { label: `anonymous #${i}` })
      )));
      const authorSockets = await Promise.all(authors.map((a, i) => (
        connect(server.url, mode, { label: `author #${i}`, auth: { token: a.token } })
      )));
      try {
        const tweets = await Promise.all(Array.from({ length: TWEETS }, (_, i) => (
          postTweet(http, authors[i % AUTHORS].token, `burst ${mode.name} #${i}`)
        )));
        tweets.sort((a, b) => a.id - b.id);
        const expected = tweets.map(newTweetArgs);

        await Promise.all(listeners.map((c) => c.count('newTweet', TWEETS, 20_000)));
        await Promise.all(authorSockets.map((c) => c.count('newTweet', TWEETS - TWEETS / AUTHORS, 20_000)));
        await quiet();

        for (const c of listeners) {
          const got = c.received('newTweet');
          assert.deepEqual(got.map(([, t]) => t.id), tweets.map((t) => t.id), `${c.label}: ids, once each, in order`);
          assert.deepEqual(got, expected, `${c.label}: arguments`);
          assert.equal(c.events.length, TWEETS, `${c.label}: nothing but newTweet`);
        }
        authorSockets.forEach((c, i) => {
          const others = tweets.filter((t) => t.author.id !== authors[i].user.id);
          assert.deepEqual(c.received('newTweet'), others.map(newTweetArgs), `${c.label}: everyone's tweets but its own, in order`);
        });
      } finally {
        for (const c of [...listeners, ...authorSockets]) c.close();
      }
    });
  });
}
