//! Follows: the SQL of the `follows` table and the follow counters on `users`, and the macro
//! that implements `Follows` with it on both databases.
//!
//! Where the dialects differ the store supplies it: `begin_write()` (SQLite takes the write
//! lock up front), `insert_follow()` (how a fresh, growing follow id is drawn) and
//! `FOLLOWING_IDS_PACKED` (the followee ids in one comma-separated text).

use super::accounts::profile_select;

/// Who follows `$2`, most recent first, below follow id `$3`; `$4` = limit.
pub(super) const FOLLOWERS: &str = concat!(
    profile_select!(),
    ", f.id AS follow_id FROM follows f JOIN users u ON u.id = f.follower_id \
     WHERE f.followee_id = $2 AND f.id < $3 ORDER BY f.id DESC LIMIT $4"
);
/// Whom `$2` follows, most recent first, below follow id `$3`; `$4` = limit.
pub(super) const FOLLOWING: &str = concat!(
    profile_select!(),
    ", f.id AS follow_id FROM follows f JOIN users u ON u.id = f.followee_id \
     WHERE f.follower_id = $2 AND f.id < $3 ORDER BY f.id DESC LIMIT $4"
);
/// Remove the follow `$1` → `$2`.
pub(super) const DELETE_FOLLOW: &str =
    "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2";
/// Move the follow counters of user `$4` by `$3`: `following_count` if it is `$1` (the
/// follower), `followers_count` if it is `$2` (the followee). Run once per user, lower id
/// first, so that two crossing follows lock the rows in the same order (no deadlock).
pub(super) const BUMP_FOLLOW_COUNTS: &str = "UPDATE users SET \
     following_count = following_count + CASE WHEN id = $1 THEN $3 ELSE 0 END, \
     followers_count = followers_count + CASE WHEN id = $2 THEN $3 ELSE 0 END \
     WHERE id = $4";

/// The ids of a `FOLLOWING_IDS_PACKED` answer (`"3,5,8"`, or `""` for none).
pub(super) fn unpack_ids(packed: &str) -> Result<Vec<i64>, crate::storage::StoreError> {
    packed
        .split(',')
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse()
                .map_err(|_| anyhow::anyhow!("not a list of ids: {packed:?}").into())
        })
        .collect()
}

/// Implements `Follows` for a struct with a `pool` field, `begin_write()`,
/// `insert_follow()` and `FOLLOWING_IDS_PACKED` (see the module doc).
macro_rules! impl_follows {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Follows for $store {
            async fn set_follow(
                &self,
                follower_id: i64,
                followee_id: i64,
                on: bool,
            ) -> Result<bool, $crate::storage::StoreError> {
                use $crate::storage::follows as sql;
                let mut tx = self.begin_write().await?;
                let changed = if on {
                    self.insert_follow(&mut tx, follower_id, followee_id)
                        .await
                        .map_err(|e| match e {
                            // Either user vanished between the caller's lookup and here.
                            sqlx::Error::Database(ref db) if db.is_foreign_key_violation() => {
                                $crate::storage::StoreError::NotFound
                            }
                            other => other.into(),
                        })?
                } else {
                    sqlx::query(sql::DELETE_FOLLOW)
                        .bind(follower_id)
                        .bind(followee_id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                        > 0
                };
                if !changed {
                    return Ok(false);
                }
                let delta: i64 = if on { 1 } else { -1 };
                for user in [follower_id.min(followee_id), follower_id.max(followee_id)] {
                    sqlx::query(sql::BUMP_FOLLOW_COUNTS)
                        .bind(follower_id)
                        .bind(followee_id)
                        .bind(delta)
                        .bind(user)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn followers(
                &self,
                user_id: i64,
                cursor: $crate::domain::FollowCursor,
                viewer: Option<i64>,
            ) -> Result<$crate::domain::ProfilePage, $crate::storage::StoreError> {
                self.follow_list($crate::storage::follows::FOLLOWERS, user_id, cursor, viewer)
                    .await
            }

            async fn following(
                &self,
                user_id: i64,
                cursor: $crate::domain::FollowCursor,
                viewer: Option<i64>,
            ) -> Result<$crate::domain::ProfilePage, $crate::storage::StoreError> {
                self.follow_list($crate::storage::follows::FOLLOWING, user_id, cursor, viewer)
                    .await
            }

            async fn following_ids(
                &self,
                user_id: i64,
            ) -> Result<Vec<i64>, $crate::storage::StoreError> {
                // One row of comma-separated ids: a row per followee costs a hop between
                // threads each on SQLite, a hundred times over for a typical user.
                let (packed,): (String,) = sqlx::query_as(<$store>::FOLLOWING_IDS_PACKED)
                    .bind(user_id)
                    .fetch_one(&self.pool)
                    .await?;
                $crate::storage::follows::unpack_ids(&packed)
            }
        }

        impl $store {
            /// One page of a followers (`FOLLOWERS`) or following (`FOLLOWING`) list.
            async fn follow_list(
                &self,
                query: &'static str,
                user_id: i64,
                cursor: $crate::domain::FollowCursor,
                viewer: Option<i64>,
            ) -> Result<$crate::domain::ProfilePage, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::accounts::ListedProfileRow> = sqlx::query_as(query)
                    .bind(viewer)
                    .bind(user_id)
                    .bind(cursor.before)
                    .bind(cursor.limit + 1)
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::storage::accounts::profile_page(rows, cursor.limit))
            }
        }
    };
}
pub(super) use impl_follows;
