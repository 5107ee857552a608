//! Image attachments on an S3-compatible store: a local S3 server (moto, in server mode,
//! installed into `.venv` by the test command) started for each test, and the real binary
//! pointed at it through `--media-url s3://…` and the standard `AWS_*` variables, on both
//! databases. Uploads land in the bucket under the prefix, are served from it, and leave
//! it when their tweet is deleted or the sweep finds them never attached.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestDatabase};
use crate::media_files::{jpeg, upload_as};

const BUCKET: &str = "chirp-media";

/// A moto S3 server on a free port, stopped when dropped.
struct S3Server {
    child: Child,
    endpoint: String,
}

impl S3Server {
    async fn start() -> Self {
        let moto = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
        assert!(
            moto.exists(),
            "{} is missing: scripts/test installs moto from tests/python/requirements.txt",
            moto.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(moto)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client.get(&endpoint).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let made = client
            .put(format!("{endpoint}/{BUCKET}"))
            .send()
            .await
            .unwrap();
        assert!(made.status().is_success(), "bucket made: {}", made.status());
        Self { child, endpoint }
    }

    /// The keys in the bucket under `prefix`.
    async fn keys(&self, prefix: &str) -> Vec<String> {
        let xml = reqwest::get(format!(
            "{}/{BUCKET}?list-type=2&prefix={prefix}",
            self.endpoint
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
        xml.split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(key, _)| key.to_owned()))
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `chirp serve` on `database_url` with its media in the bucket under `photos/`.
fn start_chirp(database_url: &str, s3: &S3Server) -> (Child, String) {
    let media = format!("s3://{BUCKET}/photos");
    crate::contract::spawn_binary(
        &[
            "--rate-limits",
            "off",
            "--database-url",
            database_url,
            "--media-url",
            &media,
            "--media-sweep-age",
            "2",
            "--media-sweep-every",
            "1",
        ],
        &[
            ("AWS_ENDPOINT_URL", s3.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_store_keeps_serves_and_removes_files_on_sqlite() {
    s3_store_keeps_serves_and_removes_files(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_s3_store_keeps_serves_and_removes_files_on_postgres() {
    s3_store_keeps_serves_and_removes_files(Backend::Postgres).await;
}

async fn s3_store_keeps_serves_and_removes_files(backend: Backend) {
    let s3 = S3Server::start().await;
    let database = TestDatabase::create(backend).await;
    let (mut chirp, base) = start_chirp(&database.url, &s3);
    let client = reqwest::Client::new();
    let token = &crate::media_files::signed_in(&base, "ada").await;
    let attached = upload_as(
        &base,
        token,
        jpeg(800, 600),
        "a.jpg",
        "image/jpeg",
        Some("a"),
    )
    .await;
    assert_eq!(attached.status, StatusCode::CREATED, "{}", attached.text);
    let loose = upload_as(&base, token, jpeg(80, 60), "b.jpg", "image/jpeg", None).await;
    assert_eq!(loose.status, StatusCode::CREATED, "{}", loose.text);
    let keys = s3.keys("photos/").await;
    assert_eq!(
        keys.len(),
        4,
        "two files per upload under the prefix: {keys:?}"
    );

    let url = attached.body["url"].as_str().unwrap();
    let served = reqwest::get(format!("{base}{url}")).await.unwrap();
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    let image = image::load_from_memory(&served.bytes().await.unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (800, 600));

    let tweet: Value = client
        .post(format!("{base}/api/tweets"))
        .bearer_auth(token)
        .json(&json!({"text": "from the bucket", "media_ids": [attached.body["id"]]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tweet["media"][0]["url"], attached.body["url"]);

    // The never-attached upload goes with the sweep (2 s old, every second)…
    let mut left = Vec::new();
    for _ in 0..50 {
        left = s3.keys("photos/").await;
        if left.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        left.len(),
        2,
        "the sweep removed the loose upload's files: {left:?}"
    );
    let loose_url = loose.body["url"].as_str().unwrap();
    assert_eq!(
        reqwest::get(format!("{base}{loose_url}"))
            .await
            .unwrap()
            .status(),
        404
    );

    // …and the attached one with its tweet.
    let deleted = client
        .delete(format!("{base}/api/tweets/{}", tweet["id"]))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(s3.keys("photos/").await, Vec::<String>::new());
    assert_eq!(
        reqwest::get(format!("{base}{url}")).await.unwrap().status(),
        404
    );

    let _ = chirp.kill();
    let _ = chirp.wait();
}
