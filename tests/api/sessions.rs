//! Signing in and out, bearer tokens and the session cookie's origin rule.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

crate::on_every_backend!(
    sign_in_answers_token_user_and_cookie,
    wrong_password_and_unknown_user_get_the_same_answer,
    sign_out_ends_the_token_everywhere,
    cookie_authenticates_same_origin_and_originless_requests,
    cookie_writes_from_another_site_are_refused,
);

async fn sign_in_answers_token_user_and_cookie(app: &TestApp) {
    app.sign_up("erin").await;
    let answer = app
        .post(
            "/api/sessions",
            json!({"username": "ERIN", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let token = answer.body["token"].as_str().unwrap();
    assert!(token.len() >= 43, "a 256-bit token: {token}");
    assert_eq!(answer.body["user"]["username"], "erin");
    let cookie = answer.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with(&format!("chirp_session={token};")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    let second = app.sign_in("erin").await;
    assert_ne!(second, token, "every sign-in gets a fresh token");
}

async fn wrong_password_and_unknown_user_get_the_same_answer(app: &TestApp) {
    app.sign_up("frank").await;
    let wrong = app
        .post(
            "/api/sessions",
            json!({"username": "frank", "password": "not the password"}),
            None,
        )
        .await;
    let unknown = app
        .post(
            "/api/sessions",
            json!({"username": "nobody", "password": PASSWORD}),
            None,
        )
        .await;
    let invalid = app
        .post(
            "/api/sessions",
            json!({"username": "x y", "password": "not the password"}),
            None,
        )
        .await;
    wrong.assert_error(401, "invalid_credentials");
    assert_eq!(wrong.text, unknown.text);
    assert_eq!(wrong.text, invalid.text);
    assert!(wrong.headers.get("set-cookie").is_none());
}

async fn sign_out_ends_the_token_everywhere(app: &TestApp) {
    let (_, token) = app.user("grace").await;
    let other = app.sign_in("grace").await;
    let out = app
        .call(Method::DELETE, "/api/sessions", Some(&token))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    app.get("/api/me", Some(&token))
        .await
        .assert_error(401, "unauthorized");
    let cookie = app
        .request(Method::GET, "/api/me")
        .header("cookie", format!("chirp_session={token}"));
    app.send(cookie).await.assert_error(401, "unauthorized");
    assert_eq!(
        app.get("/api/me", Some(&other)).await.status,
        StatusCode::OK,
        "other sessions live on"
    );
    app.call(Method::DELETE, "/api/sessions", None)
        .await
        .assert_error(401, "unauthorized");
}

async fn cookie_authenticates_same_origin_and_originless_requests(app: &TestApp) {
    let (_, token) = app.user("heidi").await;
    let cookie = format!("theme=dark; chirp_session={token}");
    let plain = app
        .request(Method::GET, "/api/me")
        .header("cookie", &cookie);
    assert_eq!(app.send(plain).await.status, StatusCode::OK);
    let same_site = app
        .request(Method::POST, "/api/tweets")
        .header("cookie", &cookie)
        .header("origin", &app.base)
        .json(&json!({"text": "from my own page"}));
    let answer = app.send(same_site).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
}

async fn cookie_writes_from_another_site_are_refused(app: &TestApp) {
    let (_, token) = app.user("ivan").await;
    let forged = app
        .request(Method::POST, "/api/tweets")
        .header("cookie", format!("chirp_session={token}"))
        .header("origin", "http://evil.example")
        .json(&json!({"text": "I did not write this"}));
    app.send(forged).await.assert_error(403, "forbidden");
    let forged_delete = app
        .request(Method::DELETE, "/api/sessions")
        .header("cookie", format!("chirp_session={token}"))
        .header("origin", "http://evil.example");
    app.send(forged_delete).await.assert_error(403, "forbidden");
    assert!(
        app.ids("/api/tweets").await.is_empty(),
        "nothing was posted"
    );
    // A public read from another site still works, anonymously.
    let read = app
        .request(Method::GET, "/api/tweets")
        .header("cookie", format!("chirp_session={token}"))
        .header("origin", "http://evil.example");
    assert_eq!(app.send(read).await.status, StatusCode::OK);
    // A bearer token works from anywhere.
    let bearer = app
        .request(Method::POST, "/api/tweets")
        .bearer_auth(&token)
        .header("origin", "http://elsewhere.example")
        .json(&json!({"text": "API clients may post from anywhere"}));
    assert_eq!(app.send(bearer).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn listed_origin_may_use_the_cookie() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |c| {
        c.server.cors_origin = "http://friend.example".into();
    })
    .await;
    let (_, token) = app.user("judy").await;
    let post = |origin: &str| {
        app.request(Method::POST, "/api/tweets")
            .header("cookie", format!("chirp_session={token}"))
            .header("origin", origin)
            .json(&json!({"text": "hello"}))
    };
    assert_eq!(
        app.send(post("http://friend.example")).await.status,
        StatusCode::CREATED
    );
    app.send(post("http://evil.example"))
        .await
        .assert_error(403, "forbidden");
    let preflight = app
        .request(Method::OPTIONS, "/api/tweets")
        .header("origin", "http://friend.example")
        .header("access-control-request-method", "POST");
    let answer = app.send(preflight).await;
    assert_eq!(
        answer.headers["access-control-allow-origin"],
        "http://friend.example"
    );
    assert_eq!(answer.headers["access-control-allow-credentials"], "true");
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited_per_address() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |c| {
        c.limits.rate_limits = chirp::config::Switch::On;
        c.limits.auth_rate_limit = 3;
        c.limits.signup_rate_limit = 1;
    })
    .await;
    // Sign-ups have their own allowance: this one neither uses up a sign-in attempt…
    app.sign_up("kate").await;
    let attempt = || {
        app.post(
            "/api/sessions",
            json!({"username": "kate", "password": "guess1234"}),
            None,
        )
    };
    attempt().await.assert_error(401, "invalid_credentials");
    attempt().await.assert_error(401, "invalid_credentials");
    attempt().await.assert_error(401, "invalid_credentials");
    let limited = attempt().await;
    limited.assert_error(429, "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // …nor does signing in use up sign-ups: the one allowed per hour was used above.
    app.post(
        "/api/users",
        json!({"username": "kate2", "password": "guess1234"}),
        None,
    )
    .await
    .assert_error(429, "rate_limited");
    // Reads are never limited.
    assert_eq!(app.get("/api/tweets", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |c| {
        c.limits.rate_limits = chirp::config::Switch::On;
        c.limits.auth_rate_limit = 2;
        c.server.trusted_proxies = "127.0.0.1".parse().unwrap();
    })
    .await;
    let attempt = |client: &str| {
        let request = app
            .request(Method::POST, "/api/sessions")
            .header("x-forwarded-for", format!("198.51.100.9, {client}"))
            .json(&json!({"username": "nobody", "password": "guess1234"}));
        app.send(request)
    };
    attempt("203.0.113.1")
        .await
        .assert_error(401, "invalid_credentials");
    attempt("203.0.113.1")
        .await
        .assert_error(401, "invalid_credentials");
    attempt("203.0.113.1")
        .await
        .assert_error(429, "rate_limited");
    attempt("203.0.113.2")
        .await
        .assert_error(401, "invalid_credentials");
}
