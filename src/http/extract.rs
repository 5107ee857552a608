//! Extractors that turn raw requests into trusted values: `ApiJson` (JSON bodies, read
//! strictly, with our error shape), `Query` (query strings as text, for the domain to
//! parse), `CurrentUser` / `MaybeUser` (who is asking), `SignInAttempt` / `SignUpAttempt`
//! (admitted by the per-address rate limits).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use serde::de::DeserializeOwned;
use serde_path_to_error::Error as PathError;

use super::error::ApiError;
use super::state::AppState;
use crate::auth::token_hash;
use crate::domain::User;
use crate::origin::session_cookie;

/// A JSON body; wrong content type → 415, too large → 413, anything malformed → 400.
///
/// Read strictly: the body must be a JSON object (not an array, which serde would otherwise
/// take as the struct's fields in order), and the body types refuse fields they do not know
/// (`#[serde(deny_unknown_fields)]`), so a misspelt field is a 400 naming it rather than a
/// request quietly read as something else.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value = match axum::Json::<serde_json::Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => value,
            Err(rejection) => return Err(json_rejection(rejection)),
        };
        if !value.is_object() {
            return Err(ApiError::InvalidJson {
                field: None,
                message: "The request body must be a JSON object.".into(),
            });
        }
        serde_path_to_error::deserialize(value)
            .map(Self)
            .map_err(|e| {
                let field = Some(e.path().to_string()).filter(|p| !p.is_empty() && p != ".");
                ApiError::InvalidJson {
                    message: describe_json_error(e.inner(), field.clone()),
                    field,
                }
            })
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        _ => ApiError::InvalidJson {
            field: None,
            message: invalid_json_message(&rejection),
        },
    }
}

/// One plain sentence for a body that is not the JSON we expect. axum's own text repeats
/// itself ("Failed to parse the request body as JSON: EOF while parsing…"); here the
/// parser's words stay only where they say what to fix: the field at fault, or the line and
/// column of a syntax error.
fn invalid_json_message(rejection: &JsonRejection) -> String {
    use std::error::Error as _;
    // JsonRejection → JsonSyntaxError/JsonDataError → axum's boxed error → the parser's error.
    let parser = rejection.source().and_then(|e| e.source());
    if let Some(e) = parser.and_then(|e| e.downcast_ref::<PathError<serde_json::Error>>()) {
        return describe_json_error(e.inner(), Some(e.path().to_string()));
    }
    if let Some(e) = parser.and_then(|e| e.downcast_ref::<serde_json::Error>()) {
        return describe_json_error(e, None);
    }
    "The request body is not valid JSON.".to_owned()
}

fn describe_json_error(e: &serde_json::Error, path: Option<String>) -> String {
    use serde_json::error::Category;
    // serde_json's Display is "<what> at line L column C"; keep <what>, place L and C ourselves.
    let full = e.to_string();
    let what = full
        .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
        .unwrap_or(&full);
    match e.classify() {
        Category::Eof if e.line() == 1 && e.column() == 0 => {
            "The request body is empty; send a JSON object.".to_owned()
        }
        Category::Eof => format!(
            "The request body is not valid JSON: it ends too early (line {}, column {}).",
            e.line(),
            e.column()
        ),
        Category::Data => match path.filter(|p| !p.is_empty() && p != ".") {
            Some(field) => format!("The field `{field}` in the request body is wrong: {what}."),
            None => format!("The request body does not fit this request: {what}."),
        },
        Category::Syntax | Category::Io => format!(
            "The request body is not valid JSON: {what} (line {}, column {}).",
            e.line(),
            e.column()
        ),
    }
}

/// A query string read as text fields (`T`), so that a bad value gets this API's own error
/// from the domain's `parse`, and only a malformed query string gets this one. `T` is also
/// what the OpenAPI document describes (`IntoParams`), so the two cannot drift apart.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(raw) = axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| {
                ApiError::Invalid(crate::domain::Invalid {
                    field: "query",
                    message: format!("The query string is malformed: {}", e.body_text()),
                })
            })?;
        Ok(Self(raw))
    }
}

