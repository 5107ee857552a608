//! The operator's side of roles and registrations: `chirp admin role` and `chirp admin
//! create-user` (the real binary, as a shell runs it) on the database of a running server,
//! SQLite and PostgreSQL; and `--registrations closed`.

use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app, spawn_app_with};

/// What one run of the binary did.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Assert it failed the way the contract says: exit 1, one line on stderr starting
    /// `error:` and containing `says`, nothing on stdout.
    #[track_caller]
    fn assert_fails_with(&self, says: &str) {
        assert_eq!(self.code, Some(1), "stderr: {}", self.stderr);
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {:?}", self.stderr);
        assert!(lines[0].starts_with("error: "), "{}", self.stderr);
        assert!(lines[0].contains(says), "{:?} lacks {says:?}", self.stderr);
        assert_eq!(self.stdout, "");
    }
}

/// Run `chirp ARGS` with `stdin` as its standard input, the database URL in
/// `CHIRP_DATABASE_URL` (as an operator's environment file sets it) unless `args` pass one.
async fn chirp(args: &[&str], database_url: &str, stdin: &str) -> Run {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_chirp"))
        .args(args)
        .env("CHIRP_DATABASE_URL", database_url)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chirp starts");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// `chirp admin role USERNAME ROLE` on `app`'s database.
async fn set_role(app: &TestApp, username: &str, role: &str) -> Run {
    chirp(&["admin", "role", username, role], app.database_url(), "").await
}

/// `chirp admin create-user USERNAME` on `app`'s database, `stdin` its input.
async fn create_user(app: &TestApp, username: &str, stdin: &str) -> Run {
    chirp(
        &["admin", "create-user", username],
        app.database_url(),
        stdin,
    )
    .await
}

/// The moderation log through the running server, as `token`'s user (a moderator) reads
/// it: (actor, action, target, note) of each entry, newest first.
async fn log(app: &TestApp, token: &str) -> Vec<(Value, String, String, Value)> {
    let answer = app.get("/api/admin/log", Some(token)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].clone(),
                e["action"].as_str().unwrap().to_owned(),
                e["target"]["username"].as_str().unwrap().to_owned(),
                e["note"].clone(),
            )
        })
        .collect()
}

async fn role_is_set_from_the_shell_while_the_server_runs(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = app.user("Ada").await;
    assert_eq!(app.get("/api/users/ada", None).await.body["role"], "user");

    let run = set_role(&app, "ada", "admin").await;
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stdout, "admin\n");
    assert_eq!(run.stderr, "");

    // The running server reads it at once: the profile, the session begun before it (whose
    // user the server had cached), and one begun after it.
    let profile = app.get("/api/users/ada", Some(&token)).await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.text);
    assert_eq!(profile.body["role"], "admin");
    assert_eq!(app.get("/api/me", Some(&token)).await.body["role"], "admin");
    let fresh = app.sign_in("ada").await;
    assert_eq!(app.get("/api/me", Some(&fresh)).await.body["role"], "admin");

    let run = set_role(&app, "ADA", "moderator").await;
    assert_eq!(run.stdout, "moderator\n", "any case: {}", run.stderr);
    assert_eq!(
        app.get("/api/users/ada", None).await.body["role"],
        "moderator"
    );
    // Each change is one entry of the log, newest first, with no actor: the shell did it.
    assert_eq!(
        log(&app, &token).await,
        vec![
            (
                Value::Null,
                "set_role".into(),
                "Ada".into(),
                json!("moderator")
            ),
            (Value::Null, "set_role".into(), "Ada".into(), json!("admin")),
        ]
    );
}

#[tokio::test]
async fn role_is_set_from_the_shell_while_the_server_runs_sqlite() {
    role_is_set_from_the_shell_while_the_server_runs(Backend::Sqlite).await;
}

#[tokio::test]
async fn role_is_set_from_the_shell_while_the_server_runs_postgres() {
    role_is_set_from_the_shell_while_the_server_runs(Backend::Postgres).await;
}

async fn role_errors_are_one_line_and_exit_1(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, token) = app.user("ada").await;
    set_role(&app, "nobody", "admin")
        .await
        .assert_fails_with("there is no user \"nobody\"");
    set_role(&app, "no such name!", "admin")
        .await
        .assert_fails_with("there is no user");
    for role in ["boss", "Admin", ""] {
        set_role(&app, "ada", role)
            .await
            .assert_fails_with("is not a role: use user, moderator or admin");
    }
    assert_eq!(app.get("/api/users/ada", None).await.body["role"], "user");
    // Nothing done, nothing logged: the log holds only the role that lets ada read it.
    assert_eq!(set_role(&app, "ada", "moderator").await.code, Some(0));
    assert_eq!(log(&app, &token).await.len(), 1);
}

