//! The own origin (scheme, host and port; `--public-url`), the `Secure` cookie, and the caps on
//! open connections and on sockets per client address (behind a trusted proxy, the forwarded
//! address).

use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};

/// A cookie-authenticated post from `origin` (or none): its status.
async fn cookie_post(app: &TestApp, token: &str, origin: Option<&str>) -> StatusCode {
    let mut request = app
        .request(Method::POST, "/api/tweets")
        .header("cookie", format!("chirp_session={token}"))
        .json(&json!({"text": "by cookie"}));
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    app.send(request).await.status
}

#[tokio::test]
async fn an_https_origin_is_not_the_own_origin_of_a_plain_http_server() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, token) = app.user("olive").await;
    let https = app.base.replacen("http://", "https://", 1);
    assert_eq!(
        cookie_post(&app, &token, Some(&https)).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        cookie_post(&app, &token, Some(&app.base)).await,
        StatusCode::CREATED
    );
    let cookie = app.send(
        app.request(Method::POST, "/api/sessions")
            .json(&json!({"username": "olive", "password": crate::helpers::PASSWORD})),
    );
    let cookie = cookie.await.headers["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
}

#[tokio::test]
async fn public_url_pins_the_own_origin_and_makes_the_cookie_secure() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.server.public_url = Some("https://chirp.example".into());
    })
    .await;
    app.sign_up("pablo").await;
    let signed_in = app
        .post(
            "/api/sessions",
            json!({"username": "pablo", "password": crate::helpers::PASSWORD}),
            None,
        )
        .await;
    let cookie = signed_in.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    let token = signed_in.body["token"].as_str().unwrap();

    let own = cookie_post(&app, token, Some("https://chirp.example")).await;
    assert_eq!(own, StatusCode::CREATED, "the public origin");
    for other in [
        "http://chirp.example",
        "https://chirp.example:8443",
        &app.base,
    ] {
        assert_eq!(
            cookie_post(&app, token, Some(other)).await,
            StatusCode::FORBIDDEN,
            "{other} is not the public origin (the Host header no longer counts)"
        );
    }
    let out = app.call(Method::DELETE, "/api/sessions", Some(token)).await;
    let cleared = out.headers["set-cookie"].to_str().unwrap();
    assert!(
        cleared.contains("Max-Age=0") && cleared.ends_with("; Secure"),
        "{cleared}"
    );
}

/// Opens an Engine.IO polling session: (status, body).
async fn engine_handshake(app: &TestApp) -> (StatusCode, String) {
    let answer = app.get("/socket.io/?EIO=4&transport=polling", None).await;
    (answer.status, answer.text)
}

#[tokio::test]
async fn sockets_over_the_per_address_cap_are_refused_until_one_closes() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.realtime.max_sockets_per_address = 2).await;
    let mut sids = Vec::new();
    for _ in 0..2 {
        let (status, body) = engine_handshake(&app).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let open: serde_json::Value = serde_json::from_str(&body[1..]).unwrap();
        sids.push(open["sid"].as_str().unwrap().to_owned());
    }
    let (status, body) = engine_handshake(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        json!({"code": 4, "message": "Too many sockets from this address"})
    );
    let upgrade = app
        .send(
            app.request(Method::GET, "/socket.io/?EIO=4&transport=websocket")
                .header("connection", "Upgrade")
                .header("upgrade", "websocket")
                .header("sec-websocket-version", "13")
                .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
        )
        .await;
    assert_eq!(
        upgrade.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "WebSocket too"
    );

    // The client closes one session (Engine.IO close packet): its place is free at once.
    let closed = app
        .send(
            app.request(
                Method::POST,
                &format!("/socket.io/?EIO=4&transport=polling&sid={}", sids[0]),
            )
            .header("content-type", "text/plain")
            .body("1"),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK);
    assert_eq!(engine_handshake(&app).await.0, StatusCode::OK);
    assert_eq!(
        engine_handshake(&app).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

/// Opens an Engine.IO polling session as a reverse proxy would pass it on, with
/// `X-Forwarded-For: forwarded` (or no header): its status.
async fn proxied_handshake(app: &TestApp, forwarded: Option<&str>) -> StatusCode {
    let mut request = app.request(Method::GET, "/socket.io/?EIO=4&transport=polling");
    if let Some(client) = forwarded {
        request = request.header("x-forwarded-for", client);
    }
    app.send(request).await.status
}

#[tokio::test]
async fn behind_a_loopback_proxy_sockets_count_per_forwarded_address_by_default() {
    // No --trusted-proxies: loopback (where the test's requests come from) is trusted.
    let app = spawn_app_with(Backend::Sqlite, |c| c.realtime.max_sockets_per_address = 2).await;
    for client in ["203.0.113.1", "203.0.113.1"] {
        assert_eq!(proxied_handshake(&app, Some(client)).await, StatusCode::OK);
    }
    assert_eq!(
        proxied_handshake(&app, Some("203.0.113.1")).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "one client's cap is full"
    );
    // Others behind the same proxy have their own allowance, whatever a client prepends.
    assert_eq!(
        proxied_handshake(&app, Some("203.0.113.2")).await,
        StatusCode::OK
    );
    assert_eq!(
        proxied_handshake(&app, Some("203.0.113.1, 203.0.113.3")).await,
        StatusCode::OK,
        "the rightmost untrusted entry is the client"
    );
    assert_eq!(
        proxied_handshake(&app, Some("10.0.0.7")).await,
        StatusCode::OK,
        "a client inside the private network"
    );
    // With no header the peer itself counts: a client on this machine, as before.
    for _ in 0..2 {
        assert_eq!(proxied_handshake(&app, None).await, StatusCode::OK);
    }
    assert_eq!(
        proxied_handshake(&app, None).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn trusted_proxies_none_ignores_forwarded_for() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.realtime.max_sockets_per_address = 2;
        c.server.trusted_proxies = "none".parse().unwrap();
    })
    .await;
    for client in ["203.0.113.1", "203.0.113.2"] {
        assert_eq!(proxied_handshake(&app, Some(client)).await, StatusCode::OK);
    }
    assert_eq!(
        proxied_handshake(&app, Some("203.0.113.3")).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "every request counts as 127.0.0.1"
    );
}

#[tokio::test]
async fn connections_over_the_cap_are_answered_503_and_closed() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.server.max_connections = Some(2)).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let held = [
        TcpStream::connect(&addr).await.unwrap(),
        TcpStream::connect(&addr).await.unwrap(),
    ];
    // Both are accepted once a third gets its answer: the accept loop takes them in order.
    let mut third = TcpStream::connect(&addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut third,
        b"GET /healthz HTTP/1.1\r\nhost: chirp\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = String::new();
    third.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("too_many_connections"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );

    // Once one closes, a new connection is served again.
    drop(held);
    let fresh = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..200 {
        status = fresh()
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap()
            .status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(status, StatusCode::OK);
}
