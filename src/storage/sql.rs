//! The SQL both databases share, and `shared_store_impl!`, which writes the `Store` methods
//! that are identical on SQLite and PostgreSQL around a `pool` field.
//!
//! Placeholders are `$n` (both dialects accept them); counts are `COUNT(*)`, which both
//! return as 64-bit integers, so the same row types decode on either database.

use crate::domain::{
    Author, Draft, Notification, NotificationKind, Profile, ReplyTo, Tweet, User, UserRef,
};

/// Columns and joins that make a `TweetRow`; `$1` is the viewer's user id (or NULL).
macro_rules! tweet_select {
    () => {
        "SELECT t.id, t.author_id, u.username, u.display_name, t.text, t.created_at, \
           (SELECT COUNT(*) FROM likes l WHERE l.tweet_id = t.id) AS like_count, \
           (SELECT COUNT(*) FROM likes l WHERE l.tweet_id = t.id AND l.user_id = $1) AS liked_by_me, \
           t.reply_to_id, t.reply_to_author_id, pu.username AS reply_to_username, \
           t.reply_count, t.mentions_json \
         FROM tweets t JOIN users u ON u.id = t.author_id \
         LEFT JOIN users pu ON pu.id = t.reply_to_author_id "
    };
}

pub(super) const TWEET_BY_ID: &str = concat!(tweet_select!(), "WHERE t.id = $2");
/// `$2` = exclusive upper bound, `$3` = limit.
pub(super) const TWEETS_BEFORE: &str = concat!(
    tweet_select!(),
    "WHERE t.id < $2 ORDER BY t.id DESC LIMIT $3"
);
/// `$2` = exclusive lower bound, `$3` = limit; oldest first (the caller reverses).
pub(super) const TWEETS_AFTER: &str = concat!(
    tweet_select!(),
    "WHERE t.id > $2 ORDER BY t.id ASC LIMIT $3"
);
/// As `TWEETS_BEFORE`, `$4` = author id.
pub(super) const AUTHOR_TWEETS_BEFORE: &str = concat!(
    tweet_select!(),
    "WHERE t.author_id = $4 AND t.id < $2 ORDER BY t.id DESC LIMIT $3"
);
/// As `TWEETS_AFTER`, `$4` = author id.
pub(super) const AUTHOR_TWEETS_AFTER: &str = concat!(
    tweet_select!(),
    "WHERE t.author_id = $4 AND t.id > $2 ORDER BY t.id ASC LIMIT $3"
);

/// The viewer's home timeline: their own tweets and those of everyone they follow. `$4` =
/// the viewer. Measured (bench/home_timeline.sh): walking `tweets` by id and probing the
/// `follows` primary key per tweet (PostgreSQL hashes the followee list) answers in about a
/// millisecond on both databases for 1,000 follows among 1M tweets, where `author_id IN
/// (…)` made SQLite gather and sort every followed tweet.
macro_rules! home_where {
    () => {
        "WHERE (t.author_id = $4 OR EXISTS (SELECT 1 FROM follows f \
           WHERE f.follower_id = $4 AND f.followee_id = t.author_id)) "
    };
}
/// As `TWEETS_BEFORE`, for the home timeline of `$4`.
pub(super) const HOME_BEFORE: &str = concat!(
    tweet_select!(),
    home_where!(),
    "AND t.id < $2 ORDER BY t.id DESC LIMIT $3"
);
/// As `TWEETS_AFTER`, for the home timeline of `$4`.
pub(super) const HOME_AFTER: &str = concat!(
    tweet_select!(),
    home_where!(),
    "AND t.id > $2 ORDER BY t.id ASC LIMIT $3"
);

/// The direct replies to `$4`, oldest first, after id `$2`; `$3` = limit.
pub(super) const REPLIES_AFTER: &str = concat!(
    tweet_select!(),
    "WHERE t.reply_to_id = $4 AND t.id > $2 ORDER BY t.id ASC LIMIT $3"
);
/// The start of "these tweets": the caller appends `WHERE t.id IN (…)`.
pub(super) const TWEETS_BY_IDS: &str = tweet_select!();
/// Count one more reply to `$1` (answers nothing when it does not exist, or was deleted).
pub(super) const BUMP_REPLY_COUNT: &str =
    "UPDATE tweets SET reply_count = reply_count + $2 WHERE id = $1";
