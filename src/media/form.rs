//! The upload form, read the same way for both APIs (Chirp's `POST /api/media`, Mastodon's
//! `POST /api/v2/media`): `multipart/form-data`, the body bounded by `--media-max-bytes`
//! plus room for the form around the file (an over-long body is drained before its answer,
//! `caps::read_body`), a `file` part within the byte limit and an optional `description`.
//! Other parts (Mastodon's `focus` and `thumbnail`, what clients add) are read past.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use bytes::Bytes;

use crate::caps::{BodyRefusal, read_body};
use crate::domain::{Description, Invalid};

/// Room for the form around the file: part headers, boundaries and the description.
const FORM_OVERHEAD: usize = 64 * 1024;

/// An upload as the form gave it, not yet checked as an image.
#[derive(Debug)]
pub struct UploadForm {
    /// The `file` part's bytes (at most the byte limit).
    pub file: Bytes,
    /// The alt text (`description`), empty when absent.
    pub description: Description,
}

/// Why an upload form was not read.
#[derive(Debug)]
pub enum FormError {
    /// The body is not `multipart/form-data`.
    NotMultipart,
    /// The body was over its bound, or could not be read.
    Body(BodyRefusal),
    /// The `file` part is over `--media-max-bytes`.
    TooLarge,
    /// The body is not a readable form (why, as the parser says it).
    Malformed(String),
    /// No part is named `file`.
    NoFile,
    /// The description breaks its rules.
    Description(Invalid),
}

/// Read an upload's form from `request`, the file at most `max` bytes.
pub async fn read_upload(request: Request, max: usize) -> Result<UploadForm, FormError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Err(FormError::NotMultipart);
    }
    let (parts, body) = request.into_parts();
    let body = read_body(&parts.headers, body, max.saturating_add(FORM_OVERHEAD))
        .await
        .map_err(FormError::Body)?;
    let mut form = Multipart::from_request(Request::from_parts(parts, Body::from(body)), &())
        .await
        .map_err(|e| FormError::Malformed(e.body_text()))?;
    let malformed =
        |e: axum::extract::multipart::MultipartError| FormError::Malformed(e.body_text());
    let mut file = None;
    let mut description = Description::default();
    while let Some(field) = form.next_field().await.map_err(malformed)? {
        match field.name() {
            Some("file") => {
                let bytes = field.bytes().await.map_err(malformed)?;
                if bytes.len() > max {
                    return Err(FormError::TooLarge);
                }
                file = Some(bytes);
            }
            Some("description") => {
                let text = field.text().await.map_err(malformed)?;
                description = Description::parse(&text).map_err(FormError::Description)?;
            }
            _ => {}
        }
    }
    Ok(UploadForm {
        file: file.ok_or(FormError::NoFile)?,
        description,
    })
}
