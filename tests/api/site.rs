//! The web app's pages, the Socket.IO client bundle, health and metrics.

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp, spawn_app};

/// Every page answers the app; one about a user or tweet that does not exist, or a path
/// nothing serves, answers it with 404 (the app then shows its own "not found").
#[tokio::test]
async fn app_pages_answer_html_with_a_strict_csp() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, token) = app.user("someone").await;
    let tweet = app.tweet(&token, "Here.").await["id"].as_i64().unwrap();
    let found = [
        "/".to_owned(),
        "/everyone".to_owned(),
        "/users/someone".to_owned(),
        "/users/SOMEONE/followers".to_owned(),
        "/users/someone/following".to_owned(),
        format!("/tweets/{tweet}"),
        "/notifications".to_owned(),
        "/admin".to_owned(),
        "/settings/blocks".to_owned(),
    ];
    let missing = [
        "/users/nobody",
        "/users/nobody/followers",
        "/users/nobody/following",
        "/users/not%20a%20name",
        "/tweets/424242",
        "/tweets/12345678901234567",
        "/tweets/x",
        "/no/such/page",
    ];
    let pages = found
        .iter()
        .map(|p| (p.as_str(), StatusCode::OK))
        .chain(missing.iter().map(|p| (*p, StatusCode::NOT_FOUND)));
    for (path, status) in pages {
        let page = app.get(path, None).await;
        assert_eq!(page.status, status, "{path}");
        assert!(
            page.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(
            page.text.to_lowercase().contains("<!doctype html"),
            "{path}"
        );
    }
    assert_eq!(
        app.get("/", None).await.headers["x-content-type-options"],
        "nosniff"
    );
}

#[tokio::test]
async fn socket_io_client_bundle_is_served_with_cors() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in ["/socket.io/socket.io.js", "/socket.io/socket.io.min.js"] {
        let request = app
            .request(reqwest::Method::GET, path)
            .header("origin", "http://tutorial.example");
        let bundle = app.send(request).await;
        assert_eq!(bundle.status, StatusCode::OK, "{path}");
        assert!(
            bundle.headers["content-type"]
                .to_str()
                .unwrap()
                .contains("javascript")
        );
        assert_eq!(bundle.headers["access-control-allow-origin"], "*");
        assert!(
            bundle.text.contains("Socket.IO v4"),
            "{path} is the official client"
        );
        let etag = bundle.headers["etag"].clone();
        let again = app
            .request(reqwest::Method::GET, path)
            .header("if-none-match", etag);
        assert_eq!(app.send(again).await.status, StatusCode::NOT_MODIFIED);
    }
    assert_eq!(
        app.get("/socket.io/other.js", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn healthz_and_metrics_answer() {
    let app: TestApp = spawn_app(Backend::Sqlite).await;
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.text, "ok");
    let (_, token) = app.user("metrics_user").await;
    app.tweet(&token, "counted").await;
    let metrics = app.get("/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    for name in [
        "chirp_tweets_created_total",
        "chirp_broadcasts_total",
        "chirp_http_request_duration_seconds_bucket",
        "chirp_connected_sockets",
    ] {
        assert!(
            metrics.text.contains(name),
            "{name} missing from:\n{}",
            metrics.text
        );
    }
}
