//! Shared test fixtures: real databases (a SQLite file in a temp dir, a fresh schema
//! on the real PostgreSQL) and a real server on a random port.

#![allow(dead_code)]

use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use medmap::http::Settings;
use medmap::serve::Running;
use medmap::store::Store;
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;

/// The PostgreSQL every test run uses (trust auth, database `test`).
pub fn pg_url() -> String {
    std::env::var("MEDMAP_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database for one test; dropping it removes the SQLite dir or the PG schema.
pub struct TestDb {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("medmap.db");
        let store = Store::connect_sqlite(path.to_str().expect("utf-8 path"))
            .await
            .expect("sqlite store");
        TestDb {
            store,
            _dir: Some(dir),
            pg_schema: None,
        }
    }

    pub async fn postgres() -> TestDb {
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&pg_url())
            .await
            .expect("PostgreSQL on 127.0.0.1:5432 (database test)");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut conn)
            .await
            .expect("create schema");
        conn.close().await.ok();
        let opts = PgConnectOptions::from_str(&pg_url())
            .expect("pg url")
            .options([("search_path", schema.as_str())]);
        let store = Store::connect_postgres(opts).await.expect("pg store");
        TestDb {
            store,
            _dir: None,
            pg_schema: Some(schema),
        }
    }

    pub async fn drop_db(self) {
        self.store.close().await;
        if let Some(schema) = self.pg_schema {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_url()).await {
                let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&mut conn)
                    .await;
            }
        }
    }
}

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

/// A real server on a random port over `store`, importing `data` first if given;
/// returns once `/readyz` answers 200.
pub async fn spawn_app(store: Store, data: Option<PathBuf>) -> (Running, String) {
    let settings = Settings {
        addr: "127.0.0.1:0".parse().expect("addr"),
        data_dir: data,
        ..Settings::default()
    };
    let running = medmap::serve::start(store, settings)
        .await
        .expect("server starts");
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "server not ready within 120 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (running, base)
}
