// With `--cors-origin <origin>`, that origin is trusted like the server's own: its pages get
// CORS on long-polling and its handshakes may carry the session cookie.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { api, startChirp } from '../support/chirp.mjs';
import { TRANSPORTS, connect, newTweetArgs, postTweet, quiet, sessionCookie, username } from './helpers.mjs';

const ALLOWED = 'http://allowed.test';

let server;
let http;
let user;
let cookie;

before(async () => {
  server = await startChirp({ args: ['--cors-origin', ALLOWED] });
  http = api(server.url);
  const name = username('listed');
  user = await http.signUp(name);
  cookie = await sessionCookie(server.url, name);
});

after(() => server?.stop());

test('a polling handshake from the listed origin gets Access-Control-Allow-Origin for it', async () => {
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: ALLOWED } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
  assert.match(await res.text(), /^0\{.*"sid"/);
});

test('a polling handshake from an unlisted origin gets no CORS grant', async () => {
  const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'http://evil.test' } });
  await res.arrayBuffer();
  const acao = res.headers.get('access-control-allow-origin');
  assert.ok(acao === null || (acao !== '*' && acao !== 'http://evil.test'), `Access-Control-Allow-Origin: ${acao}`);
});

for (const mode of TRANSPORTS) {
  describe(`over ${mode.name}`, () => {
    let open = [];
    afterEach(() => {
      for (const c of open) c.close();
      open = [];
    });

    test('the cookie from the listed origin signs the socket in', async () => {
      const listed = await connect(server.url, mode, { label: `cookie + Origin ${ALLOWED}`, extraHeaders: { cookie, origin: ALLOWED } });
      const observer = await connect(server.url, mode, { label: 'anonymous observer' });
      open.push(listed, observer);

      const tweet = await postTweet(http, user.token, 'listed origin');
      assert.deepEqual(await observer.count('newTweet', 1), [newTweetArgs(tweet)]);
      await quiet();
      assert.deepEqual(listed.events, [], 'the listed origin is signed in: no echo of its own tweet');
    });
  });
}
