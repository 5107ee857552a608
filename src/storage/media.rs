//! Image attachments: the SQL of the `media` table, the macros `create_tweets` uses to take
//! a draft's uploads inside its transaction (`take_uploads!`, `attach_uploads!`), and the
//! macro that implements `MediaRows` on both databases.
//!
//! Invariant: an upload is attached to at most one tweet. Taking it reads the row as the
//! author's and free, and attaching it updates it only while still free (`tweet_id IS
//! NULL`), so of two tweets racing for it, one is refused with `Conflict(MediaIds)`.

use crate::domain::{Attachment, StoredMedia, media_url};

macro_rules! media_select {
    () => {
        "SELECT m.id, m.owner_id, m.tweet_id, m.file_key, m.preview_key, m.width, m.height, \
           m.preview_width, m.preview_height, m.description, m.blurhash FROM media m "
    };
}

/// `$1` = id.
pub(super) const MEDIA_BY_ID: &str = concat!(media_select!(), "WHERE m.id = $1");
/// `$1` = id, `$2` = owner: the upload if it is theirs and not attached yet.
pub(super) const FREE_UPLOAD: &str = concat!(
    media_select!(),
    "WHERE m.id = $1 AND m.owner_id = $2 AND m.tweet_id IS NULL"
);
/// `$1` = tweet: its images, in order.
pub(super) const MEDIA_OF_TWEET: &str =
    concat!(media_select!(), "WHERE m.tweet_id = $1 ORDER BY m.position");
/// Uploads never attached and made before `$1`, and rows of tweets deleted since `$1` (what
/// a node that stopped between a delete and its files left); `$2` = limit. Both halves walk
/// an index (`media_unattached`; `deletions_by_time`, then `media_by_tweet`), never the table.
pub(super) const STALE_MEDIA: &str = concat!(
    media_select!(),
    "WHERE m.tweet_id IS NULL AND m.created_at < $1 \
     UNION ALL ",
    media_select!(),
    "JOIN deletions d ON d.tweet_id = m.tweet_id WHERE d.deleted_at >= $1 \
     ORDER BY id LIMIT $2"
);
pub(super) const INSERT_MEDIA: &str = "INSERT INTO media (owner_id, file_key, preview_key, width, \
     height, preview_width, preview_height, description, blurhash, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
/// `$1` = tweet, `$2` = position, `$3` = upload: only while it is still free.
pub(super) const ATTACH: &str =
    "UPDATE media SET tweet_id = $1, position = $2 WHERE id = $3 AND tweet_id IS NULL";
/// `$1` = id, `$2` = owner, `$3` = description: only while not attached.
pub(super) const SET_DESCRIPTION: &str = "UPDATE media SET description = $3 \
     WHERE id = $1 AND owner_id = $2 AND tweet_id IS NULL";
pub(super) const DELETE_MEDIA: &str = "DELETE FROM media WHERE id = $1";

/// A row as `media_select!` produces it.
#[derive(sqlx::FromRow)]
pub(super) struct MediaRow {
    pub id: i64,
    pub owner_id: i64,
    pub tweet_id: Option<i64>,
    pub file_key: String,
    pub preview_key: String,
    pub width: i64,
    pub height: i64,
    pub preview_width: i64,
    pub preview_height: i64,
    pub description: String,
    pub blurhash: String,
}

impl From<MediaRow> for StoredMedia {
    fn from(row: MediaRow) -> Self {
        // Sizes were written from `u32`s; a value that does not fit reads as 0.
        let px = |v: i64| u32::try_from(v).unwrap_or_default();
        StoredMedia {
            attachment: Attachment {
                id: row.id,
                kind: "image".into(),
                url: media_url(&row.file_key),
                preview_url: media_url(&row.preview_key),
                width: px(row.width),
                height: px(row.height),
                preview_width: px(row.preview_width),
                preview_height: px(row.preview_height),
                description: row.description,
                blurhash: row.blurhash,
            },
            owner_id: row.owner_id,
            tweet_id: row.tweet_id,
            file_key: row.file_key,
            preview_key: row.preview_key,
        }
    }
}

