//! Chirp's integration tests: the real app over real HTTP and sockets, and the storage
//! layer on its own (`store`), on SQLite and on PostgreSQL.

mod helpers;

mod accounts;
mod admin_cli;
mod backlog;
mod binary;
mod contract;
mod errors;
mod follows;
mod home;
mod likes;
mod limits;
mod mastodon;
mod mastodon_media;
mod mastodon_streams;
mod media;
mod media_bench;
mod media_files;
mod media_s3;
mod memory;
mod mentions;
mod notifications;
mod origins_and_caps;
mod profiles;
mod replies;
mod safety;
mod search;
mod search_store;
mod sessions;
mod site;
mod socket_protocol;
mod store;
mod suggestions;
mod tweets;
mod visibility;
mod writer;
