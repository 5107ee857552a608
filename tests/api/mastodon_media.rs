//! The Mastodon API's media: uploads (`POST /api/v2/media`, `/api/v1/media`) answered as
//! `MediaAttachment`s, reading and describing them (`GET`/`PUT /api/v1/media/:id`) while no
//! status carries them, `media_ids` on statuses, and every refusal in Mastodon's shape —
//! over real HTTP, on both databases.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Answer, Backend, TestApp, spawn_app_with};
use crate::mastodon::{form, member, token};
use crate::media::wait_until_gone;
use crate::media_files::{jpeg, png_bomb, transparent_png};

crate::on_every_backend!(
    uploads_are_media_attachments_that_statuses_carry,
    media_can_be_read_and_described_by_its_owner_until_attached,
    media_ids_are_up_to_four_of_your_own_free_uploads,
    an_idempotent_retry_with_media_answers_the_first_status,
    uploads_refuse_what_is_not_an_image_in_mastodon_shape,
    media_needs_the_write_media_scope,
    only_media_pages_through_statuses_with_images,
    uploads_past_the_usual_body_limits_are_taken,
);

/// `POST path` (an upload route) with `bytes` as the `file` part.
async fn upload_to(
    app: &TestApp,
    path: &str,
    token: &str,
    bytes: Vec<u8>,
    description: Option<&str>,
) -> Answer {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("image.png")
        .mime_str("image/png")
        .unwrap();
    let mut body = reqwest::multipart::Form::new()
        .part("file", part)
        .text("focus", "0.5,-0.25");
    if let Some(text) = description {
        body = body.text("description", text.to_owned());
    }
    app.send(
        app.request(Method::POST, path)
            .bearer_auth(token)
            .multipart(body),
    )
    .await
}

