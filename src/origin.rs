//! Which origins may do what: the rule that keeps another site from acting as a signed-in
//! user through their cookie, shared by HTTP and the socket handshake.
//!
//! A bearer token (or socket `auth.token`) works from anywhere. The `chirp_session` cookie
//! counts only when the request has no `Origin` (not a browser, or a same-origin GET) or an
//! `Origin` that is this server's own or listed explicitly in `--cors-origin` (`*` lists none).
//!
//! The own origin is `--public-url` when given (scheme, host and port pinned: the `Host`
//! header is not consulted). Without it, it is `http://` + `Host`: Chirp itself speaks plain
//! HTTP, so an `https://` page can only be Chirp behind a proxy, which must say so with
//! `--public-url`. Origins are compared as (scheme, host, port), default ports filled in.

use axum::http::header::{HOST, ORIGIN};
use axum::http::{HeaderMap, Uri};

/// A web origin: scheme, lower-case host and port (the scheme's default when not written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    /// Parse `http(s)://host[:port]` (a trailing `/` allowed; no user, path or query).
    pub fn parse(text: &str) -> Option<Self> {
        let uri: Uri = text.parse().ok()?;
        let https = match uri.scheme_str()? {
            "http" => false,
            "https" => true,
            _ => return None,
        };
        let authority = uri.authority()?;
        if authority.as_str().contains('@')
            || !matches!(uri.path(), "" | "/")
            || uri.query().is_some()
            || authority.host().is_empty()
        {
            return None;
        }
        Some(Self {
            https,
            host: authority.host().to_ascii_lowercase(),
            port: authority.port_u16().unwrap_or(if https { 443 } else { 80 }),
        })
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.https
    }
}

/// The allowed origins, from `--cors-origin`.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    /// `*`: any origin may read through CORS and open anonymous sockets.
    pub any: bool,
    /// Explicitly listed origins (`scheme://host[:port]`, lower case, no trailing slash).
    pub listed: Vec<String>,
    /// The server's own origin, from `--public-url`; `None`: `http://` + the `Host` header.
    public: Option<Origin>,
}

impl OriginPolicy {
    /// Parse `*` or a comma-separated list of origins.
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let mut policy = Self {
            any: false,
            listed: Vec::new(),
            public: None,
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

    /// Pin the server's own origin to `--public-url` (`http(s)://host[:port]`).
    pub fn with_public_url(mut self, url: &str) -> anyhow::Result<Self> {
        let origin = Origin::parse(url).ok_or_else(|| {
            anyhow::anyhow!(
                "--public-url: {url:?} is not an origin such as https://chirp.example \
                 (scheme, host and port only)"
            )
        })?;
        self.public = Some(origin);
        Ok(self)
    }

    /// Whether the session cookie must be `Secure`: the public URL is https.
    pub fn secure_cookie(&self) -> bool {
        self.public.as_ref().is_some_and(Origin::is_https)
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
        let Some(origin) = Origin::parse(origin) else {
            return false;
        };
        if let Some(public) = &self.public {
            return origin == *public;
        }
        headers
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .and_then(|host| Origin::parse(&format!("http://{host}")))
            .is_some_and(|own| own == origin)
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
    fn own_origin_compares_scheme_host_and_port() {
        let plain = OriginPolicy::parse("*").unwrap();
        let on = |origin, host| plain.cookie_counts(&headers(Some(origin), host));
        assert!(
            !on("https://127.0.0.1:8000", "127.0.0.1:8000"),
            "plain HTTP server"
        );
        assert!(on("http://Example.COM", "example.com:80"), "default port");
        assert!(!on("http://example.com:8080", "example.com"));
        assert!(!on("http://example.com/path", "example.com"));
        assert!(!on("http://user@example.com", "example.com"));

        let public = OriginPolicy::parse("*")
            .unwrap()
            .with_public_url("https://chirp.example/")
            .unwrap();
        assert!(public.secure_cookie());
        assert!(!plain.secure_cookie());
        let on = |origin, host| public.cookie_counts(&headers(Some(origin), host));
        assert!(
            on("https://chirp.example", "127.0.0.1:8000"),
            "Host is not consulted"
        );
        assert!(on("https://chirp.example:443", "chirp.example"));
        assert!(!on("http://chirp.example", "chirp.example"));
        assert!(!on("http://127.0.0.1:8000", "127.0.0.1:8000"));
        assert!(public.cookie_counts(&headers(None, "anything")));
    }

    #[test]
    fn public_url_must_be_an_origin() {
        let any = || OriginPolicy::parse("*").unwrap();
        assert!(any().with_public_url("https://chirp.example").is_ok());
        assert!(any().with_public_url("http://127.0.0.1:8000").is_ok());
        assert!(
            !any()
                .with_public_url("http://a.example")
                .unwrap()
                .secure_cookie()
        );
        for bad in [
            "chirp.example",
            "ftp://chirp.example",
            "https://chirp.example/app",
            "https://",
        ] {
            assert!(any().with_public_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_nonsense() {
        assert!(OriginPolicy::parse("").is_err());
        assert!(OriginPolicy::parse("example.com").is_err());
    }
}
