//! Chirp: a real-time microblog server.
//!
//! Accounts, tweets and likes behind a JSON API; a one-page web app; and Socket.IO v4
//! announcements (`newTweet`, `tweetDeleted`) so that every open page learns at once that
//! there is something new. Runs on an embedded SQLite file by default, or on PostgreSQL.
//!
//! # Layout
//!
//! - `config`: command line and `CHIRP_*` environment.
//! - `telemetry`: logging.
//! - `app`: assembles storage, HTTP and sockets; binds; graceful shutdown.
//! - `domain`: validated input and the records served (`Username`, `TweetText`, `Tweet`…).
//! - `feed`: posting in batches and in order; the first timeline page from memory.
//! - `storage`: the `Store` trait with SQLite and PostgreSQL implementations.
//! - `auth`: password hashing and session tokens.
//! - `caps`: the cap on open connections, and the client address per-address caps count.
//! - `origin`: which origins may use the session cookie.
//! - `http`: the JSON API, health and metrics.
//! - `realtime`: the Socket.IO endpoint and tweet announcements.
//! - `web`: the embedded web app and Socket.IO client bundle.
//!
//! Data flows one way: `http`/`realtime` → `domain` → `storage`.

pub mod app;
pub mod auth;
pub mod caps;
pub mod config;
pub mod domain;
pub mod feed;
pub mod http;
pub mod origin;
pub mod realtime;
pub mod storage;
pub mod telemetry;
pub mod web;

pub use app::App;
