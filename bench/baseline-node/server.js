// The baseline Chirp is measured against: the classic "Express + socket.io Twitter clone"
// tutorial's stack, written the way a careful student would write it today.
//
// Express 5 + socket.io 4.8 + better-sqlite3 12 (WAL, synchronous=NORMAL), implementing the
// part of Chirp's contract that bench/compare.sh uses: sign-up, sign-in (bearer token),
// posting (announced with `newTweet` to every socket but the author's own), the timeline with
// limit/before/after paging, CORS `*`, and socket handshake auth `{token}`; and follows with
// the home timeline (`PUT`/`DELETE /api/users/:name/follow`, `GET /api/timelines/home`, the
// socket event `watch` "home"), done with socket.io rooms as the docs suggest: a home socket
// joins one room per author its user follows, and a post is emitted to the author's room.
//
//   node server.js --port 8001 --db /tmp/node.db     (or PORT=… DB_PATH=…)
//   node server.js … --redis-url redis://127.0.0.1:6379   (several processes: the official
//                                                          @socket.io/redis-adapter)
//
// It prints `listening on http://127.0.0.1:PORT` once it accepts connections, like chirp.
import { createServer } from 'node:http';
import { randomBytes, scrypt, timingSafeEqual, createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import express from 'express';
import cors from 'cors';
import Database from 'better-sqlite3';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

const scryptAsync = promisify(scrypt);

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '8001' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    db: { type: 'string', default: process.env.DB_PATH ?? 'baseline.db' },
    quiet: { type: 'boolean', default: process.env.QUIET === '1' },
    'redis-url': { type: 'string', default: process.env.REDIS_URL },
  },
});

// ---------------------------------------------------------------- storage

const db = new Database(opts.db);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('foreign_keys = ON');
db.pragma('busy_timeout = 5000');
db.exec(`
  CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS tweets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS tweets_author ON tweets(author_id, id);
  CREATE TABLE IF NOT EXISTS likes (
    tweet_id INTEGER NOT NULL REFERENCES tweets(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (tweet_id, user_id)
  );
  CREATE TABLE IF NOT EXISTS follows (
    follower_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    followee_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
  );
  CREATE INDEX IF NOT EXISTS follows_followee ON follows(followee_id);
`);

const q = {
  insertUser: db.prepare('INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)'),
  userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
  insertSession: db.prepare('INSERT INTO sessions (token_hash, user_id, created_at) VALUES (?, ?, ?)'),
  userByToken: db.prepare(
    'SELECT u.id, u.username, u.created_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?',
  ),
  insertTweet: db.prepare('INSERT INTO tweets (author_id, text, created_at) VALUES (?, ?, ?)'),
  follow: db.prepare('INSERT OR IGNORE INTO follows (follower_id, followee_id, created_at) VALUES (?, ?, ?)'),
  unfollow: db.prepare('DELETE FROM follows WHERE follower_id = ? AND followee_id = ?'),
  followees: db.prepare('SELECT followee_id FROM follows WHERE follower_id = ?').pluck(),
};

// One statement per paging shape; `liked_by_me` needs the viewer's id (0 = nobody).
const tweetColumns = `
  t.id, t.text, t.created_at, u.id AS author_id, u.username AS author_username,
  (SELECT COUNT(*) FROM likes l WHERE l.tweet_id = t.id) AS like_count,
  EXISTS (SELECT 1 FROM likes l WHERE l.tweet_id = t.id AND l.user_id = @viewer) AS liked_by_me
  FROM tweets t JOIN users u ON u.id = t.author_id`;
const timeline = {
  latest: db.prepare(`SELECT ${tweetColumns} ORDER BY t.id DESC LIMIT @limit`),
  before: db.prepare(`SELECT ${tweetColumns} WHERE t.id < @cursor ORDER BY t.id DESC LIMIT @limit`),
  after: db.prepare(`SELECT ${tweetColumns} WHERE t.id > @cursor ORDER BY t.id DESC LIMIT @limit`),
};
// The home timeline: your own tweets and those of whom you follow. Written so SQLite walks
// tweets newest first and probes `follows` per row (the shape Chirp uses): the first try,
// `author_id IN (SELECT followee_id …)`, made SQLite collect and sort every followed tweet,
// ~0.5 s a page at 1M tweets — no Node developer would ship that after one EXPLAIN.
const homeWhere = `(t.author_id = @viewer OR EXISTS (SELECT 1 FROM follows f WHERE f.follower_id = @viewer AND f.followee_id = t.author_id))`;
const home = {
  latest: db.prepare(`SELECT ${tweetColumns} WHERE ${homeWhere} ORDER BY t.id DESC LIMIT @limit`),
  before: db.prepare(`SELECT ${tweetColumns} WHERE ${homeWhere} AND t.id < @cursor ORDER BY t.id DESC LIMIT @limit`),
  after: db.prepare(`SELECT ${tweetColumns} WHERE ${homeWhere} AND t.id > @cursor ORDER BY t.id DESC LIMIT @limit`),
};

