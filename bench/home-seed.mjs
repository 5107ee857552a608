// Seeds the home stage's data straight into a server's SQLite file: N users with one session
// each, a follow graph (each of the first N users follows F of the first A users, chosen with a
// Zipf-like skew: author k is picked with weight 1/k^s, so the first few authors have nearly
// every user as a follower and most have few), and T tweets by the authors. The same seed
// gives the same users, tokens, graph and tweets, so Chirp and the Node baseline get the same
// data. Going through the API instead would cost two password hashes per user (minutes for
// 10,000 users on 2 cores) and hours for 1M tweets.
//
//   node bench/home-seed.mjs --kind chirp|node --db PATH [--users 10000] [--authors 2000]
//        [--follows 200] [--zipf 1] [--tweets 1000000] [--seed 13] [--graph OUT.txt]
//        [--hide-share 0.1 --hide-authors 5 --hide-among 20]   (Chirp only)
//
// With `--hide-share P` (issue 20), a share P of the users each hides `--hide-authors` of the
// `--hide-among` most followed authors, by a block or a mute (even odds), stored as Chirp
// stores them: a block is two `hides` rows, (blocker, blocked, block) and (blocked, blocker,
// blocked_by), and removes the follows between the two both ways; a mute is one row and keeps
// the follow. The picks use their own random stream, so users, tokens, tweets and the rest
// of the graph are those of the same seed without hides.
//
// The database must exist with the server's schema and no users: start the server on it once
// and stop it (bench/compare.sh does). `--graph` writes one line per user for loadgen and
// wrk: `id username token followee,followee,… hidden,hidden,…` (the last field: whom that
// user hides — blocks either way and mutes; empty without hides).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(new URL('./baseline-node/package.json', import.meta.url));
const Database = require('better-sqlite3');

