//! Test support: a fresh database per test (a SQLite file in a temporary directory, or a
//! PostgreSQL database created for the test and dropped after); the real app started on
//! 127.0.0.1:0 on one, and talked to over HTTP.

use chirp::App;
use chirp::config::{LogFormat, ServeConfig, Switch};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Admin URL for creating throwaway PostgreSQL databases.
pub fn postgres_admin_url() -> String {
    std::env::var("CHIRP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A running app and an HTTP client for it.
pub struct TestApp {
    pub base: String,
    /// The database it runs on.
    pub backend: Backend,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    config: ServeConfig,
    _database: TestDatabase,
}

/// A database of its own for one test: dropped (PostgreSQL) or deleted with its directory
/// (SQLite) when this is dropped.
pub struct TestDatabase {
    /// What to pass as `--database-url`.
    pub url: String,
    _dir: tempfile::TempDir,
    postgres_db: Option<String>,
}

impl TestDatabase {
    /// A new, empty database on `backend` (migrations run when Chirp connects).
    pub async fn create(backend: Backend) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, postgres_db) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("chirp.db").display()),
                None,
            ),
            Backend::Postgres => {
                let name = format!("chirp_test_{}", rand_suffix());
                admin_sql(&format!("CREATE DATABASE {name}")).await;
                let admin = postgres_admin_url();
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .unwrap_or(admin);
                (format!("{base}/{name}"), Some(name))
            }
        };
        Self {
            url,
            _dir: dir,
            postgres_db,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = self.postgres_db.take() {
            // Drop the throwaway database from a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(admin_sql(&format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )));
            })
            .join();
        }
    }
}

/// A `Store` used directly (no HTTP) on a database of its own, for the storage conformance
/// suite and tests that drive the feed without a server.
pub struct TestStore {
    pub store: std::sync::Arc<dyn chirp::storage::Store>,
    // Dropped after `store`: the database outlives its pool.
    _database: TestDatabase,
}

impl TestStore {
    /// A fresh, migrated database on `backend`.
    pub async fn open(backend: Backend) -> Self {
        let database = TestDatabase::create(backend).await;
        let store = chirp::storage::connect(&chirp::storage::StoreConfig {
            url: database.url.clone(),
            pool_size: 4,
            sqlite_cache_kib: 512,
        })
        .await
        .expect("the store connects and migrates");
        Self {
            store,
            _database: database,
        }
    }
}

/// Start the app on `backend` with otherwise default settings.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Start the app after letting the test adjust its configuration. Rate limits are off
/// (tests sign up and post far faster than a person); a test of a limit switches them on.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut ServeConfig)) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        chirp::telemetry::init(LogFormat::Text);
    }
    let database = TestDatabase::create(backend).await;
    let mut config = ServeConfig::defaults();
    config.server.addr = "127.0.0.1:0".parse().unwrap();
    config.storage.database_url = database.url.clone();
    config.limits.rate_limits = Switch::Off;
    // Beside the database, gone with it (not `./media` in the working directory).
    config.media.media_url = format!("file://{}", database._dir.path().join("media").display());
    adjust(&mut config);
    let (base, stop) = start(&config).await;
    TestApp {
        base,
        backend,
        client: reqwest::Client::builder().build().unwrap(),
        stop: Some(stop),
        config,
        _database: database,
    }
}

/// Build and run the app; its base URL and the sender that stops it.
async fn start(config: &ServeConfig) -> (String, oneshot::Sender<()>) {
    let app = App::build(config).await.expect("app builds");
    let addr = app.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    (format!("http://{addr}"), stop)
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{}_{}_{nanos}",
        std::process::id(),
        chirp::auth::new_token()[..6]
            .to_ascii_lowercase()
            .replace('-', "_")
    )
}

async fn admin_sql(sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .expect("PostgreSQL answers at CHIRP_TEST_POSTGRES_URL (the test command starts it)");
    sqlx::query(sql).execute(&mut conn).await.expect(sql);
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Then `_database` drops the database.
    }
}

