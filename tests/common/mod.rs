//! Shared test fixtures: real databases (a SQLite file in a temp dir, a fresh schema
//! on the real PostgreSQL) and a real server on a random port.
//!
//! # How to add a test
//!
//! * **Only reads** (GETs, or writes nobody else looks at): add it to the file's
//!   shared app. Each such binary declares one
//!   `static APP: SharedApps = SharedApps::new(make);`, started once per backend on
//!   first use, and a test is
//!
//!   ```ignore
//!   shared_app_test! { APP;
//!       /// What it proves, in a sentence.
//!       async fn a_russian_brand_resolves_to_its_substance(app) {
//!           let (status, body) = app.get_json("/api/v1/medications/search?q=нурофен").await;
//!           assert_eq!(status, 200, "{body}");
//!       }
//!   }
//!   ```
//!
//!   which makes `a_russian_brand_resolves_to_its_substance::sqlite` and `…::postgres`.
//!   Tests on a shared app run concurrently with each other: if one writes, it writes
//!   only to rows it owns (its own publisher, its own facilities from
//!   [`TestApp::claim`]).
//! * **Needs a server of its own** (changes settings or global state, measures time):
//!
//!   ```ignore
//!   backend_test! {
//!       async fn a_revoked_key_is_refused(backend) {
//!           let app = spawn_app_with(AppSettings::new(backend)).await;
//!           …
//!       }
//!   }
//!   ```
//!
//!   Every start imports the small data set and builds a snapshot (a few seconds), so
//!   prefer the shared app. [`AppSettings`] chooses the data folder ([`Data`]) and the
//!   server's [`Settings`]; [`TestApp::start`] starts a server over a [`TestDb`] you
//!   filled first.
//! * **Needs only a database**: `let db = TestDb::new(backend).await;` and use
//!   `db.store`.
//!
//! Nothing needs cleaning up by hand: dropping a [`TestDb`] (or the [`TestApp`] that
//! owns it) removes its temp dir or its PostgreSQL schema, also when the test panics.
//! The shared apps are removed when the test binary exits. Run one backend with
//! `cargo test --test api -- sqlite` (or `postgres`); PostgreSQL is
//! `postgres://postgres@127.0.0.1:5432/test` unless `MEDMAP_TEST_PG` says otherwise.
//! Tests reach the server's snapshot with [`TestApp::snapshot`] and the server's
//! settings type as `common::Settings`, so a change to either is made here only.

#![allow(dead_code, unused_macros)]

pub mod child;
pub mod meili;
pub mod pg_cluster;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The server's settings, the one path the tests name it by.
pub use medmap::config::Settings;
use medmap::serve::Running;
use medmap::snapshot::Snapshot;
use medmap::store::Store;
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;

/// The PostgreSQL every test run uses (trust auth, database `test`).
pub fn pg_url() -> String {
    std::env::var("MEDMAP_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One async test body run as two tests, `<name>::sqlite` and `<name>::postgres`,
/// each on a fresh multi-threaded runtime; the body gets the [`Backend`].
macro_rules! backend_test {
    ($(#[$meta:meta])* async fn $name:ident($backend:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($backend: $crate::common::Backend) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                body($crate::common::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                body($crate::common::Backend::Postgres).await
            }
        }
    };
}

/// One async test body run as `<name>::sqlite` and `<name>::postgres` against the
/// binary's shared app (`static $apps: SharedApps`) of that backend; the body gets a
/// `&'static TestApp`.
macro_rules! shared_app_test {
    ($apps:ident; $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: &'static $crate::common::TestApp) $body

            #[test]
            fn sqlite() {
                $apps.run($crate::common::Backend::Sqlite, body)
            }

            #[test]
            fn postgres() {
                $apps.run($crate::common::Backend::Postgres, body)
            }
        }
    };
}

