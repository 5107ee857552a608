//! Tweets one at a time: the SQL of `tweets`, `mentions`, `likes` and `deletions`, the row a
//! tweet is read as (`tweet_select!`, `TweetRow`, shared with `timelines.rs`), and the macro
//! that implements `Tweets` with it on both databases.
//!
//! Where the dialects differ the store supplies it: `begin_tweet_batch()` opens the
//! transaction tweets are inserted in (where each database makes sure ids commit in order),
//! and `insert_plain_tweets()` a faster way to store a batch with no replies or mentions where
//! the database has one (`None`: take the transaction path).

use crate::domain::{Author, Draft, ReplyTo, Tweet, UserRef};

/// The columns of a `TweetRow` (then `FROM` a source that names the tweet `t`, and
/// `tweet_joins!`); `$1` is the viewer's user id (or NULL).
macro_rules! tweet_columns {
    () => {
        "SELECT t.id, t.author_id, u.username, u.display_name, t.text, t.created_at, \
           (SELECT COUNT(*) FROM likes l WHERE l.tweet_id = t.id) AS like_count, \
           (SELECT COUNT(*) FROM likes l WHERE l.tweet_id = t.id AND l.user_id = $1) AS liked_by_me, \
           t.reply_to_id, t.reply_to_author_id, pu.username AS reply_to_username, \
           t.reply_count, t.mentions_json, t.tags_json, t.media_json "
    };
}
pub(super) use tweet_columns;

/// The author (`u`) and the parent's author (`pu`) of tweet `t`.
macro_rules! tweet_joins {
    () => {
        "JOIN users u ON u.id = t.author_id LEFT JOIN users pu ON pu.id = t.reply_to_author_id "
    };
}
pub(super) use tweet_joins;

/// Columns and joins that make a `TweetRow`; `$1` is the viewer's user id (or NULL).
macro_rules! tweet_select {
    () => {
        concat!(
            $crate::storage::tweets::tweet_columns!(),
            "FROM tweets t ",
            $crate::storage::tweets::tweet_joins!()
        )
    };
}
pub(super) use tweet_select;

pub(super) const TWEET_BY_ID: &str = concat!(tweet_select!(), "WHERE t.id = $2");
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
/// `$1` tag, `$2` tweet, `$3` author, `$4` when.
pub(super) const INSERT_TAG: &str = "INSERT INTO tweet_tags (tag, tweet_id, author_id, created_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (tag, tweet_id) DO NOTHING";
/// `$1` tweet, `$2` user, `$3` position.
pub(super) const INSERT_MENTION: &str = "INSERT INTO mentions (tweet_id, user_id, position) \
     VALUES ($1, $2, $3) ON CONFLICT (tweet_id, user_id) DO NOTHING";
/// `$1` = user, `$2` = change; answers the author's display name for the new tweets.
pub(super) const BUMP_TWEET_COUNT: &str =
    "UPDATE users SET tweet_count = tweet_count + $2 WHERE id = $1 RETURNING display_name";
/// The newest `$1` tweets' ids, authors, parents and parents' authors (NULL unless a
/// reply), newest first.
pub(super) const RECENT_AUTHORS: &str =
    "SELECT id, author_id, reply_to_id, reply_to_author_id FROM tweets ORDER BY id DESC LIMIT $1";
pub(super) const DELETE_TWEET: &str = "DELETE FROM tweets WHERE id = $1 AND author_id = $2";
pub(super) const RECORD_DELETION: &str = "INSERT INTO deletions (tweet_id, deleted_at) VALUES ($1, $2) ON CONFLICT (tweet_id) DO NOTHING";
pub(super) const DELETED_SINCE: &str =
    "SELECT tweet_id FROM deletions WHERE deleted_at >= $1 ORDER BY tweet_id";
pub(super) const INSERT_LIKE: &str = "INSERT INTO likes (tweet_id, user_id, created_at) VALUES ($1, $2, $3) \
     ON CONFLICT (tweet_id, user_id) DO NOTHING";
pub(super) const DELETE_LIKE: &str = "DELETE FROM likes WHERE tweet_id = $1 AND user_id = $2";

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
    pub tags_json: String,
    pub media_json: String,
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
            // Written by `create_tweets` from the draft's tags; as for mentions.
            tags: serde_json::from_str(&row.tags_json).unwrap_or_default(),
            // Written by `create_tweets` from a `Vec<Attachment>`; same reasoning.
            media: serde_json::from_str(&row.media_json).unwrap_or_default(),
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

