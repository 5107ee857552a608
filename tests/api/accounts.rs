//! Sign-up and `GET /api/me`.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

crate::on_every_backend!(
    sign_up_answers_the_new_user,
    sign_up_refuses_invalid_usernames,
    sign_up_refuses_bad_password_lengths,
    usernames_are_unique_ignoring_case,
    me_answers_the_signed_in_user,
    user_timeline_of_unknown_user_is_404,
);

async fn sign_up_answers_the_new_user(app: &TestApp) {
    let user = app.sign_up("Ada_Lovelace").await;
    assert!(user["id"].as_i64().unwrap() > 0);
    assert_eq!(user["username"], "Ada_Lovelace");
    let created = user["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
}

async fn sign_up_refuses_invalid_usernames(app: &TestApp) {
    for bad in [
        "ab",
        "a_name_that_is_too_long",
        "no spaces",
        "dash-es",
        "ünï",
        "",
    ] {
        let answer = app
            .post(
                "/api/users",
                json!({"username": bad, "password": PASSWORD}),
                None,
            )
            .await;
        answer.assert_error(400, "invalid_username");
        assert_eq!(answer.body["error"]["field"], "username");
    }
    let missing = app
        .post("/api/users", json!({"password": PASSWORD}), None)
        .await;
    missing.assert_error(400, "invalid_username");
}

async fn sign_up_refuses_bad_password_lengths(app: &TestApp) {
    for bad in ["short".to_owned(), "x".repeat(129)] {
        let answer = app
            .post(
                "/api/users",
                json!({"username": "bob", "password": bad}),
                None,
            )
            .await;
        answer.assert_error(400, "invalid_password");
        assert_eq!(answer.body["error"]["field"], "password");
    }
    let answer = app
        .post(
            "/api/users",
            json!({"username": "bob", "password": "é".repeat(128)}),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
}

async fn usernames_are_unique_ignoring_case(app: &TestApp) {
    app.sign_up("carol").await;
    for taken in ["carol", "CAROL", "Carol"] {
        let answer = app
            .post(
                "/api/users",
                json!({"username": taken, "password": PASSWORD}),
                None,
            )
            .await;
        answer.assert_error(409, "username_taken");
    }
}

async fn me_answers_the_signed_in_user(app: &TestApp) {
    let (id, token) = app.user("dave").await;
    let me = app.get("/api/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], id);
    assert_eq!(me.body["username"], "dave");
    app.get("/api/me", None)
        .await
        .assert_error(401, "unauthorized");
    app.get("/api/me", Some("not-a-token"))
        .await
        .assert_error(401, "unauthorized");
    let malformed = app
        .request(Method::GET, "/api/me")
        .header("authorization", "Basic Zm9vOmJhcg==");
    app.send(malformed).await.assert_error(401, "unauthorized");
}

async fn user_timeline_of_unknown_user_is_404(app: &TestApp) {
    app.get("/api/users/nobody/tweets", None)
        .await
        .assert_error(404, "not_found");
    app.get("/api/users/%3Cscript%3E/tweets", None)
        .await
        .assert_error(404, "not_found");
}
