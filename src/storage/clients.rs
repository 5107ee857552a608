//! What the Mastodon client API keeps beyond Chirp's own records: registered apps, OAuth
//! authorization codes and tokens, read markers; and the reads it needs that Chirp's API
//! does not (a profile by id, who liked a tweet), and dismissing notifications. The SQL is
//! the same on both databases; the macro implements `Clients` with it.
//!
//! Secrets arrive here already hashed (SHA-256 hex). A user's token is also a `sessions`
//! row under the same hash, so sign-outs and suspensions end it; it is valid only while
//! that row exists (see `TOKEN`).

use async_trait::async_trait;

use super::StoreError;
use super::accounts::profile_select;
use crate::domain::{Profile, User};

/// A registered app.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClientApp {
    /// Internal id.
    pub id: i64,
    /// The public `client_id`.
    pub client_id: String,
    /// SHA-256 hex of the `client_secret`.
    pub secret_hash: String,
    /// The app's name.
    pub name: String,
    /// Its website, if it gave one.
    pub website: Option<String>,
    /// Allowed redirect URIs, one per line.
    pub redirect_uris: String,
    /// The scopes it registered, space-separated.
    pub scopes: String,
}

/// An app about to be registered.
#[derive(Debug, Clone)]
pub struct NewClientApp<'a> {
    /// The public `client_id`.
    pub client_id: &'a str,
    /// SHA-256 hex of the `client_secret`.
    pub secret_hash: &'a str,
    /// The app's name.
    pub name: &'a str,
    /// Its website.
    pub website: Option<&'a str>,
    /// Redirect URIs, one per line.
    pub redirect_uris: &'a str,
    /// Scopes, space-separated.
    pub scopes: &'a str,
}

/// An authorization code as granted on the consent page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuthCode {
    /// SHA-256 hex of the code.
    pub code_hash: String,
    /// The app it was granted to.
    pub app_id: i64,
    /// The user who approved.
    pub user_id: i64,
    /// The redirect URI it was sent to (the token request must name the same).
    pub redirect_uri: String,
    /// The scopes granted, space-separated.
    pub scopes: String,
    /// The PKCE challenge, if the app sent one.
    pub challenge: Option<String>,
    /// `S256` or `plain`, with a challenge.
    pub challenge_method: Option<String>,
    /// UTC microseconds after which it no longer works.
    pub expires_at: i64,
}

/// A token as a request presents it: its app, scopes, and user (none for an app token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientToken {
    /// The app it was issued to.
    pub app_id: i64,
    /// Its scopes, space-separated.
    pub scopes: String,
    /// Whom it acts for; `None` for a `client_credentials` token.
    pub user: Option<User>,
}

/// Where a user stopped reading one timeline.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Marker {
    /// `home` or `notifications`.
    pub timeline: String,
    /// The last id read.
    pub last_read_id: i64,
    /// Grows by one at every change.
    pub version: i64,
    /// UTC microseconds of the last change.
    pub updated_at: i64,
}