/// A database for one test; dropping it removes the SQLite dir or the PG schema,
/// also while a panicking test unwinds.
pub struct TestDb {
    pub store: Store,
    backend: Backend,
    // Dropped after `store`: the schema or directory outlives the pool handle.
    dir: Option<tempfile::TempDir>,
    schema: Option<PgSchema>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite().await,
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("medmap.db");
        let store = Store::connect_sqlite(path.to_str().expect("utf-8 path"))
            .await
            .expect("sqlite store");
        TestDb {
            store,
            backend: Backend::Sqlite,
            dir: Some(dir),
            schema: None,
        }
    }

    /// A fresh schema named `t_<uuid>`; the store's connections carry it as their
    /// `application_name`, so the cleanup can end them before dropping it.
    pub async fn postgres() -> TestDb {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&pg_url())
            .await
            .expect("PostgreSQL on 127.0.0.1:5432 (database test)");
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .expect("create schema");
        conn.close().await.ok();
        // From here on the schema is dropped whatever happens (a failed migration too).
        let schema = PgSchema(name);
        let opts = PgConnectOptions::from_str(&pg_url())
            .expect("pg url")
            .application_name(&schema.0)
            .options([("search_path", schema.0.as_str())]);
        let store = Store::connect_postgres(opts).await.expect("pg store");
        TestDb {
            store,
            backend: Backend::Postgres,
            dir: None,
            schema: Some(schema),
        }
    }

    /// A store on a PostgreSQL of the test's own (a [`pg_cluster::PgCluster`]),
    /// owning nothing: the cluster goes away whole.
    pub async fn postgres_at(url: &str) -> TestDb {
        let store = Store::connect(url).await.expect("pg store");
        TestDb {
            store,
            backend: Backend::Postgres,
            dir: None,
            schema: None,
        }
    }

    /// Another store on this PostgreSQL schema that owns nothing (the schema goes
    /// with `self`): the database of a second replica.
    pub async fn replica(&self) -> TestDb {
        let schema = self
            .pg_schema()
            .expect("replicas share a PostgreSQL schema");
        let opts = PgConnectOptions::from_str(&pg_url())
            .expect("pg url")
            .application_name(schema)
            .options([("search_path", schema)]);
        let store = Store::connect_postgres(opts).await.expect("pg store");
        TestDb {
            store,
            backend: Backend::Postgres,
            dir: None,
            schema: None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL schema (`None` on SQLite).
    pub fn pg_schema(&self) -> Option<&str> {
        self.schema.as_ref().map(|s| s.0.as_str())
    }

    /// The temp dir holding the SQLite file (`None` on PostgreSQL).
    pub fn sqlite_dir(&self) -> Option<&Path> {
        self.dir.as_ref().map(|d| d.path())
    }

    /// Keeps the schema or directory until the process exits (shared apps).
    fn keep_until_exit(&mut self) {
        if let Some(s) = self.schema.take() {
            at_exit(ExitTask::Schema(s.0.clone()));
            std::mem::forget(s);
        }
        if let Some(d) = self.dir.take() {
            at_exit(ExitTask::Dir(d.keep()));
        }
    }
}

/// Owns one PostgreSQL test schema: dropping it drops the schema.
struct PgSchema(String);

impl Drop for PgSchema {
    fn drop(&mut self) {
        drop_schema_blocking(&self.0);
    }
}

/// Drops `schema` (and ends the connections still using it) from a plain thread with
/// a runtime of its own: it works from `Drop`, inside or outside a runtime, also while
/// the test's runtime is unwinding or cannot make progress (a current-thread runtime
/// blocked in this very call).
pub fn drop_schema_blocking(schema: &str) {
    let schema = schema.to_string();
    if let Err(e) = block_on_own_thread(async move { drop_schema(&schema).await }) {
        eprintln!("test cleanup: {e}");
    }
}

/// Runs `fut` to completion on a new thread with a current-thread runtime of its own
/// and returns its output: async clean-up from `Drop`, which cannot await.
pub fn block_on_own_thread<T: Send + 'static>(fut: impl Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("clean-up runtime")
            .block_on(fut)
    })
    .join()
    .unwrap_or_else(|p| std::panic::resume_unwind(p))
}

