//! Profiles: reading anyone's, editing one's own (limits, trimming, all-or-nothing), the
//! counters, and the display name on tweets.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

crate::on_every_backend!(
    a_new_profile_is_empty_and_counts_from_zero,
    unknown_profiles_are_not_found,
    patch_trims_sets_and_clears,
    patch_checks_limits_in_scalar_values_and_changes_nothing_on_error,
    patch_needs_a_session_and_json,
    tweets_show_the_authors_display_name,
    tweet_count_follows_posts_and_deletes,
    patch_refuses_control_characters_and_changes_nothing
);

async fn patch(app: &TestApp, token: &str, body: serde_json::Value) -> crate::helpers::Answer {
    app.send(
        app.request(Method::PATCH, "/api/me")
            .bearer_auth(token)
            .json(&body),
    )
    .await
}

async fn a_new_profile_is_empty_and_counts_from_zero(app: &TestApp) {
    let user = app.sign_up("Prue").await;
    let answer = app.get("/api/users/prue", None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let p = &answer.body;
    assert_eq!(p["id"], user["id"]);
    assert_eq!(p["username"], "Prue", "the spelling the user chose");
    assert_eq!(p["created_at"], user["created_at"]);
    assert_eq!(p["display_name"], "");
    assert_eq!(p["bio"], "");
    for counter in ["followers_count", "following_count", "tweet_count"] {
        assert_eq!(p[counter], 0, "{counter}");
    }
    assert_eq!(p["followed_by_me"], false);
    assert_eq!(p["follows_me"], false);
}

async fn unknown_profiles_are_not_found(app: &TestApp) {
    app.get("/api/users/nobody_here", None)
        .await
        .assert_error(404, "not_found");
    app.get("/api/users/no%20such%20name", None)
        .await
        .assert_error(404, "not_found");
}

async fn patch_trims_sets_and_clears(app: &TestApp) {
    let (_, token) = app.user("quinn").await;
    let set = patch(
        app,
        &token,
        json!({"display_name": "  Quinn Q.  ", "bio": "\tI write tests.\n"}),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["username"], "quinn");
    assert_eq!(set.body["display_name"], "Quinn Q.");
    assert_eq!(set.body["bio"], "I write tests.");

    let only_bio = patch(app, &token, json!({"bio": "Still testing."})).await;
    assert_eq!(
        only_bio.body["display_name"], "Quinn Q.",
        "absent: unchanged"
    );
    assert_eq!(only_bio.body["bio"], "Still testing.");

    let nothing = patch(app, &token, json!({})).await;
    assert_eq!(nothing.status, StatusCode::OK);
    assert_eq!(nothing.body["bio"], "Still testing.");

    let cleared = patch(app, &token, json!({"display_name": "", "bio": "   "})).await;
    assert_eq!(cleared.body["display_name"], "");
    assert_eq!(cleared.body["bio"], "");
    let read = app.get("/api/users/QUINN", None).await;
    assert_eq!(read.body["display_name"], "");
    assert_eq!(read.body["bio"], "");
}

async fn patch_checks_limits_in_scalar_values_and_changes_nothing_on_error(app: &TestApp) {
    let (_, token) = app.user("rhea").await;
    let ok = patch(
        app,
        &token,
        json!({"display_name": "🐦".repeat(50), "bio": "é".repeat(160)}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);

    let long_name = patch(app, &token, json!({"display_name": "n".repeat(51)})).await;
    long_name.assert_error(400, "invalid_display_name");
    assert_eq!(long_name.body["error"]["field"], "display_name");

    let long_bio = patch(
        app,
        &token,
        json!({"display_name": "Fine", "bio": "🐦".repeat(161)}),
    )
    .await;
    long_bio.assert_error(400, "invalid_bio");
    assert_eq!(long_bio.body["error"]["field"], "bio");

    let after = app.get("/api/users/rhea", None).await;
    assert_eq!(
        after.body["display_name"],
        "🐦".repeat(50),
        "a PATCH with one bad field changes nothing"
    );
    assert_eq!(after.body["bio"], "é".repeat(160));
}

async fn patch_needs_a_session_and_json(app: &TestApp) {
    let (_, token) = app.user("sten").await;
    app.send(
        app.request(Method::PATCH, "/api/me")
            .json(&json!({"bio": "x"})),
    )
    .await
    .assert_error(401, "unauthorized");
    patch(app, &token, json!({"bio": 7}))
        .await
        .assert_error(400, "invalid_json");
    app.send(
        app.request(Method::PATCH, "/api/me")
            .bearer_auth(&token)
            .body("bio=x"),
    )
    .await
    .assert_error(415, "unsupported_media_type");
}

async fn tweets_show_the_authors_display_name(app: &TestApp) {
    let (_, token) = app.user("tove").await;
    let before = app.tweet(&token, "before the name").await;
    assert_eq!(before["author"]["display_name"], "");
    // Read the anonymous first page once, so that a cached copy exists.
    let first = app.get("/api/tweets", None).await;
    assert_eq!(first.body["tweets"][0]["author"]["display_name"], "");

    patch(app, &token, json!({"display_name": "Tove J."})).await;
    let after = app.tweet(&token, "after the name").await;
    assert_eq!(after["author"]["display_name"], "Tove J.");
    assert_eq!(after["author"]["username"], "tove");
    let timeline = app.get("/api/tweets", None).await;
    for tweet in timeline.body["tweets"].as_array().unwrap() {
        assert_eq!(tweet["author"]["display_name"], "Tove J.", "{tweet}");
    }
    let one = app
        .get(&format!("/api/tweets/{}", before["id"]), None)
        .await;
    assert_eq!(one.body["author"]["display_name"], "Tove J.");
}

async fn tweet_count_follows_posts_and_deletes(app: &TestApp) {
    let (_, token) = app.user("ugo").await;
    let first = app.tweet(&token, "one").await;
    app.tweet(&token, "two").await;
    assert_eq!(app.get("/api/users/ugo", None).await.body["tweet_count"], 2);
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/tweets/{}", first["id"]),
            Some(&token),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/users/ugo", None).await.body["tweet_count"], 1);
    // Concurrent posts are stored in shared batches; each counts once.
    let posts = (0..10).map(|i| {
        let token = token.clone();
        async move { app.tweet(&token, &format!("burst {i}")).await }
    });
    futures_util::future::join_all(posts).await;
    assert_eq!(
        app.get("/api/users/ugo", None).await.body["tweet_count"],
        11
    );
}

/// The rule of tweets: no control characters (a NUL was a 500 on PostgreSQL and stored on
/// SQLite; ESC, BEL and C1 passed on both). A bio may break lines; a display name may not.
async fn patch_refuses_control_characters_and_changes_nothing(app: &TestApp) {
    let (_, token) = app.user("cora").await;
    let set = patch(app, &token, json!({"display_name": "Cora", "bio": "hi"})).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let cases = [
        ("display_name", "a\u{0}b", "invalid_display_name"),
        ("display_name", "\u{1b}[31mred", "invalid_display_name"),
        ("display_name", "ding\u{7}", "invalid_display_name"),
        ("display_name", "a\u{85}b", "invalid_display_name"),
        ("display_name", "Ada\nLovelace", "invalid_display_name"),
        ("display_name", "Ada\tLovelace", "invalid_display_name"),
        ("bio", "a\u{0}b", "invalid_bio"),
        ("bio", "\u{1b}[2J", "invalid_bio"),
        ("bio", "a\u{9b}b", "invalid_bio"),
        ("bio", "a\rb", "invalid_bio"),
    ];
    for (field, value, code) in cases {
        // The other field is valid: one bad field must still change nothing.
        let mut body = json!({"display_name": "Changed", "bio": "Changed"});
        body[field] = json!(value);
        let answer = patch(app, &token, body).await;
        answer.assert_error(400, code);
        assert_eq!(answer.body["error"]["field"], field, "{value:?}");
    }
    let profile = app.get("/api/users/cora", None).await;
    assert_eq!(profile.body["display_name"], "Cora");
    assert_eq!(profile.body["bio"], "hi");
    let lines = patch(app, &token, json!({"bio": "one\n\ttwo"})).await;
    assert_eq!(lines.status, StatusCode::OK, "{}", lines.text);
    assert_eq!(lines.body["bio"], "one\n\ttwo");
}
