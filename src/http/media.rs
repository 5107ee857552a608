//! Image uploads and their files: `POST /api/media` (multipart, the one route that takes
//! large bodies: up to `--media-max-bytes` plus a little for the form), `PUT
//! /api/media/{id}` (alt text, before a tweet carries it) and `GET /media/{key}` (the files,
//! cached forever: a key never names other bytes).
//!
//! The upload's body is read here, bounded, before the form is parsed; its image is
//! processed by the media workers (`crate::media`), never on a request thread.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;

use super::error::ApiError;
use super::extract::{ApiJson, CurrentUser};
use super::state::AppState;
use crate::domain::{Attachment, Description, Invalid, MediaIds, User};
use crate::media::{FormError, MediaError, Refusal};

/// `PUT /api/media/{id}`: a small JSON body, under the API's usual body limit.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/media/{id}", put(describe))
}

/// `POST /api/media` and `GET /media/{key}`: merged outside the API's 16 KiB body limit.
pub fn upload_router() -> Router<AppState> {
    Router::new()
        .route("/api/media", post(upload))
        .route("/media/{key}", get(serve_file))
        // The upload reads its own body within `--media-max-bytes`.
        .layer(axum::extract::DefaultBodyLimit::disable())
}

/// The upload form, for the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The image: JPEG, PNG, WebP or GIF (its first frame), at most `--media-max-bytes`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Alt text, at most 1500 characters.
    #[schema(max_length = 1500)]
    description: Option<String>,
}

/// Upload an image.
///
/// Judged by its bytes, checked against the byte and pixel limits before it is decoded,
/// then re-encoded without any metadata (orientation applied, long side at most 2560 px)
/// with a preview (at most 640 px) and a blurhash. Attach it with `media_ids` when posting;
/// one never attached is removed after a day.
#[utoipa::path(
    post,
    path = "/api/media",
    tag = "media",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The stored attachment.", body = Attachment),
        (status = 400, description = "`invalid_media` (corrupt, truncated, too many pixels, or no `file` part) or `invalid_description`.", body = super::error::ErrorBody),
        (status = 413, description = "`payload_too_large`: over `--media-max-bytes`.", body = super::error::ErrorBody),
        (status = 415, description = "`unsupported_media_type` (not multipart/form-data) or `unsupported_media` (not a JPEG, PNG, WebP or GIF).", body = super::error::ErrorBody),
        (status = 503, description = "`unavailable`: every image worker is busy; see `Retry-After`.", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        super::answers::SignedInAnswers,
    ),
)]
async fn upload(
    State(state): State<AppState>,
    current: CurrentUser,
    request: Request,
) -> Result<Response, ApiError> {
    let form = match state.media.read_upload(request).await {
        Ok(form) => form,
        Err(err) => return Ok(form_error(err)),
    };
    let stored = state
        .media
        .upload(current.user.id, form.file, form.description)
        .await
        .map_err(upload_error)?;
    Ok((StatusCode::CREATED, Json(stored.attachment)).into_response())
}

/// A form that could not be read, as this API answers it.
fn form_error(err: FormError) -> Response {
    let invalid = |message: String| {
        ApiError::Invalid(Invalid {
            field: "file",
            message,
        })
    };
    match err {
        FormError::Body(refused) => return super::body::refusal(refused),
        FormError::NotMultipart => ApiError::NotMultipart,
        FormError::TooLarge => ApiError::PayloadTooLarge,
        FormError::Malformed(why) => invalid(format!(
            "The upload is not a readable multipart/form-data body: {why}."
        )),
        FormError::NoFile => invalid("The upload has no part named file.".into()),
        FormError::Description(invalid) => invalid.into(),
    }
    .into_response()
}

fn upload_error(err: MediaError) -> ApiError {
    match err {
        MediaError::Refused(Refusal::Unsupported(why)) => ApiError::UnsupportedMedia(why),
        MediaError::Refused(Refusal::Invalid(why)) => ApiError::Invalid(Invalid {
            field: "file",
            message: why,
        }),
        // An image takes about a second: by then the queue has moved on.
        MediaError::Busy => ApiError::Busy(2),
        MediaError::Store(e) => e.into(),
        MediaError::Files(why) => ApiError::Unavailable(why),
        MediaError::Failed(why) => ApiError::Internal(anyhow::anyhow!(why)),
    }
}

