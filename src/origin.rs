//! Which origins may do what: the rule that keeps another site from acting as a signed-in
//! user through their cookie, shared by HTTP and the socket handshake.
//!
//! A bearer token (or socket `auth.token`) works from anywhere. The `chirp_session` cookie
//! counts only when the request has no `Origin` (not a browser, or a same-origin GET) or an
//! `Origin` that is this server's own (same host as the `Host` header) or listed explicitly
//! in `--cors-origin` (`*` lists none).
//!
//! The cookie's name, reading it, and the CORS layer live here too: one home for the rule.

use std::time::Duration;

use axum::http::header::{self, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "chirp_session";

/// The `chirp_session` cookie's value, if the request carries one (whether it *counts* is
/// `OriginPolicy::cookie_counts`).
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// The allowed origins, from `--cors-origin`.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    /// `*`: any origin may read through CORS and open anonymous sockets.
    pub any: bool,
    /// Explicitly listed origins (`scheme://host[:port]`, lower case, no trailing slash).
    pub listed: Vec<String>,
}

impl OriginPolicy {
    /// Parse `*` or a comma-separated list of origins.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let mut policy = Self {
            any: false,
            listed: Vec::new(),
        };
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "*" {
                policy.any = true;
            } else if item.starts_with("http://") || item.starts_with("https://") {
                policy
                    .listed
                    .push(item.trim_end_matches('/').to_ascii_lowercase());
            } else {
                anyhow::bail!("--cors-origin: {item:?} is neither * nor an http(s) origin");
            }
        }
        if !policy.any && policy.listed.is_empty() {
            anyhow::bail!("--cors-origin needs * or at least one origin");
        }
        Ok(policy)
    }

    /// The CORS layer for these origins: `*` lets any origin read without credentials; a
    /// list lets those origins read with them.
    pub fn cors_layer(&self) -> CorsLayer {
        let layer = CorsLayer::new()
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
            .max_age(Duration::from_secs(3600));
        if self.any {
            layer.allow_origin(Any)
        } else {
            let listed = self
                .listed
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok());
            layer
                .allow_origin(AllowOrigin::list(listed))
                .allow_credentials(true)
        }
    }

    /// Whether the request's cookie may authenticate it.
    pub fn cookie_counts(&self, headers: &HeaderMap) -> bool {
        match headers.get(ORIGIN).and_then(|v| v.to_str().ok()) {
            None => true,
            Some(origin) => self.is_own(origin, headers) || self.is_listed(origin),
        }
    }

    /// Whether a browser page on the request's origin may open a socket at all.
    pub fn socket_allowed(&self, headers: &HeaderMap) -> bool {
        self.any || self.cookie_counts(headers)
    }

    fn is_listed(&self, origin: &str) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        self.listed.contains(&origin)
    }

    fn is_own(&self, origin: &str, headers: &HeaderMap) -> bool {
        let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .unwrap_or("");
        !authority.is_empty() && authority.eq_ignore_ascii_case(host)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(ORIGIN, o.parse().unwrap());
        }
        h
    }

    #[test]
    fn cookie_counts_without_origin_or_from_own_or_listed_origin() {
        let any = OriginPolicy::parse("*").unwrap();
        assert!(any.cookie_counts(&headers(None, "127.0.0.1:8000")));
        assert!(any.cookie_counts(&headers(Some("http://127.0.0.1:8000"), "127.0.0.1:8000")));
        assert!(!any.cookie_counts(&headers(Some("http://evil.test"), "127.0.0.1:8000")));
        assert!(!any.cookie_counts(&headers(Some("null"), "127.0.0.1:8000")));
        assert!(any.socket_allowed(&headers(Some("http://evil.test"), "127.0.0.1:8000")));

        let listed = OriginPolicy::parse("https://app.example, http://b.example/").unwrap();
        assert!(listed.cookie_counts(&headers(Some("https://APP.example"), "api.example")));
        assert!(listed.cookie_counts(&headers(Some("http://b.example"), "api.example")));
        assert!(!listed.socket_allowed(&headers(Some("http://evil.test"), "api.example")));
    }

    #[test]
    fn refuses_nonsense() {
        assert!(OriginPolicy::parse("").is_err());
        assert!(OriginPolicy::parse("example.com").is_err());
    }
}