/// The Mastodon client API's own records and reads.
#[async_trait]
pub trait Clients: Send + Sync + 'static {
    /// Register an app; answers its id.
    async fn create_app(&self, app: &NewClientApp<'_>) -> Result<i64, StoreError>;
    /// An app by its public `client_id`.
    async fn app_by_client_id(&self, client_id: &str) -> Result<Option<ClientApp>, StoreError>;
    /// An app by id.
    async fn app_by_id(&self, id: i64) -> Result<Option<ClientApp>, StoreError>;
    /// Remember a granted code.
    async fn create_code(&self, code: &AuthCode) -> Result<(), StoreError>;
    /// Take a code (it is deleted: a code works once), if it exists.
    async fn take_code(&self, code_hash: &str) -> Result<Option<AuthCode>, StoreError>;
    /// Issue a token: for `user`, also a session under the same hash.
    async fn create_token(
        &self,
        token_hash: &str,
        app_id: i64,
        user: Option<i64>,
        scopes: &str,
    ) -> Result<(), StoreError>;
    /// A token, while it is valid (its user's session still exists, and they are not
    /// suspended).
    async fn client_token(&self, token_hash: &str) -> Result<Option<ClientToken>, StoreError>;
    /// Forget a token (its session, if any, is the caller's to end through `Sessions`).
    async fn delete_token(&self, token_hash: &str) -> Result<(), StoreError>;
    /// A profile by user id, as `viewer` sees it.
    async fn profile_by_id(
        &self,
        id: i64,
        viewer: Option<i64>,
    ) -> Result<Option<Profile>, StoreError>;
    /// Who likes `tweet`, most recent first, at most `limit`, as `viewer` sees them.
    async fn likers(
        &self,
        tweet: i64,
        viewer: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Profile>, StoreError>;
    /// A user's markers.
    async fn markers(&self, user: i64) -> Result<Vec<Marker>, StoreError>;
    /// Set a marker (its version grows by one); answers it.
    async fn set_marker(
        &self,
        user: i64,
        timeline: &str,
        last_read_id: i64,
    ) -> Result<Marker, StoreError>;
    /// Dismiss one notification of `recipient` (read, and gone from lists); whether it
    /// was theirs and still listed.
    async fn dismiss_notification(&self, recipient: i64, id: i64) -> Result<bool, StoreError>;
    /// Dismiss every notification of `recipient`.
    async fn clear_notifications(&self, recipient: i64) -> Result<(), StoreError>;
    /// How many accounts (not suspended) and tweets there are, for the instance's stats.
    async fn totals(&self) -> Result<(i64, i64), StoreError>;
}

pub(super) const INSERT_APP: &str = "INSERT INTO oauth_apps \
     (client_id, secret_hash, name, website, redirect_uris, scopes, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
macro_rules! app_select {
    () => {
        "SELECT id, client_id, secret_hash, name, website, redirect_uris, scopes FROM oauth_apps "
    };
}
pub(super) const APP_BY_CLIENT_ID: &str = concat!(app_select!(), "WHERE client_id = $1");
pub(super) const APP_BY_ID: &str = concat!(app_select!(), "WHERE id = $1");
pub(super) const INSERT_CODE: &str = "INSERT INTO oauth_codes \
     (code_hash, app_id, user_id, redirect_uri, scopes, challenge, challenge_method, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
pub(super) const TAKE_CODE: &str = "DELETE FROM oauth_codes WHERE code_hash = $1 \
     RETURNING code_hash, app_id, user_id, redirect_uri, scopes, challenge, challenge_method, \
       expires_at";
pub(super) const INSERT_TOKEN: &str = "INSERT INTO oauth_tokens \
     (token_hash, app_id, user_id, scopes, created_at) VALUES ($1, $2, $3, $4, $5)";
pub(super) const INSERT_TOKEN_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, created_at) VALUES ($1, $2, $3)";
/// A user's token counts while its session does (sign-out, suspension) and the user is not
/// suspended; an app token has no user.
pub(super) const TOKEN: &str = "SELECT t.app_id, t.scopes, u.id, u.username, u.created_at, u.role \
     FROM oauth_tokens t LEFT JOIN users u ON u.id = t.user_id \
     WHERE t.token_hash = $1 AND (t.user_id IS NULL OR (u.suspended_at IS NULL AND EXISTS \
       (SELECT 1 FROM sessions s WHERE s.token_hash = t.token_hash)))";
pub(super) const DELETE_TOKEN: &str = "DELETE FROM oauth_tokens WHERE token_hash = $1";
pub(super) const PROFILE_BY_ID: &str = concat!(profile_select!(), "FROM users u WHERE u.id = $2");
pub(super) const LIKERS: &str = concat!(
    profile_select!(),
    "FROM likes l JOIN users u ON u.id = l.user_id \
     WHERE l.tweet_id = $2 AND u.suspended_at IS NULL \
     ORDER BY l.created_at DESC, u.id DESC LIMIT $3"
);
pub(super) const MARKERS: &str = "SELECT timeline, last_read_id, version, updated_at \
     FROM markers WHERE user_id = $1 ORDER BY timeline";
pub(super) const SET_MARKER: &str = "INSERT INTO markers \
     (user_id, timeline, last_read_id, version, updated_at) VALUES ($1, $2, $3, 1, $4) \
     ON CONFLICT (user_id, timeline) DO UPDATE SET last_read_id = excluded.last_read_id, \
       version = markers.version + 1, updated_at = excluded.updated_at \
     RETURNING timeline, last_read_id, version, updated_at";
pub(super) const DISMISS: &str = "UPDATE notifications SET dismissed = 1, is_read = 1 \
     WHERE recipient_id = $1 AND id = $2 AND dismissed = 0";
pub(super) const CLEAR: &str = "UPDATE notifications SET dismissed = 1, is_read = 1 \
     WHERE recipient_id = $1 AND dismissed = 0";

pub(super) const TOTALS: &str = "SELECT \
     (SELECT COUNT(*) FROM users WHERE suspended_at IS NULL), (SELECT COUNT(*) FROM tweets)";

/// A `TOKEN` row.
#[derive(sqlx::FromRow)]
pub(super) struct TokenRow {
    pub app_id: i64,
    pub scopes: String,
    pub id: Option<i64>,
    pub username: Option<String>,
    pub created_at: Option<i64>,
    pub role: Option<String>,
}

impl TokenRow {
    pub fn into_token(self) -> ClientToken {
        let user = match (self.id, self.username, self.created_at) {
            (Some(id), Some(username), Some(created_at)) => Some(User {
                id,
                username,
                created_at,
                role: super::accounts::stored_role(self.role.as_deref().unwrap_or("user")),
            }),
            _ => None,
        };
        ClientToken {
            app_id: self.app_id,
            scopes: self.scopes,
            user,
        }
    }
}

