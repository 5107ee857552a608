//! Extractors that turn Mastodon requests into trusted values: `Token` / `MaybeToken` /
//! `AppToken` (who is asking, with which scopes), `Params` (a body as JSON, form-encoded
//! or absent, merged over the query string, since apps send all three), and `BaseUrl`
//! (absolute URLs for `Link` headers and entities).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

use super::error::MastoError;
use super::scopes::Scopes;
use super::state::MastodonState;
use crate::auth::token_hash;
use crate::domain::User;
use crate::storage::ClientToken;

/// Largest body this API reads (media uploads aside).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A valid token, whatever it acts for.
pub struct AppToken {
    /// The token as stored.
    pub token: ClientToken,
    /// Its scopes, parsed.
    pub scopes: Scopes,
}

/// A valid token that acts for a user.
pub struct Token {
    /// Whom it acts for.
    pub user: User,
    /// Its scopes.
    pub scopes: Scopes,
    /// SHA-256 hex of the token (its session: a sign-out ends its streams).
    pub hash: String,
}

impl Token {
    /// 403 unless the token holds `scope`.
    pub fn require(&self, scope: &str) -> Result<(), MastoError> {
        if self.scopes.allows(scope) {
            Ok(())
        } else {
            Err(MastoError::out_of_scope())
        }
    }
}

/// The user's token when the request carries one (a public read needs none).
pub struct MaybeToken(pub Option<Token>);

impl MaybeToken {
    /// The viewer's id, if signed in.
    pub fn viewer(&self) -> Option<i64> {
        self.0.as_ref().map(|t| t.user.id)
    }
}

/// The bearer token on a request: `Authorization: Bearer`, else `access_token` in the query
/// (what streaming clients and some scripts send).
pub fn bearer(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))?;
        return Some(token.trim().to_owned()).filter(|t| !t.is_empty());
    }
    query_value(parts.uri.query().unwrap_or(""), "access_token")
}

/// One value of a query string.
pub fn query_value(query: &str, name: &str) -> Option<String> {
    form_urlencoded_pairs(query.as_bytes())
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

fn form_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

/// Look a token up; `None` when it is unknown, revoked, or its session ended.
pub async fn find_token(
    state: &MastodonState,
    token: &str,
) -> Result<Option<AppToken>, MastoError> {
    let Some(found) = state.store.client_token(&token_hash(token)).await? else {
        return Ok(None);
    };
    // Stored scopes were validated when issued.
    let scopes = Scopes::parse(&found.scopes, "read").unwrap_or_default();
    Ok(Some(AppToken {
        token: found,
        scopes,
    }))
}

fn expired() -> MastoError {
    MastoError::unauthorized("The access token is invalid")
}

impl FromRequestParts<MastodonState> for AppToken {
    type Rejection = MastoError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &MastodonState,
    ) -> Result<Self, MastoError> {
        let token = bearer(parts).ok_or_else(expired)?;
        find_token(state, &token).await?.ok_or_else(expired)
    }
}

impl FromRequestParts<MastodonState> for Token {
    type Rejection = MastoError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &MastodonState,
    ) -> Result<Self, MastoError> {
        let found = AppToken::from_request_parts(parts, state).await?;
        let user = found
            .token
            .user
            .ok_or_else(MastoError::unprocessable_app_token)?;
        Ok(Self {
            user,
            scopes: found.scopes,
            hash: token_hash(&bearer(parts).unwrap_or_default()),
        })
    }
}

impl MastoError {
    /// 422: an app token where a user's is needed (Mastodon's answer).
    fn unprocessable_app_token() -> Self {
        Self::invalid("This method requires an authenticated user")
    }
}

impl FromRequestParts<MastodonState> for MaybeToken {
    type Rejection = MastoError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &MastodonState,
    ) -> Result<Self, MastoError> {
        if bearer(parts).is_none() {
            return Ok(Self(None));
        }
        // A token that is sent must be good; an app token reads as anonymous.
        let found = AppToken::from_request_parts(parts, state).await?;
        Ok(Self::from_app_token(
            found,
            &bearer(parts).unwrap_or_default(),
        ))
    }
}

