//! Media attachments: `POST /api/v2/media` (and the older `POST /api/v1/media`), `GET` and
//! `PUT /api/v1/media/:id`, and the `media_ids` a status is posted with. Chirp's own upload
//! — the same form, limits, workers and checks (`crate::media`) — answered as Mastodon's
//! `MediaAttachment`.
//!
//! Images are re-encoded before the answer, so both uploads answer 200 with `url` set (never
//! 202 with `url: null`). `focus` is accepted and ignored. As on Mastodon, an upload is read
//! and changed by its uploader only, and only while no status carries it (404 otherwise).

use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;

use super::entities::attachment;
use super::error::MastoError;
use super::extract::{BaseUrl, Params, Token};
use super::state::MastodonState;
use crate::caps::BodyRefusal;
use crate::domain::{Description, MediaIds, StoredMedia};
use crate::media::{FormError, MediaError, Refusal};

/// `GET` / `PUT /api/v1/media/{id}`: small bodies, under the API's usual limit.
pub fn router() -> Router<MastodonState> {
    Router::new().route("/api/v1/media/{id}", get(show).put(update))
}

/// The uploads, which read their own bodies within `--media-max-bytes`.
pub fn upload_router() -> Router<MastodonState> {
    Router::new()
        .route("/api/v2/media", post(upload))
        .route("/api/v1/media", post(upload))
        .layer(DefaultBodyLimit::disable())
}

async fn upload(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    token: Token,
    request: Request,
) -> Result<Response, MastoError> {
    token.require("write:media")?;
    let form = match state.media.read_upload(request).await {
        Ok(form) => form,
        Err(err) => return Ok(form_error(err, state.media.max_bytes())),
    };
    let stored = state
        .media
        .upload(token.user.id, form.file, form.description)
        .await
        .map_err(upload_error)?;
    Ok(Json(attachment(&stored.attachment, &base)).into_response())
}

/// A form that could not be read, answered as Mastodon does (422 for what is missing or
/// wrong, 413 for too large: with `Connection: close` when the body was too large to drain).
fn form_error(err: FormError, max: usize) -> Response {
    let too_large = || {
        MastoError::Plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("File is too large: this server takes images of at most {max} bytes"),
        )
    };
    let error = match err {
        FormError::Body(BodyRefusal::TooLarge { drained }) => {
            let mut response = too_large().into_response();
            if !drained {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            return response;
        }
        FormError::Body(BodyRefusal::Unreadable) => {
            MastoError::bad_request("The request body could not be read.")
        }
        FormError::TooLarge => too_large(),
        FormError::NotMultipart => MastoError::invalid(
            "Validation failed: File can't be blank (send the image as multipart/form-data, in a part named file)",
        ),
        FormError::Malformed(why) => {
            MastoError::bad_request(format!("The multipart body is malformed: {why}"))
        }
        FormError::NoFile => MastoError::invalid("Validation failed: File can't be blank"),
        FormError::Description(invalid) => invalid.into(),
    };
    error.into_response()
}

/// An image refused or not stored: 422 for what is not an image this server takes.
fn upload_error(err: MediaError) -> MastoError {
    match err {
        MediaError::Refused(Refusal::Unsupported(why) | Refusal::Invalid(why)) => {
            MastoError::invalid(format!("Validation failed: {why}"))
        }
        // An image takes about a second: by then the queue has moved on.
        MediaError::Busy => MastoError::Unavailable("every media worker is busy".into(), Some(2)),
        MediaError::Store(e) => e.into(),
        MediaError::Files(why) => MastoError::Unavailable(why, None),
        MediaError::Failed(why) => MastoError::Internal(anyhow::anyhow!(why)),
    }
}

/// `raw_id` if it names `owner`'s upload that no status carries yet; else 404.
async fn own_free(
    state: &MastodonState,
    raw_id: &str,
    owner: i64,
) -> Result<StoredMedia, MastoError> {
    let id: i64 = raw_id.parse().map_err(|_| MastoError::not_found())?;
    state
        .store
        .free_upload(id, owner)
        .await?
        .ok_or_else(MastoError::not_found)
}

async fn show(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    token: Token,
) -> Result<Json<Value>, MastoError> {
    token.require("write:media")?;
    let stored = own_free(&state, &id, token.user.id).await?;
    Ok(Json(attachment(&stored.attachment, &base)))
}

async fn update(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    token: Token,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    token.require("write:media")?;
    let me = token.user.id;
    let stored = own_free(&state, &id, me).await?;
    if let Some(text) = params.str("description") {
        let description = Description::parse(&text)?;
        // Refused only when a status took it since it was read.
        if !state
            .store
            .set_description(stored.attachment.id, me, &description)
            .await?
        {
            return Err(MastoError::not_found());
        }
    }
    let stored = own_free(&state, &id, me).await?;
    Ok(Json(attachment(&stored.attachment, &base)))
}

/// The uploads a status is posted with (`media_ids[]` in a form, an array in JSON): none,
/// or 1–4 of the poster's own that no status carries yet; anything else is 422.
pub async fn media_ids(
    state: &MastodonState,
    poster: i64,
    params: &Params,
) -> Result<MediaIds, MastoError> {
    let raw = params.list("media_ids");
    if raw.is_empty() {
        return Ok(MediaIds::none());
    }
    let ids = raw
        .iter()
        .map(|id| id.trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            MastoError::invalid("Validation failed: media_ids must be the ids of your uploads")
        })?;
    let ids = MediaIds::parse(&ids)?;
    if let Some(id) = state.media.first_unavailable(poster, &ids).await? {
        return Err(MastoError::invalid(format!(
            "Validation failed: media {id} is not one of your uploads waiting for a status"
        )));
    }
    Ok(ids)
}