/// A signed-in user, and the hash of the token that proved it.
pub struct CurrentUser {
    /// Who is asking.
    pub user: User,
    /// The session's token hash (to sign this session out).
    pub token_hash: String,
}

/// The signed-in user if any; anonymous when there is no (acceptable) credential.
pub struct MaybeUser(pub Option<User>);

/// A credential found on a request.
enum Credential {
    Bearer(String),
    Cookie(String),
    /// A cookie sent from an origin that may not use it.
    ForeignCookie,
}

/// Where a request's session token comes from: `Authorization: Bearer` first, then the
/// cookie (only under the origin rule).
fn credential(headers: &HeaderMap, state: &AppState) -> Result<Option<Credential>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized(
                "The Authorization header must be `Bearer <token>`.",
            ))?;
        return Ok(Some(Credential::Bearer(token.to_owned())));
    }
    let Some(cookie) = session_cookie(headers) else {
        return Ok(None);
    };
    if state.origins.cookie_counts(headers) {
        Ok(Some(Credential::Cookie(cookie)))
    } else {
        Ok(Some(Credential::ForeignCookie))
    }
}

async fn session(state: &AppState, token: &str) -> Result<Option<(User, String)>, ApiError> {
    let hash = token_hash(token);
    Ok(state
        .sessions
        .session_user(&hash)
        .await?
        .map(|user| (user, hash)))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let found = match credential(&parts.headers, state)? {
            None => return Err(ApiError::Unauthorized("Sign in first.")),
            // A read from another site is answered as for an anonymous visitor; a write
            // is refused outright.
            Some(Credential::ForeignCookie) if parts.method.is_safe() => {
                return Err(ApiError::Unauthorized(
                    "The session cookie is not accepted from another site; use a bearer token.",
                ));
            }
            Some(Credential::ForeignCookie) => {
                return Err(ApiError::Forbidden(
                    "The session cookie is not accepted from another site; use a bearer token.",
                ));
            }
            Some(Credential::Bearer(token) | Credential::Cookie(token)) => {
                session(state, &token).await?
            }
        };
        let (user, token_hash) = found.ok_or(ApiError::Unauthorized(
            "Your session has ended; sign in again.",
        ))?;
        Ok(Self { user, token_hash })
    }
}

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match credential(&parts.headers, state)? {
            None | Some(Credential::ForeignCookie) => Ok(Self(None)),
            Some(Credential::Bearer(token)) => match session(state, &token).await? {
                Some((user, _)) => Ok(Self(Some(user))),
                None => Err(ApiError::Unauthorized(
                    "Your session has ended; sign in again.",
                )),
            },
            // A stale cookie is no reason to refuse a public read.
            Some(Credential::Cookie(token)) => Ok(Self(session(state, &token).await?.map(|s| s.0))),
        }
    }
}

/// Extractor that admits a sign-in attempt (per client address) or answers 429.
pub struct SignInAttempt;

impl FromRequestParts<AppState> for SignInAttempt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let limits = &state.limits;
        limits
            .check_address(&limits.sign_in, parts)
            .await
            .map(|()| Self)
    }
}

/// Extractor that admits a sign-up (per client address) or answers 429.
pub struct SignUpAttempt;

impl FromRequestParts<AppState> for SignUpAttempt {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let limits = &state.limits;
        limits
            .check_address(&limits.sign_up, parts)
            .await
            .map(|()| Self)
    }
}

/// An optional JSON body: a request with no body (no `Content-Type`, no or zero
/// `Content-Length`) reads as `T::default()`; any body is read as strictly as `ApiJson`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers();
        let empty = !headers.contains_key(header::CONTENT_TYPE)
            && headers
                .get(header::CONTENT_LENGTH)
                .is_none_or(|len| len.as_bytes() == b"0");
        if empty {
            return Ok(Self(T::default()));
        }
        ApiJson::from_request(req, state)
            .await
            .map(|ApiJson(body)| Self(body))
    }
}
