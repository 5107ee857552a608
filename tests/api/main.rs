//! Chirp's integration tests: the real app over real HTTP, on SQLite and on PostgreSQL.

mod helpers;

mod accounts;
mod binary;
mod contract;
mod errors;
mod likes;
mod limits;
mod memory;
mod sessions;
mod site;
mod socket_protocol;
mod tweets;
mod writer;
