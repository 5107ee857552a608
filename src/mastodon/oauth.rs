//! OAuth 2 for Mastodon apps: registering an app (`POST /api/v1/apps`), the token endpoint
//! (`authorization_code` with PKCE, `password` for scripts, `client_credentials`),
//! revocation, and the server metadata (`/.well-known/oauth-authorization-server`). The
//! consent page that grants codes is `consent`.
//!
//! Every secret is random (`auth::new_token`: base64url, so a token also fits in a
//! `Sec-WebSocket-Protocol` header) and stored as its SHA-256 only. A user's token is a
//! session too: signing out everywhere or a suspension ends it.

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::error::MastoError;
use super::extract::{AppToken, BaseUrl, ClientAddr, Params};
use super::scopes::Scopes;
use super::state::{Limits, MastodonState};
use crate::auth::{new_token, token_hash};
use crate::domain::{User, Username, now_micros};
use crate::storage::{AuthCode, ClientApp, NewClientApp};

/// The redirect URI of apps that show the code to the user instead of receiving it.
pub const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";
/// How long an authorization code works.
pub const CODE_LIFETIME_MICROS: i64 = 10 * 60 * 1_000_000;

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new()
        .route("/api/v1/apps", post(create_app))
        .route("/api/v1/apps/verify_credentials", get(verify_app))
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/.well-known/oauth-authorization-server", get(metadata))
}

/// The `Application` entity; with the secret only when it was just made.
fn application(app: &ClientApp, secret: Option<&str>) -> Value {
    let uris: Vec<&str> = app.redirect_uris.lines().collect();
    let scopes: Vec<&str> = app.scopes.split(' ').collect();
    let mut value = json!({
        "id": app.id.to_string(),
        "name": app.name,
        "website": app.website,
        "scopes": scopes,
        "redirect_uri": uris.join("\n"),
        "redirect_uris": uris,
        "client_id": app.client_id,
        "vapid_key": "",
    });
    if let Some(secret) = secret {
        value["client_secret"] = json!(secret);
        value["client_secret_expires_at"] = json!(0);
    }
    value
}

/// Whether `uri` may be a redirect URI: the out-of-band URN, or an absolute URI (a web
/// address or an app's own scheme) with no spaces and no fragment.
fn valid_redirect(uri: &str) -> bool {
    if uri == OOB {
        return true;
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    scheme_ok
        && !rest.is_empty()
        && !uri.contains('#')
        && uri.chars().all(|c| !c.is_whitespace() && !c.is_control())
        && uri.len() <= 2000
        && (!matches!(scheme, "http" | "https") || rest.starts_with("//"))
}

/// Register an app.
async fn create_app(
    State(state): State<MastodonState>,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    let name = params.str("client_name").unwrap_or_default();
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(MastoError::invalid(
            "Validation failed: client_name must be 1 to 100 characters",
        ));
    }
    let mut uris: Vec<String> = params
        .list("redirect_uris")
        .iter()
        .flat_map(|u| {
            u.split('\n')
                .map(|s| s.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|u| !u.is_empty())
        .collect();
    uris.dedup();
    if uris.is_empty() || uris.len() > 10 || !uris.iter().all(|u| valid_redirect(u)) {
        return Err(MastoError::invalid(
            "Validation failed: redirect_uris must be absolute URIs (or urn:ietf:wg:oauth:2.0:oob)",
        ));
    }
    let scopes = Scopes::parse(&params.str("scopes").unwrap_or_default(), "read")
        .map_err(MastoError::invalid)?;
    let website = params
        .str("website")
        .map(|w| w.trim().to_owned())
        .filter(|w| !w.is_empty());
    if website
        .as_deref()
        .is_some_and(|w| w.len() > 2000 || !valid_redirect(w))
    {
        return Err(MastoError::invalid(
            "Validation failed: website must be a URL",
        ));
    }
    let client_id = new_token();
    let secret = new_token();
    let (uris, scopes) = (uris.join("\n"), scopes.to_string());
    let id = state
        .store
        .create_app(&NewClientApp {
            client_id: &client_id,
            secret_hash: &token_hash(&secret),
            name,
            website: website.as_deref(),
            redirect_uris: &uris,
            scopes: &scopes,
        })
        .await?;
    let app = ClientApp {
        id,
        client_id,
        secret_hash: String::new(),
        name: name.to_owned(),
        website,
        redirect_uris: uris,
        scopes,
    };
    Ok(Json(application(&app, Some(&secret))))
}

/// The app a token belongs to.
async fn verify_app(
    State(state): State<MastodonState>,
    token: AppToken,
) -> Result<Json<Value>, MastoError> {
    let app = state
        .store
        .app_by_id(token.token.app_id)
        .await?
        .ok_or_else(|| MastoError::unauthorized("The access token is invalid"))?;
    Ok(Json(application(&app, None)))
}

/// The client credentials of a token request: `client_id`/`client_secret` in the body,
/// or HTTP Basic.
fn client_credentials(params: &Params, headers: &HeaderMap) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            Some((id.to_owned(), secret.to_owned()))
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (params.str("client_id"), params.str("client_secret")),
    }
}