/// Implements `Tweets` for a struct with a `pool` field, `begin_tweet_batch()` and
/// `insert_plain_tweets()` (see the module doc).
macro_rules! impl_tweets {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Tweets for $store {
            async fn create_tweets(
                &self,
                drafts: &[$crate::domain::Draft],
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                if drafts.is_empty() {
                    return Ok(Vec::new());
                }
                use $crate::storage::tweets as sql;
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
                    r.tags_json = serde_json::to_string(&draft.tag_names())
                        .map_err(|e| anyhow::anyhow!("cannot encode tags: {e}"))?;
                    $crate::storage::media::take_uploads!(tx, draft, r);
                    resolved.push(r);
                }
                let postgres = Self::DIALECT == $crate::storage::words::Dialect::Postgres;
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO tweets (author_id, text, created_at, reply_to_id, \
                     reply_to_author_id, mentions_json, tags_json, media_json",
                );
                // PostgreSQL keeps the search words in the row (SQLite in FTS5, below).
                insert.push(if postgres { ", search) " } else { ") " });
                insert.push_values(drafts.iter().zip(&resolved), |mut row, (draft, r)| {
                    row.push_bind(draft.author.id)
                        .push_bind(draft.text.as_str())
                        .push_bind(created_at)
                        .push_bind(r.reply_to.as_ref().map(|p| p.id))
                        .push_bind(r.reply_to.as_ref().map(|p| p.author.id))
                        .push_bind(r.mentions_json.as_str())
                        .push_bind(r.tags_json.as_str())
                        .push_bind(r.media_json.as_str());
                    if postgres {
                        row.push("array_to_tsvector(string_to_array(")
                            .push_bind_unseparated(draft.words.as_str())
                            .push_unseparated(", ' '))");
                    }
                });
                insert.push(" RETURNING id");
                let rows: Vec<(i64,)> = insert.build_query_as().fetch_all(&mut *tx).await?;
                // Inside the batch transaction nobody else inserts tweets, so the rows took
                // consecutive ids in VALUES order; RETURNING's own order is not promised.
                let ids = $crate::storage::tweets::in_draft_order(
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
                    let (name,): (String,) =
                        sqlx::query_as($crate::storage::tweets::BUMP_TWEET_COUNT)
                            .bind(author)
                            .bind(n)
                            .fetch_one(&mut *tx)
                            .await?;
                    names.insert(author, name);
                }
                for (id, draft) in ids.iter().zip(drafts) {
                    for tag in &draft.tags {
                        sqlx::query(sql::INSERT_TAG)
                            .bind(tag.as_str())
                            .bind(*id)
                            .bind(draft.author.id)
                            .bind(created_at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    if !postgres && !draft.words.is_empty() {
                        sqlx::query($crate::storage::words::SQLITE_PENDING_WORDS)
                            .bind(*id)
                            .bind(draft.words.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                for (id, r) in ids.iter().zip(&resolved) {
                    $crate::storage::media::attach_uploads!(tx, *id, r);
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

            async fn tweet(
                &self,
                id: i64,
                viewer: Option<i64>,
            ) -> Result<Option<$crate::domain::Tweet>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::tweets::TweetRow> =
                    sqlx::query_as($crate::storage::tweets::TWEET_BY_ID)
                        .bind(viewer)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn delete_tweet(
                &self,
                id: i64,
                author_id: i64,
            ) -> Result<(), $crate::storage::StoreError> {
                let mut tx = self.pool.begin().await?;
                // Parent first (see DROP_REPLY_COUNT); undone with the rest when the delete
                // finds nothing.
                sqlx::query($crate::storage::tweets::DROP_REPLY_COUNT)
                    .bind(id)
                    .bind(author_id)
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query($crate::storage::tweets::DELETE_TWEET)
                    .bind(id)
                    .bind(author_id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::storage::StoreError::NotFound);
                }
                sqlx::query($crate::storage::tweets::BUMP_TWEET_COUNT)
                    .bind(author_id)
                    .bind(-1_i64)
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query($crate::storage::tweets::RECORD_DELETION)
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
                    sqlx::query($crate::storage::tweets::INSERT_LIKE)
                        .bind(tweet_id)
                        .bind(user_id)
                        .bind($crate::domain::now_micros())
                } else {
                    sqlx::query($crate::storage::tweets::DELETE_LIKE)
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
                let rows: Vec<(i64,)> = sqlx::query_as($crate::storage::tweets::DELETED_SINCE)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn recent_authors(
                &self,
                limit: i64,
            ) -> Result<Vec<$crate::storage::RecentTweet>, $crate::storage::StoreError> {
                Ok(sqlx::query_as($crate::storage::tweets::RECENT_AUTHORS)
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
                    $crate::storage::tweets::TWEETS_BY_IDS,
                    placeholders.join(", ")
                );
                let mut query =
                    sqlx::query_as::<_, $crate::storage::tweets::TweetRow>(&sql).bind(viewer);
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
        }
    };
}
pub(super) use impl_tweets;

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
        tags: draft.tag_names(),
        media: resolved.media.clone(),
    }
}

/// What storing a draft looked up: its parent's author and the users it mentions.
#[derive(Default)]
pub(super) struct Resolved {
    pub reply_to: Option<ReplyTo>,
    pub mentions: Vec<UserRef>,
    pub mentions_json: String,
    pub tags_json: String,
    /// The uploads it takes, as served, and the same as stored JSON (`[]` when none).
    pub media: Vec<crate::domain::Attachment>,
    pub media_json: String,
}
