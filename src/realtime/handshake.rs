//! Who a socket is: what the session's first request said (`Handshake::read`: may its origin
//! open a socket, and the session cookie if the origin rule lets it count), then at the
//! Socket.IO CONNECT `auth.token` or that cookie. The caller records the user in the same step
//! that acknowledges the CONNECT, so a broadcast can never reach a signed-in socket as if it
//! were anonymous. A signed-in socket remembers which session (token hash) let it in, so that
//! signing that session out ends it.

use std::sync::Arc;

use axum::http::HeaderMap;

use crate::auth::token_hash;
use crate::origin::{OriginPolicy, session_cookie};
use crate::storage::{Sessions, Store};

/// What the first HTTP request of a session said about who may act as whom; kept only until
/// the Socket.IO CONNECT is answered. Nothing else of the request head is kept.
#[derive(Debug, Clone, Default)]
pub struct Handshake {
    /// The request's `Origin` may open a socket at all.
    pub origin_allowed: bool,
    /// The session cookie, only when the origin rule lets it count.
    pub cookie: Option<String>,
}

impl Handshake {
    /// Read the first request's head under the origin rule.
    pub fn read(headers: &HeaderMap, origins: &OriginPolicy) -> Self {
        Self {
            origin_allowed: origins.socket_allowed(headers),
            cookie: if origins.cookie_counts(headers) {
                session_cookie(headers)
            } else {
                None
            },
        }
    }
}

/// What the handshake needs to know.
#[derive(Clone)]
pub struct HandshakeContext {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Where sessions live (the session cache).
    pub sessions: Arc<dyn Sessions>,
    /// The origin rule.
    pub origins: Arc<OriginPolicy>,
}

/// The user a socket acts for.
#[derive(Debug, Clone)]
pub struct SocketUser {
    /// User id.
    pub id: i64,
    /// Username, for logs.
    pub username: String,
    /// The hash of the session token it authenticated with (`auth.token` or cookie): when
    /// that session is signed out, the socket is disconnected.
    pub token_hash: String,
}

/// Decide who a connecting socket is; an `Err` becomes the client's `connect_error` with
/// this message.
pub async fn authenticate(
    ctx: &HandshakeContext,
    handshake: &Handshake,
    auth: Option<&serde_json::Value>,
) -> Result<Option<SocketUser>, &'static str> {
    if !handshake.origin_allowed {
        return Err("origin not allowed");
    }
    let token = auth.and_then(|a| a.get("token")).and_then(|t| t.as_str());
    match (token, &handshake.cookie) {
        (Some(token), _) => Ok(Some(lookup(ctx, token).await?.ok_or("invalid token")?)),
        // A stale cookie just means "anonymous".
        (None, Some(cookie)) => lookup(ctx, cookie).await,
        (None, None) => Ok(None),
    }
}

async fn lookup(ctx: &HandshakeContext, token: &str) -> Result<Option<SocketUser>, &'static str> {
    let hash = token_hash(token);
    match ctx.sessions.session_user(&hash).await {
        Ok(user) => Ok(user.map(|u| SocketUser {
            id: u.id,
            username: u.username,
            token_hash: hash,
        })),
        Err(e) => {
            tracing::warn!(error = %e, "socket handshake could not check its session");
            Err("server unavailable")
        }
    }
}
