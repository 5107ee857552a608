//! Chirp's integration tests: the real app over real HTTP, on SQLite and on PostgreSQL.

mod helpers;

mod accounts;
mod backlog;
mod binary;
mod errors;
mod likes;
mod sessions;
mod site;
mod socket_protocol;
mod tweets;
