//! The media benchmark stage (ignored in the test command; `bench/media.sh` runs it on a
//! release build): uploads per second of a 12-megapixel JPEG, one at a time and 8 at once,
//! the server's peak memory meanwhile, and how many requests per second a preview is served
//! at. Prints one line per number; BENCHMARKS.md keeps them with the command.

use std::time::{Duration, Instant};

use crate::media_files::{jpeg, upload_as};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: bench/media.sh runs it on a release build"]
async fn media_bench() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = crate::contract::start_binary(&dir, &["--rate-limits", "off"]);
    let client = reqwest::Client::new();
    let token = crate::media_files::signed_in(&url, "bench").await;
    let photo = jpeg(4000, 3000);
    println!("bench: 12 MP JPEG of {} KiB", photo.len() / 1024);

    let sequential = 10;
    let started = Instant::now();
    let mut preview = String::new();
    for _ in 0..sequential {
        let a = upload_as(&url, &token, photo.clone(), "p.jpg", "image/jpeg", None).await;
        assert_eq!(a.status, 201, "{}", a.text);
        preview = a.body["preview_url"].as_str().unwrap().to_owned();
    }
    let rate = f64::from(sequential) / started.elapsed().as_secs_f64();
    println!("bench: uploads one at a time: {rate:.2}/s ({sequential} uploads)");

    let concurrent = 24;
    let started = Instant::now();
    let answers = futures_util::future::join_all((0..concurrent).map(|_| {
        let (url, token, photo) = (url.clone(), token.clone(), photo.clone());
        async move {
            upload_as(&url, &token, photo, "p.jpg", "image/jpeg", None)
                .await
                .status
        }
    }))
    .await;
    let stored = answers.iter().filter(|s| s.as_u16() == 201).count();
    let rate = stored as f64 / started.elapsed().as_secs_f64();
    println!("bench: uploads {concurrent} at once: {rate:.2}/s ({stored} stored)");
    println!(
        "bench: peak RSS after uploads: {} MiB",
        crate::memory::peak_rss_kib(&child) / 1024
    );

    let window = Duration::from_secs(5);
    let until = Instant::now() + window;
    let served = futures_util::future::join_all((0..16).map(|_| {
        let (client, target) = (client.clone(), format!("{url}{preview}"));
        async move {
            let mut n = 0u64;
            while Instant::now() < until {
                let r = client.get(&target).send().await.unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap();
                n += 1;
            }
            n
        }
    }))
    .await;
    let total: u64 = served.iter().sum();
    println!(
        "bench: preview GETs (16 connections, client in the same process): {:.0}/s",
        total as f64 / window.as_secs_f64()
    );
    let _ = child.kill();
    let _ = child.wait();
}
