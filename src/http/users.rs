//! Accounts: sign up (`POST /api/users`), who am I (`GET /api/me`), and a user's tweets.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::extract::{ApiJson, CurrentUser, MaybeUser, PageQuery};
use super::limit::SignUpAttempt;
use super::tweets::TweetList;
use super::{ApiError, AppState};
use crate::domain::{Password, User, Username};
use crate::storage::StoreError;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/users", post(sign_up))
        .route("/api/me", get(me))
        .route("/api/users/{username}/tweets", get(user_tweets))
}

/// Body of sign-up and sign-in.
#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
}

async fn sign_up(
    _: SignUpAttempt,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let username = Username::parse(&body.username)?;
    let password = Password::parse(&body.password)?;
    let hash = state
        .hasher
        .hash_password(password.expose().to_owned())
        .await?;
    let user = state
        .store
        .create_user(&username, &hash)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => ApiError::UsernameTaken,
            other => other.into(),
        })?;
    tracing::info!(user = %user.username, "user signed up");
    Ok((StatusCode::CREATED, Json(user)))
}

async fn me(current: CurrentUser) -> Json<User> {
    Json(current.user)
}

async fn user_tweets(
    State(state): State<AppState>,
    Path(username): Path<String>,
    PageQuery(page): PageQuery,
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
