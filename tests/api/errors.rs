//! Bad requests of every kind get the contract's error shape and status, never a 500.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

crate::on_every_backend!(
    bodies_must_be_json_of_the_right_shape,
    bodies_over_16_kib_are_refused,
    unknown_api_paths_and_methods_answer_json,
    unknown_fields_and_wrong_shapes_are_refused_naming_the_field,
);

async fn bodies_must_be_json_of_the_right_shape(app: &TestApp) {
    let (_, token) = app.user("xena").await;
    let no_type = app
        .request(Method::POST, "/api/users")
        .body(r#"{"username":"a","password":"b"}"#);
    app.send(no_type)
        .await
        .assert_error(415, "unsupported_media_type");
    let form = app
        .request(Method::POST, "/api/tweets")
        .bearer_auth(&token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("text=hi");
    app.send(form)
        .await
        .assert_error(415, "unsupported_media_type");
    for body in ["{", "not json", r#"{"text": 5}"#, r#"{"text": null}"#, ""] {
        let bad = app
            .request(Method::POST, "/api/tweets")
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body);
        app.send(bad).await.assert_error(400, "invalid_json");
    }
    let wrong_types = app
        .post(
            "/api/users",
            json!({"username": 12, "password": true}),
            None,
        )
        .await;
    wrong_types.assert_error(400, "invalid_json");
    assert_eq!(
        wrong_types.body["error"]["message"],
        "The field `password` in the request body is wrong: invalid type: boolean `true`, expected a string."
    );
    // One plain sentence: where the syntax error is, not the parser's name for the rejection.
    for (body, message) in [
        ("", "The request body is empty; send a JSON object."),
        (
            "{\"text\": \"hi\",\n}",
            "The request body is not valid JSON: trailing comma (line 2, column 1).",
        ),
        (
            "{\"text\": \"hi\"",
            "The request body is not valid JSON: it ends too early (line 1, column 13).",
        ),
    ] {
        let bad = app
            .request(Method::POST, "/api/tweets")
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body);
        let res = app.send(bad).await;
        res.assert_error(400, "invalid_json");
        assert_eq!(res.body["error"]["message"], message, "body {body:?}");
    }
}

async fn bodies_over_16_kib_are_refused(app: &TestApp) {
    let (_, token) = app.user("yuri").await;
    let huge = json!({"text": "a".repeat(17 * 1024)});
    app.post("/api/tweets", huge.clone(), Some(&token))
        .await
        .assert_error(413, "payload_too_large");
    app.post(
        "/api/users",
        json!({"username": "zed", "password": "p".repeat(20_000)}),
        None,
    )
    .await
    .assert_error(413, "payload_too_large");
    // Without a Content-Length header (chunked), the limit still holds.
    let stream = futures_util::stream::iter(
        (0..20).map(|_| Ok::<_, std::io::Error>(bytes_of(&"b".repeat(1024)))),
    );
    let chunked = app
        .request(Method::POST, "/api/tweets")
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream));
    app.send(chunked)
        .await
        .assert_error(413, "payload_too_large");
}

fn bytes_of(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

async fn unknown_api_paths_and_methods_answer_json(app: &TestApp) {
    app.get("/api/nothing", None)
        .await
        .assert_error(404, "not_found");
    app.get("/api", None).await.assert_error(404, "not_found");
    app.call(Method::PATCH, "/api/tweets", None)
        .await
        .assert_error(405, "method_not_allowed");
    app.call(Method::PUT, "/api/users", None)
        .await
        .assert_error(405, "method_not_allowed");
    // A page nobody serves is the web app's 404 (tests/api/site.rs); other methods JSON.
    app.call(Method::POST, "/no/such/page", None)
        .await
        .assert_error(404, "not_found");
}

/// A misspelt field or a body of the wrong shape was read as something else: marking
/// everything read, posting a top-level tweet, a PATCH that changed nothing. Each is now a
/// 400 `invalid_json` naming the field, and nothing happens.
async fn unknown_fields_and_wrong_shapes_are_refused_naming_the_field(app: &TestApp) {
    let (_, ada) = app.user("ada").await;
    let (_, bob) = app.user("bob").await;
    let followed = app
        .call(Method::PUT, "/api/users/ada/follow", Some(&bob))
        .await;
    assert_eq!(followed.status, 200, "{}", followed.text);
    let unread =
        || async { app.get("/api/notifications", Some(&ada)).await.body["unread_count"].clone() };
    assert_eq!(unread().await, 1);
    let mark = |body: serde_json::Value| app.post("/api/notifications/read", body, Some(&ada));
    for (body, field) in [
        (json!({"upto": 1_000_000}), Some("upto")),
        (json!({"up_to": null}), Some("up_to")),
        (json!({"up_to": "9"}), Some("up_to")),
        (json!({"up_to": 1.5}), Some("up_to")),
        (json!([]), None),
        (json!([5]), None),
        (json!("all"), None),
        (json!(null), None),
    ] {
        let answer = mark(body.clone()).await;
        answer.assert_error(400, "invalid_json");
        match field {
            Some(field) => assert_eq!(answer.body["error"]["field"], field, "{body}"),
            None => assert!(answer.body["error"].get("field").is_none(), "{body}"),
        }
    }
    assert_eq!(unread().await, 1, "nothing was marked read");

    let reply = app
        .post(
            "/api/tweets",
            json!({"text": "x", "replyto": 1}),
            Some(&ada),
        )
        .await;
    reply.assert_error(400, "invalid_json");
    assert_eq!(reply.body["error"]["field"], "replyto");
    assert!(
        app.ids("/api/tweets").await.is_empty(),
        "no tweet was posted"
    );

    let patch = app
        .send(
            app.request(Method::PATCH, "/api/me")
                .bearer_auth(&ada)
                .json(&json!({"displayname": "Ada L."})),
        )
        .await;
    patch.assert_error(400, "invalid_json");
    assert_eq!(patch.body["error"]["field"], "displayname");

    let sign_up = app
        .post(
            "/api/users",
            json!({"username": "cyd", "password": "correct horse battery", "admin": true}),
            None,
        )
        .await;
    sign_up.assert_error(400, "invalid_json");
    assert_eq!(sign_up.body["error"]["field"], "admin");
    let sign_in = app
        .post(
            "/api/sessions",
            json!({"username": "ada", "pasword": "correct horse battery"}),
            None,
        )
        .await;
    sign_in.assert_error(400, "invalid_json");
    assert_eq!(sign_in.body["error"]["field"], "pasword");

    // `{}` still means "all", as the contract says.
    assert_eq!(mark(json!({})).await.status, 204);
    assert_eq!(unread().await, 0);
}