#[tokio::test]
async fn role_errors_are_one_line_and_exit_1_sqlite() {
    role_errors_are_one_line_and_exit_1(Backend::Sqlite).await;
}

#[tokio::test]
async fn role_errors_are_one_line_and_exit_1_postgres() {
    role_errors_are_one_line_and_exit_1(Backend::Postgres).await;
}

#[tokio::test]
async fn a_database_that_is_not_there_is_one_line_and_exit_1() {
    // An unreachable PostgreSQL (nothing listens on port 1), with the flag this time.
    let run = chirp(
        &[
            "admin",
            "role",
            "ada",
            "admin",
            "--database-url",
            "postgres://postgres:hunter2@127.0.0.1:1/chirp",
        ],
        "sqlite://ignored.db",
        "",
    )
    .await;
    run.assert_fails_with(
        "cannot open postgres://postgres:***@127.0.0.1:1/chirp: the database does not answer",
    );
    assert!(!run.stderr.contains("hunter2"), "no password in errors");

    // A SQLite file that does not exist is not created: it is the wrong path.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db");
    let url = format!("sqlite://{}", missing.display());
    chirp(&["admin", "role", "ada", "admin"], &url, "")
        .await
        .assert_fails_with("there is no database at");
    chirp(&["admin", "create-user", "ada"], &url, "long enough\n")
        .await
        .assert_fails_with("there is no database at");
    assert!(!missing.exists(), "no database made by a typo");
}

async fn create_user_works_while_sign_ups_are_closed(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.server.registrations = chirp::config::Registrations::Closed;
    })
    .await;
    app.post(
        "/api/users",
        json!({"username": "walkin", "password": PASSWORD}),
        None,
    )
    .await
    .assert_error(403, "registrations_closed");

    // The password is one line on standard input; its newline is not part of it.
    let create = |name, stdin| create_user(&app, name, stdin);
    let run = create("Grace", "correct horse battery\n").await;
    assert_eq!(run.code, Some(0), "stderr: {}", run.stderr);
    assert_eq!(run.stderr, "");
    let user: serde_json::Value = serde_json::from_str(run.stdout.trim_end()).unwrap();
    assert_eq!(user["username"], "Grace");
    assert_eq!(user["role"], "user");
    assert!(user["id"].as_i64().is_some(), "{user}");

    // Hashed as the server hashes: signing in through the running server works.
    let signed_in = app
        .post(
            "/api/sessions",
            json!({"username": "grace", "password": "correct horse battery"}),
            None,
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    assert_eq!(signed_in.body["user"]["id"], user["id"]);
    let token = signed_in.body["token"].as_str().unwrap();
    let me = app.get("/api/me", Some(token)).await;
    assert_eq!(me.body["username"], "Grace");
    // And the first admin is one more command away.
    assert_eq!(set_role(&app, "grace", "admin").await.stdout, "admin\n");
    assert_eq!(
        app.get("/api/users/grace", None).await.body["role"],
        "admin"
    );

    // Sign-up's rules, one line each.
    create("GRACE", "another password\n")
        .await
        .assert_fails_with("taken");
    create("no spaces", "long enough\n")
        .await
        .assert_fails_with("Username");
    create("ok_name", "short\n")
        .await
        .assert_fails_with("Password must be 8 to 128 characters");
    create("ok_name", "")
        .await
        .assert_fails_with("no password on standard input");
    assert_eq!(
        app.get("/api/users/ok_name", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn create_user_works_while_sign_ups_are_closed_sqlite() {
    create_user_works_while_sign_ups_are_closed(Backend::Sqlite).await;
}

#[tokio::test]
async fn create_user_works_while_sign_ups_are_closed_postgres() {
    create_user_works_while_sign_ups_are_closed(Backend::Postgres).await;
}

#[tokio::test]
async fn closed_sign_ups_answer_403_whatever_the_body_and_before_any_limit() {
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.server.registrations = chirp::config::Registrations::Closed;
        c.limits.rate_limits = chirp::config::Switch::On;
        c.limits.signup_rate_limit = 1;
    })
    .await;
    for _ in 0..3 {
        app.post(
            "/api/users",
            json!({"username": "walkin", "password": PASSWORD}),
            None,
        )
        .await
        .assert_error(403, "registrations_closed");
    }
    app.post("/api/users", json!({"username": 7}), None)
        .await
        .assert_error(403, "registrations_closed");
    // Everything else is open as before.
    assert_eq!(app.get("/api/tweets", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn open_sign_ups_are_the_default() {
    let app = spawn_app(Backend::Sqlite).await;
    let user = app.sign_up("opened").await;
    assert_eq!(user["role"], "user");
}
