//! Chirp's integration tests: the real app over real HTTP, on SQLite and on PostgreSQL.

mod helpers;

mod accounts;
mod binary;
mod errors;
mod follows;
mod home;
mod likes;
mod origins_and_caps;
mod profiles;
mod sessions;
mod site;
mod socket_protocol;
mod tweets;
