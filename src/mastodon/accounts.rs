//! Accounts: the signed-in user (`verify_credentials`, `update_credentials`), registering
//! through an app (`POST /api/v1/accounts`), one account by id or name, its statuses,
//! followers and following, and the acts on it (follow, block, mute and their undoing),
//! each answered with the `Relationship` as it now stands. The same rules and limits as
//! Chirp's own API: no following yourself, no following across a block, a suspended
//! account exists only for moderators.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::entities::{account, credential_account, relationship};
use super::error::MastoError;
use super::extract::{AppToken, BaseUrl, ClientAddr, MaybeToken, Params, Token};
use super::paging::{MastoPage, limit, linked, with_link};
use super::state::{Limits, MastodonState};
use super::timelines::{Keep, answer, only_media, read_page, with_filters};
use crate::auth::{new_token, token_hash};
use crate::config::Registrations;
use crate::domain::{
    Bio, DisplayName, FollowCursor, Profile, ProfileUpdate, Tweet, Username, now_micros,
};
use crate::feed::{self, SignUpError};

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new()
        .route("/api/v1/accounts", post(register))
        .route(
            "/api/v1/accounts/verify_credentials",
            get(verify_credentials),
        )
        .route(
            "/api/v1/accounts/update_credentials",
            patch(update_credentials),
        )
        .route("/api/v1/accounts/lookup", get(lookup))
        .route("/api/v1/accounts/relationships", get(relationships))
        .route("/api/v1/accounts/{id}", get(one))
        .route("/api/v1/accounts/{id}/statuses", get(statuses))
        .route("/api/v1/accounts/{id}/followers", get(followers))
        .route("/api/v1/accounts/{id}/following", get(following))
        .route("/api/v1/accounts/{id}/follow", post(follow))
        .route("/api/v1/accounts/{id}/unfollow", post(unfollow))
        .route("/api/v1/accounts/{id}/block", post(block))
        .route("/api/v1/accounts/{id}/unblock", post(unblock))
        .route("/api/v1/accounts/{id}/mute", post(mute))
        .route("/api/v1/accounts/{id}/unmute", post(unmute))
}

/// Whether `viewer` moderates, read now.
pub async fn moderates(state: &MastodonState, viewer: Option<i64>) -> Result<bool, MastoError> {
    let Some(viewer) = viewer else {
        return Ok(false);
    };
    Ok(state
        .store
        .standing(viewer)
        .await?
        .is_some_and(|s| s.role.moderates()))
}

/// The account `raw_id` as `viewer` sees it; 404 for no such account, and for a suspended
/// one unless the viewer moderates.
pub async fn find(
    state: &MastodonState,
    raw_id: &str,
    viewer: Option<i64>,
) -> Result<Profile, MastoError> {
    let id: i64 = raw_id.parse().map_err(|_| MastoError::not_found())?;
    let profile = state
        .store
        .profile_by_id(id, viewer)
        .await?
        .ok_or_else(MastoError::not_found)?;
    if profile.suspended && !moderates(state, viewer).await? {
        return Err(MastoError::not_found());
    }
    Ok(profile)
}

async fn me(state: &MastodonState, token: &Token) -> Result<Profile, MastoError> {
    let me = token.user.id;
    state
        .store
        .profile_by_id(me, Some(me))
        .await?
        .ok_or_else(|| MastoError::unauthorized("The access token is invalid"))
}

async fn verify_credentials(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    token: Token,
) -> Result<Json<Value>, MastoError> {
    token.require("profile")?;
    Ok(Json(credential_account(&me(&state, &token).await?, &base)))
}

async fn update_credentials(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    token: Token,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    token.require("write:accounts")?;
    let update = ProfileUpdate {
        display_name: params
            .str("display_name")
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?,
        bio: params.str("note").as_deref().map(Bio::parse).transpose()?,
    };
    let id = token.user.id;
    Limits::check(&state.limits.profile_edits, &id).await?;
    state.feed.update_profile(id, &update).await?;
    Ok(Json(credential_account(&me(&state, &token).await?, &base)))
}

/// Sign up through an app (an app token with `write:accounts`); answers a user token.
async fn register(
    State(state): State<MastodonState>,
    ClientAddr(address): ClientAddr,
    token: AppToken,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    if !token.scopes.allows("write:accounts") {
        return Err(MastoError::out_of_scope());
    }
    if state.registrations == Registrations::Closed {
        return Err(MastoError::forbidden("Sign-ups are closed on this server."));
    }
    if let Some(address) = address {
        Limits::check(&state.limits.sign_up, &address).await?;
    }
    if params.bool("agreement")? == Some(false) {
        return Err(MastoError::invalid(
            "Validation failed: agreement must be accepted",
        ));
    }
    let username = params.str("username").unwrap_or_default();
    let password = params.str("password").unwrap_or_default();
    let user = feed::sign_up(&*state.store, &state.hasher, &username, &password)
        .await
        .map_err(|e| match e {
            SignUpError::Invalid(e) => e.into(),
            SignUpError::UsernameTaken => {
                MastoError::invalid("Validation failed: Username has already been taken")
            }
            SignUpError::Hash(e) => e.into(),
            SignUpError::Store(e) => e.into(),
        })?;
    tracing::info!(user = %user.username, "user signed up through a Mastodon app");
    let access = new_token();
    let scopes = token.scopes.to_string();
    state
        .store
        .create_token(
            &token_hash(&access),
            token.token.app_id,
            Some(user.id),
            &scopes,
        )
        .await?;
    Ok(Json(json!({
        "access_token": access,
        "token_type": "Bearer",
        "scope": scopes,
        "created_at": now_micros() / 1_000_000,
    })))
}