/// Who wrote tweet `$1`.
pub(super) const TWEET_AUTHOR: &str =
    "SELECT u.id, u.username FROM tweets t JOIN users u ON u.id = t.author_id WHERE t.id = $1";
/// Deleting tweet `$1` of author `$2`: its parent (if it is a reply, and still there) has
/// one reply fewer. Run before the delete, so the parent's row is locked before the reply's
/// (parents have lower ids; a batch of replies locks parents in id order too).
pub(super) const DROP_REPLY_COUNT: &str = "UPDATE tweets SET reply_count = reply_count - 1 \
     WHERE id = (SELECT reply_to_id FROM tweets WHERE id = $1 AND author_id = $2)";
/// A user by username key, as a `UserRef`.
pub(super) const USER_REF_BY_KEY: &str = "SELECT id, username FROM users WHERE username_key = $1";
/// `$1` tweet, `$2` user, `$3` position.
pub(super) const INSERT_MENTION: &str = "INSERT INTO mentions (tweet_id, user_id, position) \
     VALUES ($1, $2, $3) ON CONFLICT (tweet_id, user_id) DO NOTHING";
/// Make a notification unless that (recipient, kind, actor, tweet) had one already; answers
/// its id when it is new. `$4` is 0 for none.
pub(super) const INSERT_NOTIFICATION: &str = "INSERT INTO notifications \
     (recipient_id, kind, actor_id, tweet_id, created_at) VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (recipient_id, kind, actor_id, tweet_id) DO NOTHING RETURNING id";
macro_rules! notification_select {
    () => {
        "SELECT n.id, n.recipient_id, n.kind, n.actor_id, a.username AS actor_username, \
           n.tweet_id, n.created_at, n.is_read \
         FROM notifications n JOIN users a ON a.id = n.actor_id "
    };
}
/// `$1` = notification id.
pub(super) const NOTIFICATION_BY_ID: &str = concat!(notification_select!(), "WHERE n.id = $1");
/// `$1` = recipient, below id `$2`, newest first; `$3` = limit.
pub(super) const NOTIFICATIONS_BEFORE: &str = concat!(
    notification_select!(),
    "WHERE n.recipient_id = $1 AND n.id < $2 ORDER BY n.id DESC LIMIT $3"
);
/// `$1` = recipient.
pub(super) const UNREAD_COUNT: &str =
    "SELECT COUNT(*) FROM notifications WHERE recipient_id = $1 AND is_read = 0";
/// Mark `$1`'s notifications up to id `$2` read.
pub(super) const MARK_READ: &str =
    "UPDATE notifications SET is_read = 1 WHERE recipient_id = $1 AND id <= $2 AND is_read = 0";

/// A notification row as `notification_select!` produces it.
#[derive(sqlx::FromRow)]
pub(super) struct NotificationRow {
    pub id: i64,
    pub recipient_id: i64,
    pub kind: String,
    pub actor_id: i64,
    pub actor_username: String,
    pub tweet_id: i64,
    pub created_at: i64,
    pub is_read: i64,
}

impl NotificationRow {
    /// The notification, with its tweet looked up in `tweets` (absent: deleted).
    pub fn into_notification(
        self,
        tweets: &std::collections::HashMap<i64, Tweet>,
    ) -> Result<Notification, crate::storage::StoreError> {
        let kind = NotificationKind::from_name(&self.kind).ok_or_else(|| {
            anyhow::anyhow!(
                "notification {} has an unknown kind {:?}",
                self.id,
                self.kind
            )
        })?;
        Ok(Notification {
            id: self.id,
            recipient: self.recipient_id,
            kind,
            actor: UserRef {
                id: self.actor_id,
                username: self.actor_username,
            },
            tweet: tweets.get(&self.tweet_id).cloned(),
            created_at: self.created_at,
            read: self.is_read != 0,
        })
    }
}

