//! Accounts, profiles and sessions: the SQL of the `users` and `sessions` tables, and the
//! macros that implement `Accounts`, `Sessions` and `Health` with it on both databases
//! (the SQL is the same on both: `$n` placeholders, `COUNT(*)` as 64-bit integers).
//!
//! `profile_select!` and `ProfileRow` are shared with the follow lists (`follows.rs`).

use crate::domain::{Profile, ProfilePage, User};

/// Columns that make a `ProfileRow`; `$1` is the viewer's user id (or NULL).
macro_rules! profile_select {
    () => {
        "SELECT u.id, u.username, u.created_at, u.role, u.display_name, u.bio, \
           u.followers_count, u.following_count, u.tweet_count, \
           (SELECT COUNT(*) FROM follows m WHERE m.follower_id = $1 AND m.followee_id = u.id) AS followed_by_me, \
           (SELECT COUNT(*) FROM follows m WHERE m.follower_id = u.id AND m.followee_id = $1) AS follows_me, \
           (SELECT COUNT(*) FROM hides x WHERE x.viewer_id = $1 AND x.author_id = u.id AND x.reason = 'block') AS blocked_by_me, \
           (SELECT COUNT(*) FROM hides x WHERE x.viewer_id = $1 AND x.author_id = u.id AND x.reason = 'blocked_by') AS blocks_me, \
           (SELECT COUNT(*) FROM hides x WHERE x.viewer_id = $1 AND x.author_id = u.id AND x.reason = 'mute') AS muted_by_me, \
           CAST(CASE WHEN u.suspended_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS suspended "
    };
}
pub(super) use profile_select;

/// `$2` = username key.
pub(super) const PROFILE_BY_KEY: &str =
    concat!(profile_select!(), "FROM users u WHERE u.username_key = $2");
/// The most-followed accounts that viewer `$1` (or NULL) is not and does not follow, at
/// most `$2`: whom to suggest to someone whose home timeline is empty.
pub(super) const SUGGESTIONS: &str = concat!(
    profile_select!(),
    "FROM users u WHERE u.suspended_at IS NULL AND ($1 IS NULL OR (u.id <> $1 AND NOT EXISTS \
       (SELECT 1 FROM follows s WHERE s.follower_id = $1 AND s.followee_id = u.id) AND NOT EXISTS \
       (SELECT 1 FROM hides x WHERE x.viewer_id = $1 AND x.author_id = u.id))) \
     ORDER BY u.followers_count DESC, u.tweet_count DESC, u.id ASC LIMIT $2"
);
/// `$1` = user, `$2` = new display name or NULL (unchanged), `$3` = new bio or NULL.
/// `$4` = the new display name's key for people search (`search::SEARCH_USERS`) or NULL.
pub(super) const UPDATE_PROFILE: &str = "UPDATE users SET display_name = COALESCE($2, display_name), \
     bio = COALESCE($3, bio), display_key = COALESCE($4, display_key) WHERE id = $1";
pub(super) const INSERT_USER: &str = "INSERT INTO users (username, username_key, password_hash, created_at, display_key) \
     VALUES ($1, $2, $3, $4, '') RETURNING id";
pub(super) const USER_BY_KEY: &str =
    "SELECT id, username, created_at, role, password_hash FROM users WHERE username_key = $1";
pub(super) const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, created_at) VALUES ($1, $2, $3)";
/// A suspended account's sessions end with the suspension; the condition makes sure.
pub(super) const SESSION_USER: &str = "SELECT u.id, u.username, u.created_at, u.role, \
       '' AS password_hash \
     FROM sessions s JOIN users u ON u.id = s.user_id \
     WHERE s.token_hash = $1 AND u.suspended_at IS NULL";
pub(super) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";

/// A user row, with the password hash for signing in (empty where not selected).
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    pub id: i64,
    pub username: String,
    pub created_at: i64,
    pub role: String,
    pub password_hash: String,
}

impl UserRow {
    pub fn into_user(self) -> User {
        User {
            id: self.id,
            username: self.username,
            created_at: self.created_at,
            role: stored_role(&self.role),
        }
    }
}

/// A stored role; only ever written from `Role::as_str`, anything else reads as a user.
pub(super) fn stored_role(name: &str) -> crate::domain::Role {
    crate::domain::Role::parse(name).unwrap_or(crate::domain::Role::User)
}

/// A profile row as `profile_select!` produces it.
#[derive(sqlx::FromRow)]
pub(super) struct ProfileRow {
    pub id: i64,
    pub username: String,
    pub created_at: i64,
    pub role: String,
    pub display_name: String,
    pub bio: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub tweet_count: i64,
    pub followed_by_me: i64,
    pub follows_me: i64,
    pub blocked_by_me: i64,
    pub blocks_me: i64,
    pub muted_by_me: i64,
    pub suspended: i64,
}

