//! Who a socket is: at its Socket.IO CONNECT, check the origin of the session's first
//! request, then read `auth.token` or (when the origin rule lets it count) the session
//! cookie. The caller records the user in the same step that acknowledges the CONNECT, so a
//! broadcast can never reach a signed-in socket as if it were anonymous. A signed-in socket
//! remembers which session (token hash) let it in, so that signing that session out ends it.

use std::net::IpAddr;
use std::sync::Arc;

use super::engine::session::Handshake;
use crate::auth::token_hash;
use crate::origin::OriginPolicy;
use crate::storage::Store;

/// What the handshake needs to know.
#[derive(Clone)]
pub struct HandshakeContext {
    /// Where sessions live.
    pub store: Arc<dyn Store>,
    /// The origin rule.
    pub origins: Arc<OriginPolicy>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the per-address cap).
    pub trusted_proxies: Arc<[IpAddr]>,
    /// Most Engine.IO sessions open at once from one client address (0: no cap).
    pub max_sockets_per_address: usize,
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
    match ctx.store.session_user(&hash).await {
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
