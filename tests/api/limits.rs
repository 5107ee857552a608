//! Per-account rate limits (posts, likes, follows, profile edits, marking read, blocks, mutes,
//! reports), `0` turning
//! one off and `--rate-limits off`
//! turning them all off. The sign-in and sign-up limits are tested in `sessions.rs`.

use chirp::config::{ServeConfig, Switch};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app_with};

async fn app_with(adjust: impl FnOnce(&mut ServeConfig)) -> TestApp {
    spawn_app_with(Backend::Sqlite, |c| {
        c.limits.rate_limits = Switch::On;
        adjust(c);
    })
    .await
}

fn retry_after(answer: &crate::helpers::Answer) -> u64 {
    answer.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn posting_past_the_limit_is_429_with_retry_after_for_that_account_only() {
    let app = app_with(|c| c.limits.post_rate_limit = 3).await;
    let (_, ann) = app.user("ann").await;
    let (_, bea) = app.user("bea").await;
    for i in 0..3 {
        app.tweet(&ann, &format!("tweet {i}")).await;
    }
    let limited = app
        .post("/api/tweets", json!({"text": "one too many"}), Some(&ann))
        .await;
    limited.assert_error(429, "rate_limited");
    // 3 a minute: the next one is allowed about 20 s later.
    assert!((1..=20).contains(&retry_after(&limited)), "Retry-After");
    // Another account has its own allowance.
    app.tweet(&bea, "still fine").await;
    assert_eq!(app.ids("/api/tweets").await.len(), 4);
}

#[tokio::test]
async fn liking_past_the_limit_is_429() {
    let app = app_with(|c| c.limits.like_rate_limit = 2).await;
    let (_, ann) = app.user("ann").await;
    let id = app.tweet(&ann, "like me").await["id"].as_i64().unwrap();
    let path = format!("/api/tweets/{id}/like");
    assert_eq!(
        app.call(Method::PUT, &path, Some(&ann)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&ann)).await.status,
        StatusCode::OK
    );
    let limited = app.call(Method::PUT, &path, Some(&ann)).await;
    limited.assert_error(429, "rate_limited");
    assert!(retry_after(&limited) >= 1);
}

#[tokio::test]
async fn following_past_the_limit_is_429_for_that_account_only() {
    let app = app_with(|c| c.limits.follow_rate_limit = 2).await;
    let (_, ann) = app.user("ann").await;
    let (_, bob) = app.user("bob").await;
    app.user("cyd").await;
    let follow = |name: &str| format!("/api/users/{name}/follow");
    assert_eq!(
        app.call(Method::PUT, &follow("bob"), Some(&ann))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.call(Method::DELETE, &follow("bob"), Some(&ann))
            .await
            .status,
        StatusCode::OK
    );
    let limited = app.call(Method::PUT, &follow("cyd"), Some(&ann)).await;
    limited.assert_error(429, "rate_limited");
    assert!(retry_after(&limited) >= 1);
    let profile = app.get("/api/users/cyd", None).await;
    assert_eq!(profile.body["followers_count"], 0, "nothing was stored");
    assert_eq!(
        app.call(Method::PUT, &follow("cyd"), Some(&bob))
            .await
            .status,
        StatusCode::OK,
        "another account is not limited"
    );
}

#[tokio::test]
async fn zero_turns_one_limit_off() {
    let app = app_with(|c| {
        c.limits.post_rate_limit = 0;
        c.limits.like_rate_limit = 1;
    })
    .await;
    let (_, ann) = app.user("ann").await;
    for i in 0..40 {
        app.tweet(&ann, &format!("tweet {i}")).await;
    }
    // The other limits still hold.
    let id = app.ids("/api/tweets").await[0];
    let path = format!("/api/tweets/{id}/like");
    assert_eq!(
        app.call(Method::PUT, &path, Some(&ann)).await.status,
        StatusCode::OK
    );
    app.call(Method::PUT, &path, Some(&ann))
        .await
        .assert_error(429, "rate_limited");
}