const toTweet = (row) => ({
  id: row.id,
  author: { id: row.author_id, username: row.author_username },
  text: row.text,
  created_at: row.created_at,
  like_count: row.like_count,
  liked_by_me: Boolean(row.liked_by_me),
});
const toUser = (row) => ({ id: row.id, username: row.username, created_at: row.created_at });
const now = () => new Date().toISOString();
const hashToken = (token) => createHash('sha256').update(token).digest('hex');

async function hashPassword(password) {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32);
  return `${salt.toString('hex')}:${key.toString('hex')}`;
}
async function checkPassword(password, stored) {
  const [saltHex, keyHex] = stored.split(':');
  const key = await scryptAsync(password, Buffer.from(saltHex, 'hex'), 32);
  return timingSafeEqual(key, Buffer.from(keyHex, 'hex'));
}
// Compared against when the user does not exist, so both answers take the same time.
const dummyHash = await hashPassword('not a real password');

// ---------------------------------------------------------------- http

const app = express();
const httpServer = createServer(app);
const io = new Server(httpServer, { cors: { origin: '*' } });
if (opts['redis-url']) {
  // What the socket.io docs tell a team running several processes to deploy.
  const pub = createClient({ url: opts['redis-url'] });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));
}

class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    Object.assign(this, { status, code, field });
  }
}
const fail = (status, code, message, field) => {
  throw new ApiError(status, code, message, field);
};

app.disable('x-powered-by');
app.use(cors());
app.use(express.json({ limit: '16kb' }));

function authenticate(req) {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer (.+)$/.exec(header);
  if (!match) return null;
  return q.userByToken.get(hashToken(match[1])) ?? null;
}
function requireUser(req) {
  return authenticate(req) ?? fail(401, 'unauthorized', 'Sign in first.');
}

app.post('/api/users', async (req, res) => {
  const { username, password } = req.body ?? {};
  if (typeof username !== 'string' || !/^[A-Za-z0-9_]{3,20}$/.test(username)) {
    fail(400, 'invalid_username', 'Usernames are 3–20 letters, digits or underscores.', 'username');
  }
  if (typeof password !== 'string' || [...password].length < 8 || [...password].length > 128) {
    fail(400, 'invalid_password', 'Passwords are 8–128 characters.', 'password');
  }
  const hash = await hashPassword(password);
  const createdAt = now();
  try {
    const info = q.insertUser.run(username, hash, createdAt);
    res.status(201).json(toUser({ id: Number(info.lastInsertRowid), username, created_at: createdAt }));
  } catch (err) {
    if (err.code === 'SQLITE_CONSTRAINT_UNIQUE') fail(409, 'username_taken', 'That username is taken.', 'username');
    throw err;
  }
});

app.post('/api/sessions', async (req, res) => {
  const { username, password } = req.body ?? {};
  const user = typeof username === 'string' ? q.userByName.get(username) : undefined;
  const ok = await checkPassword(String(password ?? ''), user?.password_hash ?? dummyHash);
  if (!user || !ok) fail(401, 'invalid_credentials', 'Wrong username or password.');
  const token = randomBytes(32).toString('base64url');
  q.insertSession.run(hashToken(token), user.id, now());
  res.cookie('chirp_session', token, { httpOnly: true, sameSite: 'lax', path: '/' });
  res.json({ token, user: toUser(user) });
});

app.post('/api/tweets', (req, res) => {
  const user = requireUser(req);
  const raw = req.body?.text;
  const text = typeof raw === 'string' ? raw.trim() : '';
  const length = [...text].length;
  if (length < 1 || length > 280) fail(400, 'invalid_text', 'A tweet is 1–280 characters.', 'text');
  const createdAt = now();
  const id = Number(q.insertTweet.run(user.id, text, createdAt).lastInsertRowid);
  const author = { id: user.id, username: user.username };
  // Sockets on the public timeline and home sockets of the author's followers (socket.io
  // sends a socket in both rooms one copy), but never the author's own sockets.
  io.to('everyone').to(`author:${user.id}`).except(`user:${user.id}`).emit('newTweet', true, { id, author });
  res.status(201).json({ id, author, text, created_at: createdAt, like_count: 0, liked_by_me: false });
});

function page(req, res, statements, viewerId) {
  const { limit = '20', before, after } = req.query;
  const n = Number(limit);
  if (!/^\d+$/.test(String(limit)) || n < 1 || n > 100) fail(400, 'invalid_query', 'limit is 1–100.');
  if (before !== undefined && after !== undefined) fail(400, 'invalid_query', 'Use before or after, not both.');
  const cursor = before ?? after;
  if (cursor !== undefined && !/^\d+$/.test(String(cursor))) fail(400, 'invalid_query', 'Cursors are tweet ids.');
  const stmt = before !== undefined ? statements.before : after !== undefined ? statements.after : statements.latest;
  const rows = stmt.all({ limit: n, cursor: cursor === undefined ? 0 : Number(cursor), viewer: viewerId });
  res.json({ tweets: rows.map(toTweet) });
}

