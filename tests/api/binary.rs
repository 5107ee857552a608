//! The `chirp` binary as a user runs it: configured by environment, logging where it
//! listens, creating its SQLite file, and exiting 0 on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_reads_env_creates_database_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_chirp"))
        .arg("serve")
        .env("CHIRP_ADDR", "127.0.0.1:0")
        .env("CHIRP_DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("CHIRP_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("chirp starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("chirp logs before exiting").unwrap();
        let entry: serde_json::Value = serde_json::from_str(&line).expect("JSON log lines");
        if let Some(rest) = entry["message"]
            .as_str()
            .and_then(|m| m.strip_prefix("listening on "))
        {
            break rest.to_owned();
        }
    };
    assert!(db.exists(), "the SQLite file is created on first start");
    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    // Drain the rest of the log so the process's output is complete.
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("stopped")), "{rest:?}");
}

#[test]
fn bad_configuration_is_refused_with_a_clear_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_chirp"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            "mysql://nope",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unsupported database URL"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_chirp"))
        .args(["serve", "--addr", "nonsense"])
        .output()
        .unwrap();
    assert!(!output.status.success());
}

#[test]
fn a_busy_port_is_one_line_and_exit_1_even_with_backtraces_on() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_chirp"))
        .args(["serve", "--addr", &addr])
        .env(
            "CHIRP_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("c.db").display()),
        )
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "one line, no report or backtrace:\n{stderr}"
    );
    assert!(
        lines[0].starts_with(&format!("error: cannot listen on {addr}")),
        "{stderr}"
    );
}
