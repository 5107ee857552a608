//! Image attachments on the directory store, on both databases: what is accepted (judged
//! by the bytes), what is refused and how, what is stored (re-encoded, metadata gone,
//! oriented, shrunk, a preview and a blurhash), how files are served, the rules of
//! attaching, and that deleting a tweet and the sweep remove files.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::media_files::{
    fetch_image, gif, jpeg, jpeg_with_exif, png_bomb, transparent_png, upload, upload_as, webp,
};

crate::on_every_backend!(
    every_accepted_format_is_stored_re_encoded_with_a_preview,
    metadata_is_gone_and_the_orientation_applied,
    refusals_are_clear_and_cost_nothing,
    files_are_served_immutable_with_nosniff_etag_and_head,
    tweets_carry_their_images_in_order,
    media_ids_must_be_your_own_free_uploads,
    descriptions_change_only_before_attaching,
    deleting_a_tweet_removes_its_files
);

async fn every_accepted_format_is_stored_re_encoded_with_a_preview(app: &TestApp) {
    let (_, token) = app.user("ada").await;
    let big = upload(app, &token, jpeg(3000, 2000)).await;
    assert_eq!(big.status, StatusCode::CREATED, "{}", big.text);
    let a = &big.body;
    assert_eq!(a["type"], "image");
    assert_eq!(
        (a["width"].as_u64(), a["height"].as_u64()),
        (Some(2560), Some(1707))
    );
    assert_eq!(a["preview_width"], 640);
    assert!((426..=427).contains(&a["preview_height"].as_u64().unwrap()));
    assert_eq!(a["description"], "");
    assert!(a["blurhash"].as_str().unwrap().len() >= 6);
    let (file, kind, _) = fetch_image(&app.base, a["url"].as_str().unwrap()).await;
    assert_eq!(
        (file.width(), file.height(), kind.as_str()),
        (2560, 1707, "image/jpeg")
    );
    let (preview, _, _) = fetch_image(&app.base, a["preview_url"].as_str().unwrap()).await;
    assert_eq!(preview.width(), 640);

    // A small image keeps its size; transparency keeps PNG; WebP and GIF (first frame).
    let small = upload(app, &token, jpeg(300, 200)).await;
    assert_eq!(
        (
            small.body["width"].as_u64(),
            small.body["preview_width"].as_u64()
        ),
        (Some(300), Some(300))
    );
    let png = upload_as(
        &app.base,
        &token,
        transparent_png(100, 50),
        "x.png",
        "image/png",
        Some("  half red  "),
    )
    .await;
    assert_eq!(png.status, StatusCode::CREATED, "{}", png.text);
    assert_eq!(png.body["description"], "half red");
    let (image, kind, _) = fetch_image(&app.base, png.body["url"].as_str().unwrap()).await;
    assert_eq!(kind, "image/png");
    assert_eq!(
        image.to_rgba8().get_pixel(10, 10).0[3],
        0,
        "transparency kept"
    );
    let webp = upload_as(
        &app.base,
        &token,
        webp(40, 30),
        "x.webp",
        "image/webp",
        None,
    )
    .await;
    assert_eq!(webp.status, StatusCode::CREATED, "{}", webp.text);
    assert_eq!(
        (webp.body["width"].as_u64(), webp.body["height"].as_u64()),
        (Some(40), Some(30))
    );
    let gif = upload_as(&app.base, &token, gif(20, 10), "x.gif", "image/gif", None).await;
    assert_eq!(gif.status, StatusCode::CREATED, "{}", gif.text);
    let (first, kind, _) = fetch_image(&app.base, gif.body["url"].as_str().unwrap()).await;
    assert_eq!(kind, "image/jpeg");
    let red = first.to_rgb8().get_pixel(5, 5).0;
    assert!(
        red[0] > 200 && red[2] < 60,
        "the first frame (red), got {red:?}"
    );
    // The declared type and name do not matter: the bytes do.
    let misnamed = upload_as(
        &app.base,
        &token,
        jpeg(10, 10),
        "notes.txt",
        "text/plain",
        None,
    )
    .await;
    assert_eq!(misnamed.status, StatusCode::CREATED, "{}", misnamed.text);
}

