//! The Mastodon client API: discovery, OAuth (apps, the three grants, PKCE, revocation,
//! scopes enforced), and the shapes and rules of accounts, statuses, timelines,
//! notifications and markers — over real HTTP, on both databases.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Answer, PASSWORD, TestApp};

crate::on_every_backend!(
    discovery_names_a_mastodon_compatible_server,
    password_grant_tokens_work_and_scopes_are_enforced,
    authorization_code_flow_with_pkce_issues_one_token_per_code,
    client_credentials_tokens_act_for_no_user,
    revoked_and_signed_out_tokens_stop_working,
    statuses_have_mastodon_shapes_and_html_content,
    idempotency_key_answers_the_first_post,
    timelines_page_with_absolute_link_headers,
    follows_blocks_and_relationships_keep_chirp_rules,
    notifications_list_dismiss_and_clear,
    markers_remember_where_reading_stopped,
    reports_reach_moderators,
    tag_timeline_and_search_use_chirp_search,
    malformed_input_is_answered_never_a_500,
    images_posted_through_chirp_are_media_attachments,
);

/// Register an app with `scopes`; answers (client_id, client_secret).
async fn register_app(app: &TestApp, scopes: &str, redirect: &str) -> (String, String) {
    let answer = app
        .post(
            "/api/v1/apps",
            json!({"client_name": "Test app", "redirect_uris": redirect, "scopes": scopes}),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["name"], "Test app");
    (
        answer.body["client_id"].as_str().unwrap().to_owned(),
        answer.body["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// A user's token with `scopes`, by the password grant.
pub async fn token(app: &TestApp, username: &str, scopes: &str) -> String {
    let (id, secret) = register_app(app, scopes, "urn:ietf:wg:oauth:2.0:oob").await;
    let answer = app
        .post(
            "/oauth/token",
            json!({"grant_type": "password", "client_id": id, "client_secret": secret,
                   "username": username, "password": PASSWORD, "scope": scopes}),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["token_type"], "Bearer");
    assert_eq!(answer.body["scope"], scopes);
    answer.body["access_token"].as_str().unwrap().to_owned()
}

/// A signed-up user and a full-scope Mastodon token for them.
pub async fn member(app: &TestApp, username: &str) -> (String, String) {
    let id = app.sign_up(username).await["id"].as_i64().unwrap();
    (
        id.to_string(),
        token(app, username, "read write follow").await,
    )
}

pub async fn form(
    app: &TestApp,
    path: &str,
    pairs: &[(&str, &str)],
    token: Option<&str>,
) -> Answer {
    let mut request = app.request(Method::POST, path).form(pairs);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    app.send(request).await
}

/// `POST /api/v1/accounts/{id}/{verb}` (follow, block, mute…) as `token`.
async fn act(app: &TestApp, id: &str, verb: &str, token: &str) -> Answer {
    let path = format!("/api/v1/accounts/{id}/{verb}");
    app.post(&path, json!({}), Some(token)).await
}

async fn status(app: &TestApp, token: &str, text: &str, reply_to: Option<&str>) -> Value {
    let mut body = json!({"status": text});
    if let Some(parent) = reply_to {
        body["in_reply_to_id"] = json!(parent);
    }
    let answer = app.post("/api/v1/statuses", body, Some(token)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body
}

async fn discovery_names_a_mastodon_compatible_server(app: &TestApp) {
    for path in ["/api/v1/instance", "/api/v1/instance/"] {
        let v1 = app.get(path, None).await;
        assert_eq!(v1.status, StatusCode::OK, "{}", v1.text);
        let version = v1.body["version"].as_str().unwrap();
        assert!(
            version.starts_with("4.3.0 (compatible; Chirp "),
            "{version}"
        );
        assert_eq!(v1.body["configuration"]["statuses"]["max_characters"], 280);
        assert_eq!(
            v1.body["configuration"]["statuses"]["max_media_attachments"],
            4
        );
        assert!(
            v1.body["urls"]["streaming_api"]
                .as_str()
                .unwrap()
                .starts_with("ws://")
        );
    }
    let v2 = app.get("/api/v2/instance/", None).await;
    assert_eq!(v2.body["configuration"]["statuses"]["max_characters"], 280);
    assert!(v2.body["configuration"]["urls"]["streaming"].is_string());
    assert_eq!(v2.body["registrations"]["enabled"], true);
    let links = app.get("/.well-known/nodeinfo", None).await;
    let href = links.body["links"][0]["href"].as_str().unwrap();
    assert!(href.ends_with("/nodeinfo/2.0"), "{href}");
    let info = app.get("/nodeinfo/2.0", None).await;
    assert_eq!(info.body["metadata"]["upstream"]["name"], "mastodon");
    let meta = app
        .get("/.well-known/oauth-authorization-server", None)
        .await;
    assert!(
        meta.body["token_endpoint"]
            .as_str()
            .unwrap()
            .ends_with("/oauth/token")
    );
    assert_eq!(
        meta.body["code_challenge_methods_supported"],
        json!(["S256"])
    );
}

async fn password_grant_tokens_work_and_scopes_are_enforced(app: &TestApp) {
    app.sign_up("ada").await;
    let read = token(app, "ada", "read").await;
    let me = app
        .get("/api/v1/accounts/verify_credentials", Some(&read))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.body["username"], "ada");
    assert_eq!(me.body["acct"], "ada");
    assert!(me.body["id"].is_string());
    assert_eq!(me.body["source"]["privacy"], "public");
    let refused = app
        .post("/api/v1/statuses", json!({"status": "hi"}), Some(&read))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert!(refused.body["error"].is_string());
    let home = app.get("/api/v1/timelines/home", Some(&read)).await;
    assert_eq!(home.status, StatusCode::OK);
    // The Mastodon token is not a Chirp session: Chirp's own API does not take it.
    app.get("/api/me", Some(&read))
        .await
        .assert_error(401, "unauthorized");
    let narrow = token(app, "ada", "write:statuses").await;
    let posted = app
        .post("/api/v1/statuses", json!({"status": "ok"}), Some(&narrow))
        .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    let unread = app.get("/api/v1/notifications", Some(&narrow)).await;
    assert_eq!(unread.status, StatusCode::FORBIDDEN);
    // Wrong password, unknown scope, scope beyond the app's.
    let (id, secret) = register_app(app, "read", "urn:ietf:wg:oauth:2.0:oob").await;
    let grant = |password: &str, scope: &str| {
        json!({"grant_type": "password", "client_id": id, "client_secret": secret,
               "username": "ada", "password": password, "scope": scope})
    };
    let wrong = app
        .post("/oauth/token", grant("nope nope nope", "read"), None)
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong.body["error"], "invalid_grant");
    let beyond = app
        .post("/oauth/token", grant(PASSWORD, "write"), None)
        .await;
    assert_eq!(beyond.body["error"], "invalid_scope");
    let bad_secret = app
        .post(
            "/oauth/token",
            json!({"grant_type": "password", "client_id": id, "client_secret": "x",
                   "username": "ada", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(bad_secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_secret.body["error"], "invalid_client");
    let no_token = app.get("/api/v1/accounts/verify_credentials", None).await;
    assert_eq!(no_token.status, StatusCode::UNAUTHORIZED);
    let bad_app = app
        .post(
            "/api/v1/apps",
            json!({"client_name": "x", "redirect_uris": "/relative"}),
            None,
        )
        .await;
    assert_eq!(
        bad_app.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_app.text
    );
}

/// The `code` of a redirect's `Location`.
fn code_of(answer: &Answer) -> String {
    let location = answer.headers["location"].to_str().unwrap();
    let query = location.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    assert!(
        pairs.iter().any(|(k, v)| k == "state" && v == "xyz"),
        "{location}"
    );
    pairs.into_iter().find(|(k, _)| k == "code").unwrap().1
}

async fn authorization_code_flow_with_pkce_issues_one_token_per_code(app: &TestApp) {
    app.sign_up("bob").await;
    let redirect = "https://app.example/callback";
    let (id, secret) = register_app(app, "read write", redirect).await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", redirect),
        ("scope", "read"),
        ("state", "xyz"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ])
    .unwrap();
    let page = app.get(&format!("/oauth/authorize?{query}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("Test app") && page.text.contains("name=\"password\""));
    assert_eq!(page.headers["x-frame-options"], "DENY");
    let unknown = app
        .get("/oauth/authorize?client_id=nope&response_type=code", None)
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let fields = [
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", redirect),
        ("scope", "read"),
        ("state", "xyz"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("username", "bob"),
    ];
    let submit = |password: &'static str, decision: &'static str| {
        let mut fields = fields.to_vec();
        fields.push(("password", password));
        fields.push(("decision", decision));
        client
            .post(format!("{}/oauth/authorize", app.base))
            .form(&fields)
    };
    let wrong = app.send(submit("wrong password!", "approve")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let denied = app.send(submit(PASSWORD, "deny")).await;
    assert_eq!(denied.status, StatusCode::FOUND);
    assert!(
        denied.headers["location"]
            .to_str()
            .unwrap()
            .contains("error=access_denied")
    );
    let approved = app.send(submit(PASSWORD, "approve")).await;
    assert_eq!(approved.status, StatusCode::FOUND, "{}", approved.text);
    let code = code_of(&approved);
    let exchange = |verifier: &str, code: &str| {
        json!({"grant_type": "authorization_code", "client_id": id, "client_secret": secret,
               "redirect_uri": redirect, "code": code, "code_verifier": verifier})
    };
    let bad = app
        .post("/oauth/token", exchange("not the verifier", &code), None)
        .await;
    assert_eq!(bad.body["error"], "invalid_grant", "{}", bad.text);
    // A code works once: the failed attempt above used it up.
    let again = app.send(submit(PASSWORD, "approve")).await;
    let code = code_of(&again);
    let good = app
        .post("/oauth/token", exchange(verifier, &code), None)
        .await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text);
    assert_eq!(good.body["scope"], "read");
    let token = good.body["access_token"].as_str().unwrap();
    let me = app
        .get("/api/v1/accounts/verify_credentials", Some(token))
        .await;
    assert_eq!(me.body["username"], "bob");
    let reused = app
        .post("/oauth/token", exchange(verifier, &code), None)
        .await;
    assert_eq!(reused.body["error"], "invalid_grant");
}

async fn client_credentials_tokens_act_for_no_user(app: &TestApp) {
    let (id, secret) = register_app(app, "read write", "urn:ietf:wg:oauth:2.0:oob").await;
    let answer = form(
        app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "read write"),
        ],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let token = answer.body["access_token"].as_str().unwrap();
    let verified = app
        .get("/api/v1/apps/verify_credentials", Some(token))
        .await;
    assert_eq!(verified.body["name"], "Test app");
    assert!(verified.body.get("client_secret").is_none());
    let me = app
        .get("/api/v1/accounts/verify_credentials", Some(token))
        .await;
    assert_eq!(me.status, StatusCode::UNPROCESSABLE_ENTITY);
    // An app token with write:accounts signs people up, answering their token.
    let made = app
        .post(
            "/api/v1/accounts",
            json!({"username": "newbie", "password": PASSWORD, "agreement": true, "locale": "en"}),
            Some(token),
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    let theirs = made.body["access_token"].as_str().unwrap();
    let me = app
        .get("/api/v1/accounts/verify_credentials", Some(theirs))
        .await;
    assert_eq!(me.body["username"], "newbie");
    let taken = app
        .post(
            "/api/v1/accounts",
            json!({"username": "NEWBIE", "password": PASSWORD}),
            Some(token),
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn revoked_and_signed_out_tokens_stop_working(app: &TestApp) {
    app.sign_up("cyd").await;
    let (id, secret) = register_app(app, "read", "urn:ietf:wg:oauth:2.0:oob").await;
    let grant = json!({"grant_type": "password", "client_id": id, "client_secret": secret,
                       "username": "cyd", "password": PASSWORD});
    let token = app.post("/oauth/token", grant.clone(), None).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoke = json!({"client_id": id, "client_secret": secret, "token": token});
    let answer = app.post("/oauth/revoke", revoke, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({}));
    let after = app
        .get("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    // A suspension ends Mastodon tokens as it ends sessions.
    let token = app.post("/oauth/token", grant, None).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.sign_up("mod").await;
    app.set_role("mod", chirp::domain::Role::Moderator).await;
    let moderator = app.sign_in("mod").await;
    app.suspend("cyd", &moderator).await;
    let after = app
        .get("/api/v1/accounts/verify_credentials", Some(&token))
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

async fn statuses_have_mastodon_shapes_and_html_content(app: &TestApp) {
    let (ada_id, ada) = member(app, "ada").await;
    let (_, bob) = member(app, "bob").await;
    let first = status(
        app,
        &ada,
        "<b>hi</b> @bob see https://example.com #Rust",
        None,
    )
    .await;
    assert!(first["id"].is_string());
    assert_eq!(first["account"]["id"], ada_id);
    let content = first["content"].as_str().unwrap();
    assert!(
        content.starts_with("<p>&lt;b&gt;hi&lt;/b&gt; "),
        "{content}"
    );
    assert!(
        content.contains("class=\"u-url mention\">@<span>bob</span></a>"),
        "{content}"
    );
    assert!(
        content.contains("<a href=\"https://example.com\""),
        "{content}"
    );
    assert!(
        content.contains("rel=\"tag\">#<span>Rust</span></a>"),
        "{content}"
    );
    for field in [
        "media_attachments",
        "emojis",
        "mentions",
        "tags",
        "filtered",
    ] {
        assert!(first[field].is_array(), "{field}");
    }
    assert_eq!(first["mentions"][0]["acct"], "bob");
    assert_eq!(first["tags"][0]["name"], "rust");
    assert_eq!(first["visibility"], "public");
    let id = first["id"].as_str().unwrap();
    let reply = status(app, &bob, "@ada agreed", Some(id)).await;
    assert_eq!(reply["in_reply_to_id"], id);
    assert_eq!(reply["in_reply_to_account_id"], ada_id);
    let reply_id = reply["id"].as_str().unwrap();
    let context = app
        .get(&format!("/api/v1/statuses/{reply_id}/context"), None)
        .await;
    assert_eq!(context.body["ancestors"][0]["id"], id);
    let context = app
        .get(&format!("/api/v1/statuses/{id}/context"), None)
        .await;
    assert_eq!(context.body["descendants"][0]["id"], reply_id);
    let faved = app
        .post(
            &format!("/api/v1/statuses/{id}/favourite"),
            json!({}),
            Some(&bob),
        )
        .await;
    assert_eq!(faved.status, StatusCode::OK, "{}", faved.text);
    assert_eq!(faved.body["favourited"], true);
    assert_eq!(faved.body["favourites_count"], 1);
    let by = app
        .get(&format!("/api/v1/statuses/{id}/favourited_by"), None)
        .await;
    assert_eq!(by.body[0]["username"], "bob");
    let unfaved = form(
        app,
        &format!("/api/v1/statuses/{id}/unfavourite"),
        &[],
        Some(&bob),
    )
    .await;
    assert_eq!(unfaved.body["favourites_count"], 0);
    let shown = app.get(&format!("/api/v1/statuses/{id}"), None).await;
    assert_eq!(shown.body["replies_count"], 1);
    // Not hers: 403; hers: the deleted status with its text.
    let theirs = app
        .call(
            Method::DELETE,
            &format!("/api/v1/statuses/{id}"),
            Some(&bob),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/statuses/{id}"),
            Some(&ada),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert_eq!(
        deleted.body["text"],
        "<b>hi</b> @bob see https://example.com #Rust"
    );
    let gone = app.get(&format!("/api/v1/statuses/{id}"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.body["error"], "Record not found");
    // What Chirp cannot publish as asked is refused, not published otherwise.
    for body in [
        json!({"status": "secret", "visibility": "direct"}),
        json!({"status": "cw", "spoiler_text": "spoilers"}),
        json!({"status": ""}),
        json!({"status": "x".repeat(281)}),
    ] {
        let refused = app.post("/api/v1/statuses", body, Some(&ada)).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text
        );
    }
    let orphan = app
        .post(
            "/api/v1/statuses",
            json!({"status": "x", "in_reply_to_id": "999999"}),
            Some(&ada),
        )
        .await;
    assert_eq!(orphan.status, StatusCode::NOT_FOUND);
    // Form-encoded, as Mastodon.py sends it.
    let posted = form(
        app,
        "/api/v1/statuses",
        &[("status", "from a form")],
        Some(&ada),
    )
    .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    assert_eq!(posted.body["content"], "<p>from a form</p>");
    // The same record through Chirp's API.
    let chirp = app
        .get(
            &format!("/api/tweets/{}", posted.body["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(chirp.body["text"], "from a form");
}

async fn idempotency_key_answers_the_first_post(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let post = || {
        app.request(Method::POST, "/api/v1/statuses")
            .bearer_auth(&ada)
            .header("Idempotency-Key", "abc-123")
            .json(&json!({"status": "only once"}))
    };
    let (a, b) = tokio::join!(app.send(post()), app.send(post()));
    let c = app.send(post()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    assert_eq!(a.body["id"], b.body["id"]);
    assert_eq!(a.body["id"], c.body["id"]);
    let tweets = app.get("/api/tweets", None).await;
    assert_eq!(tweets.body["tweets"].as_array().unwrap().len(), 1);
}

async fn timelines_page_with_absolute_link_headers(app: &TestApp) {
    let (ada_id, ada) = member(app, "ada").await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            status(app, &ada, &format!("post {n}"), None).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let page = app.get("/api/v1/timelines/public?limit=2", None).await;
    let got: Vec<&str> = page
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[4].as_str(), ids[3].as_str()]);
    let link = page.headers["link"].to_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "<{}/api/v1/timelines/public?limit=2&max_id={}>; rel=\"next\"",
            app.base, ids[3]
        )),
        "{link}"
    );
    assert!(
        link.contains(&format!("min_id={}>; rel=\"prev\"", ids[4])),
        "{link}"
    );
    let next = app
        .get(
            &format!("/api/v1/timelines/public?limit=2&max_id={}", ids[3]),
            None,
        )
        .await;
    assert_eq!(next.body[0]["id"], ids[2].as_str());
    let newer = app
        .get(
            &format!("/api/v1/timelines/public?limit=2&min_id={}", ids[0]),
            None,
        )
        .await;
    let got: Vec<&str> = newer
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[1].as_str()]);
    let since = app
        .get(
            &format!("/api/v1/timelines/public?limit=2&since_id={}", ids[0]),
            None,
        )
        .await;
    assert_eq!(since.body[0]["id"], ids[4].as_str());
    let home = app.get("/api/v1/timelines/home?limit=3", Some(&ada)).await;
    assert_eq!(home.body.as_array().unwrap().len(), 3);
    let own = app
        .get(&format!("/api/v1/accounts/{ada_id}/statuses?limit=1"), None)
        .await;
    assert_eq!(own.body[0]["id"], ids[4].as_str());
    let bad = app.get("/api/v1/timelines/public?max_id=abc", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let empty = app
        .get(&format!("/api/v1/timelines/public?min_id={}", ids[4]), None)
        .await;
    assert_eq!(empty.body, json!([]));
    assert!(empty.headers.get("link").is_none());
}

async fn follows_blocks_and_relationships_keep_chirp_rules(app: &TestApp) {
    let (ada_id, ada) = member(app, "ada").await;
    let (bob_id, bob) = member(app, "bob").await;
    let followed = act(app, &bob_id, "follow", &ada).await;
    assert_eq!(followed.status, StatusCode::OK, "{}", followed.text);
    assert_eq!(followed.body["following"], true);
    assert_eq!(followed.body["id"], bob_id);
    let rel = app
        .get(
            &format!("/api/v1/accounts/relationships?id[]={bob_id}"),
            Some(&ada),
        )
        .await;
    assert_eq!(rel.body[0]["following"], true);
    let followers = app
        .get(&format!("/api/v1/accounts/{bob_id}/followers"), None)
        .await;
    assert_eq!(followers.body[0]["id"], ada_id);
    let following = app
        .get(&format!("/api/v1/accounts/{ada_id}/following"), None)
        .await;
    assert_eq!(following.body[0]["username"], "bob");
    let looked = app.get("/api/v1/accounts/lookup?acct=BOB", None).await;
    assert_eq!(looked.body["id"], bob_id);
    assert_eq!(looked.body["followers_count"], 1);
    let own = act(app, &ada_id, "follow", &ada).await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    let blocked = act(app, &ada_id, "block", &bob).await;
    assert_eq!(blocked.body["blocking"], true);
    let profile = app
        .get(&format!("/api/v1/accounts/{bob_id}"), Some(&ada))
        .await;
    assert_eq!(
        profile.body["followers_count"], 0,
        "a block removes follows"
    );
    let refused = act(app, &bob_id, "follow", &ada).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let muted = act(app, &ada_id, "mute", &bob).await;
    assert_eq!(muted.body["muting"], true);
    let updated = app
        .send(
            app.request(Method::PATCH, "/api/v1/accounts/update_credentials")
                .bearer_auth(&ada)
                .form(&[("display_name", "Ada L."), ("note", "Hi <there>")]),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["display_name"], "Ada L.");
    assert_eq!(updated.body["note"], "<p>Hi &lt;there&gt;</p>");
    assert_eq!(updated.body["source"]["note"], "Hi <there>");
    let missing = app.get("/api/v1/accounts/999999", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

async fn notifications_list_dismiss_and_clear(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let (bob_id, bob) = member(app, "bob").await;
    act(app, &bob_id, "follow", &ada).await;
    let post = status(app, &bob, "hello", None).await;
    let id = post["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/statuses/{id}/favourite"),
        json!({}),
        Some(&ada),
    )
    .await;
    status(app, &ada, "@bob hi", Some(id)).await;
    let list = app.get("/api/v1/notifications", Some(&bob)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    let types: Vec<&str> = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["mention", "favourite", "follow"]);
    assert_eq!(list.body[1]["status"]["id"], id);
    assert_eq!(list.body[2]["account"]["username"], "ada");
    let only = app
        .get("/api/v1/notifications?types[]=follow", Some(&bob))
        .await;
    assert_eq!(only.body.as_array().unwrap().len(), 1);
    let except = app
        .get("/api/v1/notifications?exclude_types[]=mention", Some(&bob))
        .await;
    assert_eq!(except.body.as_array().unwrap().len(), 2);
    // The next page keeps the filters: one at a time, `favourite` then `follow`, never the
    // mention.
    let first_page = app
        .get(
            "/api/v1/notifications?exclude_types[]=mention&limit=1",
            Some(&bob),
        )
        .await;
    assert_eq!(first_page.body[0]["type"], "favourite");
    let link = first_page.headers["link"].to_str().unwrap();
    let next = link
        .split(", ")
        .find(|l| l.ends_with("rel=\"next\""))
        .and_then(|l| l.strip_prefix('<'))
        .and_then(|l| l.split('>').next())
        .unwrap();
    assert!(next.contains("exclude_types%5B%5D=mention"), "{link}");
    let path = next.strip_prefix(app.base.as_str()).unwrap();
    let second_page = app.get(path, Some(&bob)).await;
    assert_eq!(
        second_page.body[0]["type"], "follow",
        "{}",
        second_page.text
    );
    let first = list.body[0]["id"].as_str().unwrap();
    let one = app
        .get(&format!("/api/v1/notifications/{first}"), Some(&bob))
        .await;
    assert_eq!(one.body["type"], "mention");
    let dismissed = app
        .post(
            &format!("/api/v1/notifications/{first}/dismiss"),
            json!({}),
            Some(&bob),
        )
        .await;
    assert_eq!(dismissed.status, StatusCode::OK);
    assert_eq!(dismissed.body, json!({}));
    let left = app.get("/api/v1/notifications", Some(&bob)).await;
    assert_eq!(left.body.as_array().unwrap().len(), 2);
    let theirs = app
        .post(
            &format!("/api/v1/notifications/{first}/dismiss"),
            json!({}),
            Some(&ada),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let cleared = app
        .post("/api/v1/notifications/clear", json!({}), Some(&bob))
        .await;
    assert_eq!(cleared.body, json!({}));
    let none = app.get("/api/v1/notifications", Some(&bob)).await;
    assert_eq!(none.body, json!([]));
    let chirp_token = app.sign_in("bob").await;
    let chirp = app.get("/api/notifications", Some(&chirp_token)).await;
    assert_eq!(chirp.body["unread_count"], 0);
    assert_eq!(chirp.body["notifications"], json!([]));
}

async fn markers_remember_where_reading_stopped(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let set = form(
        app,
        "/api/v1/markers",
        &[("home[last_read_id]", "42")],
        Some(&ada),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.body["home"]["last_read_id"], "42");
    assert_eq!(set.body["home"]["version"], 1);
    let again = app
        .post(
            "/api/v1/markers",
            json!({"home": {"last_read_id": "43"}}),
            Some(&ada),
        )
        .await;
    assert_eq!(again.body["home"]["version"], 2);
    let shown = app.get("/api/v1/markers?timeline[]=home", Some(&ada)).await;
    assert_eq!(shown.body["home"]["last_read_id"], "43");
    assert!(shown.body.get("notifications").is_none());
}

async fn reports_reach_moderators(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let (bob_id, bob) = member(app, "bob").await;
    app.sign_up("mod").await;
    app.set_role("mod", chirp::domain::Role::Moderator).await;
    let post = status(app, &bob, "spam spam", None).await;
    let report = app
        .post(
            "/api/v1/reports",
            json!({"account_id": bob_id, "status_ids": [post["id"]], "category": "spam", "comment": "buy now"}),
            Some(&ada),
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.text);
    assert_eq!(report.body["target_account"]["id"], bob_id);
    let moderator = app.sign_in("mod").await;
    let open = app.get("/api/admin/reports", Some(&moderator)).await;
    assert_eq!(open.body["reports"][0]["reason"], "buy now");
    let mine = status(app, &ada, "mine", None).await;
    let wrong = app
        .post(
            "/api/v1/reports",
            json!({"account_id": bob_id, "status_ids": [mine["id"]]}),
            Some(&ada),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn tag_timeline_and_search_use_chirp_search(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let (_, bob) = member(app, "bob").await;
    let tagged = status(app, &ada, "Learning #Rust today, café time", None).await;
    status(app, &bob, "nothing to see", None).await;
    assert_eq!(tagged["tags"][0]["name"], "rust");
    let content = tagged["content"].as_str().unwrap();
    assert!(
        content
            .contains("/tags/rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a>"),
        "{content}"
    );
    let tag = app.get("/api/v1/timelines/tag/RUST", None).await;
    assert_eq!(tag.status, StatusCode::OK, "{}", tag.text);
    assert_eq!(tag.body.as_array().unwrap().len(), 1);
    assert_eq!(tag.body[0]["id"], tagged["id"]);
    assert!(
        tag.headers["link"]
            .to_str()
            .unwrap()
            .contains("/api/v1/timelines/tag/rust?")
    );
    let none = app.get("/api/v1/timelines/tag/123", None).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    let found = app.get("/api/v2/search?q=cafe", Some(&bob)).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(found.body["statuses"][0]["id"], tagged["id"]);
    let people = app.get("/api/v2/search?q=ad&type=accounts", None).await;
    assert_eq!(people.body["accounts"][0]["username"], "ada");
    assert_eq!(people.body["statuses"], json!([]));
    let tags = app
        .get("/api/v2/search?q=%23Rust&type=hashtags", None)
        .await;
    assert_eq!(tags.body["hashtags"][0]["name"], "rust");
    // A block hides the blocker's statuses from the blocked, as in Chirp's search.
    let ada_id = app.get("/api/v1/accounts/lookup?acct=ada", None).await.body["id"].clone();
    app.post(
        &format!("/api/v1/accounts/{}/block", ada_id.as_str().unwrap()),
        json!({}),
        Some(&bob),
    )
    .await;
    let hidden = app
        .get("/api/v2/search?q=cafe&type=statuses", Some(&bob))
        .await;
    assert_eq!(hidden.body["statuses"], json!([]));
    let empty = app.get("/api/v2/search?q=", None).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Junk of every kind at the OAuth and write endpoints: each answer is a clear 4xx (or a
/// success for what happens to be valid), never a 5xx, and the server keeps serving.
async fn malformed_input_is_answered_never_a_500(app: &TestApp) {
    let (_, token) = member(app, "ada").await;
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"{".to_vec()),
        ("application/json", b"[1,2]".to_vec()),
        (
            "application/json",
            b"{\"status\": {\"a\": 1}, \"grant_type\": 7}".to_vec(),
        ),
        (
            "application/json",
            b"{\"in_reply_to_id\": \"-1\", \"status\": \"x\"}".to_vec(),
        ),
        ("application/x-www-form-urlencoded", b"%%%&&&==".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"status=\x00&scope=read%00".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"grant_type=authorization_code&code=&client_id=".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"redirect_uris[]=a&redirect_uris[]=b:&client_name=x".to_vec(),
        ),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nnonsense".to_vec(),
        ),
        ("multipart/form-data", b"no boundary".to_vec()),
        ("text/plain", b"hello".to_vec()),
        // PostgreSQL refuses U+0000 in text: nothing may reach it unchecked.
        (
            "application/json",
            b"{\"client_name\": \"a\\u0000b\", \"redirect_uris\": \"urn:ietf:wg:oauth:2.0:oob\"}"
                .to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"grant_type=password&client_id=a%00b&client_secret=%00&username=a%00&comment=%00"
                .to_vec(),
        ),
        ("application/json", vec![b'a'; 100_000]),
    ];
    let paths = [
        "/api/v1/apps",
        "/oauth/token",
        "/oauth/revoke",
        "/oauth/authorize",
        "/api/v1/statuses",
        "/api/v1/accounts",
        "/api/v1/markers",
        "/api/v1/reports",
        "/api/v1/accounts/1/mute",
        "/api/v1/statuses/99999999999999999999/favourite",
    ];
    for path in paths {
        for (kind, body) in &bodies {
            for auth in [None, Some(token.as_str())] {
                let mut request = app
                    .request(Method::POST, path)
                    .header("content-type", *kind)
                    .body(body.clone());
                if let Some(token) = auth {
                    request = request.bearer_auth(token);
                }
                let answer = app.send(request).await;
                assert!(
                    answer.status.as_u16() < 500,
                    "{path} {kind}: {} {}",
                    answer.status,
                    answer.text
                );
            }
        }
    }
    let queries = [
        "/api/v1/timelines/public?limit=-5&max_id=%00",
        "/api/v1/timelines/public?since_id=1&min_id=2&max_id=3",
        "/api/v1/accounts/abc",
        "/api/v1/accounts/1/statuses?exclude_replies=maybe",
        "/oauth/authorize?client_id=%FF",
        "/oauth/authorize?client_id=a%00b&response_type=code",
        "/api/v1/accounts/lookup?acct=a%00b",
        "/api/v1/streaming/hashtag?tag=%23",
        "/api/v1/streaming",
        "/api/v2/search?q=%00",
        "/api/v1/notifications?types[]=x&limit=1000",
    ];
    for path in queries {
        let answer = app.get(path, Some(&token)).await;
        assert!(
            answer.status.as_u16() < 500,
            "{path}: {} {}",
            answer.status,
            answer.text
        );
    }
    let alive = app.get("/api/v1/instance", None).await;
    assert_eq!(alive.status, StatusCode::OK);
}

async fn images_posted_through_chirp_are_media_attachments(app: &TestApp) {
    use crate::media_files::{jpeg, upload};
    app.sign_up("ada").await;
    let chirp = app.sign_in("ada").await;
    let image = upload(app, &chirp, jpeg(30, 20)).await.body;
    let posted = app
        .post(
            "/api/tweets",
            json!({"text": "look", "media_ids": [image["id"]]}),
            Some(&chirp),
        )
        .await;
    let id = posted.body["id"].as_i64().unwrap();
    let status = app.get(&format!("/api/v1/statuses/{id}"), None).await;
    let media = &status.body["media_attachments"][0];
    assert_eq!(media["id"], image["id"].as_i64().unwrap().to_string());
    assert_eq!(media["type"], "image");
    assert_eq!(media["meta"]["original"]["width"], 30);
    assert_eq!(media["blurhash"], image["blurhash"]);
    let url = media["url"].as_str().unwrap();
    assert!(url.starts_with("http"), "{url}");
    let file = app.client.get(url).send().await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
}