async fn lookup(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    viewer: MaybeToken,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    let acct = params.str("acct").unwrap_or_default();
    let name = acct.trim_start_matches('@');
    // A local account may be named `name@this-host`.
    let name = name.split('@').next().unwrap_or_default();
    let name = Username::parse(name).map_err(|_| MastoError::not_found())?;
    let profile = state
        .store
        .profile(&name, viewer.viewer())
        .await?
        .ok_or_else(MastoError::not_found)?;
    if profile.suspended && !moderates(&state, viewer.viewer()).await? {
        return Err(MastoError::not_found());
    }
    Ok(Json(account(&profile, &base)))
}

async fn relationships(
    State(state): State<MastodonState>,
    token: Token,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    token.require("read:follows")?;
    let mut out = Vec::new();
    for id in params.list("id").iter().take(100) {
        if let Ok(profile) = find(&state, id, Some(token.user.id)).await {
            out.push(relationship(&profile));
        }
    }
    Ok(Json(Value::Array(out)))
}

async fn one(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    viewer: MaybeToken,
) -> Result<Json<Value>, MastoError> {
    Ok(Json(account(
        &find(&state, &id, viewer.viewer()).await?,
        &base,
    )))
}

async fn statuses(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    viewer: MaybeToken,
    params: Params,
) -> Result<Response, MastoError> {
    let profile = find(&state, &id, viewer.viewer()).await?;
    let page = MastoPage::parse(&params, 40)?;
    let url = format!("{base}/api/v1/accounts/{}/statuses", profile.user.id);
    // Chirp has no pins and no boosts: those filters find nothing or everything.
    if params.bool("pinned")? == Some(true) {
        return Ok(linked(Vec::new(), &url, page.page.limit, None));
    }
    let with_media = only_media(&params)?;
    let no_replies = params.bool("exclude_replies")? == Some(true);
    let keep = |t: &Tweet| with_media.is_none_or(|k| k(t)) && !(no_replies && t.reply_to.is_some());
    let filter: Keep<'_> = (with_media.is_some() || no_replies).then_some(&keep);
    let (author, viewer) = (profile.user.id, viewer.viewer());
    let store = &state.store;
    let read = read_page(&page, filter, |p| store.tweets(Some(author), p, viewer)).await?;
    let filters = [
        ("only_media", with_media.is_some()),
        ("exclude_replies", no_replies),
    ];
    let url = with_filters(&url, &filters);
    answer(&state, &base, &url, viewer, &page, read).await
}

async fn follow_list(
    state: MastodonState,
    base: String,
    id: String,
    viewer: MaybeToken,
    params: Params,
    which: &str,
) -> Result<Response, MastoError> {
    let profile = find(&state, &id, viewer.viewer()).await?;
    let limit = limit(&params, 40, 80)?;
    let before = match params.str("max_id") {
        Some(raw) => raw
            .parse::<i64>()
            .map_err(|_| MastoError::bad_request("max_id must be an id"))?,
        None => i64::MAX,
    };
    let cursor = FollowCursor { limit, before };
    let user = profile.user.id;
    let page = if which == "followers" {
        state.store.followers(user, cursor, viewer.viewer()).await?
    } else {
        state.store.following(user, cursor, viewer.viewer()).await?
    };
    let items: Vec<Value> = page.users.iter().map(|p| account(p, &base)).collect();
    let url = format!("{base}/api/v1/accounts/{user}/{which}");
    let link = page
        .next
        .map(|next| format!("<{url}?limit={limit}&max_id={next}>; rel=\"next\""));
    Ok(with_link(items, link))
}

async fn followers(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    viewer: MaybeToken,
    params: Params,
) -> Result<Response, MastoError> {
    follow_list(state, base, id, viewer, params, "followers").await
}

async fn following(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    viewer: MaybeToken,
    params: Params,
) -> Result<Response, MastoError> {
    follow_list(state, base, id, viewer, params, "following").await
}

/// One of the acts on an account.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Act {
    Follow(bool),
    Block(bool),
    Mute(bool),
}

async fn act(
    state: MastodonState,
    id: String,
    token: Token,
    params: Params,
    act: Act,
) -> Result<Json<Value>, MastoError> {
    let me = token.user.id;
    let them = find(&state, &id, Some(me)).await?.user.id;
    let (scope, limiter) = match act {
        Act::Follow(_) => ("write:follows", &state.limits.follows),
        Act::Block(_) => ("write:blocks", &state.limits.blocks),
        Act::Mute(_) => ("write:mutes", &state.limits.mutes),
    };
    token.require(scope)?;
    if them == me {
        return Err(MastoError::invalid(
            "Validation failed: that is your own account",
        ));
    }
    Limits::check(limiter, &me).await?;
    match act {
        // A block either way refuses a follow (`StoreError::Blocked`).
        Act::Follow(on) => {
            state.feed.follow(me, them, on).await?;
        }
        Act::Block(on) => state.feed.block(me, them, on).await?,
        Act::Mute(on) => {
            let notifications = params.bool("notifications")?.unwrap_or(true);
            state.feed.mute(me, them, on, notifications).await?;
        }
    }
    let profile = find(&state, &id, Some(me)).await?;
    Ok(Json(relationship(&profile)))
}

macro_rules! account_act {
    ($name:ident, $act:expr) => {
        async fn $name(
            State(state): State<MastodonState>,
            Path(id): Path<String>,
            token: Token,
            params: Params,
        ) -> Result<Json<Value>, MastoError> {
            act(state, id, token, params, $act).await
        }
    };
}

account_act!(follow, Act::Follow(true));
account_act!(unfollow, Act::Follow(false));
account_act!(block, Act::Block(true));
account_act!(unblock, Act::Block(false));
account_act!(mute, Act::Mute(true));
account_act!(unmute, Act::Mute(false));
