//! The web app and the Socket.IO browser client, embedded in the binary from `web/`.
//!
//! Every page of the app (`/`, `/everyone`, `/users/{username}` and its `/followers` and
//! `/following`, `/tweets/{id}`, `/notifications`, `/settings/blocks`, `/admin`, `/search`,
//! `/tags/{name}`) answers the single-page app, whose router takes over in the browser. The
//! status is the server's: a page about a user or tweet that does not exist, a tag name that
//! is no tag's, or a path no route knows (`unknown_path`), is the same app with 404 (it shows
//! its own "not found"), so crawlers and tools see the truth. `/static/…` serves the files
//! under `web/`; `/socket.io/socket.io.js` (and `.min.js`) the pinned official client from
//! `web/vendor/`, as Node's socket.io does. Files carry an ETag and are revalidated.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::domain::{Hashtag, Username};
use crate::storage::Store;

/// Content-Security-Policy for the app: no inline script, nothing from elsewhere. Images may
/// also be `blob:` URLs: the compose box previews the files being attached from memory.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

#[derive(rust_embed::Embed)]
#[folder = "web/"]
struct Assets;

/// The app's pages and static files. `store` tells whether the user or tweet a page is
/// about exists (only that: the page loads its data from the API).
pub fn pages<S: Clone + Send + Sync + 'static>(store: Arc<dyn Store>) -> Router<S> {
    Router::new()
        .route("/", get(page))
        .route("/everyone", get(page))
        .route("/users/{username}", get(user_page))
        .route("/users/{username}/followers", get(user_page))
        .route("/users/{username}/following", get(user_page))
        .route("/tweets/{id}", get(tweet_page))
        .route("/notifications", get(page))
        .route("/settings/blocks", get(page))
        // For everyone: the page itself tells non-moderators they may not (the API refuses).
        .route("/admin", get(page))
        .route("/search", get(page))
        .route("/tags/{name}", get(tag_page))
        .route("/static/{*path}", get(static_file))
        .with_state(store)
}

/// The answer to a path no route knows, for the app's router to fall back on: GET and HEAD
/// get the app with 404 (it shows its own "not found" page, with a way home); other methods
/// get `None`, for the API's JSON 404.
pub fn unknown_path(method: &Method, headers: &HeaderMap) -> Option<Response> {
    (method == Method::GET || method == Method::HEAD)
        .then(|| app_page(StatusCode::NOT_FOUND, headers))
}

async fn page(headers: HeaderMap) -> Response {
    app_page(StatusCode::OK, &headers)
}

/// A profile or its followers / following: 404 unless the user exists. A storage error
/// serves the page as found: the page then asks the API, which says what is wrong.
async fn user_page(
    State(store): State<Arc<dyn Store>>,
    Path(username): Path<String>,
    headers: HeaderMap,
) -> Response {
    let exists = match Username::parse(&username) {
        Ok(name) => !matches!(store.user_by_name(&name).await, Ok(None)),
        Err(_) => false,
    };
    app_page(found(exists), &headers)
}

/// A tag's timeline: 404 unless the name is a tag's (`#` optional, normalised as in text).
/// A tag nobody used yet is found: its page says so, and fills as tweets come.
async fn tag_page(Path(name): Path<String>, headers: HeaderMap) -> Response {
    app_page(found(Hashtag::parse(&name).is_some()), &headers)
}

/// A conversation: 404 unless the tweet exists (ids as the app's router reads them).
async fn tweet_page(
    State(store): State<Arc<dyn Store>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    // The same ids as the app's router reads (web/js/router.js): 1 to 16 digits.
    let digits = (1..=16).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
    let exists = match id.parse::<i64>() {
        Ok(id) if digits => !matches!(store.tweet(id, None).await, Ok(None)),
        _ => false,
    };
    app_page(found(exists), &headers)
}

fn found(exists: bool) -> StatusCode {
    if exists {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

/// `/socket.io/socket.io.js` and friends: files under `/socket.io/`, beside the Socket.IO
/// endpoint itself, which is the one route `/socket.io/` (see `realtime::Realtime::mount`).
pub fn client_bundle<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/socket.io/{file}", get(client_file))
}

/// The app's one HTML page with `status`. Only a 200 may be a 304: a 404 always carries the
/// page, since a cached copy would not say "not found".
fn app_page(status: StatusCode, headers: &HeaderMap) -> Response {
    let conditional = if status == StatusCode::OK {
        headers.clone()
    } else {
        HeaderMap::new()
    };
    let mut response = serve("index.html", &conditional);
    if response.status() == StatusCode::NOT_FOUND {
        response = (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><title>Chirp</title><p>Chirp is running. The web app was not built into this binary.",
        )
            .into_response();
    }
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

async fn static_file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve(&path, &headers)
}

async fn client_file(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match file.as_str() {
        "socket.io.js" | "socket.io.min.js" | "socket.io.js.map" | "socket.io.min.js.map" => {
            serve(&format!("vendor/{file}"), &headers)
        }
        _ => not_found(),
    }
}

/// Answer an embedded file, or 304 when the client's copy is current.
fn serve(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = Assets::get(path) else {
        return not_found();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let cache = [
        (header::ETAG, etag.clone()),
        (header::CACHE_CONTROL, "no-cache".to_owned()),
    ];
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let textual = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.essence_str(),
            "application/javascript" | "application/json" | "image/svg+xml"
        );
    let content_type = if textual {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    };
    (
        cache,
        [(header::CONTENT_TYPE, content_type)],
        file.data.into_owned(),
    )
        .into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "Not found.",
    )
        .into_response()
}
