//! Signing up: the one way an account is made, whether through Chirp's own API or a Mastodon
//! app — the same username and password rules, the same hashing, the same conflict.

use crate::auth::{HashError, Hasher};
use crate::domain::{Invalid, Password, User, Username};
use crate::storage::{Constraint, Store, StoreError};

/// Why a sign-up was refused.
#[derive(Debug)]
pub enum SignUpError {
    /// The username or password breaks its rules.
    Invalid(Invalid),
    /// Somebody has that username (whatever its case).
    UsernameTaken,
    /// The password could not be hashed now.
    Hash(HashError),
    /// The store failed.
    Store(StoreError),
}

/// Make an account for `username` with `password` (both as given), the password hashed with
/// argon2id off the async threads.
pub async fn sign_up(
    store: &dyn Store,
    hasher: &Hasher,
    username: &str,
    password: &str,
) -> Result<User, SignUpError> {
    let username = Username::parse(username).map_err(SignUpError::Invalid)?;
    let password = Password::parse(password).map_err(SignUpError::Invalid)?;
    let hash = hasher
        .hash_password(password.expose().to_owned())
        .await
        .map_err(SignUpError::Hash)?;
    store
        .create_user(&username, &hash)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(Constraint::Username) => SignUpError::UsernameTaken,
            other => SignUpError::Store(other),
        })
}