impl MaybeToken {
    /// The user token `found` (by looking `token` up), or anonymous for an app token.
    pub fn from_app_token(found: AppToken, token: &str) -> Self {
        match found {
            AppToken {
                token: ClientToken {
                    user: Some(user), ..
                },
                scopes,
            } => Self(Some(Token {
                user,
                scopes,
                hash: token_hash(token),
            })),
            _ => Self(None),
        }
    }
}

/// Request parameters: the query string, then the body over it (JSON object, form-encoded
/// — where `name[]` collects an array — or none). Values keep their JSON type; form values
/// are strings, and the getters read both.
#[derive(Debug, Default)]
pub struct Params(pub Map<String, Value>);

impl Params {
    /// Parameters of a form-encoded text (a query string or a body).
    pub fn from_form(bytes: &[u8]) -> Self {
        let mut map = Map::new();
        for (key, value) in form_urlencoded_pairs(bytes) {
            if let Some(name) = key.strip_suffix("[]") {
                let entry = map
                    .entry(name.to_owned())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = entry {
                    items.push(Value::String(value));
                }
            } else {
                map.insert(key, Value::String(value));
            }
        }
        Self(map)
    }

    /// A text parameter (numbers are read as their text).
    pub fn str(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A boolean parameter: `true`/`false`, `1`/`0` (form apps send both); absent is `None`.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, MastoError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "1" | "on" => Ok(Some(true)),
                "false" | "0" | "off" | "" => Ok(Some(false)),
                _ => Err(MastoError::invalid(format!("{name} must be true or false"))),
            },
            Some(Value::Number(n)) => Ok(Some(n.as_i64() != Some(0))),
            Some(_) => Err(MastoError::invalid(format!("{name} must be true or false"))),
        }
    }

    /// A list parameter (`name[]=…` in a form, an array in JSON, or one value).
    pub fn list(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Number(n)) => vec![n.to_string()],
            _ => Vec::new(),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = MastoError;

    async fn from_request(req: Request, state: &S) -> Result<Self, MastoError> {
        let mut params = Self::from_form(req.uri().query().unwrap_or("").as_bytes());
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let fields = multipart_fields(req, state).await?;
            params.0.extend(fields.0);
            return Ok(params);
        }
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                MastoError::Plain(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "The request body is too large.".into(),
                )
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(params);
        }
        let body = if content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => map,
                _ => return Err(MastoError::bad_request("The body must be a JSON object.")),
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            Self::from_form(&bytes).0
        } else {
            return Err(MastoError::Plain(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the body as application/json or application/x-www-form-urlencoded.".into(),
            ));
        };
        params.0.extend(body);
        Ok(params)
    }
}

/// The text fields of a `multipart/form-data` body (masto.js sends its OAuth requests so),
/// `name[]` collected as for forms; file parts are skipped here.
async fn multipart_fields<S: Send + Sync>(req: Request, state: &S) -> Result<Params, MastoError> {
    let malformed = |_| MastoError::bad_request("The multipart body is malformed.");
    let mut multipart = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|_| MastoError::bad_request("The multipart body is malformed."))?;
    let mut pairs = Vec::new();
    let mut total = 0;
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if field.file_name().is_some() {
            continue;
        }
        let text = field.text().await.map_err(malformed)?;
        total += name.len() + text.len();
        if total > MAX_BODY_BYTES {
            return Err(MastoError::Plain(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.".into(),
            ));
        }
        pairs.push((name, text));
    }
    let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    Ok(Params::from_form(encoded.as_bytes()))
}

/// The server's own absolute URL (`https://host`), for links in entities and headers.
pub struct BaseUrl(pub String);

impl FromRequestParts<MastodonState> for BaseUrl {
    type Rejection = MastoError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &MastodonState,
    ) -> Result<Self, MastoError> {
        Ok(Self(base_url(state, &parts.headers)))
    }
}

/// `--public-url` when set, else `http://` and the request's `Host`.
pub fn base_url(state: &MastodonState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// The client's address (behind a trusted proxy, the one it names), when known (only
/// in-process tests call the router without one).
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<MastodonState> for ClientAddr {
    type Rejection = MastoError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &MastodonState,
    ) -> Result<Self, MastoError> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| {
                crate::caps::client_address(peer.ip(), &parts.headers, &state.trusted_proxies)
            });
        Ok(Self(address))
    }
}