async fn drop_schema(schema: &str) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..5 {
        let mut conn = sqlx::PgConnection::connect(&pg_url())
            .await
            .map_err(|e| format!("cannot connect to drop schema {schema}: {e}"))?;
        // Idle pooled connections hold no locks, but a query cut off by the panic may
        // still run; end them all (they carry the schema as application_name).
        let _ = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND pid <> pg_backend_pid()",
        )
        .bind(schema)
        .execute(&mut conn)
        .await;
        let _ = sqlx::query("SET lock_timeout = '5s'")
            .execute(&mut conn)
            .await;
        match sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .execute(&mut conn)
            .await
        {
            Ok(_) => {
                conn.close().await.ok();
                return Ok(());
            }
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("cannot drop schema {schema}: {last}"))
}

/// Whether `schema` exists in the test database.
pub async fn pg_schema_exists(schema: &str) -> bool {
    let mut conn = sqlx::PgConnection::connect(&pg_url()).await.expect("pg");
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1",
    )
    .bind(schema)
    .fetch_one(&mut conn)
    .await
    .expect("schemata");
    conn.close().await.ok();
    n > 0
}

// ---------------------------------------------------------------------------------
// Clean-up at process exit, for what lives as long as the process (the shared apps).
//
// Statics are never dropped, so the shared apps register their schema and temp dirs
// here. libc's `atexit` runs the hook when the test binary exits (after the last
// test, passed or failed). By then the exiting thread has destroyed its thread-locals,
// which tokio and sqlx need, so the hook only signals a reaper thread started earlier
// (its thread-locals intact) and waits, with bounded sleeps, for it to finish.

enum ExitTask {
    Schema(String),
    Dir(PathBuf),
}

static EXIT_TASKS: Mutex<Vec<ExitTask>> = Mutex::new(Vec::new());
static EXIT_GO: AtomicBool = AtomicBool::new(false);
static EXIT_DONE: AtomicBool = AtomicBool::new(false);

extern "C" {
    fn atexit(hook: extern "C" fn()) -> std::os::raw::c_int;
}

extern "C" fn run_exit_tasks() {
    EXIT_GO.store(true, Ordering::SeqCst);
    let t = Instant::now();
    while !EXIT_DONE.load(Ordering::SeqCst) && t.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn at_exit(task: ExitTask) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        std::thread::Builder::new()
            .name("test-exit-reaper".into())
            .spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("reaper runtime");
                while !EXIT_GO.load(Ordering::SeqCst) {
                    std::thread::park_timeout(Duration::from_millis(50));
                }
                let tasks =
                    std::mem::take(&mut *EXIT_TASKS.lock().unwrap_or_else(|e| e.into_inner()));
                for t in tasks {
                    match t {
                        ExitTask::Schema(s) => {
                            let _ = rt.block_on(drop_schema(&s));
                        }
                        ExitTask::Dir(d) => {
                            let _ = std::fs::remove_dir_all(d);
                        }
                    }
                }
                EXIT_DONE.store(true, Ordering::SeqCst);
            })
            .expect("reaper thread");
        // SAFETY: registers a plain `extern "C" fn()` that neither unwinds nor touches
        // thread-locals; libc keeps the pointer, which is a static function.
        unsafe {
            atexit(run_exit_tasks);
        }
    });
    EXIT_TASKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(task);
}

// ---------------------------------------------------------------------------------
// Data.