async fn metadata_is_gone_and_the_orientation_applied(app: &TestApp) {
    let (_, token) = app.user("ada").await;
    let original = jpeg_with_exif(300, 200);
    assert!(contains(&original, b"GPSSECRET") && contains(&original, b"Exif"));
    let answer = upload(app, &token, original).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    // Orientation 6: shown turned a quarter clockwise, so 200 wide and 300 high.
    assert_eq!(
        (
            answer.body["width"].as_u64(),
            answer.body["height"].as_u64()
        ),
        (Some(200), Some(300))
    );
    for url in [&answer.body["url"], &answer.body["preview_url"]] {
        let (image, _, bytes) = fetch_image(&app.base, url.as_str().unwrap()).await;
        assert_eq!((image.width(), image.height()), (200, 300));
        assert!(!contains(&bytes, b"GPSSECRET"), "GPS data survived");
        assert!(!contains(&bytes, b"Exif"), "an EXIF block survived");
    }
}

async fn refusals_are_clear_and_cost_nothing(app: &TestApp) {
    let (_, token) = app.user("ada").await;
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    upload_as(&app.base, &token, html, "x.png", "image/png", None)
        .await
        .assert_error(415, "unsupported_media");
    let bmp = b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00".to_vec();
    upload_as(&app.base, &token, bmp, "x.bmp", "image/bmp", None)
        .await
        .assert_error(415, "unsupported_media");
    // A GIF header in front of a script: not an image, whatever it starts with.
    let polyglot = b"GIF89a/*\x00\x00*/=1;alert(document.cookie)//".to_vec();
    upload_as(&app.base, &token, polyglot, "x.gif", "image/gif", None)
        .await
        .assert_error(400, "invalid_media");
    // A real image with a page appended: accepted, and the page is not stored.
    let mut png_and_page = transparent_png(20, 20);
    png_and_page.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let cleaned = upload_as(&app.base, &token, png_and_page, "x.png", "image/png", None).await;
    assert_eq!(cleaned.status, StatusCode::CREATED, "{}", cleaned.text);
    let (_, _, bytes) = fetch_image(&app.base, cleaned.body["url"].as_str().unwrap()).await;
    assert!(!contains(&bytes, b"<script"));
    // Truncated and corrupt.
    let whole = jpeg(400, 300);
    upload(app, &token, whole[..whole.len() / 2].to_vec())
        .await
        .assert_error(400, "invalid_media");
    let png = transparent_png(400, 300);
    upload_as(
        &app.base,
        &token,
        png[..png.len() / 2].to_vec(),
        "x.png",
        "image/png",
        None,
    )
    .await
    .assert_error(400, "invalid_media");
    // A decompression bomb: 10 billion pixels promised in 60 bytes, refused from the header.
    let started = std::time::Instant::now();
    let bomb = upload_as(
        &app.base,
        &token,
        png_bomb(100_000, 100_000),
        "x.png",
        "image/png",
        None,
    )
    .await;
    bomb.assert_error(400, "invalid_media");
    assert!(
        bomb.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pixels")
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // Not multipart, no file, a description too long, not signed in.
    let json = app
        .post("/api/media", json!({"file": "x"}), Some(&token))
        .await;
    json.assert_error(415, "unsupported_media_type");
    let form = reqwest::multipart::Form::new().text("description", "no file");
    let no_file = app
        .send(
            app.request(Method::POST, "/api/media")
                .bearer_auth(&token)
                .multipart(form),
        )
        .await;
    no_file.assert_error(400, "invalid_media");
    assert_eq!(no_file.body["error"]["field"], "file");
    let long = "é".repeat(1501);
    upload_as(
        &app.base,
        &token,
        jpeg(10, 10),
        "x.jpg",
        "image/jpeg",
        Some(&long),
    )
    .await
    .assert_error(400, "invalid_description");
    let anonymous =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(jpeg(10, 10)));
    app.send(app.request(Method::POST, "/api/media").multipart(anonymous))
        .await
        .assert_error(401, "unauthorized");
}