/// Columns that make a `ProfileRow`; `$1` is the viewer's user id (or NULL).
macro_rules! profile_select {
    () => {
        "SELECT u.id, u.username, u.created_at, u.display_name, u.bio, \
           u.followers_count, u.following_count, u.tweet_count, \
           (SELECT COUNT(*) FROM follows m WHERE m.follower_id = $1 AND m.followee_id = u.id) AS followed_by_me, \
           (SELECT COUNT(*) FROM follows m WHERE m.follower_id = u.id AND m.followee_id = $1) AS follows_me "
    };
}
/// `$2` = username key.
pub(super) const PROFILE_BY_KEY: &str =
    concat!(profile_select!(), "FROM users u WHERE u.username_key = $2");
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
/// The most-followed accounts that viewer `$1` (or NULL) is not and does not follow, at
/// most `$2`: whom to suggest to someone whose home timeline is empty.
pub(super) const SUGGESTIONS: &str = concat!(
    profile_select!(),
    "FROM users u WHERE ($1 IS NULL OR (u.id <> $1 AND NOT EXISTS \
       (SELECT 1 FROM follows s WHERE s.follower_id = $1 AND s.followee_id = u.id))) \
     ORDER BY u.followers_count DESC, u.tweet_count DESC, u.id ASC LIMIT $2"
);
/// `$1` = user, `$2` = new display name or NULL (unchanged), `$3` = new bio or NULL.
pub(super) const UPDATE_PROFILE: &str = "UPDATE users SET display_name = COALESCE($2, display_name), \
     bio = COALESCE($3, bio) WHERE id = $1";
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
/// `$1` = user, `$2` = change; answers the author's display name for the new tweets.
pub(super) const BUMP_TWEET_COUNT: &str =
    "UPDATE users SET tweet_count = tweet_count + $2 WHERE id = $1 RETURNING display_name";
/// The newest `$1` tweets' ids and authors, newest first.
pub(super) const RECENT_AUTHORS: &str =
    "SELECT id, author_id, reply_to_id FROM tweets ORDER BY id DESC LIMIT $1";

pub(super) const INSERT_USER: &str = "INSERT INTO users (username, username_key, password_hash, created_at) \
     VALUES ($1, $2, $3, $4) RETURNING id";
pub(super) const USER_BY_KEY: &str =
    "SELECT id, username, created_at, password_hash FROM users WHERE username_key = $1";
pub(super) const INSERT_SESSION: &str =
    "INSERT INTO sessions (token_hash, user_id, created_at) VALUES ($1, $2, $3)";
pub(super) const SESSION_USER: &str = "SELECT u.id, u.username, u.created_at, '' AS password_hash \
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";
pub(super) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";
pub(super) const DELETE_TWEET: &str = "DELETE FROM tweets WHERE id = $1 AND author_id = $2";
pub(super) const RECORD_DELETION: &str = "INSERT INTO deletions (tweet_id, deleted_at) VALUES ($1, $2) ON CONFLICT (tweet_id) DO NOTHING";
pub(super) const DELETED_SINCE: &str =
    "SELECT tweet_id FROM deletions WHERE deleted_at >= $1 ORDER BY tweet_id";
pub(super) const INSERT_LIKE: &str = "INSERT INTO likes (tweet_id, user_id, created_at) VALUES ($1, $2, $3) \
     ON CONFLICT (tweet_id, user_id) DO NOTHING";
pub(super) const DELETE_LIKE: &str = "DELETE FROM likes WHERE tweet_id = $1 AND user_id = $2";

/// A user row, with the password hash for signing in (empty where not selected).
#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    pub id: i64,
    pub username: String,
    pub created_at: i64,
    pub password_hash: String,
}

impl UserRow {
    pub fn into_user(self) -> User {
        User {
            id: self.id,
            username: self.username,
            created_at: self.created_at,
        }
    }
}

/// A profile row as `profile_select!` produces it.
#[derive(sqlx::FromRow)]
pub(super) struct ProfileRow {
    pub id: i64,
    pub username: String,
    pub created_at: i64,
    pub display_name: String,
    pub bio: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub tweet_count: i64,
    pub followed_by_me: i64,
    pub follows_me: i64,
}

