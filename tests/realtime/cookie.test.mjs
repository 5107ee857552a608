// The session cookie on the socket handshake counts only when the handshake has no Origin
// (not a browser) or the server's own Origin. A page on another site that opens a socket
// carrying the visitor's cookie must get an anonymous socket, not one acting as the user.
//
// Whether a socket is signed in shows in what it receives: a signed-in socket never hears
// its own user's tweets, an anonymous one hears everyone's.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { api, startChirp } from '../support/chirp.mjs';
import { TRANSPORTS, connect, newTweetArgs, postTweet, quiet, sessionCookie, username } from './helpers.mjs';

let server;
let http;
let user;
let cookie;

before(async () => {
  server = await startChirp();
  http = api(server.url);
  const name = username('cookie');
  user = await http.signUp(name);
  cookie = await sessionCookie(server.url, name);
});

after(() => server?.stop());

for (const mode of TRANSPORTS) {
  describe(`over ${mode.name}`, () => {
    let open = [];
    const client = async (label, extraHeaders) => {
      const c = await connect(server.url, mode, { label, extraHeaders });
      open.push(c);
      return c;
    };
    afterEach(() => {
      for (const c of open) c.close();
      open = [];
    });

    test('the cookie with a foreign Origin is anonymous; with no Origin or the own Origin it is the user', async () => {
      const foreign = await client('cookie + Origin http://evil.test', { cookie, origin: 'http://evil.test' });
      const noOrigin = await client('cookie, no Origin', { cookie });
      const ownOrigin = await client(`cookie + Origin ${server.url}`, { cookie, origin: server.url });
      const observer = await client('anonymous observer', undefined);

      const tweet = await postTweet(http, user.token, 'who hears this?');
      await observer.count('newTweet', 1);
      assert.deepEqual(await foreign.count('newTweet', 1), [newTweetArgs(tweet)], 'a foreign page hears the tweet as anyone would');
      await quiet();
      assert.deepEqual(noOrigin.events, [], 'the cookie without Origin is signed in: no echo of its own tweet');
      assert.deepEqual(ownOrigin.events, [], 'the cookie from the own origin is signed in: no echo of its own tweet');
      assert.equal(foreign.received('newTweet').length, 1);
    });
  });
}