/// Implements `Clients` for a struct with a `pool` field.
macro_rules! impl_clients {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Clients for $store {
            async fn create_app(
                &self,
                app: &$crate::storage::NewClientApp<'_>,
            ) -> Result<i64, $crate::storage::StoreError> {
                Ok(sqlx::query_scalar($crate::storage::clients::INSERT_APP)
                    .bind(app.client_id)
                    .bind(app.secret_hash)
                    .bind(app.name)
                    .bind(app.website)
                    .bind(app.redirect_uris)
                    .bind(app.scopes)
                    .bind($crate::domain::now_micros())
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn app_by_client_id(
                &self,
                client_id: &str,
            ) -> Result<Option<$crate::storage::ClientApp>, $crate::storage::StoreError> {
                Ok(sqlx::query_as($crate::storage::clients::APP_BY_CLIENT_ID)
                    .bind(client_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn app_by_id(
                &self,
                id: i64,
            ) -> Result<Option<$crate::storage::ClientApp>, $crate::storage::StoreError> {
                Ok(sqlx::query_as($crate::storage::clients::APP_BY_ID)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn create_code(
                &self,
                code: &$crate::storage::AuthCode,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::clients::INSERT_CODE)
                    .bind(&code.code_hash)
                    .bind(code.app_id)
                    .bind(code.user_id)
                    .bind(&code.redirect_uri)
                    .bind(&code.scopes)
                    .bind(&code.challenge)
                    .bind(&code.challenge_method)
                    .bind(code.expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn take_code(
                &self,
                code_hash: &str,
            ) -> Result<Option<$crate::storage::AuthCode>, $crate::storage::StoreError> {
                Ok(sqlx::query_as($crate::storage::clients::TAKE_CODE)
                    .bind(code_hash)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn create_token(
                &self,
                token_hash: &str,
                app_id: i64,
                user: Option<i64>,
                scopes: &str,
            ) -> Result<(), $crate::storage::StoreError> {
                let now = $crate::domain::now_micros();
                // The token row first: until its session exists it does not count anywhere.
                sqlx::query($crate::storage::clients::INSERT_TOKEN)
                    .bind(token_hash)
                    .bind(app_id)
                    .bind(user)
                    .bind(scopes)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                if let Some(user) = user {
                    sqlx::query($crate::storage::clients::INSERT_TOKEN_SESSION)
                        .bind(token_hash)
                        .bind(user)
                        .bind(now)
                        .execute(&self.pool)
                        .await?;
                }
                Ok(())
            }

            async fn client_token(
                &self,
                token_hash: &str,
            ) -> Result<Option<$crate::storage::ClientToken>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::clients::TokenRow> =
                    sqlx::query_as($crate::storage::clients::TOKEN)
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map($crate::storage::clients::TokenRow::into_token))
            }

            async fn delete_token(
                &self,
                token_hash: &str,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::clients::DELETE_TOKEN)
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn profile_by_id(
                &self,
                id: i64,
                viewer: Option<i64>,
            ) -> Result<Option<$crate::domain::Profile>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::accounts::ProfileRow> =
                    sqlx::query_as($crate::storage::clients::PROFILE_BY_ID)
                        .bind(viewer)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn likers(
                &self,
                tweet: i64,
                viewer: Option<i64>,
                limit: i64,
            ) -> Result<Vec<$crate::domain::Profile>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::accounts::ProfileRow> =
                    sqlx::query_as($crate::storage::clients::LIKERS)
                        .bind(viewer)
                        .bind(tweet)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn markers(
                &self,
                user: i64,
            ) -> Result<Vec<$crate::storage::Marker>, $crate::storage::StoreError> {
                Ok(sqlx::query_as($crate::storage::clients::MARKERS)
                    .bind(user)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn set_marker(
                &self,
                user: i64,
                timeline: &str,
                last_read_id: i64,
            ) -> Result<$crate::storage::Marker, $crate::storage::StoreError> {
                Ok(sqlx::query_as($crate::storage::clients::SET_MARKER)
                    .bind(user)
                    .bind(timeline)
                    .bind(last_read_id)
                    .bind($crate::domain::now_micros())
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn dismiss_notification(
                &self,
                recipient: i64,
                id: i64,
            ) -> Result<bool, $crate::storage::StoreError> {
                let done = sqlx::query($crate::storage::clients::DISMISS)
                    .bind(recipient)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn clear_notifications(
                &self,
                recipient: i64,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::clients::CLEAR)
                    .bind(recipient)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn totals(&self) -> Result<(i64, i64), $crate::storage::StoreError> {
                Ok(sqlx::query_as($crate::storage::clients::TOTALS)
                    .fetch_one(&self.pool)
                    .await?)
            }
        }
    };
}
pub(super) use impl_clients;