/// Body of changing an upload's alt text.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewDescription {
    /// Trimmed, at most 1500 characters; `""` clears it.
    #[schema(max_length = 1500)]
    description: String,
}

/// Change an upload's alt text (before a tweet carries it).
#[utoipa::path(
    put,
    path = "/api/media/{id}",
    tag = "media",
    params(("id" = i64, Path, description = "The upload's id.")),
    request_body = NewDescription,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The attachment.", body = Attachment),
        (status = 400, description = "`invalid_description` or `invalid_json`.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: no such upload.", body = super::error::ErrorBody),
        (status = 409, description = "`media_attached`: a tweet carries it already.", body = super::error::ErrorBody),
        super::answers::SignedInAnswers,
        super::answers::JsonBodyAnswers,
    ),
)]
async fn describe(
    State(state): State<AppState>,
    Path(id): Path<String>,
    current: CurrentUser,
    ApiJson(body): ApiJson<NewDescription>,
) -> Result<Json<Attachment>, ApiError> {
    let no_upload = || ApiError::NotFound(format!("There is no upload {id}."));
    let id: i64 = id.parse().map_err(|_| no_upload())?;
    let description = Description::parse(&body.description)?;
    let stored = state.store.media(id).await?.ok_or_else(no_upload)?;
    if stored.owner_id != current.user.id {
        return Err(ApiError::Forbidden(
            "Only its uploader can describe an image.",
        ));
    }
    if !state
        .store
        .set_description(id, current.user.id, &description)
        .await?
    {
        return Err(ApiError::MediaAttached);
    }
    let stored = state.store.media(id).await?.ok_or_else(no_upload)?;
    Ok(Json(stored.attachment))
}

/// A stored image file.
///
/// Served with its content type, `X-Content-Type-Options: nosniff` and a year of immutable
/// caching; `HEAD` and `If-None-Match` work.
#[utoipa::path(
    get,
    path = "/media/{key}",
    tag = "media",
    params(("key" = String, Path, description = "The file's key, from an attachment's `url` or `preview_url`.")),
    responses(
        (status = 200, description = "The image.", content_type = "image/jpeg"),
        (status = 304, description = "Not modified (`If-None-Match`)."),
        (status = 404, description = "`not_found`: no such file.", body = super::error::ErrorBody),
    ),
)]
async fn serve_file(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound("There is no such file.".into());
    let etag = HeaderValue::from_str(&format!("\"{key}\"")).map_err(|_| not_found())?;
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    // A key names the same bytes forever: a client holding it needs nothing more.
    let holds_it = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        });
    if holds_it && crate::media::extension_of(&key).is_some() {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    let (bytes, content_type) = state
        .media
        .file(&key)
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?
        .ok_or_else(not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            // Re-encoded images only; should one ever be opened as a page, it runs nothing.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `media_ids` as posted with a tweet: absent or `null` is none; else 1–4 distinct integers
/// naming the poster's own uploads that no tweet carries yet (storage checks again, in the
/// transaction that attaches them).
pub(super) async fn parse_media_ids(
    state: &AppState,
    poster: &User,
    raw: Option<&serde_json::Value>,
) -> Result<MediaIds, ApiError> {
    let invalid = |message: String| {
        ApiError::Invalid(Invalid {
            field: "media_ids",
            message,
        })
    };
    let ids: Vec<i64> = match raw {
        None | Some(serde_json::Value::Null) => return Ok(MediaIds::none()),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|v| v.as_i64())
            .collect::<Option<_>>()
            .ok_or_else(|| invalid("media_ids must be a list of upload ids (integers).".into()))?,
        Some(_) => return Err(invalid("media_ids must be a list of upload ids.".into())),
    };
    let ids = MediaIds::parse(&ids)?;
    if let Some(id) = state.media.first_unavailable(poster.id, &ids).await? {
        return Err(invalid(format!(
            "Upload {id} is not one of your images waiting for a tweet."
        )));
    }
    Ok(ids)
}
