//! Backups as an operator runs them: a `medmap serve` child is serving and being
//! pushed to while the store is copied (`medmap backup` for SQLite, `pg_dump` for
//! PostgreSQL); then its stock is changed, the server is stopped, the copy is put
//! back (`medmap restore`, `pg_restore`) and a new server must give the same
//! answers as before the change. A publisher pushing all the while must come back
//! whole: every line from one and the same push.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::child::{medmap, ServeChild, TempPgDatabase};
use common::{small_data_dir, Backend, TestDb};
use serde_json::Value;

/// What is backed up and checked: the publisher whose answers must come back, and
/// the one that keeps pushing during the backup.
struct Fixture {
    kept: Vec<i64>,
    noisy: Vec<i64>,
    products: Vec<i64>,
    kept_key: String,
    noisy_key: String,
}

/// Read through one plain connection closed before the test goes on, and keys made
/// by `medmap keys create`: this process then holds nothing of the store that could
/// keep `medmap restore` from locking it later (a closed sqlx pool's SQLite
/// connections can let go of the file late).
async fn fixture(db_url: &str) -> Fixture {
    const PHARMACIES: &str =
        "SELECT id FROM facilities WHERE kind = 'pharmacy' AND lat IS NOT NULL ORDER BY id LIMIT 6";
    const PRODUCTS: &str = "SELECT id FROM products ORDER BY id LIMIT 8";
    // The same reads on either backend's connection type.
    macro_rules! read_ids {
        ($conn:ty) => {{
            use sqlx::Connection;
            let mut c = <$conn>::connect(db_url).await.expect("connect");
            let mut ids = Vec::new();
            for sql in [PHARMACIES, PRODUCTS] {
                let rows: Vec<(i64,)> = sqlx::query_as(sql).fetch_all(&mut c).await.expect("ids");
                ids.push(rows.into_iter().map(|(id,)| id).collect::<Vec<i64>>());
            }
            c.close().await.expect("close");
            (ids.remove(0), ids.remove(0))
        }};
    }
    let (pharmacies, products) = if db_url.starts_with("sqlite:") {
        read_ids!(sqlx::SqliteConnection)
    } else {
        read_ids!(sqlx::PgConnection)
    };
    assert_eq!(pharmacies.len(), 6, "six pharmacies in the small data");
    assert_eq!(products.len(), 8, "eight products in the small data");
    let key = |publisher: &str, facilities: &[i64]| {
        let mut args = vec![
            "keys".to_string(),
            "create".into(),
            "--publisher".into(),
            publisher.into(),
        ];
        for f in facilities {
            args.push("--facility".into());
            args.push(f.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = succeed("medmap keys create", medmap(db_url, &args));
        out.lines().next().expect("the key").trim().to_string()
    };
    let (kept, noisy) = (pharmacies[..3].to_vec(), pharmacies[3..].to_vec());
    Fixture {
        kept_key: key("Backup kept", &kept),
        noisy_key: key("Backup noisy", &noisy),
        kept,
        noisy,
        products,
    }
}

/// A snapshot push of `quantity` and `price(facility, product)` for every
/// facility × product.
fn csv(
    facilities: &[i64],
    products: &[i64],
    line: impl Fn(i64, i64) -> Option<(u32, u32)>,
) -> String {
    let mut s = String::from("facility,product_id,quantity,price\n");
    for f in facilities {
        for p in products {
            if let Some((q, cents)) = line(*f, *p) {
                s.push_str(&format!("{f},{p},{q},{}.{:02}\n", cents / 100, cents % 100));
            }
        }
    }
    s
}

async fn push(base: &str, key: &str, body: String) {
    let (code, v) = common::push_to(&reqwest::Client::new(), base, key, "", body, &[]).await;
    assert_eq!(code, 200, "{v:#}");
}

/// The answers compared before and after: each kept facility's stock lines (as the
/// facility API gives them) and, for each product, which kept pharmacies the
/// availability API lists with what quantity and price.
async fn answers(base: &str, fx: &Fixture) -> Value {
    let c = reqwest::Client::new();
    let get = |path: String| {
        let c = c.clone();
        async move {
            let r = c.get(format!("{base}{path}")).send().await.expect("answer");
            assert_eq!(r.status(), 200, "{path}");
            r.json::<Value>().await.expect("json")
        }
    };
    let mut facilities = Vec::new();
    let mut offers = Vec::new();
    for f in &fx.kept {
        let d = get(format!("/api/v1/facilities/{f}")).await;
        let mut lines: Vec<Value> = d["stock"]["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|l| {
                serde_json::json!([
                    l["product"]["id"],
                    l["status"],
                    l["quantity"],
                    l["price_minor"],
                    l["currency"],
                    l["checked_at"]
                ])
            })
            .collect();
        lines.sort_by_key(|l| l.to_string());
        facilities.push(serde_json::json!({"id": f, "lines": lines}));
        let (lat, lon) = (
            d["lat"].as_f64().expect("lat"),
            d["lon"].as_f64().expect("lon"),
        );
        // Each medication the facility lists, asked for where the facility is.
        let mut meds: Vec<String> = d["stock"]["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .filter_map(|l| l["product"]["id"].as_str().map(str::to_string))
            .collect();
        meds.sort();
        meds.dedup();
        for p in &meds {
            let a = get(format!(
                "/api/v1/availability?medication_id={p}&lat={lat}&lon={lon}&radius_km=1&limit=100"
            ))
            .await;
            let mine: Vec<Value> = a["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter(|o| o["facility"]["id"] == *f)
                .map(|o| {
                    serde_json::json!([o["quantity"], o["price"], o["checked_at"], o["source"]])
                })
                .collect();
            offers.push(serde_json::json!({"facility": f, "product": p, "offers": mine}));
        }
    }
    serde_json::json!({"facilities": facilities, "availability": offers})
}

/// The quantities of the noisy publisher's facilities' lines, read through the API.
async fn noisy_quantities(base: &str, fx: &Fixture) -> Vec<u64> {
    let c = reqwest::Client::new();
    let mut qs = Vec::new();
    for f in &fx.noisy {
        let d: Value = c
            .get(format!("{base}/api/v1/facilities/{f}"))
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("json");
        // A snapshot push leaves the facility with the pushed lines only.
        for l in d["stock"]["lines"].as_array().expect("lines") {
            qs.push(l["quantity"].as_u64().expect("quantity"));
        }
    }
    qs
}

/// How the store is copied and put back.
trait Method {
    fn backup(&self, file: &Path);
    fn restore(&self, file: &Path);
    /// Restoring over the store while the server runs must be refused (SQLite).
    fn refuse_while_served(&self, _file: &Path) {}
}

/// The whole cycle against `db_url`; returns (backup bytes, backup time, restore time).
async fn cycle(db_url: &str, method: &dyn Method, dir: &Path) -> (u64, Duration, Duration) {
    let data = small_data_dir();
    let server = ServeChild::start(db_url, data.path()).await;
    let fx = fixture(db_url).await;

    // The state to come back: every kept facility with every product.
    push(
        &server.base,
        &fx.kept_key,
        csv(&fx.kept, &fx.products, |f, p| {
            Some((
                (f % 7 + p % 5 + 1) as u32,
                (100 + f % 13 * 10 + p % 9) as u32,
            ))
        }),
    )
    .await;
    let before = answers(&server.base, &fx).await;
    assert_eq!(
        before["facilities"][0]["lines"].as_array().map(Vec::len),
        Some(fx.products.len()),
        "{before:#}"
    );

    // The noisy publisher pushes quantity k to every line, k = 1, 2, …, until stopped.
    let stop = Arc::new(AtomicBool::new(false));
    let applied = Arc::new(AtomicU32::new(0));
    let noise = {
        let (stop, applied) = (stop.clone(), applied.clone());
        let (base, key) = (server.base.clone(), fx.noisy_key.clone());
        let (noisy, products) = (fx.noisy.clone(), fx.products.clone());
        tokio::spawn(async move {
            let mut k = 0;
            while !stop.load(Ordering::SeqCst) {
                k += 1;
                push(&base, &key, csv(&noisy, &products, |_, _| Some((k, 1000)))).await;
                applied.store(k, Ordering::SeqCst);
            }
        })
    };
    while applied.load(Ordering::SeqCst) < 3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let file = dir.join("medmap.backup");
    let k_before = applied.load(Ordering::SeqCst);
    let t = Instant::now();
    method.backup(&file);
    let backup_time = t.elapsed();
    let k_after = applied.load(Ordering::SeqCst) + 1;
    stop.store(true, Ordering::SeqCst);
    noise.await.expect("noise pushes");
    let bytes = std::fs::metadata(&file).expect("backup file").len();

    // The change: other quantities and prices, and one product dropped.
    push(
        &server.base,
        &fx.kept_key,
        csv(&fx.kept, &fx.products[1..], |_, _| Some((99, 4242))),
    )
    .await;
    let changed = answers(&server.base, &fx).await;
    assert_ne!(before, changed, "the change shows in the answers");

    method.refuse_while_served(&file);
    assert_eq!(
        answers(&server.base, &fx).await,
        changed,
        "a refused restore changes nothing"
    );
    server.stop();

    let t = Instant::now();
    method.restore(&file);
    let restore_time = t.elapsed();
    let server = ServeChild::start(db_url, data.path()).await;
    let after = answers(&server.base, &fx).await;
    assert_eq!(
        before, after,
        "the restored store answers as before the change"
    );

    // The noisy publisher's lines all come from one push made around the backup.
    let qs = noisy_quantities(&server.base, &fx).await;
    assert_eq!(qs.len(), fx.noisy.len() * fx.products.len(), "{qs:?}");
    let k = qs[0];
    assert!(qs.iter().all(|q| *q == k), "lines of one push only: {qs:?}");
    assert!(
        (k_before as u64..=k_after as u64).contains(&k),
        "push {k} was applied while the backup ran ({k_before}..={k_after})"
    );
    server.stop();
    (bytes, backup_time, restore_time)
}

fn report(backend: &str, (bytes, b, r): (u64, Duration, Duration)) {
    eprintln!(
        "{backend}: backup {:.1} MB in {:.2} s while serving and pushed to, restore {:.2} s",
        bytes as f64 / 1e6,
        b.as_secs_f64(),
        r.as_secs_f64()
    );
}

fn succeed(what: &str, out: std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed: {text}");
    text
}

struct Sqlite {
    url: String,
}

/// The processes (pid and command line, this test's own marked) with the store or
/// its `-wal`/`-shm` open: what a refused restore is about.
fn holders(store: &Path) -> Vec<String> {
    let names: Vec<std::path::PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|s| std::path::PathBuf::from(format!("{}{s}", store.display())))
        .collect();
    let mut out = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return out;
    };
    for p in procs.flatten() {
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        let open = fds
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .any(|target| names.contains(&target));
        if open {
            let pid = p.file_name().to_string_lossy().into_owned();
            let cmd = std::fs::read_to_string(p.path().join("cmdline"))
                .unwrap_or_default()
                .replace('\0', " ");
            let me = if pid == std::process::id().to_string() {
                " (this test)"
            } else {
                ""
            };
            out.push(format!("{pid}{me}: {cmd}"));
        }
    }
    out
}

impl Method for Sqlite {
    fn backup(&self, file: &Path) {
        let out = medmap(
            &self.url,
            &["backup", "--out", file.to_str().expect("utf-8")],
        );
        let text = succeed("medmap backup", out);
        assert!(text.contains("integrity ok"), "{text}");
    }

    fn restore(&self, file: &Path) {
        // The stopped server's lock may outlive it by a moment on a loaded
        // machine; a store held for a minute still fails.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut out = medmap(&self.url, &["restore", file.to_str().expect("utf-8")]);
        while !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("is in use")
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(500));
            out = medmap(&self.url, &["restore", file.to_str().expect("utf-8")]);
        }
        if !out.status.success() {
            let store = self.url.trim_start_matches("sqlite://");
            eprintln!("processes holding {store}: {:?}", holders(Path::new(store)));
        }
        succeed("medmap restore", out);
    }

    fn refuse_while_served(&self, file: &Path) {
        let out = medmap(&self.url, &["restore", file.to_str().expect("utf-8")]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "restore over a served store refused");
        assert!(err.contains("in use"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_while_serving_then_restore() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("medmap.db").display());
    let figures = cycle(&url, &Sqlite { url: url.clone() }, dir.path()).await;
    report("sqlite", figures);
}

/// `pg_dump -Fc` and `pg_restore --clean --if-exists --single-transaction`, as
/// docs/operations.md gives them.
struct Postgres {
    url: String,
}

impl Method for Postgres {
    fn backup(&self, file: &Path) {
        let out = Command::new("pg_dump")
            .args(["--format=custom", "--file"])
            .arg(file)
            .arg(&self.url)
            .output()
            .expect("pg_dump runs");
        succeed("pg_dump", out);
    }

    fn restore(&self, file: &Path) {
        let out = Command::new("pg_restore")
            .args([
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--no-owner",
                "--dbname",
            ])
            .arg(&self.url)
            .arg(file)
            .output()
            .expect("pg_restore runs");
        succeed("pg_restore", out);
    }
}

fn on_path(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pg_dump_while_serving_then_pg_restore() {
    if !on_path("pg_dump") || !on_path("pg_restore") {
        eprintln!("SKIPPED: pg_dump or pg_restore is not on PATH (Debian: apt-get install postgresql-client)");
        return;
    }
    let db = TempPgDatabase::create("medmap_backup").await;
    let dir = tempfile::tempdir().expect("dir");
    let figures = cycle(
        &db.url,
        &Postgres {
            url: db.url.clone(),
        },
        dir.path(),
    )
    .await;
    report("postgres", figures);
}

/// What is not a medmap store is refused before anything is replaced: garbage, a
/// SQLite file of something else, a copy cut short, a store from a newer medmap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_what_is_not_a_medmap_store() {
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = db.sqlite_dir().expect("sqlite dir").to_path_buf();
    let url = format!("sqlite://{}", dir.join("medmap.db").display());
    medmap::import::import_source(
        &db.store,
        "osm",
        &common::data_dir().join("facilities/osm_helsinki_health_social.geojson"),
        1,
    )
    .await
    .expect("import");
    let facilities = db.store.counts().await.expect("counts").facilities;
    assert!(facilities > 0);
    db.store.close().await;

    let good = dir.join("good.backup");
    let made = medmap::backup::backup(&url, &good).await.expect("backup");
    assert_eq!(made.file.facilities, facilities);

    let garbage = dir.join("garbage.backup");
    std::fs::write(
        &garbage,
        b"not a database at all, just some text ".repeat(200),
    )
    .expect("write");
    let other = dir.join("other.sqlite");
    {
        use sqlx::Connection;
        let mut c =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", other.display()))
                .await
                .expect("other db");
        sqlx::query("CREATE TABLE notes (t TEXT)")
            .execute(&mut c)
            .await
            .expect("table");
        c.close().await.ok();
    }
    let bytes = std::fs::read(&good).expect("read");
    let cut = dir.join("cut.backup");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let newer = dir.join("newer.backup");
    std::fs::copy(&good, &newer).expect("copy");
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", newer.display()))
            .await
            .expect("newer db");
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) VALUES (9999, 'from the future', CURRENT_TIMESTAMP, 1, x'00', 0)")
            .execute(&mut c)
            .await
            .expect("future migration");
        c.close().await.ok();
    }
    for (file, why) in [
        (&garbage, "SQLite cannot read it"),
        (&other, "no migrations table"),
        (&cut, "not a medmap store"),
        (&newer, "newer than this medmap"),
        (&dir.join("missing.backup"), "no such file"),
    ] {
        let e = medmap::backup::restore(&url, file)
            .await
            .expect_err("refused")
            .to_string();
        assert!(e.contains(why), "{}: {e}", file.display());
    }
    // The store is untouched, and no temporary file is left beside it. (One plain
    // connection, closed before the restore below: a pool may still be closing its
    // connections when `close` returns, and restore waits for no one.)
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&url).await.expect("store");
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM facilities")
            .fetch_one(&mut c)
            .await
            .expect("count");
        assert_eq!(n, facilities);
        c.close().await.expect("close");
    }
    let stray: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(stray.is_empty(), "left behind: {stray:?}");

    // A backup over the store itself is refused.
    let e = medmap::backup::backup(&url, &dir.join(".").join("medmap.db"))
        .await
        .expect_err("refused")
        .to_string();
    assert!(e.contains("the store itself"), "{e}");

    // PostgreSQL is pointed at its own tools.
    let e = medmap::backup::backup("postgres://u:pw@127.0.0.1/x", &good)
        .await
        .expect_err("refused")
        .to_string();
    assert!(e.contains("pg_dump") && !e.contains("pw@"), "{e}");

    // And the good copy goes back.
    let back = restore_once_let_go(&url, &good).await.expect("restore");
    assert_eq!(back.file.facilities, facilities);
}

/// `medmap::backup::restore`, asked again while the store still looks in use for
/// up to a minute. sqlx closes a SQLite connection on its worker thread after
/// `close()` returns, so within this one process the connections the test itself
/// closed may hold the store a little longer on a loaded machine; the CLI
/// restores from a process of its own and never meets them. A connection that
/// is never let go still fails the test.
async fn restore_once_let_go(
    url: &str,
    file: &Path,
) -> Result<medmap::backup::Outcome, medmap::backup::BackupError> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match medmap::backup::restore(url, file).await {
            Err(medmap::backup::BackupError::InUse { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            r => return r,
        }
    }
}
