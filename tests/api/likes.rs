//! Liking and unliking: idempotent, counted, and `liked_by_me` per viewer.

use reqwest::{Method, StatusCode};

use crate::helpers::TestApp;

crate::on_every_backend!(
    likes_are_idempotent_and_per_viewer,
    liking_needs_a_user_and_a_tweet
);

async fn likes_are_idempotent_and_per_viewer(app: &TestApp) {
    let (_, uma) = app.user("uma").await;
    let (_, vic) = app.user("vic").await;
    let id = app.tweet(&uma, "like me").await["id"].as_i64().unwrap();
    let path = format!("/api/tweets/{id}/like");
    for _ in 0..2 {
        let liked = app.call(Method::PUT, &path, Some(&vic)).await;
        assert_eq!(liked.status, StatusCode::OK, "{}", liked.text);
        assert_eq!(liked.body["like_count"], 1);
        assert_eq!(liked.body["liked_by_me"], true);
    }
    let both = app.call(Method::PUT, &path, Some(&uma)).await;
    assert_eq!(both.body["like_count"], 2);
    let seen_by_uma = app.get(&format!("/api/tweets/{id}"), Some(&uma)).await;
    assert_eq!(seen_by_uma.body["liked_by_me"], true);
    let anonymous = app.get("/api/tweets", None).await;
    assert_eq!(anonymous.body["tweets"][0]["like_count"], 2);
    assert_eq!(anonymous.body["tweets"][0]["liked_by_me"], false);
    for _ in 0..2 {
        let unliked = app.call(Method::DELETE, &path, Some(&vic)).await;
        assert_eq!(unliked.status, StatusCode::OK);
        assert_eq!(unliked.body["like_count"], 1);
        assert_eq!(unliked.body["liked_by_me"], false);
    }
    let timeline = app.get("/api/tweets", Some(&uma)).await;
    assert_eq!(timeline.body["tweets"][0]["liked_by_me"], true);
}

async fn liking_needs_a_user_and_a_tweet(app: &TestApp) {
    let (_, wes) = app.user("wes").await;
    let id = app.tweet(&wes, "x").await["id"].as_i64().unwrap();
    app.call(Method::PUT, &format!("/api/tweets/{id}/like"), None)
        .await
        .assert_error(401, "unauthorized");
    app.call(Method::PUT, "/api/tweets/424242/like", Some(&wes))
        .await
        .assert_error(404, "not_found");
    app.call(Method::DELETE, "/api/tweets/zzz/like", Some(&wes))
        .await
        .assert_error(404, "not_found");
    app.call(Method::DELETE, &format!("/api/tweets/{id}"), Some(&wes))
        .await;
    app.call(Method::PUT, &format!("/api/tweets/{id}/like"), Some(&wes))
        .await
        .assert_error(404, "not_found");
}
