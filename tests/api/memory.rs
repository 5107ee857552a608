//! Password hashing is bounded: 120 sign-ins at once (argon2id takes ~19 MiB each) are all
//! answered, and the server process's peak memory stays well under 400 MiB. Before the
//! hashing pool, the same burst took the process to ~1 GiB and it kept it.
//!
//! A memory bound, not a timing one: how many attempts are answered 503 (busy) depends on
//! the machine's speed, so any of 200/401/429/503 is accepted, but every attempt gets one.

use std::process::Child;

use serde_json::json;

/// The server's peak resident memory (VmHWM), in KiB.
pub fn peak_rss_kib(child: &Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sign_ins_are_all_answered_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = crate::contract::start_binary(&dir, &["--rate-limits", "off"]);

    let client = reqwest::Client::new();
    let signup = client
        .post(format!("{url}/api/users"))
        .json(&json!({"username": "target", "password": "correct horse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(signup.status(), 201);

    let attempts = (0..120).map(|i| {
        let (client, url) = (client.clone(), url.clone());
        let password = if i % 2 == 0 {
            "correct horse"
        } else {
            "wrong guess!"
        };
        async move {
            client
                .post(format!("{url}/api/sessions"))
                .json(&json!({"username": "target", "password": password}))
                .send()
                .await
                .map(|r| (r.status().as_u16(), r.headers().get("retry-after").cloned()))
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let peak_mib = peak_rss_kib(&child) / 1024;
    let _ = child.kill();
    let _ = child.wait();

    for answer in &answers {
        let (status, retry_after) = answer.as_ref().expect("every attempt is answered");
        assert!(
            [200, 401, 429, 503].contains(status),
            "unexpected status {status}"
        );
        if *status == 503 || *status == 429 {
            assert!(retry_after.is_some(), "{status} without Retry-After");
        }
    }
    assert!(
        peak_mib < 400,
        "120 concurrent sign-ins took the server to {peak_mib} MiB"
    );
}

/// Image work is bounded too: 50 uploads of a 12-megapixel photo at once are all answered
/// (stored, or 503 with `Retry-After` when the image workers' wait runs out) and the
/// process stays under 1 GiB. Unbounded, each decode holds ~36 MiB and each resize more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_twelve_megapixel_uploads_are_all_answered_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = crate::contract::start_binary(&dir, &["--rate-limits", "off"]);
    let token = crate::media_files::signed_in(&url, "photog").await;
    let photo = crate::media_files::jpeg(4000, 3000);
    let uploads = (0..50).map(|_| {
        let (url, token, photo) = (url.clone(), token.clone(), photo.clone());
        async move {
            let answer =
                crate::media_files::upload_as(&url, &token, photo, "big.jpg", "image/jpeg", None)
                    .await;
            (
                answer.status.as_u16(),
                answer.headers.get("retry-after").cloned(),
            )
        }
    });
    let answers = futures_util::future::join_all(uploads).await;
    let peak_mib = peak_rss_kib(&child) / 1024;
    let _ = child.kill();
    let _ = child.wait();
    let stored = answers.iter().filter(|(status, _)| *status == 201).count();
    for (status, retry_after) in &answers {
        assert!([201, 503].contains(status), "unexpected status {status}");
        if *status == 503 {
            assert!(retry_after.is_some(), "503 without Retry-After");
        }
    }
    assert!(stored > 0, "no upload was stored");
    assert!(
        peak_mib < 1024,
        "50 concurrent uploads took the server to {peak_mib} MiB"
    );
    eprintln!("50 concurrent 12 MP uploads: {stored} stored, peak {peak_mib} MiB");
}
