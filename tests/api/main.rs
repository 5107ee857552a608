//! Chirp's integration tests: the real app over real HTTP and sockets, and the storage
//! layer on its own (`store`), on SQLite and on PostgreSQL.

mod helpers;

mod accounts;
mod backlog;
mod binary;
mod errors;
mod likes;
mod sessions;
mod site;
mod socket_protocol;
mod store;
mod tweets;