/// The repository's bundled data folder.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// A small data folder for fast tests: a slice of each register and facility list.
pub fn small_data_dir() -> tempfile::TempDir {
    let src = data_dir();
    let dst = tempfile::tempdir().expect("temp dir");
    for sub in [
        "medications",
        "facilities",
        "facilities/us_san_mateo_ohana_sample",
        "hsds/examples",
    ] {
        std::fs::create_dir_all(dst.path().join(sub)).expect("mkdir");
    }
    for entry in std::fs::read_dir(src.join("medications")).expect("medications") {
        let p = entry.expect("entry").path();
        let text = std::fs::read_to_string(&p).expect("read");
        // Keep the header and the first rows, plus every row naming a drug the tests ask for.
        let keep: Vec<&str> = text
            .lines()
            .enumerate()
            .filter(|(i, l)| {
                *i < 400
                    || [
                        "ibuprofen",
                        "ібупрофен",
                        "Ибупрофен",
                        "НУРОФ",
                        "Нурофен",
                        "ADVIL",
                        "paracetamol",
                        "парацетамол",
                        "Парацетамол",
                        "ACETAMINOPHEN",
                        "PARACETAMOL",
                        "M01AE01",
                        "N02BE01",
                    ]
                    .iter()
                    .any(|w| l.contains(w))
            })
            .map(|(_, l)| l)
            .collect();
        std::fs::write(
            dst.path()
                .join("medications")
                .join(p.file_name().expect("name")),
            keep.join("\n"),
        )
        .expect("write");
    }
    for f in [
        "uk_nhs_pharmacies_england.csv",
        "osm_helsinki_health_social.geojson",
    ] {
        let text = std::fs::read_to_string(src.join("facilities").join(f)).expect("read");
        let out: String = if f.ends_with(".csv") {
            text.lines().take(300).collect::<Vec<_>>().join("\n")
        } else {
            text
        };
        std::fs::write(dst.path().join("facilities").join(f), out).expect("write");
    }
    for entry in std::fs::read_dir(src.join("facilities/us_san_mateo_ohana_sample")).expect("ohana")
    {
        let p = entry.expect("entry").path();
        std::fs::copy(
            &p,
            dst.path()
                .join("facilities/us_san_mateo_ohana_sample")
                .join(p.file_name().expect("name")),
        )
        .expect("copy");
    }
    for entry in std::fs::read_dir(src.join("hsds/examples")).expect("hsds") {
        let p = entry.expect("entry").path();
        if p.is_file() {
            std::fs::copy(
                &p,
                dst.path()
                    .join("hsds/examples")
                    .join(p.file_name().expect("name")),
            )
            .expect("copy");
        }
    }
    dst
}

/// What the server imports into an empty database before its first snapshot.
#[derive(Debug, Clone)]
pub enum Data {
    /// [`small_data_dir`], copied into a temp dir the app owns (the default).
    Small,
    /// Nothing: the server serves what the database already holds.
    None,
    /// This folder (e.g. [`data_dir`] for the whole bundled data).
    Dir(PathBuf),
}

/// How [`spawn_app_with`] builds a [`TestApp`].
#[derive(Debug, Clone)]
pub struct AppSettings {
    pub backend: Backend,
    pub data: Data,
    pub server: Settings,
}

impl AppSettings {
    /// `backend`, the small data set and the server's default settings.
    pub fn new(backend: Backend) -> AppSettings {
        AppSettings {
            backend,
            data: Data::Small,
            // Every request of a test comes from 127.0.0.1, and a shared app serves
            // a whole binary's tests: the per-client rate limit would fail them at
            // random. tests/limits.rs turns it on where it is the subject.
            server: Settings {
                client_rate: None,
                ..Settings::default()
            },
        }
    }

    pub fn data(mut self, data: Data) -> AppSettings {
        self.data = data;
        self
    }

    /// A server that fetches from the test's own local HTTP servers (pull feeds,
    /// slot publications) without waiting: private URLs allowed, a 1 s timeout, files
    /// capped at `cap` bytes (so an oversized file is small), due fetches looked for
    /// every 100 ms, publications allowed every second.
    pub fn fetching(self, cap: u64) -> AppSettings {
        self.server(|s| {
            s.allow_private_urls = true;
            s.pull_timeout = std::time::Duration::from_secs(1);
            s.pull_max_bytes = cap;
            s.pull_min_every_secs = 1;
            s.pull_poll = std::time::Duration::from_millis(100);
        })
    }

    /// Changes the server's settings, e.g. `.server(|s| s.max_body_bytes = 1 << 20)`.
    pub fn server(mut self, change: impl FnOnce(&mut Settings)) -> AppSettings {
        change(&mut self.server);
        self
    }
}

// ---------------------------------------------------------------------------------
// The app.

