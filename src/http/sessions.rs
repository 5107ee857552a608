//! Sessions: sign in (`POST /api/sessions`) and sign out (`DELETE /api/sessions`).
//!
//! Sign-in answers the token in the body (for API clients: `Authorization: Bearer`) and as
//! the `chirp_session` cookie (for the web app). Unknown users and wrong passwords get the
//! same answer after the same work.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::extract::{ApiJson, CurrentUser, SignInAttempt};

use super::error::ApiError;
use super::state::AppState;
use super::users::Credentials;
use crate::auth::{new_token, token_hash};
use crate::domain::{Invalid, Username};
use crate::origin::session_set_cookie;

/// What a successful sign-in answers (the token is also set as the session cookie).
#[derive(Serialize, ToSchema)]
pub struct SignedIn {
    /// A bearer token for `Authorization: Bearer <token>`; it ends at sign-out.
    pub token: String,
    /// Who signed in.
    pub user: crate::domain::User,
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/sessions", post(sign_in).delete(sign_out))
}

/// Sign in.
///
/// Answers a bearer token and sets the same token as the `chirp_session` cookie.
#[utoipa::path(
    post,
    path = "/api/sessions",
    tag = "sessions",
    request_body = super::users::Credentials,
    responses(
        (status = 200, description = "Signed in.", body = SignedIn,
         headers(("Set-Cookie" = String, description = "`chirp_session=<token>; HttpOnly; SameSite=Lax; Path=/`"))),
        (status = 400, description = "`invalid_json`, or `invalid_password`: no password.", body = super::error::ErrorBody),
        (status = 401, description = "`invalid_credentials`: wrong username or password.", body = super::error::ErrorBody),
        (status = 403, description = "`suspended`: the account is suspended.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: too many attempts from this address.", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "`unavailable`: the database is away, or every password hasher stayed busy (`Retry-After`).", body = super::error::ErrorBody),
        super::answers::JsonBodyAnswers,
    ),
)]
async fn sign_in(
    _: SignInAttempt,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, ApiError> {
    // A missing password is a malformed request (as on sign-up), not a wrong guess.
    if body.password.is_empty() {
        return Err(Invalid::new("password", "Enter your password.").into());
    }
    // A malformed name cannot exist; it still pays for a verification, like any unknown name.
    let found = match Username::parse(&body.username) {
        Ok(name) => state.store.credentials(&name).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let password: String = body.password.chars().take(256).collect();
    let verified = state.hasher.verify_password(password, hash).await?;
    let user = match user {
        Some(user) if verified => user,
        _ => return Err(ApiError::InvalidCredentials),
    };
    if state
        .store
        .standing(user.id)
        .await?
        .is_some_and(|s| s.suspended)
    {
        return Err(ApiError::Suspended);
    }
    let token = new_token();
    state
        .store
        .create_session(&token_hash(&token), user.id)
        .await?;
    tracing::info!(user = %user.username, "user signed in");
    let cookie = session_set_cookie(Some(&token), state.origins.secure_cookie());
    let mut response = Json(SignedIn { token, user }).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, header_value(cookie)?);
    Ok(response)
}

/// Sign out.
///
/// Ends the session that made the request, on every node.
#[utoipa::path(
    delete,
    path = "/api/sessions",
    tag = "sessions",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Signed out; the token no longer works.",
         headers(("Set-Cookie" = String, description = "Clears `chirp_session`."))),
        super::answers::SignedInAnswers,
    ),
)]
async fn sign_out(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Response, ApiError> {
    state.sessions.delete_session(&current.token_hash).await?;
    state.changes.end_session(&current.token_hash).await;
    tracing::info!(user = %current.user.username, "user signed out");
    let mut response = StatusCode::NO_CONTENT.into_response();
    let expired = session_set_cookie(None, state.origins.secure_cookie());
    response
        .headers_mut()
        .insert(header::SET_COOKIE, header_value(expired)?);
    Ok(response)
}

fn header_value(value: String) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&value).map_err(|e| ApiError::Internal(e.into()))
}
