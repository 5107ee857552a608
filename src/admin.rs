//! `chirp admin`: an operator's tasks from the shell, on the database `serve` uses and safe
//! while it runs (SQLite in WAL mode with a busy timeout, or PostgreSQL): set a role (how an
//! instance gets its first admin; the moderation log records it with no actor) and create an
//! account (also while sign-ups are closed) under sign-up's rules and argon2id hashing.
//!
//! It never creates a database: a mistyped SQLite path would otherwise make an empty file,
//! and the account or role would land where no server looks. Nor does it wait for a
//! database that does not answer: a one-line error at once is what a shell wants.

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

use crate::app::redact;
use crate::auth::Hasher;
use crate::config::{AdminCommand, StorageArgs};
use crate::domain::{Password, Role, Username};
use crate::storage::{self, Constraint, Store, StoreConfig, StoreError};

/// Run one admin task; what to print on success (one line, or the new user as JSON).
/// The password of `create-user` is read from `input`.
pub async fn run(command: AdminCommand, input: impl BufRead) -> anyhow::Result<String> {
    match command {
        AdminCommand::Role {
            username,
            role,
            storage,
        } => set_role(&username, &role, &storage).await,
        AdminCommand::CreateUser { username, storage } => {
            create_user(&username, input, &storage).await
        }
    }
}

/// `chirp admin role USERNAME ROLE`: the new role.
async fn set_role(username: &str, role: &str, storage: &StorageArgs) -> anyhow::Result<String> {
    let role = Role::parse(role)
        .ok_or_else(|| anyhow!("{role:?} is not a role: use user, moderator or admin"))?;
    let no_such_user = || anyhow!("there is no user {username:?}");
    // A name that could never be taken names nobody.
    let name = Username::parse(username).map_err(|_| no_such_user())?;
    let store = open(storage).await?;
    let user = store
        .user_by_name(&name)
        .await
        .context("cannot read the user")?
        .ok_or_else(no_such_user)?;
    match store.set_role(user.id, role, None).await {
        Ok(()) => Ok(role.as_str().to_owned()),
        // Deleted between the two statements.
        Err(StoreError::NotFound) => Err(no_such_user()),
        Err(e) => Err(anyhow::Error::from(e).context("cannot set the role")),
    }
}

/// `chirp admin create-user USERNAME`, the password on `input`: the new user as JSON.
async fn create_user(
    username: &str,
    input: impl BufRead,
    storage: &StorageArgs,
) -> anyhow::Result<String> {
    let username = Username::parse(username).map_err(|e| anyhow!("{}", e.message))?;
    let password = read_password(input)?;
    let password = Password::parse(&password).map_err(|e| anyhow!("{}", e.message))?;
    let store = open(storage).await?;
    // The server's own hashing (argon2id, its parameters), on one thread of its own.
    let hasher = Hasher::start(1, Duration::from_secs(60))
        .context("cannot start a password-hashing thread")?;
    let hash = hasher
        .hash_password(password.expose().to_owned())
        .await
        .context("cannot hash the password")?;
    let user = store
        .create_user(&username, &hash)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Constraint::Username) => {
                anyhow!("the username {:?} is taken", username.as_str())
            }
            other => anyhow::Error::from(other).context("cannot create the user"),
        })?;
    Ok(serde_json::to_string(&user)?)
}

/// One line of `input`, its line ending dropped (nothing else: spaces are part of it).
fn read_password(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    let read = input
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    if read == 0 {
        bail!(
            "no password on standard input: give it as one line, e.g. `chirp admin create-user NAME < password-file`"
        );
    }
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    Ok(line)
}

/// Open the database `storage` names, if it exists. The server's own migrations run (a
/// no-op on a database the server already uses).
async fn open(storage: &StorageArgs) -> anyhow::Result<Arc<dyn Store>> {
    let url = &storage.database_url;
    let cannot_open = || format!("cannot open {}", redact(url));
    if url.starts_with("sqlite:") {
        use std::str::FromStr;
        let options =
            sqlx::sqlite::SqliteConnectOptions::from_str(url).with_context(cannot_open)?;
        let file = options.get_filename();
        if !file.exists() {
            bail!(
                "{}: there is no database at {} (start `chirp serve` with this --database-url once, \
                 or pass the one it uses)",
                cannot_open(),
                file.display()
            );
        }
    }
    storage::connect(&StoreConfig {
        url: url.clone(),
        // One task, a statement at a time: no need for the server's pool.
        pool_size: storage.db_pool_size.clamp(1, 2),
        sqlite_cache_kib: storage.sqlite_cache_kib,
    })
    .await
    .map_err(|e| {
        let unanswered = e.chain().any(|cause| {
            matches!(
                cause.downcast_ref::<sqlx::Error>(),
                Some(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
            )
        });
        if unanswered {
            e.context("the database does not answer")
        } else {
            e
        }
    })
    .with_context(cannot_open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_one_line_without_its_ending() {
        let read = |s: &str| read_password(s.as_bytes()).unwrap();
        assert_eq!(read("correct horse\n"), "correct horse");
        assert_eq!(read("correct horse\r\n"), "correct horse");
        assert_eq!(read("no newline"), "no newline");
        assert_eq!(read(" spaced \nsecond line\n"), " spaced ");
        assert_eq!(read("\n"), "");
        assert!(read_password("".as_bytes()).is_err());
    }
}