/// Inside `create_tweets`' transaction `$tx`: read `$draft`'s uploads (each the author's and
/// free, else `Conflict(MediaIds)`) into `$resolved.media` and `media_json`.
macro_rules! take_uploads {
    ($tx:ident, $draft:ident, $resolved:ident) => {
        for id in $draft.media.ids() {
            let row: Option<$crate::storage::media::MediaRow> =
                sqlx::query_as($crate::storage::media::FREE_UPLOAD)
                    .bind(*id)
                    .bind($draft.author.id)
                    .fetch_optional(&mut *$tx)
                    .await?;
            let stored: $crate::domain::StoredMedia = row
                .ok_or($crate::storage::StoreError::Conflict(
                    $crate::storage::Constraint::MediaIds,
                ))?
                .into();
            $resolved.media.push(stored.attachment);
        }
        $resolved.media_json = serde_json::to_string(&$resolved.media)
            .map_err(|e| anyhow::anyhow!("cannot encode media: {e}"))?;
    };
}
pub(super) use take_uploads;

/// Inside `create_tweets`' transaction `$tx`, once tweet `$id` exists: attach the uploads
/// `take_uploads!` read, while they are still free (else `Conflict(MediaIds)`).
macro_rules! attach_uploads {
    ($tx:ident, $id:expr, $resolved:ident) => {
        for (position, media) in $resolved.media.iter().enumerate() {
            let done = sqlx::query($crate::storage::media::ATTACH)
                .bind($id)
                .bind(position as i64)
                .bind(media.id)
                .execute(&mut *$tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err($crate::storage::StoreError::Conflict(
                    $crate::storage::Constraint::MediaIds,
                ));
            }
        }
    };
}
pub(super) use attach_uploads;

/// Implements `MediaRows` for a struct with a `pool` field.
macro_rules! impl_media {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::MediaRows for $store {
            async fn create_media(
                &self,
                new: &$crate::domain::NewMedia,
            ) -> Result<$crate::domain::StoredMedia, $crate::storage::StoreError> {
                let (id,): (i64,) = sqlx::query_as($crate::storage::media::INSERT_MEDIA)
                    .bind(new.owner_id)
                    .bind(&new.file_key)
                    .bind(&new.preview_key)
                    .bind(i64::from(new.size.0))
                    .bind(i64::from(new.size.1))
                    .bind(i64::from(new.preview_size.0))
                    .bind(i64::from(new.preview_size.1))
                    .bind(new.description.as_str())
                    .bind(&new.blurhash)
                    .bind($crate::domain::now_micros())
                    .fetch_one(&self.pool)
                    .await?;
                self.media(id)
                    .await?
                    .ok_or($crate::storage::StoreError::NotFound)
            }

            async fn media(
                &self,
                id: i64,
            ) -> Result<Option<$crate::domain::StoredMedia>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::media::MediaRow> =
                    sqlx::query_as($crate::storage::media::MEDIA_BY_ID)
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn free_upload(
                &self,
                id: i64,
                owner: i64,
            ) -> Result<Option<$crate::domain::StoredMedia>, $crate::storage::StoreError> {
                let row: Option<$crate::storage::media::MediaRow> =
                    sqlx::query_as($crate::storage::media::FREE_UPLOAD)
                        .bind(id)
                        .bind(owner)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(Into::into))
            }

            async fn set_description(
                &self,
                id: i64,
                owner: i64,
                description: &$crate::domain::Description,
            ) -> Result<bool, $crate::storage::StoreError> {
                let done = sqlx::query($crate::storage::media::SET_DESCRIPTION)
                    .bind(id)
                    .bind(owner)
                    .bind(description.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn tweet_media(
                &self,
                tweet_id: i64,
            ) -> Result<Vec<$crate::domain::StoredMedia>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::media::MediaRow> =
                    sqlx::query_as($crate::storage::media::MEDIA_OF_TWEET)
                        .bind(tweet_id)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn stale_media(
                &self,
                made_before: i64,
                limit: i64,
            ) -> Result<Vec<$crate::domain::StoredMedia>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::media::MediaRow> =
                    sqlx::query_as($crate::storage::media::STALE_MEDIA)
                        .bind(made_before)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn delete_media(&self, id: i64) -> Result<(), $crate::storage::StoreError> {
                sqlx::query($crate::storage::media::DELETE_MEDIA)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}
pub(super) use impl_media;
