//! Small contract points: metrics present at 0 from the start, sign-in's missing password,
//! a reliable 413 for large bodies, cross-site cookie reads, compression and
//! `Referrer-Policy`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_app};

/// Start the real binary on a fresh SQLite file with `args`; returns it and its base URL.
/// The caller kills it.
pub fn start_binary(dir: &tempfile::TempDir, args: &[&str]) -> (Child, String) {
    let database = format!("sqlite://{}", dir.path().join("chirp.db").display());
    let media = format!("file://{}", dir.path().join("media").display());
    let mut all = vec!["--database-url", &database, "--media-url", &media];
    all.extend_from_slice(args);
    spawn_binary(&all, &[])
}

/// Start the real binary with `args` (a database URL among them) and `env` added to its
/// environment; returns it and its base URL once it listens. The caller kills it.
pub fn spawn_binary(args: &[&str], env: &[(&str, &str)]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chirp"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chirp starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("chirp logs before exiting").unwrap();
        if let Some((_, rest)) = line.split_once("listening on ") {
            break rest.trim().to_owned();
        }
    };
    // Keep reading the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    (child, url)
}

#[tokio::test]
async fn every_metric_is_shown_at_zero_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start_binary(&dir, &[]);
    let text = reqwest::get(format!("{url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    for series in [
        "chirp_tweets_created_total 0",
        "chirp_broadcasts_total{event=\"newTweet\"} 0",
        "chirp_broadcasts_total{event=\"tweetDeleted\"} 0",
        "chirp_connected_sockets 0",
        "chirp_rate_limited_total{limit=\"posts\"} 0",
        "chirp_rate_limited_total{limit=\"sign_in\"} 0",
    ] {
        assert!(
            text.lines().any(|l| l == series),
            "{series} missing from:\n{text}"
        );
    }
}

crate::on_every_backend!(
    sign_in_without_a_password_is_400_as_on_sign_up,
    a_cookie_from_another_site_reads_as_anonymous,
);

async fn sign_in_without_a_password_is_400_as_on_sign_up(app: &TestApp) {
    app.sign_up("pat").await;
    for body in [
        json!({"username": "pat"}),
        json!({"username": "pat", "password": ""}),
    ] {
        let answer = app.post("/api/sessions", body.clone(), None).await;
        answer.assert_error(400, "invalid_password");
        assert_eq!(answer.body["error"]["field"], "password");
        app.post("/api/users", body, None)
            .await
            .assert_error(400, "invalid_password");
    }
}

async fn a_cookie_from_another_site_reads_as_anonymous(app: &TestApp) {
    let (_, token) = app.user("quinn").await;
    let from = |method: Method, path: &str| {
        app.request(method, path)
            .header("cookie", format!("chirp_session={token}"))
            .header("origin", "http://evil.example")
    };
    // A read that needs a user is answered as for nobody: 401, not 403.
    app.send(from(Method::GET, "/api/me"))
        .await
        .assert_error(401, "unauthorized");
    // Writes from another site stay refused.
    app.send(from(Method::POST, "/api/tweets").json(&json!({"text": "forged"})))
        .await
        .assert_error(403, "forbidden");
    // The same cookie from the site itself works.
    let own = app
        .request(Method::GET, "/api/me")
        .header("cookie", format!("chirp_session={token}"))
        .header("origin", &app.base);
    assert_eq!(app.send(own).await.status, StatusCode::OK);
}

/// Send `head` and then all of `body` (as a slow client would, without reading), then read
/// the whole answer. Errors are what a client would see: EPIPE, reset.
fn post_raw(addr: &str, head: &str, body: &[u8]) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(head.as_bytes())?;
    for chunk in body.chunks(64 * 1024) {
        stream.write_all(chunk)?;
    }
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_megabyte_body_always_gets_its_413() {
    let app = spawn_app(Backend::Sqlite).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let body = vec![b'a'; 2 * 1024 * 1024];
        for round in 0..10 {
            let head = format!(
                "POST /api/tweets HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let answer = post_raw(&addr, &head, &body)
                .unwrap_or_else(|e| panic!("round {round}: the client saw {e}"));
            assert!(
                answer.starts_with("HTTP/1.1 413"),
                "round {round}: {answer}"
            );
            assert!(answer.contains("payload_too_large"), "{answer}");
            // Chunked, with no length announced: the limit is found while reading.
            let head = format!(
                "POST /api/users HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                 Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            );
            let mut chunked = Vec::new();
            for piece in body.chunks(100_000) {
                chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
                chunked.extend_from_slice(piece);
                chunked.extend_from_slice(b"\r\n");
            }
            chunked.extend_from_slice(b"0\r\n\r\n");
            let answer = post_raw(&addr, &head, &chunked)
                .unwrap_or_else(|e| panic!("round {round} (chunked): the client saw {e}"));
            assert!(
                answer.starts_with("HTTP/1.1 413"),
                "round {round}: {answer}"
            );
        }
    })
    .await
    .unwrap();
    // Bodies within the limit still work, and so does an empty one.
    let (_, token) = app.user("rita").await;
    app.tweet(&token, &"x".repeat(280)).await;
}

#[tokio::test]
async fn text_answers_are_compressed_but_not_the_socket_endpoint() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, token) = app.user("sam").await;
    for i in 0..5 {
        app.tweet(
            &token,
            &format!("enough text to be worth compressing, number {i}"),
        )
        .await;
    }
    for path in [
        "/",
        "/socket.io/socket.io.js",
        "/static/style.css",
        "/api/tweets",
    ] {
        for encoding in ["gzip", "br"] {
            let answer = app
                .send(
                    app.request(Method::GET, path)
                        .header("accept-encoding", encoding),
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{path}");
            assert_eq!(
                answer
                    .headers
                    .get("content-encoding")
                    .map(|v| v.to_str().unwrap()),
                Some(encoding),
                "{path} with {encoding}"
            );
        }
    }
    // Without Accept-Encoding, plain as before.
    let plain = app.get("/api/tweets", None).await;
    assert!(plain.headers.get("content-encoding").is_none());
    assert_eq!(plain.body["tweets"].as_array().unwrap().len(), 5);
    // The Socket.IO endpoint answers itself, uncompressed (long-polls stream; upgrades).
    let handshake = app
        .send(
            app.request(Method::GET, "/socket.io/?EIO=4&transport=polling")
                .header("accept-encoding", "gzip, br"),
        )
        .await;
    assert_eq!(handshake.status, StatusCode::OK, "{}", handshake.text);
    assert!(handshake.headers.get("content-encoding").is_none());
    assert!(handshake.text.starts_with('0'), "{}", handshake.text);
}

#[tokio::test]
async fn every_answer_has_a_referrer_policy() {
    let app = spawn_app(Backend::Sqlite).await;
    for path in [
        "/",
        "/static/style.css",
        "/api/tweets",
        "/api/nothing",
        "/nothing",
        "/healthz",
        "/metrics",
        "/socket.io/socket.io.js",
        "/socket.io/?EIO=4&transport=polling",
    ] {
        let answer = app.get(path, None).await;
        assert_eq!(
            answer
                .headers
                .get("referrer-policy")
                .map(|v| v.to_str().unwrap()),
            Some("no-referrer"),
            "{path} ({})",
            answer.status
        );
    }
    let error = app.post("/api/tweets", json!({"text": "x"}), None).await;
    assert_eq!(error.headers["referrer-policy"], "no-referrer");
}