#[tokio::test]
async fn rate_limits_off_lets_a_burst_through() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.limits.rate_limits = Switch::Off;
        c.limits.auth_rate_limit = 1;
        c.limits.signup_rate_limit = 1;
        c.limits.post_rate_limit = 1;
        c.limits.like_rate_limit = 1;
    })
    .await;
    let (_, ann) = app.user("ann").await;
    app.user("bea").await;
    app.sign_in("ann").await;
    let app = &app;
    let posts = (0..60).map(|i| {
        let ann = ann.as_str();
        async move {
            app.post(
                "/api/tweets",
                json!({"text": format!("burst {i}")}),
                Some(ann),
            )
            .await
        }
    });
    for answer in futures_util::future::join_all(posts).await {
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    }
    let id = app.ids("/api/tweets").await[0];
    for _ in 0..5 {
        let like = app
            .call(Method::PUT, &format!("/api/tweets/{id}/like"), Some(&ann))
            .await;
        assert_eq!(like.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn profile_edits_past_the_limit_are_429_and_change_nothing() {
    let app = app_with(|c| c.limits.profile_rate_limit = 2).await;
    let (_, ann) = app.user("ann").await;
    let (_, bea) = app.user("bea").await;
    let edit = |token: &str, name: &str| {
        app.send(
            app.request(Method::PATCH, "/api/me")
                .bearer_auth(token)
                .json(&json!({"display_name": name})),
        )
    };
    for name in ["Ann 1", "Ann 2"] {
        let answer = edit(&ann, name).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    }
    let limited = edit(&ann, "Ann 3").await;
    limited.assert_error(429, "rate_limited");
    assert!(retry_after(&limited) >= 1);
    let profile = app.get("/api/users/ann", None).await;
    assert_eq!(profile.body["display_name"], "Ann 2", "nothing was stored");
    assert_eq!(edit(&bea, "Bea").await.status, StatusCode::OK);
}

#[tokio::test]
async fn marking_read_past_the_limit_is_429() {
    let app = app_with(|c| c.limits.mark_read_rate_limit = 2).await;
    let (_, ann) = app.user("ann").await;
    let (_, bea) = app.user("bea").await;
    let mark = |token: String| {
        let app = &app;
        async move {
            app.post("/api/notifications/read", json!({}), Some(&token))
                .await
        }
    };
    for _ in 0..2 {
        assert_eq!(mark(ann.clone()).await.status, StatusCode::NO_CONTENT);
    }
    let limited = mark(ann.clone()).await;
    limited.assert_error(429, "rate_limited");
    assert!(retry_after(&limited) >= 1);
    assert_eq!(mark(bea).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn blocks_mutes_and_reports_past_their_limits_are_429_and_change_nothing() {
    let app = app_with(|c| {
        c.limits.block_rate_limit = 1;
        c.limits.mute_rate_limit = 1;
        c.limits.report_rate_limit = 1;
    })
    .await;
    let (_, ann) = app.user("ann").await;
    app.user("bea").await;
    app.user("cid").await;
    let put = |path: &'static str| app.call(Method::PUT, path, Some(&ann));
    assert_eq!(put("/api/users/bea/block").await.status, StatusCode::OK);
    let limited = put("/api/users/cid/block").await;
    limited.assert_error(429, "rate_limited");
    assert!(retry_after(&limited) >= 1);
    let cid = app.get("/api/users/cid", Some(&ann)).await;
    assert_eq!(cid.body["blocked_by_me"], false, "nothing was done");
    assert_eq!(put("/api/users/bea/mute").await.status, StatusCode::OK);
    put("/api/users/cid/mute")
        .await
        .assert_error(429, "rate_limited");
    let report = json!({"username": "cid", "category": "spam", "reason": "ads"});
    let first = app.post("/api/reports", report.clone(), Some(&ann)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    app.post("/api/reports", report, Some(&ann))
        .await
        .assert_error(429, "rate_limited");
}