/// A real server on a random port over a [`TestDb`], with a client and request
/// helpers. Dropping it stops the server and removes the database and data folder.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Follows no redirects (tests look at the 303s themselves).
    pub client: reqwest::Client,
    claimed: AtomicUsize,
    // Field order is drop order: the server first, then its database and data.
    running: Running,
    db: TestDb,
    data: Option<tempfile::TempDir>,
}

/// A SQLite app with the small data set and default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(AppSettings::new(Backend::Sqlite)).await
}

/// A fresh database of `settings.backend` and a server over it; returns once the
/// server answers `/readyz` with 200 (data imported, snapshot built).
pub async fn spawn_app_with(settings: AppSettings) -> TestApp {
    let db = TestDb::new(settings.backend).await;
    TestApp::start(db, settings.data, settings.server).await
}

impl TestApp {
    /// A server over `db` (filled or not by the caller) importing `data` first.
    pub async fn start(db: TestDb, data: Data, server: Settings) -> TestApp {
        let (data, dir) = match data {
            Data::Small => {
                let d = small_data_dir();
                (Some(d.path().to_path_buf()), Some(d))
            }
            Data::None => (None, None),
            Data::Dir(p) => (Some(p), None),
        };
        // The one place a test starts a server.
        let server = Settings {
            addr: "127.0.0.1:0".parse().expect("addr"),
            data_dir: data,
            ..server
        };
        let running = medmap::serve::start(db.store.clone(), server)
            .await
            .expect("server starts");
        let app = TestApp {
            base: format!("http://{}", running.addr),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            claimed: AtomicUsize::new(0),
            running,
            db,
            data: dir,
        };
        app.wait_ready().await;
        app
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Ok(r) = self.client.get(self.url("/readyz")).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "server not ready within 180 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `sqlite://FILE`, or the test schema as a URL a child process can use.
    pub fn db_url(&self) -> String {
        match self.backend() {
            Backend::Sqlite => format!(
                "sqlite://{}",
                self.db()
                    .sqlite_dir()
                    .expect("dir")
                    .join("medmap.db")
                    .display()
            ),
            Backend::Postgres => {
                let schema = self.db().pg_schema().expect("schema");
                format!(
                    "{}?options[search_path]={schema}&application_name={schema}",
                    pg_url()
                )
            }
        }
    }

    /// The price (minor units) availability shows for product `pid` at facility
    /// `at` = `(id, lat, lon)`, if it lists it there.
    pub async fn shown_price(&self, (fid, lat, lon): (i64, f64, f64), pid: i64) -> Option<i64> {
        let (code, r) = self
            .get_json(&format!(
                "/api/v1/availability?medication_id=p{pid}&lat={lat}&lon={lon}&radius_km=1&limit=100"
            ))
            .await;
        assert_eq!(code, 200, "{r:#}");
        r["items"].as_array().and_then(|a| {
            a.iter()
                .find(|o| o["facility"]["id"] == fid)
                .and_then(|o| o["price"]["minor"].as_i64())
        })
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    pub fn db(&self) -> &TestDb {
        &self.db
    }

    pub fn backend(&self) -> Backend {
        self.db.backend
    }

    /// The temp data folder the app owns and imported from ([`Data::Small`]).
    pub fn data_dir(&self) -> Option<&Path> {
        self.data.as_ref().map(|d| d.path())
    }

    /// The server's current snapshot (panics before the first one is built, which
    /// cannot happen once `start` returned).
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.running.state.snap().expect("snapshot")
    }

    /// Rebuilds the server's snapshot from its store, as a full rebuild does after
    /// an import: what tests that change the directory behind a running server use.
    pub async fn rebuild_snapshot(&self) {
        let snap = Snapshot::load(self.store()).await.expect("snapshot");
        self.running.state.snapshot.set(snap);
    }

    /// `host:port` of the server.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.running.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Hands out `n` indexes no other test of this app got: how tests sharing an app
    /// pick rows of their own to write to (`pharmacies[range]`).
    pub fn claim(&self, n: usize) -> std::ops::Range<usize> {
        let start = self.claimed.fetch_add(n, Ordering::SeqCst);
        start..start + n
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.get_with(path, &[]).await
    }

    /// A GET with extra headers (`("accept-language", "uk")`).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Status and JSON body (`Null` when the body is not JSON).
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// Status and body text.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// POSTs `body` as JSON; status and JSON answer (`Null` when not JSON).
    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = r.status().as_u16();
        (status, r.json::<Value>().await.unwrap_or(Value::Null))
    }