/// The app named by the request, its secret checked when `secret_required` (or whenever
/// one is sent).
async fn authenticate_client(
    state: &MastodonState,
    params: &Params,
    headers: &HeaderMap,
    secret_required: bool,
) -> Result<ClientApp, MastoError> {
    let (id, secret) = client_credentials(params, headers);
    let bad = || MastoError::oauth("invalid_client", "Client authentication failed.");
    let app = find_app(state, &id.ok_or_else(bad)?)
        .await?
        .ok_or_else(bad)?;
    match secret {
        Some(secret) if constant_eq(&token_hash(&secret), &app.secret_hash) => Ok(app),
        None if !secret_required => Ok(app),
        _ => Err(bad()),
    }
}

/// The app a `client_id` names; `None` for one that cannot be ours (ours are base64url).
pub async fn find_app(
    state: &MastodonState,
    client_id: &str,
) -> Result<Option<ClientApp>, MastoError> {
    let plausible = !client_id.is_empty()
        && client_id.len() <= 64
        && client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plausible {
        return Ok(None);
    }
    Ok(state.store.app_by_client_id(client_id).await?)
}

/// Equality that takes the same time wherever the texts differ.
fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether a PKCE `verifier` answers `challenge` by `method` (`S256`, or `plain`).
pub fn pkce_matches(verifier: &str, challenge: &str, method: &str) -> bool {
    let computed = match method {
        "S256" => base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes())),
        "plain" => verifier.to_owned(),
        _ => return false,
    };
    constant_eq(&computed, challenge)
}

/// Issue a token answer.
async fn issue(
    state: &MastodonState,
    app: &ClientApp,
    user: Option<&User>,
    scopes: &Scopes,
) -> Result<Response, MastoError> {
    let token = new_token();
    state
        .store
        .create_token(
            &token_hash(&token),
            app.id,
            user.map(|u| u.id),
            &scopes.to_string(),
        )
        .await?;
    if let Some(user) = user {
        tracing::info!(user = %user.username, app = %app.name, "Mastodon app signed in");
    }
    let body = json!({
        "access_token": token,
        "token_type": "Bearer",
        "scope": scopes.to_string(),
        "created_at": now_micros() / 1_000_000,
    });
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response())
}

/// The scopes a token request asks for, within what the app registered.
fn requested_scopes(params: &Params, app: &ClientApp) -> Result<Scopes, MastoError> {
    let granted = Scopes::parse(&app.scopes, "read").unwrap_or_default();
    let asked = Scopes::parse(&params.str("scope").unwrap_or_default(), "read")
        .map_err(|e| MastoError::oauth("invalid_scope", e))?;
    if asked.within(&granted) {
        Ok(asked)
    } else {
        Err(MastoError::oauth(
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        ))
    }
}

