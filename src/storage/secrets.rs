//! Secrets kept in the database (table `secrets`): random bytes made once by whichever
//! node asks first and then read by every node, so a cluster shares them and a restart
//! keeps them (today: the key that signs follow-list cursors).
//!
//! Read once at start over a connection of its own, so it needs nothing of the `Store`.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::Connection as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

/// Over a new connection `$conn` (of either database): insert `$fresh` as the secret
/// `$name` unless one is stored, read back what is, and close the connection.
macro_rules! insert_then_read {
    ($conn:expr, $name:expr, $fresh:expr) => {{
        let mut conn = $conn;
        sqlx::query(
            "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind($name)
        .bind(&$fresh[..])
        .execute(&mut conn)
        .await?;
        let value = sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
            .bind($name)
            .fetch_one(&mut conn)
            .await?;
        conn.close().await?;
        value
    }};
}

/// Bytes in a secret.
pub const SECRET_BYTES: usize = 32;

/// The secret called `name` in the database at `url` (already migrated), made at random
/// and stored first if there is none yet. Two nodes starting at once agree: only the
/// first insert lands, and both read back what is stored.
pub async fn load_or_create(url: &str, name: &str) -> anyhow::Result<[u8; SECRET_BYTES]> {
    let fresh: [u8; SECRET_BYTES] = rand::random();
    let stored: Vec<u8> = if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?.busy_timeout(Duration::from_secs(5));
        insert_then_read!(SqliteConnection::connect_with(&options).await?, name, fresh)
    } else {
        let options = PgConnectOptions::from_str(url)?.application_name("chirp");
        insert_then_read!(PgConnection::connect_with(&options).await?, name, fresh)
    };
    stored
        .try_into()
        .ok()
        .with_context(|| format!("the stored secret {name:?} is not {SECRET_BYTES} bytes"))
}