impl From<ProfileRow> for Profile {
    fn from(row: ProfileRow) -> Self {
        Profile {
            user: User {
                id: row.id,
                username: row.username,
                created_at: row.created_at,
                role: stored_role(&row.role),
            },
            display_name: row.display_name,
            bio: row.bio,
            followers_count: row.followers_count,
            following_count: row.following_count,
            tweet_count: row.tweet_count,
            followed_by_me: row.followed_by_me > 0,
            follows_me: row.follows_me > 0,
            blocked_by_me: row.blocked_by_me > 0,
            blocks_me: row.blocks_me > 0,
            muted_by_me: row.muted_by_me > 0,
            suspended: row.suspended > 0,
        }
    }
}

/// A profile in a followers/following list, with the follow id that pages the list.
#[derive(sqlx::FromRow)]
pub(super) struct ListedProfileRow {
    #[sqlx(flatten)]
    pub profile: ProfileRow,
    pub follow_id: i64,
}

/// Turn `limit + 1` listed rows into a page: the extra row only says there is more.
pub(super) fn profile_page(mut rows: Vec<ListedProfileRow>, limit: i64) -> ProfilePage {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|r| r.follow_id)
    } else {
        None
    };
    ProfilePage {
        users: rows.into_iter().map(|r| r.profile.into()).collect(),
        next,
    }
}

/// Implements `Accounts`, `Sessions` and `Health` for a struct with a `pool` field.
macro_rules! impl_accounts {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Accounts for $store {
            async fn create_user(
                &self,
                username: &$crate::domain::Username,
                password_hash: &str,
            ) -> Result<$crate::domain::User, $crate::storage::StoreError> {
                let created_at = $crate::domain::now_micros();
                let (id,): (i64,) = sqlx::query_as($crate::storage::accounts::INSERT_USER)
                    .bind(username.as_str())
                    .bind(username.key())
                    .bind(password_hash)
                    .bind(created_at)
                    .fetch_one(&self.pool)
                    .await?;
                Ok($crate::domain::User {
                    id,
                    username: username.as_str().to_owned(),
                    created_at,
                    role: $crate::domain::Role::User,
                })
            }

            async fn credentials(
                &self,
                username: &$crate::domain::Username,
            ) -> Result<Option<($crate::domain::User, String)>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::accounts::UserRow> =
                    sqlx::query_as($crate::storage::accounts::USER_BY_KEY)
                        .bind(username.key())
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|mut r| {
                    let hash = std::mem::take(&mut r.password_hash);
                    (r.into_user(), hash)
                }))
            }

            async fn user_by_name(
                &self,
                username: &$crate::domain::Username,
            ) -> Result<Option<$crate::domain::User>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::accounts::UserRow> =
                    sqlx::query_as($crate::storage::accounts::USER_BY_KEY)
                        .bind(username.key())
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map($crate::storage::accounts::UserRow::into_user))
            }

            async fn profile(
                &self,
                username: &$crate::domain::Username,
                viewer: Option<i64>,
            ) -> Result<Option<$crate::domain::Profile>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::accounts::ProfileRow> =
                    sqlx::query_as($crate::storage::accounts::PROFILE_BY_KEY)
                        .bind(viewer)
                        .bind(username.key())
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn update_profile(
                &self,
                user_id: i64,
                update: &$crate::domain::ProfileUpdate,
            ) -> Result<(), $crate::storage::StoreError> {
                let done = sqlx::query($crate::storage::accounts::UPDATE_PROFILE)
                    .bind(user_id)
                    .bind(update.display_name.as_ref().map(|d| d.as_str()))
                    .bind(update.bio.as_ref().map(|b| b.as_str()))
                    .bind(
                        update
                            .display_name
                            .as_ref()
                            .map(|d| d.as_str().to_lowercase()),
                    )
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::storage::StoreError::NotFound);
                }
                Ok(())
            }

            async fn suggestions(
                &self,
                viewer: Option<i64>,
                limit: i64,
            ) -> Result<Vec<$crate::domain::Profile>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::accounts::ProfileRow> =
                    sqlx::query_as($crate::storage::accounts::SUGGESTIONS)
                        .bind(viewer)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::Sessions for $store {
            async fn create_session(
                &self,
                token_hash: &str,
                user_id: i64,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::accounts::INSERT_SESSION)
                    .bind(token_hash)
                    .bind(user_id)
                    .bind($crate::domain::now_micros())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session_user(
                &self,
                token_hash: &str,
            ) -> Result<Option<$crate::domain::User>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::accounts::UserRow> =
                    sqlx::query_as($crate::storage::accounts::SESSION_USER)
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map($crate::storage::accounts::UserRow::into_user))
            }

            async fn delete_session(
                &self,
                token_hash: &str,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::accounts::DELETE_SESSION)
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::storage::Health for $store {
            async fn ping(&self) -> Result<(), $crate::storage::StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }
        }
    };
}
pub(super) use impl_accounts;
