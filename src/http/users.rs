//! Accounts: sign up (`POST /api/users`), who am I (`GET /api/me`), and a user's tweets.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::extract::{ApiJson, CurrentUser, MaybeUser, SignUpAttempt};

use super::error::ApiError;
use super::paging::{PageParams, PageQuery};
use super::state::AppState;
use super::tweets::TweetList;
use crate::config::Registrations;
use crate::domain::{User, Username};
use crate::feed::{self, SignUpError};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users", post(sign_up))
        .route("/api/me", get(me))
        .route("/api/users/{username}/tweets", get(user_tweets))
}

/// Body of sign-up and sign-in.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// 3–20 of `[A-Za-z0-9_]`, unique ignoring case.
    #[serde(default)]
    #[schema(
        required = true,
        min_length = 3,
        max_length = 20,
        pattern = "^[A-Za-z0-9_]{3,20}$"
    )]
    pub username: String,
    /// 8–128 characters.
    #[serde(default)]
    #[schema(required = true, min_length = 8, max_length = 128)]
    pub password: String,
}

/// Sign up.
///
/// Creates an account; sign in with `POST /api/sessions` afterwards. While sign-ups are
/// closed (`--registrations closed`) every attempt is answered 403 `registrations_closed`,
/// whatever its body and however many came before (never 400 or 429).
#[utoipa::path(
    post,
    path = "/api/users",
    tag = "accounts",
    request_body = Credentials,
    responses(
        (status = 201, description = "The new account.", body = crate::domain::User),
        (status = 400, description = "`invalid_username`, `invalid_password` or `invalid_json`.", body = super::error::ErrorBody),
        (status = 403, description = "`registrations_closed`: sign-ups are closed on this server.", body = super::error::ErrorBody),
        (status = 409, description = "`username_taken`.", body = super::error::ErrorBody),
        (status = 429, description = "`rate_limited`: too many attempts from this address.", body = super::error::ErrorBody,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "`unavailable`: the database is away.", body = super::error::ErrorBody),
        super::answers::JsonBodyAnswers,
    ),
)]
async fn sign_up(
    State(state): State<AppState>,
    attempt: Result<SignUpAttempt, ApiError>,
    body: Result<ApiJson<Credentials>, ApiError>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    // Before the rate limit's and the body's answers: closed is the answer to every attempt.
    if state.registrations == Registrations::Closed {
        return Err(ApiError::RegistrationsClosed);
    }
    attempt?;
    let ApiJson(body) = body?;
    let user = feed::sign_up(&*state.store, &state.hasher, &body.username, &body.password)
        .await
        .map_err(|e| match e {
            SignUpError::Invalid(e) => e.into(),
            SignUpError::UsernameTaken => ApiError::UsernameTaken,
            SignUpError::Hash(e) => e.into(),
            SignUpError::Store(e) => e.into(),
        })?;
    tracing::info!(user = %user.username, "user signed up");
    Ok((StatusCode::CREATED, Json(user)))
}

/// Who am I.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "accounts",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The signed-in user.", body = crate::domain::User),
        super::answers::SignedInAnswers,
    ),
)]
async fn me(State(state): State<AppState>, current: CurrentUser) -> Result<Json<User>, ApiError> {
    let mut user = current.user;
    // The role is read now, not from the cached session: a role set from the shell counts
    // at once.
    if let Some(standing) = state.store.standing(user.id).await? {
        user.role = standing.role;
    }
    Ok(Json(user))
}

/// One user's tweets, newest first.
#[utoipa::path(
    get,
    path = "/api/users/{username}/tweets",
    tag = "tweets",
    params(
        ("username" = String, Path, description = "Whose tweets (any case)."),
        PageParams,
    ),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of the user's tweets.", body = super::tweets::TweetList),
        (status = 400, description = "`invalid_query`: a paging parameter is wrong.", body = super::error::ErrorBody),
        (status = 404, description = "`not_found`: there is no such user.", body = super::error::ErrorBody),
        super::answers::PublicAnswers,
    ),
)]
async fn user_tweets(
    State(state): State<AppState>,
    Path(username): Path<String>,
    PageQuery(page, _): PageQuery<PageParams>,
    MaybeUser(viewer): MaybeUser,
) -> Result<Json<TweetList>, ApiError> {
    let not_found = || ApiError::NotFound(format!("There is no user {username:?}."));
    let name = Username::parse(&username).map_err(|_| not_found())?;
    let author = state
        .store
        .user_by_name(&name)
        .await?
        .ok_or_else(not_found)?;
    let tweets = state
        .store
        .tweets(Some(author.id), page, viewer.map(|u| u.id))
        .await?;
    Ok(Json(TweetList { tweets }))
}
