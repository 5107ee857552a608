//! Follows: the SQL of the `follows` table and the follow counters on `users`, and the macro
//! that implements `Follows` with it on both databases.
//!
//! Follows are written in batches (`Follows::set_follows`, fed by the feed's follow writer):
//! one transaction, each change applied in order with its own answer (a missing user fails
//! only its own change), and each user's counters moved once, by the batch's net change.
//!
//! Where the dialects differ the store supplies it: `begin_write()` (SQLite takes the write
//! lock up front), `insert_follow()` (how a fresh, growing follow id is drawn; it inserts
//! nothing unless `follow_allowed!()`: both users exist and no block stands between them) and `FOLLOWING_IDS_PACKED` (the followee ids in
//! one comma-separated text).

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
/// Move user `$3`'s `following_count` by `$1` and `followers_count` by `$2`. Run once per
/// user of a batch, lowest id first, so that crossing batches lock the rows in the same
/// order (no deadlock).
pub(super) const BUMP_FOLLOW_COUNTS: &str = "UPDATE users SET \
     following_count = following_count + $1, followers_count = followers_count + $2 \
     WHERE id = $3";
/// The condition under which `$1` may follow `$2`: both exist and no block stands between
/// them (a block writes a `hides` row each way, so one probe sees either). Ends a `WHERE`.
macro_rules! follow_allowed {
    () => {
        "EXISTS (SELECT 1 FROM users WHERE id = $1) \
         AND EXISTS (SELECT 1 FROM users WHERE id = $2) \
         AND NOT EXISTS (SELECT 1 FROM hides WHERE viewer_id = $1 AND author_id = $2 \
         AND reason IN ('block', 'blocked_by'))"
    };
}
pub(super) use follow_allowed;
/// Why a follow `$1` → `$2` inserted nothing: whether both users exist, and whether a block
/// stands between them (else it existed already).
pub(super) const FOLLOW_REFUSAL: &str = "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1) \
     AND EXISTS (SELECT 1 FROM users WHERE id = $2), \
     EXISTS (SELECT 1 FROM hides WHERE viewer_id = $1 AND author_id = $2 \
     AND reason IN ('block', 'blocked_by'))";

/// How a batch of follow changes moves each user's counters.
#[derive(Default)]
pub(super) struct Counts(std::collections::BTreeMap<i64, (i64, i64)>);

impl Counts {
    /// Count `change`, which changed something.
    pub(super) fn add(&mut self, change: &crate::storage::FollowChange) {
        let delta = if change.on { 1 } else { -1 };
        self.0.entry(change.follower).or_default().0 += delta;
        self.0.entry(change.followee).or_default().1 += delta;
    }

    /// (user, following delta, followers delta) for each user whose counts move, lowest id
    /// first.
    pub(super) fn by_user(&self) -> impl Iterator<Item = (i64, i64, i64)> + '_ {
        self.0
            .iter()
            .filter(|(_, moves)| **moves != (0, 0))
            .map(|(user, (following, followers))| (*user, *following, *followers))
    }
}

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

/// Move the counters as a `Counts` says, inside transaction `$tx`, lowest user id first.
macro_rules! bump_counts {
    ($tx:ident, $counts:expr) => {
        for (user, following, followers) in $counts.by_user() {
            sqlx::query($crate::storage::follows::BUMP_FOLLOW_COUNTS)
                .bind(following)
                .bind(followers)
                .bind(user)
                .execute(&mut *$tx)
                .await?;
        }
    };
}
pub(super) use bump_counts;

/// Implements `Follows` for a struct with a `pool` field, `begin_write()`,
/// `insert_follow()` and `FOLLOWING_IDS_PACKED` (see the module doc); `$db` is its sqlx
/// database.
macro_rules! impl_follows {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Follows for $store {
            async fn set_follows(
                &self,
                changes: &[$crate::storage::FollowChange],
            ) -> Result<Vec<Result<bool, $crate::storage::StoreError>>, $crate::storage::StoreError>
            {
                use $crate::storage::follows as sql;
                let mut tx = self.begin_write().await?;
                let mut answers = Vec::with_capacity(changes.len());
                let mut counts = sql::Counts::default();
                for change in changes {
                    let answer = self.apply_follow(&mut tx, change).await?;
                    if matches!(answer, Ok(true)) {
                        counts.add(change);
                    }
                    answers.push(answer);
                }
                $crate::storage::follows::bump_counts!(tx, counts);
                tx.commit().await?;
                Ok(answers)
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
            /// One change of a `set_follows` batch inside its transaction: whether it changed
            /// anything, or `NotFound` / `Blocked` (an item's own answer, which fails nothing
            /// else).
            async fn apply_follow(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                change: &$crate::storage::FollowChange,
            ) -> Result<Result<bool, $crate::storage::StoreError>, $crate::storage::StoreError>
            {
                use $crate::storage::follows as sql;
                let (follower, followee) = (change.follower, change.followee);
                if !change.on {
                    let deleted = sqlx::query(sql::DELETE_FOLLOW)
                        .bind(follower)
                        .bind(followee)
                        .execute(&mut **tx)
                        .await?
                        .rows_affected();
                    return Ok(Ok(deleted > 0));
                }
                let inserted =
                    self.insert_follow(tx, follower, followee)
                        .await
                        .map_err(|e| match e {
                            // A user deleted since the check: the batch is lost (the caller
                            // stores it again change by change, and this one is then not found).
                            sqlx::Error::Database(ref db) if db.is_foreign_key_violation() => {
                                $crate::storage::StoreError::NotFound
                            }
                            other => other.into(),
                        })?;
                if inserted {
                    return Ok(Ok(true));
                }
                // Not inserted: it existed already, a user does not, or a block stands
                // between them.
                let (both, blocked): (bool, bool) = sqlx::query_as(sql::FOLLOW_REFUSAL)
                    .bind(follower)
                    .bind(followee)
                    .fetch_one(&mut **tx)
                    .await?;
                Ok(match (both, blocked) {
                    (false, _) => Err($crate::storage::StoreError::NotFound),
                    (true, true) => Err($crate::storage::StoreError::Blocked),
                    (true, false) => Ok(false),
                })
            }

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