    /// A stock feed push: `POST /api/v1/feeds/stock{query}` with `key` as the bearer
    /// token; status and JSON answer (`Null` when not JSON).
    pub async fn push(
        &self,
        key: &str,
        query: &str,
        body: impl Into<reqwest::Body>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        push_to(&self.client, &self.base, key, query, body, headers).await
    }

    /// Creates an API key for `publisher` over `facilities` (`(id, branch code)`);
    /// returns the secret.
    pub async fn make_key(&self, publisher: &str, facilities: &[(i64, Option<String>)]) -> String {
        make_key(self.store(), publisher, facilities).await
    }

    /// Keeps the database and data folder until the process exits (shared apps).
    fn keep_until_exit(&mut self) {
        self.db.keep_until_exit();
        if let Some(d) = self.data.take() {
            at_exit(ExitTask::Dir(d.keep()));
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.running.task.abort();
    }
}

/// [`TestApp::push`] to any server (e.g. a `medmap serve` child at `base`).
pub async fn push_to(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    query: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    post_keyed(
        client,
        &format!("{base}/api/v1/feeds/stock{query}"),
        key,
        body,
        headers,
    )
    .await
}

/// A POST with `key` as the bearer token; status and JSON answer (`Null` when
/// not JSON).
pub async fn post_keyed(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut r = client.post(url).bearer_auth(key).body(body);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let resp = r.send().await.expect("push answered");
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

/// Creates an API key for `publisher` over `facilities`; returns the secret.
pub async fn make_key(
    store: &Store,
    publisher: &str,
    facilities: &[(i64, Option<String>)],
) -> String {
    let k = medmap::feeds::keys::generate();
    store
        .create_key(publisher, Some("UAH"), facilities, &k.hash, &k.prefix)
        .await
        .expect("key");
    k.secret
}

// ---------------------------------------------------------------------------------
// Shared apps.

/// How a binary makes its shared app of one backend.
pub type MakeApp = fn(Backend) -> Pin<Box<dyn Future<Output = TestApp>>>;

/// One app per backend, started on first use and shared by every
/// [`shared_app_test!`] of the binary. The apps and the test bodies all run on one
/// runtime that lives as long as the process (a test's own runtime ends with the
/// test, and with it every connection made on it), so the store and the client may
/// be used from any test.
pub struct SharedApps {
    make: MakeApp,
    sqlite: tokio::sync::OnceCell<TestApp>,
    postgres: tokio::sync::OnceCell<TestApp>,
}

impl SharedApps {
    pub const fn new(make: MakeApp) -> SharedApps {
        SharedApps {
            make,
            sqlite: tokio::sync::OnceCell::const_new(),
            postgres: tokio::sync::OnceCell::const_new(),
        }
    }

    /// The app of `backend`, started if it was not.
    pub async fn get(&'static self, backend: Backend) -> &'static TestApp {
        let cell = match backend {
            Backend::Sqlite => &self.sqlite,
            Backend::Postgres => &self.postgres,
        };
        cell.get_or_init(|| async {
            let mut app = (self.make)(backend).await;
            app.keep_until_exit();
            app
        })
        .await
    }

    /// Runs `test` against the app of `backend` on the shared runtime, blocking the
    /// calling (test) thread; a panic in `test` fails the calling test.
    pub fn run<F, Fut>(&'static self, backend: Backend, test: F)
    where
        F: FnOnce(&'static TestApp) -> Fut,
        Fut: Future<Output = ()>,
    {
        shared_runtime().block_on(async move {
            let app = self.get(backend).await;
            test(app).await
        })
    }
}

/// The runtime of the shared apps.
pub fn shared_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("shared-app")
            .enable_all()
            .build()
            .expect("shared runtime")
    })
}