async fn files_are_served_immutable_with_nosniff_etag_and_head(app: &TestApp) {
    let (_, token) = app.user("ada").await;
    let a = upload(app, &token, jpeg(64, 48)).await.body;
    let url = a["url"].as_str().unwrap();
    assert!(url.starts_with("/media/"));
    let key = url.trim_start_matches("/media/");
    assert!(key.len() >= 32 + 4, "an unguessable key: {key}");
    let got = app.get(url, None).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.headers["content-type"], "image/jpeg");
    assert_eq!(got.headers["x-content-type-options"], "nosniff");
    assert_eq!(
        got.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = got.headers["etag"].clone();
    let again = app
        .send(
            app.request(Method::GET, url)
                .header("if-none-match", etag.clone()),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
    let head = app.send(app.request(Method::HEAD, url)).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.headers["content-type"], "image/jpeg");
    assert!(head.text.is_empty());
    for missing in [
        "/media/0123456789abcdef0123456789abcdef.jpg",
        "/media/..%2Fchirp.db",
        "/media/x",
    ] {
        app.get(missing, None).await.assert_error(404, "not_found");
    }
}

async fn tweets_carry_their_images_in_order(app: &TestApp) {
    let (_, token) = app.user("ada").await;
    let plain = app.tweet(&token, "no pictures").await;
    assert_eq!(plain["media"], json!([]));
    let first = upload(app, &token, jpeg(30, 20)).await.body;
    let second = upload(app, &token, jpeg(20, 30)).await.body;
    let posted = app
        .post(
            "/api/tweets",
            json!({"text": "  ", "media_ids": [second["id"], first["id"]]}),
            Some(&token),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    assert_eq!(posted.body["text"], "");
    assert_eq!(posted.body["media"], json!([second, first]));
    let id = posted.body["id"].as_i64().unwrap();
    for path in [
        format!("/api/tweets/{id}"),
        "/api/tweets".into(),
        "/api/users/ada/tweets".into(),
    ] {
        let read = app.get(&path, None).await;
        let tweet = if read.body["tweets"].is_array() {
            read.body["tweets"][0].clone()
        } else {
            read.body.clone()
        };
        assert_eq!(tweet["media"], json!([second, first]), "{path}");
    }
    // Text alone still needs a character.
    app.post("/api/tweets", json!({"text": " "}), Some(&token))
        .await
        .assert_error(400, "invalid_text");
}

async fn media_ids_must_be_your_own_free_uploads(app: &TestApp) {
    let (_, ada) = app.user("ada").await;
    let (_, bob) = app.user("bob").await;
    let mine = upload(app, &ada, jpeg(10, 10)).await.body["id"].clone();
    let theirs = upload(app, &bob, jpeg(10, 10)).await.body["id"].clone();
    let token = ada.as_str();
    let post = |ids: Value| async move {
        app.post(
            "/api/tweets",
            json!({"text": "pic", "media_ids": ids}),
            Some(token),
        )
        .await
    };
    for bad in [
        json!([]),
        json!([theirs]),
        json!([999_999]),
        json!([mine, mine]),
        json!([1, 2, 3, 4, 5]),
        json!(["1"]),
        json!(7),
    ] {
        post(bad.clone())
            .await
            .assert_error(400, "invalid_media_ids");
    }
    assert_eq!(post(json!([mine])).await.status, StatusCode::CREATED);
    // Attached once, never again.
    post(json!([mine]))
        .await
        .assert_error(400, "invalid_media_ids");
    // Four at once is the most.
    let mut four = Vec::new();
    for _ in 0..4 {
        four.push(upload(app, &ada, jpeg(10, 10)).await.body["id"].clone());
    }
    let answer = post(json!(four)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    assert_eq!(answer.body["media"].as_array().unwrap().len(), 4);
}

async fn descriptions_change_only_before_attaching(app: &TestApp) {
    let (_, ada) = app.user("ada").await;
    let (_, bob) = app.user("bob").await;
    let id = upload(app, &ada, jpeg(10, 10)).await.body["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/media/{id}");
    let put = |token: String, body: Value| {
        let path = path.clone();
        async move {
            app.send(
                app.request(Method::PUT, &path)
                    .bearer_auth(token)
                    .json(&body),
            )
            .await
        }
    };
    let described = put(ada.clone(), json!({"description": " a red square "})).await;
    assert_eq!(described.status, StatusCode::OK, "{}", described.text);
    assert_eq!(described.body["description"], "a red square");
    put(bob.clone(), json!({"description": "mine now"}))
        .await
        .assert_error(403, "forbidden");
    put(ada.clone(), json!({"description": "x".repeat(1501)}))
        .await
        .assert_error(400, "invalid_description");
    app.send(
        app.request(Method::PUT, "/api/media/424242")
            .bearer_auth(&ada)
            .json(&json!({"description": ""})),
    )
    .await
    .assert_error(404, "not_found");
    let posted = app
        .post(
            "/api/tweets",
            json!({"text": "", "media_ids": [id]}),
            Some(&ada),
        )
        .await;
    assert_eq!(posted.body["media"][0]["description"], "a red square");
    put(ada.clone(), json!({"description": "too late"}))
        .await
        .assert_error(409, "media_attached");
}

async fn deleting_a_tweet_removes_its_files(app: &TestApp) {
    let (_, ada) = app.user("ada").await;
    let a = upload(app, &ada, jpeg(10, 10)).await.body;
    let posted = app
        .post(
            "/api/tweets",
            json!({"text": "soon gone", "media_ids": [a["id"]]}),
            Some(&ada),
        )
        .await;
    let id = posted.body["id"].as_i64().unwrap();
    for url in [&a["url"], &a["preview_url"]] {
        assert_eq!(
            app.get(url.as_str().unwrap(), None).await.status,
            StatusCode::OK
        );
    }
    let deleted = app
        .call(Method::DELETE, &format!("/api/tweets/{id}"), Some(&ada))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    for url in [&a["url"], &a["preview_url"]] {
        app.get(url.as_str().unwrap(), None)
            .await
            .assert_error(404, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_removes_uploads_never_attached_on_sqlite() {
    sweep_removes_uploads_never_attached(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_removes_uploads_never_attached_on_postgres() {
    sweep_removes_uploads_never_attached(Backend::Postgres).await;
}

async fn sweep_removes_uploads_never_attached(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.media.media_sweep_age = 2;
        c.media.media_sweep_every = 1;
    })
    .await;
    let (_, ada) = app.user("ada").await;
    let kept = upload(&app, &ada, jpeg(10, 10)).await.body;
    let swept = upload(&app, &ada, jpeg(10, 10)).await.body;
    app.post(
        "/api/tweets",
        json!({"text": "", "media_ids": [kept["id"]]}),
        Some(&ada),
    )
    .await;
    let gone = wait_until_gone(&app, swept["url"].as_str().unwrap()).await;
    assert!(
        gone,
        "an upload never attached is removed after --media-sweep-age"
    );
    app.get(swept["preview_url"].as_str().unwrap(), None)
        .await
        .assert_error(404, "not_found");
    for url in [&kept["url"], &kept["preview_url"]] {
        assert_eq!(
            app.get(url.as_str().unwrap(), None).await.status,
            StatusCode::OK
        );
    }
    // Its id can no longer be attached either.
    app.post(
        "/api/tweets",
        json!({"text": "", "media_ids": [swept["id"]]}),
        Some(&ada),
    )
    .await
    .assert_error(400, "invalid_media_ids");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_byte_limit_are_413_and_only_the_upload_takes_big_bodies() {
    let app = spawn_app_with(Backend::Sqlite, |c| c.media.media_max_bytes = 50_000).await;
    let (_, ada) = app.user("ada").await;
    let photo = jpeg(1200, 900);
    assert!(photo.len() > 50_000);
    upload(&app, &ada, photo)
        .await
        .assert_error(413, "payload_too_large");
    assert_eq!(
        upload(&app, &ada, jpeg(50, 50)).await.status,
        StatusCode::CREATED
    );
    // Every other route keeps the 16 KiB limit.
    let big = json!({"text": "x".repeat(40_000)});
    app.post("/api/tweets", big, Some(&ada))
        .await
        .assert_error(413, "payload_too_large");
}

/// Poll until `url` answers 404 (at most ten seconds); whether it did.
pub async fn wait_until_gone(app: &TestApp, url: &str) -> bool {
    for _ in 0..50 {
        if app.get(url, None).await.status == StatusCode::NOT_FOUND {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