app.get('/api/tweets', (req, res) => page(req, res, timeline, authenticate(req)?.id ?? 0));
app.get('/api/timelines/home', (req, res) => page(req, res, home, requireUser(req).id));

function followTarget(req, me) {
  const other = q.userByName.get(String(req.params.username));
  if (!other) fail(404, 'not_found', 'No such user.');
  if (other.id === me.id) fail(400, 'invalid_follow', 'You cannot follow yourself.');
  return other;
}
app.put('/api/users/:username/follow', (req, res) => {
  const me = requireUser(req);
  const other = followTarget(req, me);
  q.follow.run(me.id, other.id, now());
  // The user's home sockets (on any process) start getting the new author's tweets.
  io.in(`home:${me.id}`).socketsJoin(`author:${other.id}`);
  res.json({ ...toUser(other), followed_by_me: true });
});
app.delete('/api/users/:username/follow', (req, res) => {
  const me = requireUser(req);
  const other = followTarget(req, me);
  q.unfollow.run(me.id, other.id);
  io.in(`home:${me.id}`).socketsLeave(`author:${other.id}`);
  res.json({ ...toUser(other), followed_by_me: false });
});

app.use('/api', (req, res) => res.status(404).json({ error: { code: 'not_found', message: 'No such endpoint.' } }));

// Express 5 forwards rejected promises here, so async handlers can simply throw.
app.use((err, req, res, _next) => {
  if (err instanceof ApiError) {
    const error = { code: err.code, message: err.message };
    if (err.field) error.field = err.field;
    return res.status(err.status).json({ error });
  }
  if (err.type === 'entity.parse.failed') {
    return res.status(400).json({ error: { code: 'invalid_json', message: 'The body is not valid JSON.' } });
  }
  if (err.type === 'entity.too.large') {
    return res.status(413).json({ error: { code: 'payload_too_large', message: 'The body is too large.' } });
  }
  console.error(err);
  res.status(500).json({ error: { code: 'internal', message: 'Something went wrong.' } });
});

// ---------------------------------------------------------------- sockets

// Handshake auth: `io(url, {auth: {token}})`. Anonymous sockets are welcome. A signed-in
// socket joins its user's room here, before the connection is acknowledged, so a tweet
// posted right after the handshake can't reach its author.
io.use((socket, next) => {
  const token = socket.handshake.auth?.token;
  if (typeof token === 'string' && token) {
    const user = q.userByToken.get(hashToken(token));
    if (!user) return next(new Error('unauthorized'));
    socket.data.user = { id: user.id, username: user.username };
    socket.join(`user:${user.id}`);
  }
  // Every socket starts on the public timeline.
  socket.join('everyone');
  next();
});

io.on('connection', (socket) => {
  const who = socket.data.user?.username ?? 'anonymous';
  if (!opts.quiet) console.log(`socket connected ${socket.id} ${socket.conn.transport.name} ${who}`);
  // `watch` "home": leave the public timeline, join one room per followed author.
  socket.on('watch', (name, ack) => {
    const reply = typeof ack === 'function' ? ack : () => {};
    if (name === 'everyone') {
      socket.rooms.forEach((room) => room.startsWith('author:') && socket.leave(room));
      socket.leave(`home:${socket.data.user?.id}`);
      socket.join('everyone');
      return reply({ ok: true });
    }
    if (name !== 'home') return reply({ error: { code: 'invalid_timeline', message: 'Watch "everyone" or "home".' } });
    const user = socket.data.user;
    if (!user) return reply({ error: { code: 'unauthorized', message: 'Sign in first.' } });
    socket.leave('everyone');
    socket.join([`home:${user.id}`, ...q.followees.all(user.id).map((id) => `author:${id}`)]);
    reply({ ok: true });
  });
  // Tutorial clients still emit newTweet; the server announces tweets itself.
  socket.on('newTweet', (...args) => {
    const ack = args.at(-1);
    if (typeof ack === 'function') ack();
  });
  socket.on('disconnect', (reason) => {
    if (!opts.quiet) console.log(`socket disconnected ${socket.id} ${who} ${reason}`);
  });
});

// ---------------------------------------------------------------- start / stop

httpServer.listen(Number(opts.port), opts.host, () => {
  const { port } = httpServer.address();
  console.log(`listening on http://${opts.host}:${port}`);
});

function shutdown() {
  // io.close() disconnects every socket and closes the HTTP server.
  io.close(() => {
    db.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
