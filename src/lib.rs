//! Chirp: a real-time microblog server.
//!
//! Accounts, tweets, replies, likes, follows and notifications behind a JSON API; a
//! one-page web app; and Socket.IO v4 announcements (`newTweet`, `tweetDeleted`,
//! `notification`) so that every open page learns at once that there is something new. Runs on an embedded SQLite file by default, or on PostgreSQL.
//!
//! # Layout
//!
//! - `config`: command line and `CHIRP_*` environment.
//! - `telemetry`: logging.
//! - `app`: assembles storage, HTTP and sockets; binds; graceful shutdown.
//! - `admin`: `chirp admin`, an operator's tasks on the database from the shell (set a
//!   role, create an account), safe while the server runs.
//! - `domain`: validated input and the records served (`Username`, `TweetText`, `Tweet`…).
//! - `feed`: every change of what a timeline shows (posting in batches and in order,
//!   deleting, liking, following, profiles): stored, then published, and the notifications
//!   it makes (reply, mention, like, follow); the first page and home pages from memory
//!   (its caches listen to changes).
//! - `changes`: the vocabulary of change (`Change`: what sockets hear, what caches drop,
//!   what nodes coordinate) and its one path — publish, a broker (in memory for one node,
//!   Redis for many), then every registered listener, in order, each change once, gaps
//!   filled from the store; cache coherence and the sign-out confirmation.
//! - `storage`: the `Store` trait with SQLite and PostgreSQL implementations.
//! - `media`: image uploads checked and re-encoded on a bounded pool, their files in a
//!   directory or an S3-compatible bucket, and the sweep of files nobody can reach.
//! - `auth`: password hashing and session tokens.
//! - `limit`: a rate limit per key (`KeyedLimit`), for the HTTP, `watch` and mention limits;
//!   `SharedLimits` keeps the API's in Redis for a cluster.
//! - `caps`: the cap on open connections, and the client address per-address caps count.
//! - `origin`: which origins may use the session cookie.
//! - `http`: the JSON API, health and metrics.
//! - `mastodon`: Mastodon's client API (OAuth apps and tokens, accounts, statuses,
//!   timelines, notifications), an adapter onto the same feed and store beside `http`.
//! - `realtime`: the Socket.IO endpoint and the watch index; a listener of changes (own
//!   Engine.IO transport in `realtime::engine`, which knows nothing of Socket.IO).
//! - `web`: the embedded web app and Socket.IO client bundle (it reads `storage` to answer
//!   404 for users and tweets that do not exist).
//!
//! Imports run one way: `main` → `admin` → `app` → `http` (and `mastodon`, beside it) → `feed` →
//! `changes` → `storage` → `domain` (and `http` → `media` → `storage`), with `realtime` a
//! listener beside `feed` (`realtime` → `changes` → …; only
//! `app` imports `realtime`, and registers the listeners at start), and `config`,
//! `telemetry`, `auth`, `origin`, `caps` and `limit` as leaf helpers that import none of those layers
//! above them. `scripts/check-imports.py` (in the test command) holds the code to this.

pub mod admin;
pub mod app;
pub mod auth;
pub mod caps;
pub mod changes;
pub mod config;
pub mod domain;
pub mod feed;
pub mod http;
pub mod limit;
pub mod mastodon;
pub mod media;
pub mod origin;
pub mod realtime;
pub mod storage;
pub mod telemetry;
pub mod web;

pub use app::App;