/// A decoded response: status, headers and JSON body (Null when empty or not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// Read a response whole.
    pub async fn read(response: Response) -> Self {
        Self::from(response).await
    }

    async fn from(response: Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
            text,
        }
    }

    /// Assert this is the contract's error shape with `status` and `code`.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(self.body["error"]["code"], code, "body: {}", self.text);
        assert!(
            self.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "error without a message: {}",
            self.text
        );
    }
}

impl TestApp {
    /// Stop the server and start a new one on the same database and settings (on a new
    /// port): whatever it kept in memory is gone, whatever it stored is not.
    pub async fn restart(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let (base, stop) = start(&self.config).await;
        self.base = base;
        self.stop = Some(stop);
    }

    /// The database it runs on, as `--database-url`.
    pub fn database_url(&self) -> &str {
        &self.config.storage.database_url
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    pub async fn send(&self, request: RequestBuilder) -> Answer {
        Answer::from(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(with_token(self.request(Method::GET, path), token))
            .await
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Answer {
        self.send(with_token(
            self.request(Method::POST, path).json(&body),
            token,
        ))
        .await
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>) -> Answer {
        self.send(with_token(self.request(method, path), token))
            .await
    }

    /// Create an account; returns the user JSON.
    pub async fn sign_up(&self, username: &str) -> Value {
        let answer = self
            .post(
                "/api/users",
                json!({"username": username, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "sign-up: {}",
            answer.text
        );
        answer.body
    }

    /// Sign in; returns the token.
    pub async fn sign_in(&self, username: &str) -> String {
        let answer = self
            .post(
                "/api/sessions",
                json!({"username": username, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "sign-in: {}", answer.text);
        answer.body["token"].as_str().unwrap().to_owned()
    }

    /// Sign up and sign in; returns (user id, token).
    pub async fn user(&self, username: &str) -> (i64, String) {
        let user = self.sign_up(username).await;
        (user["id"].as_i64().unwrap(), self.sign_in(username).await)
    }

    /// Post a tweet; returns the tweet JSON.
    pub async fn tweet(&self, token: &str, text: &str) -> Value {
        let answer = self
            .post("/api/tweets", json!({"text": text}), Some(token))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "post: {}", answer.text);
        answer.body
    }

    /// Give `username` a role, as the shell would (straight in the store, logged with no
    /// actor).
    pub async fn set_role(&self, username: &str, role: chirp::domain::Role) {
        let store = chirp::storage::connect(&chirp::storage::StoreConfig {
            url: self.database_url().to_owned(),
            pool_size: 1,
            sqlite_cache_kib: 512,
        })
        .await
        .expect("a second connection to the test database");
        let name = chirp::domain::Username::parse(username).unwrap();
        let user = store.user_by_name(&name).await.unwrap().expect("the user");
        store.set_role(user.id, role, None).await.unwrap();
    }

    /// Suspend `username` as the moderator signed in with `moderator`; asserts it worked.
    pub async fn suspend(&self, username: &str, moderator: &str) {
        let answer = self
            .post(
                &format!("/api/admin/users/{username}/suspend"),
                json!({"reason": "spam"}),
                Some(moderator),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "suspend: {}", answer.text);
    }

    /// Ids of a timeline response.
    pub async fn ids(&self, path: &str) -> Vec<i64> {
        self.ids_as(path, None).await
    }

    /// Ids of a timeline response, read as `token`'s user (or anonymously).
    pub async fn ids_as(&self, path: &str, token: Option<&str>) -> Vec<i64> {
        let answer = self.get(path, token).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text);
        answer.body["tweets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    }
}

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

fn with_token(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
    match token {
        Some(t) => request.bearer_auth(t),
        None => request,
    }
}

/// Generate one `#[tokio::test]` per backend for each named `async fn name(app: &TestApp)`,
/// so the same behaviour is checked on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await;
                    super::$test(&app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await;
                    super::$test(&app).await;
                }
            )*
        }
    };
}

/// A small deterministic pseudo-random sequence (the test must replay the same way).
pub struct Dice(pub u64);

impl Dice {
    /// The next roll of a die with `sides` sides, from 0.
    pub fn roll(&mut self, sides: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % sides as u64) as usize
    }
}
