//! `StoreError`: what can go wrong in storage, in terms the HTTP layer can map to a status.

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule refused the write.
    #[error("conflict")]
    Conflict,
    /// The database cannot be reached or is restarting: try again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a broken database.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => Self::Conflict,
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
