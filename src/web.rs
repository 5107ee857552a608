//! The web app and the Socket.IO browser client, embedded in the binary from `web/`.
//!
//! `/`, `/everyone`, `/users/{username}` (and its `/followers` and `/following`) and
//! `/tweets/{id}` and `/notifications` all answer the single-page app (its router takes over in the browser); `/static/…` serves the files under `web/`;
//! `/socket.io/socket.io.js` (and `.min.js`) serve the pinned official client from
//! `web/vendor/`, as Node's socket.io does. Files carry an ETag and are revalidated.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Content-Security-Policy for the app: no inline script, nothing from elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; object-src 'none'; \
    base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

#[derive(rust_embed::Embed)]
#[folder = "web/"]
struct Assets;

/// The app's pages and static files.
pub fn pages<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(app_page))
        .route("/everyone", get(app_page))
        .route("/users/{username}", get(app_page))
        .route("/users/{username}/followers", get(app_page))
        .route("/users/{username}/following", get(app_page))
        .route("/tweets/{id}", get(app_page))
        .route("/notifications", get(app_page))
        .route("/static/{*path}", get(static_file))
}

/// `/socket.io/socket.io.js` and friends: files under `/socket.io/`, beside the Socket.IO
/// endpoint itself, which is the one route `/socket.io/` (see `realtime::Realtime::mount`).
pub fn client_bundle<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/socket.io/{file}", get(client_file))
}

async fn app_page(headers: HeaderMap) -> Response {
    let mut response = serve("index.html", &headers);
    if response.status() == StatusCode::NOT_FOUND {
        response = (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<!doctype html><title>Chirp</title><p>Chirp is running. The web app was not built into this binary.",
        )
            .into_response();
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