/// The token endpoint.
async fn token(
    State(state): State<MastodonState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, MastoError> {
    match params.str("grant_type").as_deref() {
        Some("authorization_code") => {
            let code = params.str("code").unwrap_or_default();
            let grant = state.store.take_code(&token_hash(&code)).await?;
            let pkce = grant.as_ref().is_some_and(|g| g.challenge.is_some());
            let app = authenticate_client(&state, &params, &headers, !pkce).await?;
            let grant = check_code(grant, &app, &params)?;
            let user = state
                .store
                .profile_by_id(grant.user_id, None)
                .await?
                .filter(|p| !p.suspended)
                .ok_or_else(|| MastoError::oauth("invalid_grant", "The account is gone."))?;
            let scopes = Scopes::parse(&grant.scopes, "read").unwrap_or_default();
            issue(&state, &app, Some(&user.user), &scopes).await
        }
        Some("password") => {
            let app = authenticate_client(&state, &params, &headers, true).await?;
            let scopes = requested_scopes(&params, &app)?;
            let user = check_password(&state, address, &params)
                .await?
                .ok_or_else(|| {
                    MastoError::oauth(
                        "invalid_grant",
                        "The provided authorization grant is invalid: wrong username or password.",
                    )
                })?;
            issue(&state, &app, Some(&user), &scopes).await
        }
        Some("client_credentials") => {
            let app = authenticate_client(&state, &params, &headers, true).await?;
            let scopes = requested_scopes(&params, &app)?;
            issue(&state, &app, None, &scopes).await
        }
        Some(_) => Err(MastoError::oauth(
            "unsupported_grant_type",
            "The grant type is authorization_code, password or client_credentials.",
        )),
        None => Err(MastoError::oauth(
            "invalid_request",
            "grant_type is missing.",
        )),
    }
}

/// A code taken from the store, checked against the request exchanging it.
fn check_code(
    grant: Option<AuthCode>,
    app: &ClientApp,
    params: &Params,
) -> Result<AuthCode, MastoError> {
    let invalid = |why: &str| {
        MastoError::oauth(
            "invalid_grant",
            format!("The provided authorization grant is invalid: {why}."),
        )
    };
    let grant = grant.ok_or_else(|| invalid("unknown or already used code"))?;
    if grant.app_id != app.id {
        return Err(invalid("the code was granted to another app"));
    }
    if grant.expires_at < now_micros() {
        return Err(invalid("the code has expired"));
    }
    if params.str("redirect_uri").as_deref() != Some(grant.redirect_uri.as_str()) {
        return Err(invalid("redirect_uri differs from the one authorized"));
    }
    if let Some(challenge) = &grant.challenge {
        let verifier = params.str("code_verifier").unwrap_or_default();
        let method = grant.challenge_method.as_deref().unwrap_or("plain");
        if !pkce_matches(&verifier, challenge, method) {
            return Err(invalid("code_verifier does not match the challenge"));
        }
    }
    Ok(grant)
}

/// The user whose `username` and `password` (in `params`) these are, if they are right and
/// the account is not suspended (403, as Chirp's sign-in answers). Counts against the
/// sign-in limit of the client's `address`.
pub async fn check_password(
    state: &MastodonState,
    address: Option<std::net::IpAddr>,
    params: &Params,
) -> Result<Option<User>, MastoError> {
    if let Some(address) = address {
        Limits::check(&state.limits.sign_in, &address).await?;
    }
    let username = params.str("username").unwrap_or_default();
    let password = params.str("password").unwrap_or_default();
    let found = match Username::parse(username.trim()) {
        Ok(name) => state.store.credentials(&name).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let password: String = password.chars().take(256).collect();
    let verified = !password.is_empty() && state.hasher.verify_password(password, hash).await?;
    let Some(user) = user.filter(|_| verified) else {
        return Ok(None);
    };
    if state
        .store
        .standing(user.id)
        .await?
        .is_some_and(|s| s.suspended)
    {
        return Err(MastoError::forbidden("Your login is currently disabled"));
    }
    Ok(Some(user))
}

/// Revoke a token (always `{}`: RFC 7009 answers 200 for unknown tokens too).
async fn revoke(
    State(state): State<MastodonState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    let app = authenticate_client(&state, &params, &headers, false).await?;
    let token = params.str("token").unwrap_or_default();
    let hash = token_hash(&token);
    if let Some(found) = state.store.client_token(&hash).await?
        && found.app_id == app.id
    {
        state.store.delete_token(&hash).await?;
        if found.user.is_some() {
            state.sessions.delete_session(&hash).await?;
            state.changes.end_session(&hash).await;
        }
    }
    Ok(Json(json!({})))
}

/// RFC 8414 metadata.
async fn metadata(BaseUrl(base): BaseUrl) -> Json<Value> {
    Json(json!({
        "issuer": format!("{base}/"),
        "service_documentation": format!("{base}/docs/API.md"),
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "scopes_supported": ["read", "write", "follow", "push", "profile",
            "read:accounts", "read:blocks", "read:favourites", "read:follows", "read:mutes",
            "read:notifications", "read:search", "read:statuses",
            "write:accounts", "write:blocks", "write:favourites", "write:follows",
            "write:media", "write:mutes", "write:notifications", "write:reports",
            "write:statuses"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "password", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_absolute() {
        assert!(valid_redirect("https://app.example/cb"));
        assert!(valid_redirect("myapp://oauth"));
        assert!(valid_redirect(OOB));
        assert!(!valid_redirect("/relative"));
        assert!(!valid_redirect("https:no-slashes"));
        assert!(!valid_redirect("https://a.example/cb#frag"));
        assert!(!valid_redirect("https://a.example/ c"));
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_example() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge, "S256"));
        assert!(!pkce_matches("other", challenge, "S256"));
        assert!(!pkce_matches(verifier, challenge, "none"));
    }
}