impl From<ProfileRow> for Profile {
    fn from(row: ProfileRow) -> Self {
        Profile {
            user: User {
                id: row.id,
                username: row.username,
                created_at: row.created_at,
            },
            display_name: row.display_name,
            bio: row.bio,
            followers_count: row.followers_count,
            following_count: row.following_count,
            tweet_count: row.tweet_count,
            followed_by_me: row.followed_by_me > 0,
            follows_me: row.follows_me > 0,
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
pub(super) fn profile_page(
    mut rows: Vec<ListedProfileRow>,
    limit: i64,
) -> crate::domain::ProfilePage {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|r| r.follow_id)
    } else {
        None
    };
    crate::domain::ProfilePage {
        users: rows.into_iter().map(|r| r.profile.into()).collect(),
        next,
    }
}

/// Which query, bound and order read `page` of a timeline: (`before` query, `after` query).
pub(super) fn page_plan(
    page: crate::domain::Page,
    before: &'static str,
    after: &'static str,
) -> (&'static str, i64, bool) {
    use crate::domain::PageCursor;
    match page.cursor {
        PageCursor::After(id) => (after, id, true),
        PageCursor::Before(id) => (before, id, false),
        PageCursor::Newest => (before, i64::MAX, false),
    }
}

/// A tweet row as `tweet_select!` produces it.
#[derive(sqlx::FromRow)]
pub(super) struct TweetRow {
    pub id: i64,
    pub author_id: i64,
    pub username: String,
    pub display_name: String,
    pub text: String,
    pub created_at: i64,
    pub like_count: i64,
    pub liked_by_me: i64,
    pub reply_to_id: Option<i64>,
    pub reply_to_author_id: Option<i64>,
    pub reply_to_username: Option<String>,
    pub reply_count: i64,
    pub mentions_json: String,
}

impl From<TweetRow> for Tweet {
    fn from(row: TweetRow) -> Self {
        Tweet {
            id: row.id,
            author: Author {
                id: row.author_id,
                username: row.username,
                display_name: row.display_name,
            },
            text: row.text,
            created_at: row.created_at,
            like_count: row.like_count,
            liked_by_me: row.liked_by_me > 0,
            reply_to: row.reply_to_id.map(|id| ReplyTo {
                id,
                author: UserRef {
                    id: row.reply_to_author_id.unwrap_or_default(),
                    username: row.reply_to_username.unwrap_or_default(),
                },
            }),
            reply_count: row.reply_count,
            // Written by `create_tweets` from a `Vec<UserRef>`; a row that does not read
            // back shows no mentions rather than failing the whole page.
            mentions: serde_json::from_str(&row.mentions_json).unwrap_or_default(),
        }
    }
}

/// The ids a batch insert returned, in draft order: under the tweet-order lock nobody else
/// draws ids, so the rows took consecutive ids in draft order, whatever order RETURNING
/// lists them in. An error unless there is one per draft.
pub(super) fn in_draft_order(
    mut ids: Vec<i64>,
    drafts: usize,
) -> Result<Vec<i64>, crate::storage::StoreError> {
    ids.sort_unstable();
    if ids.len() != drafts {
        return Err(anyhow::anyhow!("inserted {} tweets, expected {drafts}", ids.len()).into());
    }
    Ok(ids)
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

/// Implements `Store` for a struct with a `pool` field and inherent methods where the
/// databases differ: `begin_tweet_batch()` opens the transaction tweets are inserted in (where
/// each database makes sure ids commit in order), `insert_plain_tweets()` a faster way to
/// store a batch with no replies or mentions where the database has one (`None`: take the
/// transaction path), `begin_write()` any other writing
/// transaction, and `insert_follow()` adds a follow with a fresh, growing id (answering
/// whether it was new); and the constant `FOLLOWING_IDS_PACKED` (`$1`'s followee ids in
/// one comma-separated text, ascending).
macro_rules! shared_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Store for $store {
            async fn create_tweets(
                &self,
                drafts: &[$crate::domain::Draft],
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                if drafts.is_empty() {
                    return Ok(Vec::new());
                }
                use $crate::storage::sql;
                let created_at = $crate::domain::now_micros();
                if let Some(tweets) = self.insert_plain_tweets(drafts, created_at).await? {
                    return Ok(tweets);
                }
                let mut tx = self.begin_tweet_batch().await?;
                // Each parent gains its replies, in id order (the lock order deletes follow
                // too); a parent that is gone refuses the batch (`NotFound`).
                let mut parents = std::collections::BTreeMap::<i64, i64>::new();
                for draft in drafts {
                    if let Some(parent) = draft.reply_to {
                        *parents.entry(parent).or_default() += 1;
                    }
                }
                let mut parent_authors = std::collections::HashMap::new();
                for (parent, n) in parents {
                    let bumped = sqlx::query(sql::BUMP_REPLY_COUNT)
                        .bind(parent)
                        .bind(n)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if bumped == 0 {
                        return Err($crate::storage::StoreError::NotFound);
                    }
                    let (author_id, username): (i64, String) = sqlx::query_as(sql::TWEET_AUTHOR)
                        .bind(parent)
                        .fetch_one(&mut *tx)
                        .await?;
                    parent_authors.insert(
                        parent,
                        $crate::domain::UserRef {
                            id: author_id,
                            username,
                        },
                    );
                }
                // Mentioned names that are users, looked up once per batch.
                let mut users =
                    std::collections::HashMap::<String, Option<$crate::domain::UserRef>>::new();
                let mut resolved = Vec::with_capacity(drafts.len());
                for draft in drafts {
                    let mut r = sql::Resolved {
                        reply_to: draft.reply_to.and_then(|parent| {
                            parent_authors
                                .get(&parent)
                                .map(|author| $crate::domain::ReplyTo {
                                    id: parent,
                                    author: author.clone(),
                                })
                        }),
                        ..Default::default()
                    };
                    for name in &draft.mentions {
                        let key = name.key();
                        let user = match users.get(&key) {
                            Some(user) => user.clone(),
                            None => {
                                let row: Option<(i64, String)> =
                                    sqlx::query_as(sql::USER_REF_BY_KEY)
                                        .bind(&key)
                                        .fetch_optional(&mut *tx)
                                        .await?;
                                let user = row
                                    .map(|(id, username)| $crate::domain::UserRef { id, username });
                                users.insert(key, user.clone());
                                user
                            }
                        };
                        r.mentions.extend(user);
                    }
                    r.mentions_json = serde_json::to_string(&r.mentions)
                        .map_err(|e| anyhow::anyhow!("cannot encode mentions: {e}"))?;
                    resolved.push(r);
                }
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO tweets (author_id, text, created_at, reply_to_id, \
                     reply_to_author_id, mentions_json) ",
                );
                insert.push_values(drafts.iter().zip(&resolved), |mut row, (draft, r)| {
                    row.push_bind(draft.author.id)
                        .push_bind(draft.text.as_str())
                        .push_bind(created_at)
                        .push_bind(r.reply_to.as_ref().map(|p| p.id))
                        .push_bind(r.reply_to.as_ref().map(|p| p.author.id))
                        .push_bind(r.mentions_json.as_str());
                });
                insert.push(" RETURNING id");
                let rows: Vec<(i64,)> = insert.build_query_as().fetch_all(&mut *tx).await?;
                // Inside the batch transaction nobody else inserts tweets, so the rows took
                // consecutive ids in VALUES order; RETURNING's own order is not promised.
                let ids = $crate::storage::sql::in_draft_order(
                    rows.into_iter().map(|(id,)| id).collect(),
                    drafts.len(),
                )?;
                // Each author's tweet_count moves in the same transaction, lower ids first (the
                // lock order follows use too); the update answers the display name to show.
                let mut per_author = std::collections::BTreeMap::<i64, i64>::new();
                for draft in drafts {
                    *per_author.entry(draft.author.id).or_default() += 1;
                }
                let mut names = std::collections::HashMap::new();
                for (author, n) in per_author {
                    let (name,): (String,) = sqlx::query_as($crate::storage::sql::BUMP_TWEET_COUNT)
                        .bind(author)
                        .bind(n)
                        .fetch_one(&mut *tx)
                        .await?;
                    names.insert(author, name);
                }
                for (id, r) in ids.iter().zip(&resolved) {
                    for (position, user) in r.mentions.iter().enumerate() {
                        sqlx::query(sql::INSERT_MENTION)
                            .bind(*id)
                            .bind(user.id)
                            .bind(position as i64)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                let tweets = ids
                    .into_iter()
                    .zip(drafts)
                    .zip(&resolved)
                    .map(|((id, draft), r)| {
                        let name = names.get(&draft.author.id).map_or("", String::as_str);
                        sql::new_tweet(id, draft, name, created_at, r)
                    })
                    .collect();
                tx.commit().await?;
                Ok(tweets)
            }

            async fn create_user(
                &self,
                username: &$crate::domain::Username,
                password_hash: &str,
            ) -> Result<$crate::domain::User, $crate::storage::StoreError> {
                let created_at = $crate::domain::now_micros();
                let (id,): (i64,) = sqlx::query_as($crate::storage::sql::INSERT_USER)
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
                })
            }

            async fn credentials(
                &self,
                username: &$crate::domain::Username,
            ) -> Result<Option<($crate::domain::User, String)>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::sql::UserRow> =
                    sqlx::query_as($crate::storage::sql::USER_BY_KEY)
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
                let row: Option<$crate::storage::sql::UserRow> =
                    sqlx::query_as($crate::storage::sql::USER_BY_KEY)
                        .bind(username.key())
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map($crate::storage::sql::UserRow::into_user))
            }

            async fn create_session(
                &self,
                token_hash: &str,
                user_id: i64,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::sql::INSERT_SESSION)
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
                let row: Option<$crate::storage::sql::UserRow> =
                    sqlx::query_as($crate::storage::sql::SESSION_USER)
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map($crate::storage::sql::UserRow::into_user))
            }

            async fn delete_session(
                &self,
                token_hash: &str,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::sql::DELETE_SESSION)
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn tweet(
                &self,
                id: i64,
                viewer: Option<i64>,
            ) -> Result<Option<$crate::domain::Tweet>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::sql::TweetRow> =
                    sqlx::query_as($crate::storage::sql::TWEET_BY_ID)
                        .bind(viewer)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn tweets(
                &self,
                author: Option<i64>,
                page: $crate::domain::Page,
                viewer: Option<i64>,
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                use $crate::domain::PageCursor;
                use $crate::storage::sql;
                let (query, bound, ascending) = match (page.cursor, author.is_some()) {
                    (PageCursor::After(id), false) => (sql::TWEETS_AFTER, id, true),
                    (PageCursor::After(id), true) => (sql::AUTHOR_TWEETS_AFTER, id, true),
                    (PageCursor::Before(id), false) => (sql::TWEETS_BEFORE, id, false),
                    (PageCursor::Before(id), true) => (sql::AUTHOR_TWEETS_BEFORE, id, false),
                    (PageCursor::Newest, false) => (sql::TWEETS_BEFORE, i64::MAX, false),
                    (PageCursor::Newest, true) => (sql::AUTHOR_TWEETS_BEFORE, i64::MAX, false),
                };
                let mut q = sqlx::query_as::<_, sql::TweetRow>(query)
                    .bind(viewer)
                    .bind(bound)
                    .bind(page.limit);
                if let Some(author) = author {
                    q = q.bind(author);
                }
                let rows = q.fetch_all(&self.pool).await?;
                let mut tweets: Vec<$crate::domain::Tweet> =
                    rows.into_iter().map(Into::into).collect();
                if ascending {
                    tweets.reverse();
                }
                Ok(tweets)
            }

            async fn delete_tweet(
                &self,
                id: i64,
                author_id: i64,
            ) -> Result<(), $crate::storage::StoreError> {
                let mut tx = self.pool.begin().await?;
                // Parent first (see DROP_REPLY_COUNT); undone with the rest when the delete
                // finds nothing.
                sqlx::query($crate::storage::sql::DROP_REPLY_COUNT)
                    .bind(id)
                    .bind(author_id)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query($crate::storage::sql::DELETE_TWEET)
                    .bind(id)
                    .bind(author_id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::storage::StoreError::NotFound);
                }
                sqlx::query($crate::storage::sql::BUMP_TWEET_COUNT)
                    .bind(author_id)
                    .bind(-1_i64)
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query($crate::storage::sql::RECORD_DELETION)
                    .bind(id)
                    .bind($crate::domain::now_micros())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn set_like(
                &self,
                tweet_id: i64,
                user_id: i64,
                liked: bool,
            ) -> Result<(), $crate::storage::StoreError> {
                let query = if liked {
                    sqlx::query($crate::storage::sql::INSERT_LIKE)
                        .bind(tweet_id)
                        .bind(user_id)
                        .bind($crate::domain::now_micros())
                } else {
                    sqlx::query($crate::storage::sql::DELETE_LIKE)
                        .bind(tweet_id)
                        .bind(user_id)
                };
                query.execute(&self.pool).await.map_err(|e| match e {
                    // The tweet vanished between the caller's check and the insert.
                    sqlx::Error::Database(ref db) if db.is_foreign_key_violation() => {
                        $crate::storage::StoreError::NotFound
                    }
                    other => other.into(),
                })?;
                Ok(())
            }

            async fn deleted_since(
                &self,
                since: i64,
            ) -> Result<Vec<i64>, $crate::storage::StoreError> {
                let rows: Vec<(i64,)> = sqlx::query_as($crate::storage::sql::DELETED_SINCE)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn ping(&self) -> Result<(), $crate::storage::StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn profile(
                &self,
                username: &$crate::domain::Username,
                viewer: Option<i64>,
            ) -> Result<Option<$crate::domain::Profile>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::sql::ProfileRow> =
                    sqlx::query_as($crate::storage::sql::PROFILE_BY_KEY)
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
                let done = sqlx::query($crate::storage::sql::UPDATE_PROFILE)
                    .bind(user_id)
                    .bind(update.display_name.as_ref().map(|d| d.as_str()))
                    .bind(update.bio.as_ref().map(|b| b.as_str()))
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::storage::StoreError::NotFound);
                }
                Ok(())
            }

            async fn set_follow(
                &self,
                follower_id: i64,
                followee_id: i64,
                on: bool,
            ) -> Result<bool, $crate::storage::StoreError> {
                use $crate::storage::sql;
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
                self.follow_list($crate::storage::sql::FOLLOWERS, user_id, cursor, viewer)
                    .await
            }

            async fn following(
                &self,
                user_id: i64,
                cursor: $crate::domain::FollowCursor,
                viewer: Option<i64>,
            ) -> Result<$crate::domain::ProfilePage, $crate::storage::StoreError> {
                self.follow_list($crate::storage::sql::FOLLOWING, user_id, cursor, viewer)
                    .await
            }

            async fn home(
                &self,
                user_id: i64,
                page: $crate::domain::Page,
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                use $crate::storage::sql;
                let (query, bound, ascending) =
                    sql::page_plan(page, sql::HOME_BEFORE, sql::HOME_AFTER);
                let rows = sqlx::query_as::<_, sql::TweetRow>(query)
                    .bind(user_id)
                    .bind(bound)
                    .bind(page.limit)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                let mut tweets: Vec<$crate::domain::Tweet> =
                    rows.into_iter().map(Into::into).collect();
                if ascending {
                    tweets.reverse();
                }
                Ok(tweets)
            }

            async fn recent_authors(
                &self,
                limit: i64,
            ) -> Result<Vec<(i64, i64, Option<i64>)>, $crate::storage::StoreError> {
                Ok(sqlx::query_as($crate::storage::sql::RECENT_AUTHORS)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn tweets_by_ids(
                &self,
                ids: &[i64],
                viewer: i64,
            ) -> Result<
                std::collections::HashMap<i64, $crate::domain::Tweet>,
                $crate::storage::StoreError,
            > {
                let mut wanted: Vec<i64> = ids.iter().copied().filter(|id| *id > 0).collect();
                wanted.sort_unstable();
                wanted.dedup();
                if wanted.is_empty() {
                    return Ok(std::collections::HashMap::new());
                }
                // `tweet_select!` binds the viewer as `$1`; the ids follow as `$2…`.
                let placeholders: Vec<String> =
                    (2..wanted.len() + 2).map(|n| format!("${n}")).collect();
                let sql = format!(
                    "{} WHERE t.id IN ({})",
                    $crate::storage::sql::TWEETS_BY_IDS,
                    placeholders.join(", ")
                );
                let mut query =
                    sqlx::query_as::<_, $crate::storage::sql::TweetRow>(&sql).bind(viewer);
                for id in &wanted {
                    query = query.bind(*id);
                }
                let rows = query.fetch_all(&self.pool).await?;
                Ok(rows
                    .into_iter()
                    .map(|row| {
                        let tweet: $crate::domain::Tweet = row.into();
                        (tweet.id, tweet)
                    })
                    .collect())
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
                $crate::storage::sql::unpack_ids(&packed)
            }

            async fn replies(
                &self,
                parent: i64,
                page: $crate::domain::Page,
                viewer: Option<i64>,
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                use $crate::domain::PageCursor;
                let after = match page.cursor {
                    PageCursor::After(id) => id,
                    PageCursor::Newest | PageCursor::Before(_) => 0,
                };
                let rows = sqlx::query_as::<_, $crate::storage::sql::TweetRow>(
                    $crate::storage::sql::REPLIES_AFTER,
                )
                .bind(viewer)
                .bind(after)
                .bind(page.limit)
                .bind(parent)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn notify(
                &self,
                new: &[$crate::domain::NewNotification],
            ) -> Result<Vec<($crate::domain::Notification, i64)>, $crate::storage::StoreError> {
                use $crate::storage::sql;
                let mut made = Vec::new();
                for n in new {
                    let id: Option<(i64,)> = sqlx::query_as(sql::INSERT_NOTIFICATION)
                        .bind(n.recipient)
                        .bind(n.kind.as_str())
                        .bind(n.actor)
                        .bind(n.tweet.unwrap_or(0))
                        .bind($crate::domain::now_micros())
                        .fetch_optional(&self.pool)
                        .await?;
                    let Some((id,)) = id else { continue };
                    let row: sql::NotificationRow = sqlx::query_as(sql::NOTIFICATION_BY_ID)
                        .bind(id)
                        .fetch_one(&self.pool)
                        .await?;
                    let tweets =
                        $crate::storage::Store::tweets_by_ids(self, &[row.tweet_id], n.recipient)
                            .await?;
                    let notification = row.into_notification(&tweets)?;
                    let unread = self.unread_count(n.recipient).await?;
                    made.push((notification, unread));
                }
                Ok(made)
            }

            async fn notifications(
                &self,
                recipient: i64,
                before: i64,
                limit: i64,
            ) -> Result<Vec<$crate::domain::Notification>, $crate::storage::StoreError> {
                use $crate::storage::sql;
                let rows: Vec<sql::NotificationRow> = sqlx::query_as(sql::NOTIFICATIONS_BEFORE)
                    .bind(recipient)
                    .bind(before)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                let ids: Vec<i64> = rows.iter().map(|r| r.tweet_id).collect();
                let tweets = $crate::storage::Store::tweets_by_ids(self, &ids, recipient).await?;
                rows.into_iter()
                    .map(|row| row.into_notification(&tweets))
                    .collect()
            }

            async fn unread_count(
                &self,
                recipient: i64,
            ) -> Result<i64, $crate::storage::StoreError> {
                let (n,): (i64,) = sqlx::query_as($crate::storage::sql::UNREAD_COUNT)
                    .bind(recipient)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn mark_read(
                &self,
                recipient: i64,
                up_to: i64,
            ) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::sql::MARK_READ)
                    .bind(recipient)
                    .bind(up_to)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn suggestions(
                &self,
                viewer: Option<i64>,
                limit: i64,
            ) -> Result<Vec<$crate::domain::Profile>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::sql::ProfileRow> =
                    sqlx::query_as($crate::storage::sql::SUGGESTIONS)
                        .bind(viewer)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(Into::into).collect())
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
                let rows: Vec<$crate::storage::sql::ListedProfileRow> = sqlx::query_as(query)
                    .bind(viewer)
                    .bind(user_id)
                    .bind(cursor.before)
                    .bind(cursor.limit + 1)
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::storage::sql::profile_page(rows, cursor.limit))
            }
        }
    };
}

pub(super) use shared_store_impl;

/// The tweet a successful insert produced, as its author sees it.
pub(super) fn new_tweet(
    id: i64,
    draft: &Draft,
    display_name: &str,
    created_at: i64,
    resolved: &Resolved,
) -> Tweet {
    Tweet {
        id,
        author: Author {
            id: draft.author.id,
            username: draft.author.username.clone(),
            display_name: display_name.to_owned(),
        },
        text: draft.text.as_str().to_owned(),
        created_at,
        like_count: 0,
        liked_by_me: false,
        reply_to: resolved.reply_to.clone(),
        reply_count: 0,
        mentions: resolved.mentions.clone(),
    }
}

/// What storing a draft looked up: its parent's author and the users it mentions.
#[derive(Default)]
pub(super) struct Resolved {
    pub reply_to: Option<ReplyTo>,
    pub mentions: Vec<UserRef>,
    pub mentions_json: String,
}
