//! `StoreError`: what can go wrong in storage, in terms the HTTP layer can map to a status.
//!
//! A unique-constraint violation becomes `Conflict` naming *which* rule refused the write
//! (`Constraint`), mapped from the database's constraint name here, in one place, for both
//! dialects; the handler that knows what the write meant picks the message.

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A block stands between the two users: a follow is refused.
    #[error("a block stands between these users")]
    Blocked,
    /// A uniqueness rule refused the write.
    #[error("conflict on {0:?}")]
    Conflict(Constraint),
    /// The database cannot be reached or is restarting: try again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a broken database.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// The uniqueness rule a write broke. Only rules a caller can break by asking are named;
/// writes that say `ON CONFLICT DO NOTHING` never report one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constraint {
    /// `users.username_key`: the name is taken (case-insensitively).
    Username,
    /// `sessions.token_hash`: a session with this token exists.
    SessionToken,
    /// `media.tweet_id`: an upload named by `media_ids` is not the author's, does not
    /// exist, or is attached already (also when another tweet took it meanwhile).
    MediaIds,
    /// Any other unique rule (a bug: the write should have said what to do on conflict).
    Other,
}

impl Constraint {
    /// Which rule a database's unique violation names. PostgreSQL reports the constraint's
    /// name (`users_username_key_key`); SQLite reports none, only its message
    /// (`UNIQUE constraint failed: users.username_key`), so both are read.
    fn of(db: &dyn sqlx::error::DatabaseError) -> Self {
        let named = db.constraint().unwrap_or_default();
        let message = db.message();
        let says = |pg: &str, sqlite: &str| named == pg || message.contains(sqlite);
        if says("users_username_key_key", "users.username_key") {
            Self::Username
        } else if says("sessions_pkey", "sessions.token_hash") {
            Self::SessionToken
        } else {
            Self::Other
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                Self::Conflict(Constraint::of(db.as_ref()))
            }
            sqlx::Error::Database(ref db) if is_transient(db.code().as_deref()) => {
                Self::Unavailable(err.to_string())
            }
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => Self::Unavailable(err.to_string()),
            other => Self::Other(other.into()),
        }
    }
}

/// Error codes that mean "the database is busy or going away", not "your query is wrong":
/// SQLite's BUSY/LOCKED (5, 6) and PostgreSQL's connection (08…) and shutdown (57P…) classes.
fn is_transient(code: Option<&str>) -> bool {
    match code {
        Some("5" | "6" | "517" | "262") => true,
        Some(c) => c.starts_with("08") || c.starts_with("57P"),
        None => false,
    }
}