/// Upload through `POST /api/v2/media`; the attachment.
async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>) -> Value {
    let answer = upload_to(app, "/api/v2/media", token, bytes, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body
}

/// Assert a Mastodon error: `status`, and `{"error": "…"}` with a sentence.
#[track_caller]
fn refused(answer: &Answer, status: u16) {
    assert_eq!(answer.status.as_u16(), status, "{}", answer.text);
    assert!(
        answer.body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{}",
        answer.text
    );
}

async fn post_status(app: &TestApp, token: &str, body: Value) -> Answer {
    app.post("/api/v1/statuses", body, Some(token)).await
}

async fn put_media(app: &TestApp, id: &str, token: &str, body: Value) -> Answer {
    let path = format!("/api/v1/media/{id}");
    app.send(
        app.request(Method::PUT, &path)
            .bearer_auth(token)
            .json(&body),
    )
    .await
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("a string id").to_owned()
}

async fn uploads_are_media_attachments_that_statuses_carry(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let answer = upload_to(
        app,
        "/api/v2/media",
        &ada,
        transparent_png(60, 40),
        Some("  a half-red square "),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let first = answer.body;
    let id: i64 = id_of(&first).parse().unwrap();
    assert!(id > 0);
    assert_eq!(first["type"], "image");
    assert_eq!(first["remote_url"], Value::Null);
    assert_eq!(first["description"], "a half-red square");
    assert_eq!(first["meta"]["original"]["width"], 60);
    assert_eq!(first["meta"]["original"]["height"], 40);
    assert_eq!(first["meta"]["original"]["size"], "60x40");
    assert_eq!(first["meta"]["original"]["aspect"], 1.5);
    assert_eq!(first["meta"]["small"]["width"], 60);
    assert!(first["blurhash"].as_str().unwrap().len() >= 6);
    let url = first["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/media/", app.base)), "{url}");
    let file = app.client.get(url).send().await.unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
    let image = image::load_from_memory(&file.bytes().await.unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (60, 40));
    let preview = app
        .client
        .get(first["preview_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(preview.status(), StatusCode::OK);

    // The older synchronous route answers the same entity.
    let answer = upload_to(app, "/api/v1/media", &ada, jpeg(30, 20), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let second = answer.body;
    assert_eq!(second["description"], Value::Null);
    assert!(second["url"].as_str().unwrap().starts_with("http"));

    // A form-encoded post (as Mastodon.py sends it) with images and no text.
    let posted = form(
        app,
        "/api/v1/statuses",
        &[
            ("status", ""),
            ("media_ids[]", &id_of(&second)),
            ("media_ids[]", &id_of(&first)),
            ("sensitive", "0"),
        ],
        Some(&ada),
    )
    .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    let status_id = id_of(&posted.body);
    let carried: Vec<String> = posted.body["media_attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(carried, [id_of(&second), id_of(&first)]);
    assert_eq!(posted.body["content"], "");
    assert_eq!(
        posted.body["media_attachments"][1]["description"],
        "a half-red square"
    );
    // Read back through both APIs, and in a timeline.
    let shown = app
        .get(&format!("/api/v1/statuses/{status_id}"), None)
        .await;
    assert_eq!(
        shown.body["media_attachments"],
        posted.body["media_attachments"]
    );
    let public = app.get("/api/v1/timelines/public", None).await;
    assert_eq!(
        public.body[0]["media_attachments"],
        posted.body["media_attachments"]
    );
    let chirp = app.get(&format!("/api/tweets/{status_id}"), None).await;
    assert_eq!(
        chirp.body["media"][0]["id"],
        id_of(&second).parse::<i64>().unwrap()
    );

    // A JSON post (as masto.js sends it), with text beside the image.
    let third = upload(app, &ada, jpeg(10, 10)).await;
    let posted = post_status(
        app,
        &ada,
        json!({"status": "with words", "media_ids": [id_of(&third)]}),
    )
    .await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    assert_eq!(posted.body["media_attachments"][0]["id"], third["id"]);

    // Deleting a status through this API removes its files, as through Chirp's own.
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/statuses/{status_id}"),
            Some(&ada),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.text);
    assert!(wait_until_gone(app, url.trim_start_matches(&app.base)).await);
}

async fn media_can_be_read_and_described_by_its_owner_until_attached(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let (_, bob) = member(app, "bob").await;
    let media = upload(app, &ada, jpeg(20, 20)).await;
    let id = id_of(&media);
    let path = format!("/api/v1/media/{id}");
    let read = app.get(&path, Some(&ada)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.body, media);
    // Another account's, or none at all: 404.
    refused(&app.get(&path, Some(&bob)).await, 404);
    refused(&app.get("/api/v1/media/999999", Some(&ada)).await, 404);
    refused(&app.get("/api/v1/media/nope", Some(&ada)).await, 404);
    refused(
        &put_media(app, &id, &bob, json!({"description": "mine now"})).await,
        404,
    );

    // Described as JSON, then as a form (Mastodon.py); `focus` is taken and ignored.
    let described = put_media(
        app,
        &id,
        &ada,
        json!({"description": "a gradient", "focus": "0,0"}),
    )
    .await;
    assert_eq!(described.status, StatusCode::OK, "{}", described.text);
    assert_eq!(described.body["description"], "a gradient");
    assert_eq!(described.body["url"], media["url"]);
    let again = app
        .send(
            app.request(Method::PUT, &path)
                .bearer_auth(&ada)
                .form(&[("description", "a gradient, again")]),
        )
        .await;
    assert_eq!(again.body["description"], "a gradient, again");
    assert_eq!(
        app.get(&path, Some(&ada)).await.body["description"],
        "a gradient, again"
    );
    // Without a description it is left as it is; too long is refused.
    let kept = put_media(app, &id, &ada, json!({"focus": "0.1,0.1"})).await;
    assert_eq!(kept.body["description"], "a gradient, again");
    refused(
        &put_media(app, &id, &ada, json!({"description": "é".repeat(1501)})).await,
        422,
    );

    // Once a status carries it, it is no longer an upload to read or change (as Mastodon).
    let posted = post_status(app, &ada, json!({"status": "done", "media_ids": [id]})).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    assert_eq!(
        posted.body["media_attachments"][0]["description"],
        "a gradient, again"
    );
    refused(&app.get(&path, Some(&ada)).await, 404);
    refused(
        &put_media(app, &id, &ada, json!({"description": "later"})).await,
        404,
    );
}

async fn media_ids_are_up_to_four_of_your_own_free_uploads(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let (_, bob) = member(app, "bob").await;
    let mine = id_of(&upload(app, &ada, jpeg(10, 10)).await);
    let theirs = id_of(&upload(app, &bob, jpeg(10, 10)).await);
    let mut five = Vec::new();
    for _ in 0..5 {
        five.push(id_of(&upload(app, &ada, jpeg(10, 10)).await));
    }
    for bad in [
        json!([theirs]),
        json!(["999999"]),
        json!(["not-an-id"]),
        json!([mine, mine]),
        json!(five),
    ] {
        let answer = post_status(app, &ada, json!({"status": "pics", "media_ids": bad})).await;
        refused(&answer, 422);
    }
    let message = post_status(app, &ada, json!({"status": "pics", "media_ids": five})).await;
    assert!(
        message.body["error"].as_str().unwrap().contains('4'),
        "{}",
        message.text
    );
    let message = post_status(app, &ada, json!({"status": "x", "media_ids": [theirs]})).await;
    assert!(
        message.body["error"].as_str().unwrap().contains(&theirs),
        "{}",
        message.text
    );
    // Images marked sensitive: Chirp would show them as they are, so it refuses.
    let sensitive = json!({"status": "pics", "media_ids": [mine], "sensitive": true});
    refused(&post_status(app, &ada, sensitive).await, 422);
    // Neither text nor images: refused; an empty list is no images.
    refused(
        &post_status(app, &ada, json!({"status": " ", "media_ids": []})).await,
        422,
    );
    // Nothing was posted, and nothing was taken: the uploads still attach.
    assert_eq!(
        app.get("/api/v1/timelines/public", None).await.body,
        json!([])
    );
    let posted = post_status(app, &ada, json!({"status": "", "media_ids": [mine]})).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
    // Attached once, never again.
    let again = post_status(app, &ada, json!({"status": "again", "media_ids": [mine]})).await;
    refused(&again, 422);
    // Four at once is the most.
    let four = post_status(app, &ada, json!({"status": "four", "media_ids": five[..4]})).await;
    assert_eq!(four.status, StatusCode::OK, "{}", four.text);
    assert_eq!(four.body["media_attachments"].as_array().unwrap().len(), 4);
}

async fn an_idempotent_retry_with_media_answers_the_first_status(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let media = id_of(&upload(app, &ada, jpeg(10, 10)).await);
    let post = || {
        app.request(Method::POST, "/api/v1/statuses")
            .bearer_auth(&ada)
            .header("Idempotency-Key", "retry-with-media")
            .json(&json!({"status": "once", "media_ids": [media]}))
    };
    let (a, b) = tokio::join!(app.send(post()), app.send(post()));
    let c = app.send(post()).await;
    for answer in [&a, &b, &c] {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(answer.body["id"], a.body["id"]);
        assert_eq!(answer.body["media_attachments"][0]["id"], media.as_str());
    }
    let statuses = app.get("/api/v1/timelines/public", None).await;
    assert_eq!(statuses.body.as_array().unwrap().len(), 1);
}

async fn uploads_refuse_what_is_not_an_image_in_mastodon_shape(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let v2 = "/api/v2/media";
    let page = b"<html><script>alert(1)</script></html>".to_vec();
    refused(&upload_to(app, v2, &ada, page, None).await, 422);
    let whole = jpeg(200, 100);
    let truncated = whole[..whole.len() / 2].to_vec();
    refused(&upload_to(app, v2, &ada, truncated, None).await, 422);
    let bomb = upload_to(app, v2, &ada, png_bomb(100_000, 100_000), None).await;
    refused(&bomb, 422);
    assert!(
        bomb.body["error"].as_str().unwrap().contains("pixels"),
        "{}",
        bomb.text
    );
    let long = "é".repeat(1501);
    refused(
        &upload_to(app, v2, &ada, jpeg(10, 10), Some(&long)).await,
        422,
    );
    // No file part; not a form at all.
    let no_file = reqwest::multipart::Form::new().text("description", "no file");
    let answer = app
        .send(
            app.request(Method::POST, v2)
                .bearer_auth(&ada)
                .multipart(no_file),
        )
        .await;
    refused(&answer, 422);
    refused(&app.post(v2, json!({"file": "x"}), Some(&ada)).await, 422);
    // Not signed in.
    let anonymous =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(jpeg(10, 10)));
    let answer = app
        .send(app.request(Method::POST, v2).multipart(anonymous))
        .await;
    refused(&answer, 401);
    // None of these left an upload behind.
    let ok = upload(app, &ada, jpeg(10, 10)).await;
    let posted = post_status(app, &ada, json!({"status": "", "media_ids": [ok["id"]]})).await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text);
}

async fn media_needs_the_write_media_scope(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    let reader = token(app, "ada", "read").await;
    let media = id_of(&upload(app, &ada, jpeg(10, 10)).await);
    refused(
        &upload_to(app, "/api/v2/media", &reader, jpeg(10, 10), None).await,
        403,
    );
    refused(
        &upload_to(app, "/api/v1/media", &reader, jpeg(10, 10), None).await,
        403,
    );
    refused(
        &app.get(&format!("/api/v1/media/{media}"), Some(&reader))
            .await,
        403,
    );
    refused(
        &put_media(app, &media, &reader, json!({"description": "no"})).await,
        403,
    );
    refused(
        &post_status(app, &reader, json!({"status": "no", "media_ids": [media]})).await,
        403,
    );
    // `write:media` alone uploads, but does not post.
    let uploader = token(app, "ada", "write:media").await;
    let other = upload(app, &uploader, jpeg(10, 10)).await;
    assert_eq!(other["type"], "image");
    refused(
        &post_status(app, &uploader, json!({"status": "", "media_ids": [media]})).await,
        403,
    );
}

/// The ids of a list of statuses, and the `Link` header's `rel` targets (path and query).
fn ids_and_links(answer: &Answer, base: &str) -> (Vec<String>, Vec<String>) {
    let ids = answer.body.as_array().unwrap().iter().map(id_of).collect();
    let links = answer
        .headers
        .get("link")
        .map(|l| {
            l.to_str()
                .unwrap()
                .split(", ")
                .map(|part| {
                    let url = part.split('>').next().unwrap().trim_start_matches('<');
                    url.trim_start_matches(base).to_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    (ids, links)
}

async fn only_media_pages_through_statuses_with_images(app: &TestApp) {
    let (ada_id, ada) = member(app, "ada").await;
    let mut with_images = Vec::new();
    // Three statuses with images among 135 without: more than a store page (40) apart.
    for round in 0..3 {
        let media = upload(app, &ada, jpeg(10, 10)).await;
        let text = format!("picture {round} #pics");
        let posted = post_status(
            app,
            &ada,
            json!({"status": text, "media_ids": [media["id"]]}),
        )
        .await;
        with_images.push(id_of(&posted.body));
        for n in 0..45 {
            post_status(
                app,
                &ada,
                json!({"status": format!("words {round}.{n} #pics")}),
            )
            .await;
        }
    }
    let newest_first: Vec<String> = with_images.iter().rev().cloned().collect();
    for path in [
        "/api/v1/timelines/public".to_owned(),
        format!("/api/v1/accounts/{ada_id}/statuses"),
        "/api/v1/timelines/tag/pics".to_owned(),
    ] {
        let first = app
            .get(&format!("{path}?only_media=true&limit=2"), None)
            .await;
        let (ids, links) = ids_and_links(&first, &app.base);
        assert_eq!(ids, newest_first[..2], "{path}");
        let second = app.get(&links[0], None).await;
        let (ids, links) = ids_and_links(&second, &app.base);
        assert_eq!(ids, newest_first[2..], "{path}");
        // The walk ends with an empty page, as without the filter.
        let (ids, _) = ids_and_links(&app.get(&links[0], None).await, &app.base);
        assert!(ids.is_empty(), "{path}");
        // Upwards from the start: the oldest ones first found, served newest first.
        let oldest = app
            .get(&format!("{path}?only_media=true&limit=2&min_id=0"), None)
            .await;
        let (ids, _) = ids_and_links(&oldest, &app.base);
        assert_eq!(
            ids,
            [with_images[1].clone(), with_images[0].clone()],
            "{path}"
        );
    }
    // Without the filter, a page is as before.
    let plain = app.get("/api/v1/timelines/public?limit=5", None).await;
    assert_eq!(plain.body.as_array().unwrap().len(), 5);
}

/// A PNG of noise (it does not compress): about 3 bytes a pixel.
fn noise_png(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let image = image::RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        image::Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
    });
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_with_encoder(image::codecs::png::PngEncoder::new(&mut bytes))
        .unwrap();
    bytes
}

async fn uploads_past_the_usual_body_limits_are_taken(app: &TestApp) {
    let (_, ada) = member(app, "ada").await;
    // Over axum's default 2 MB and the API's 16 KiB, under --media-max-bytes (10 MiB).
    let big = noise_png(1000, 1000);
    assert!(big.len() > 2_900_000, "{}", big.len());
    let answer = upload_to(app, "/api/v2/media", &ada, big, None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["meta"]["original"]["width"], 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_byte_limit_are_413_on_sqlite() {
    uploads_over_the_byte_limit_are_413(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_byte_limit_are_413_on_postgres() {
    uploads_over_the_byte_limit_are_413(Backend::Postgres).await;
}

async fn uploads_over_the_byte_limit_are_413(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.media.media_max_bytes = 50_000).await;
    let (_, ada) = member(&app, "ada").await;
    let photo = jpeg(1200, 900);
    assert!(photo.len() > 50_000);
    let answer = upload_to(&app, "/api/v2/media", &ada, photo, None).await;
    refused(&answer, 413);
    assert!(
        answer.body["error"].as_str().unwrap().contains("50000"),
        "{}",
        answer.text
    );
    // Far over: refused from the declared length, in the same shape.
    let huge = vec![0u8; 3_000_000];
    refused(
        &upload_to(&app, "/api/v1/media", &ada, huge, None).await,
        413,
    );
    upload(&app, &ada, jpeg(50, 50)).await;
    // The instance tells apps the limit it enforces.
    let instance = app.get("/api/v2/instance", None).await;
    assert_eq!(
        instance.body["configuration"]["media_attachments"]["image_size_limit"],
        50_000
    );
    // Every other Mastodon route keeps the small body limit.
    let big = json!({"status": "x".repeat(40_000)});
    assert_eq!(
        post_status(&app, &ada, big).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}