const { values: o } = parseArgs({
  options: {
    kind: { type: 'string' },
    db: { type: 'string' },
    users: { type: 'string', default: '10000' },
    authors: { type: 'string', default: '2000' },
    follows: { type: 'string', default: '200' },
    zipf: { type: 'string', default: '1' },
    tweets: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '13' },
    graph: { type: 'string' },
    'hide-share': { type: 'string', default: '0' },
    'hide-authors': { type: 'string', default: '5' },
    'hide-among': { type: 'string', default: '20' },
  },
});
const int = (name) => {
  const n = Number(o[name]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} wants a whole number, got ${o[name]}`);
  return n;
};
if (!['chirp', 'node'].includes(o.kind) || !o.db) {
  console.error('usage: node bench/home-seed.mjs --kind chirp|node --db PATH [options] (see the header)');
  process.exit(2);
}
const authors = int('authors');
const users = Math.max(int('users'), authors);
const follows = Math.min(int('follows'), authors - 1);
const tweets = int('tweets');
const s = Number(o.zipf);
const hideShare = Number(o['hide-share']);
if (!(hideShare >= 0 && hideShare <= 1)) throw new Error(`--hide-share wants a share between 0 and 1, got ${o['hide-share']}`);
if (hideShare > 0 && o.kind !== 'chirp') throw new Error('--hide-share is for --kind chirp (the Node baseline has no blocks or mutes)');
const hideAmong = Math.min(int('hide-among'), authors);
const hideAuthors = Math.min(int('hide-authors'), hideAmong - 1);

// mulberry32: small, fast, deterministic.
let state = int('seed') >>> 0;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const started = Date.now();
// Users, tokens (32 bytes, base64url, as both servers hand out) and the follow graph.
const people = [];
for (let id = 1; id <= users; id++) {
  const bytes = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) bytes[i] = Math.floor(rand() * 256);
  people.push({ id, username: `hu${id}`, token: bytes.toString('base64url'), followees: [] });
}
const weight = Array.from({ length: authors + 1 }, (_, k) => (k === 0 ? 0 : 1 / k ** s));
for (const p of people) {
  // Weighted sampling without replacement (Efraimidis–Spirakis): keep the F largest
  // u^(1/w); as logs, log(u)/w.
  const keys = [];
  for (let a = 1; a <= authors; a++) if (a !== p.id) keys.push([Math.log(rand()) / weight[a], a]);
  keys.sort((x, y) => y[0] - x[0]);
  p.followees = keys.slice(0, follows).map(([, a]) => a).sort((x, y) => x - y);
}

// Hides, from a stream of their own (seeded apart from the main one).
let hideState = (int('seed') ^ 0x5eed1d) >>> 0;
const hideRand = () => {
  hideState = (hideState + 0x6d2b79f5) >>> 0;
  let t = hideState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
/** [viewer, author, 'block' | 'mute'] */
const hideActs = [];
for (const p of hideShare > 0 ? people : []) {
  if (hideRand() >= hideShare) continue;
  const pool = [];
  for (let a = 1; a <= hideAmong; a++) if (a !== p.id) pool.push(a);
  for (let i = 0; i < hideAuthors && pool.length; i++) {
    const [a] = pool.splice(Math.floor(hideRand() * pool.length), 1);
    hideActs.push([p.id, a, hideRand() < 0.5 ? 'block' : 'mute']);
  }
}
// Whom each user hides (the graph file's last field), and the follows that blocks removed.
const hidden = new Map(people.map((p) => [p.id, new Set()]));
const byId = new Map(people.map((p) => [p.id, p]));
for (const [viewer, author, kind] of hideActs) {
  hidden.get(viewer).add(author);
  if (kind === 'block') {
    hidden.get(author).add(viewer);
    const v = byId.get(viewer);
    const a = byId.get(author);
    v.followees = v.followees.filter((f) => f !== author);
    a.followees = a.followees.filter((f) => f !== viewer);
  }
}

const db = new Database(o.db);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = OFF');
if (db.prepare('SELECT COUNT(*) FROM users').pluck().get() !== 0) {
  throw new Error(`${o.db} already has users: seed a fresh database`);
}
const sha = (t) => createHash('sha256').update(t).digest('hex');
const chirp = o.kind === 'chirp';
const nowUs = Date.now() * 1000;
const iso = (us) => new Date(Math.floor(us / 1000)).toISOString();

db.transaction(() => {
  const user = chirp
    ? db.prepare('INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES (?, ?, ?, ?, ?)')
    : db.prepare('INSERT INTO users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)');
  const session = db.prepare('INSERT INTO sessions (token_hash, user_id, created_at) VALUES (?, ?, ?)');
  const follow = chirp
    ? db.prepare('INSERT INTO follows (follower_id, followee_id, id, created_at) VALUES (?, ?, ?, ?)')
    : db.prepare('INSERT INTO follows (follower_id, followee_id, created_at) VALUES (?, ?, ?)');
  const tweet = db.prepare('INSERT INTO tweets (id, author_id, text, created_at) VALUES (?, ?, ?, ?)');
  const hide = hideActs.length
    ? db.prepare('INSERT INTO hides (viewer_id, author_id, reason, notifications, created_at) VALUES (?, ?, ?, 1, ?)')
    : null;
  // Not a valid hash for either server: these users sign in with their seeded tokens only.
  const noPassword = 'seeded: no password';
  for (const p of people) {
    if (chirp) user.run(p.id, p.username, p.username, noPassword, nowUs);
    else user.run(p.id, p.username, noPassword, iso(nowUs));
    session.run(sha(p.token), p.id, chirp ? nowUs : iso(nowUs));
  }
  let followId = 0;
  for (const p of people) {
    for (const a of p.followees) {
      followId++;
      if (chirp) follow.run(p.id, a, followId, nowUs);
      else follow.run(p.id, a, iso(nowUs));
    }
  }
  for (const [viewer, author, kind] of hideActs) {
    hide.run(viewer, author, kind, nowUs);
    if (kind === 'block') hide.run(author, viewer, 'blocked_by', nowUs);
  }
  const t0 = nowUs - tweets * 1000;
  for (let i = 1; i <= tweets; i++) {
    const author = 1 + Math.floor(rand() * authors);
    const at = t0 + i * 1000;
    tweet.run(i, author, `Seeded tweet number ${i}, so home timelines have history.`, chirp ? at : iso(at));
  }
  if (chirp) {
    db.prepare('UPDATE follow_ids SET last = ?').run(followId);
    db.exec(`
      UPDATE users SET
        tweet_count = (SELECT COUNT(*) FROM tweets t WHERE t.author_id = users.id),
        followers_count = (SELECT COUNT(*) FROM follows f WHERE f.followee_id = users.id),
        following_count = (SELECT COUNT(*) FROM follows f WHERE f.follower_id = users.id);`);
  }
})();
db.exec('ANALYZE');
db.pragma('wal_checkpoint(TRUNCATE)');
db.close();

if (o.graph) {
  writeFileSync(o.graph, people.map((p) => `${p.id} ${p.username} ${p.token} ${p.followees.join(',')} ${[...hidden.get(p.id)].sort((x, y) => x - y).join(',')}\n`).join(''));
}
const followers = new Map();
for (const p of people) for (const a of p.followees) followers.set(a, (followers.get(a) ?? 0) + 1);
const counts = [...followers.values()].sort((x, y) => y - x);
console.error(
  `home-seed (${o.kind}): ${users} users, ${people.reduce((n, p) => n + p.followees.length, 0)} follows of ${authors} authors ` +
    `(followers: max ${counts[0]}, median ${counts[Math.floor(counts.length / 2)]}, min ${counts.at(-1)}), ` +
    `${tweets} tweets` +
    (hideActs.length
      ? `, ${new Set(hideActs.map(([v]) => v)).size} users hiding ${hideActs.filter(([, , k]) => k === 'block').length} blocks and ${hideActs.filter(([, , k]) => k === 'mute').length} mutes among the top ${hideAmong} authors`
      : '') +
    ` in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
