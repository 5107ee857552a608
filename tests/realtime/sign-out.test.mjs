// Signing out ends the sockets that signed in with that session: `DELETE /api/sessions` closes
// every socket that authenticated with the session's token (as `auth.token`) or its cookie,
// with a Socket.IO disconnect ("io server disconnect": the official client does not retry by
// itself), and a new socket with the old token is refused. Sockets of the same user's other
// sessions, and anonymous ones, stay connected.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { api, startChirp } from '../support/chirp.mjs';
import { TRANSPORTS, connect, postTweet, sessionCookie, username, within } from './helpers.mjs';

let server;
let http;

before(async () => {
  server = await startChirp();
  http = api(server.url);
});

after(() => server?.stop());

/** Resolves to the reason of the client's next `disconnect`. */
function disconnected(client) {
  return within(5000, `${client.label} to be disconnected`, new Promise((resolve) => {
    client.socket.once('disconnect', resolve);
  }));
}

for (const mode of TRANSPORTS) {
  describe(`over ${mode.name}`, () => {
    let open = [];
    const client = async (label, options) => {
      const c = await connect(server.url, mode, { label, ...options });
      open.push(c);
      return c;
    };
    afterEach(() => {
      for (const c of open) c.close();
      open = [];
    });

    test('signing out closes the sockets of that token, and the old token is refused after', async () => {
      const name = username('out');
      const { token } = await http.signUp(name);
      const other = (await http.post('/api/sessions', { username: name, password: 'correct horse battery' })).json.token;
      const signedIn = await client('auth.token socket', { auth: { token } });
      const otherSession = await client('socket of another session', { auth: { token: other } });
      const anonymous = await client('anonymous socket');

      const ended = disconnected(signedIn);
      assert.equal((await http.del('/api/sessions', token)).status, 204);
      assert.equal(await ended, 'io server disconnect');
      assert.equal(signedIn.socket.connected, false);

      await assert.rejects(
        connect(server.url, mode, { auth: { token }, label: 'socket with the old token' }),
        (err) => err.message === 'invalid token',
      );

      // The others are untouched: still connected, and still hearing tweets.
      const poster = await http.signUp(username('poster'));
      const tweet = await postTweet(http, poster.token, 'still listening?');
      for (const c of [otherSession, anonymous]) {
        const [[, notice]] = await c.count('newTweet', 1);
        assert.equal(notice.id, tweet.id, c.label);
        assert.equal(c.socket.connected, true, c.label);
      }
    });

    test('signing out with the cookie closes the sockets that the cookie signed in', async () => {
      const name = username('cookieout');
      await http.signUp(name);
      const cookie = await sessionCookie(server.url, name);
      const signedIn = await client('cookie socket', { extraHeaders: { cookie } });
      const anonymous = await client('anonymous socket');

      const ended = disconnected(signedIn);
      const res = await fetch(`${server.url}/api/sessions`, { method: 'DELETE', headers: { cookie } });
      assert.equal(res.status, 204);
      assert.equal(await ended, 'io server disconnect');
      assert.equal(anonymous.socket.connected, true);

      // The same cookie now opens an anonymous socket (a stale cookie is no error): it hears
      // the user's own tweets, which a socket signed in as the user never does.
      const again = await client('socket with the old cookie', { extraHeaders: { cookie } });
      const fresh = (await http.post('/api/sessions', { username: name, password: 'correct horse battery' })).json.token;
      const tweet = await postTweet(http, fresh, 'hello');
      const [[, notice]] = await again.count('newTweet', 1);
      assert.equal(notice.id, tweet.id);
    });
  });
}
