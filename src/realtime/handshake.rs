//! Who a socket is: the connect middleware that checks the origin, reads `auth.token` or
//! the session cookie, and joins a signed-in socket to its user's room *before* the
//! connection is acknowledged (joining later races with the first broadcast).

use std::sync::Arc;

use socketioxide::extract::{SocketRef, State, TryData};

use super::events::user_room;
use crate::auth::token_hash;
use crate::http::session_cookie;
use crate::origin::OriginPolicy;
use crate::storage::Store;

/// What the handshake needs to know.
#[derive(Clone)]
pub struct HandshakeContext {
    /// Where sessions live.
    pub store: Arc<dyn Store>,
    /// The origin rule.
    pub origins: Arc<OriginPolicy>,
}

/// The user a socket acts for, kept in the socket's extensions.
#[derive(Debug, Clone)]
pub struct SocketUser {
    /// User id.
    pub id: i64,
    /// Username, for logs.
    pub username: String,
}

/// Connect middleware; an `Err` becomes the client's `connect_error` with this message.
pub async fn authenticate(
    socket: SocketRef,
    TryData(auth): TryData<serde_json::Value>,
    State(ctx): State<HandshakeContext>,
) -> Result<(), &'static str> {
    let headers = &socket.req_parts().headers;
    if !ctx.origins.socket_allowed(headers) {
        return Err("origin not allowed");
    }
    let token = auth
        .ok()
        .and_then(|a| a.get("token").and_then(|t| t.as_str()).map(str::to_owned));
    let user = match token {
        Some(token) => Some(lookup(&ctx, &token).await?.ok_or("invalid token")?),
        None => match session_cookie(headers) {
            // A stale cookie, or one from a foreign page, just means "anonymous".
            Some(cookie) if ctx.origins.cookie_counts(headers) => lookup(&ctx, &cookie).await?,
            _ => None,
        },
    };
    if let Some(user) = user {
        socket.join(user_room(user.id));
        socket.extensions.insert(user);
    }
    Ok(())
}

async fn lookup(ctx: &HandshakeContext, token: &str) -> Result<Option<SocketUser>, &'static str> {
    match ctx.store.session_user(&token_hash(token)).await {
        Ok(user) => Ok(user.map(|u| SocketUser {
            id: u.id,
            username: u.username,
        })),
        Err(e) => {
            tracing::warn!(error = %e, "socket handshake could not check its session");
            Err("server unavailable")
        }
    }
}
