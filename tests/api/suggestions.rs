//! `GET /api/suggestions`: the most-followed accounts, without the viewer and whom they
//! already follow, and its `limit` errors.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

crate::on_every_backend!(
    suggestions_are_the_most_followed_the_viewer_does_not_follow,
    suggestion_limit_errors
);

fn names(answer: &Value) -> Vec<String> {
    answer["users"]
        .as_array()
        .expect("users array")
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_owned())
        .collect()
}

async fn follow(app: &TestApp, token: &str, name: &str) {
    let answer = app
        .call(
            Method::PUT,
            &format!("/api/users/{name}/follow"),
            Some(token),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
}

async fn suggestions_are_the_most_followed_the_viewer_does_not_follow(app: &TestApp) {
    let (_, star) = app.user("star").await;
    let (_, known) = app.user("known").await;
    let (_, quiet) = app.user("quiet").await;
    let (_, newbie) = app.user("newbie").await;
    // star: 2 followers, known: 1, quiet and newbie: 0.
    follow(app, &known, "star").await;
    follow(app, &quiet, "star").await;
    follow(app, &star, "known").await;

    let fresh = app.get("/api/suggestions", Some(&newbie)).await;
    assert_eq!(fresh.status, StatusCode::OK, "{}", fresh.text);
    assert_eq!(
        names(&fresh.body),
        ["star", "known", "quiet"],
        "never yourself"
    );
    let first = &fresh.body["users"][0];
    assert_eq!(first["followers_count"], 2);
    assert_eq!(first["followed_by_me"], false);

    // Whom you follow is no suggestion any more; whom you are followed by still is.
    follow(app, &newbie, "star").await;
    let after = app.get("/api/suggestions?limit=1", Some(&newbie)).await;
    assert_eq!(names(&after.body), ["known"]);

    let anonymous = app.get("/api/suggestions?limit=2", None).await;
    assert_eq!(anonymous.status, StatusCode::OK, "{}", anonymous.text);
    assert_eq!(names(&anonymous.body), ["star", "known"]);
}

async fn suggestion_limit_errors(app: &TestApp) {
    for limit in ["0", "101", "-1", "ten", ""] {
        app.get(&format!("/api/suggestions?limit={limit}"), None)
            .await
            .assert_error(400, "invalid_query");
    }
    app.get("/api/suggestions", Some("not-a-token"))
        .await
        .assert_error(401, "unauthorized");
}
