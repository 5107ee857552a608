// Shared pieces of the real-time tests: the three ways a client reaches the server, a socket
// wrapper that records every event it receives, and waits with deadlines (never fixed sleeps,
// except `quiet()`, the short window in which a test asserts that nothing else arrives).
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';

/** The transports every behaviour is checked over. `upgrade`: wait for polling → WebSocket. */
export const TRANSPORTS = [
  { name: 'websocket', transports: ['websocket'] },
  { name: 'polling', transports: ['polling'] },
  { name: 'default (polling, then upgrade)', transports: undefined, upgrade: true },
];

/** How long a test listens to be sure that nothing (else) arrives. */
export const QUIET_MS = 300;

/** Resolves or rejects like `promise`, or rejects after `ms` saying what was awaited. */
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A connected socket and everything it has received, in order. */
export class Client {
  constructor(socket, label) {
    this.socket = socket;
    this.label = label;
    /** @type {{event: string, args: unknown[]}[]} */
    this.events = [];
    this.waiters = new Set();
    socket.onAny((event, ...args) => {
      this.events.push({ event, args });
      for (const w of [...this.waiters]) w();
    });
  }

  /** Arguments of every `event` received so far. */
  received(event) {
    return this.events.filter((e) => e.event === event).map((e) => e.args);
  }

  /** Waits until `cond()` holds (checked after each event), at most `ms`. */
  until(cond, what, ms = 5000) {
    if (cond()) return Promise.resolve();
    let check;
    const done = new Promise((resolve) => {
      check = () => { if (cond()) resolve(); };
      this.waiters.add(check);
    });
    return within(ms, `${this.label}: ${what} (got ${JSON.stringify(this.events)})`, done)
      .finally(() => this.waiters.delete(check));
  }

  /** Waits for the `n`-th `event` and resolves to the arguments of all of them. */
  async count(event, n, ms = 5000) {
    await this.until(() => this.received(event).length >= n, `${n} × ${event}`, ms);
    return this.received(event);
  }

  close() {
    this.socket.disconnect();
  }
}

/**
 * Connects with the official client and resolves once the server acknowledged the connect
 * (and, for the default transports, once the connection upgraded to WebSocket).
 * Rejects with the server's error on `connect_error`.
 */
export async function connect(url, mode, { auth, extraHeaders, label = 'socket' } = {}) {
  const socket = io(url, {
    transports: mode.transports,
    auth,
    extraHeaders,
    forceNew: true,
    reconnection: false,
    timeout: 5000,
  });
  const client = new Client(socket, label);
  try {
    await within(8000, `${label} to connect over ${mode.name}`, new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }));
    if (mode.upgrade) {
      const engine = socket.io.engine;
      if (engine.transport.name !== 'websocket') {
        await within(8000, `${label} to upgrade to websocket`, new Promise((resolve) => engine.once('upgrade', resolve)));
      }
    }
    if (mode.transports) assert.equal(socket.io.engine.transport.name, mode.transports[0]);
  } catch (err) {
    socket.disconnect();
    throw err;
  }
  return client;
}

/** Waits out the "nothing else arrives" window. */
export function quiet(ms = QUIET_MS) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The exact arguments of `newTweet` for a tweet as the HTTP API returned it. */
export function newTweetArgs(tweet) {
  return [true, {
    id: tweet.id,
    author: { id: tweet.author.id, username: tweet.author.username },
    reply_to: tweet.reply_to ? tweet.reply_to.id : null,
  }];
}

/** Posts a tweet with a bearer token and returns it (asserting 201). */
export async function postTweet(http, token, text) {
  const res = await http.post('/api/tweets', { text }, token);
  assert.equal(res.status, 201, `POST /api/tweets: ${res.status} ${res.text}`);
  return res.json;
}

let serial = 0;
/** A username not used before on this file's server (each file has its own database). */
export function username(prefix) {
  serial += 1;
  const name = `${prefix}_${serial}`;
  assert.match(name, /^[A-Za-z0-9_]{3,20}$/);
  return name;
}

/** Signs in and returns the raw `chirp_session` cookie pair ("chirp_session=…"). */
export async function sessionCookie(url, username, password = 'correct horse battery') {
  const res = await fetch(`${url}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(res.status, 200, `POST /api/sessions: ${res.status}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('chirp_session='));
  assert.ok(cookie, `no chirp_session cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  return cookie.split(';')[0];
}
