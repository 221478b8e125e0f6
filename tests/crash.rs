//! Crash consistency as a property (issue 18, point 3): a `medmap serve` child is
//! killed with SIGKILL at random moments while it takes a stock feed push, while
//! `medmap import osm` writes a directory batch (facilities, services, their
//! taxonomy) and while `medmap import us-fda` writes a catalog batch (substances,
//! products, names), on SQLite and on PostgreSQL. After each kill a new server is
//! started on the same store, and:
//!
//! 1. the store equals the state before the write or the state after it, never one
//!    in between (row counts of every table a write touches, and every stock line
//!    of the pushed facilities); a write the server or the CLI acknowledged (200,
//!    exit 0) before the kill must be there whole;
//! 2. the restarted server's answers (facility stock lines, availability, facility
//!    and HSDS service pages, medication pages and search) agree with the tables;
//! 3. the snapshot rebuilt at the restart holds what the tables hold
//!    (`medmap_snapshot_facilities` and `medmap_snapshot_stock_lines` against the
//!    tables' counts, with the offset measured on the first start).
//!
//! The kill moments come from a seeded generator: uniform over 1.25 × the write's
//! duration, measured un-killed first and again after every restart (a running
//! average), so kills land before, during and after the commit.
//! The seed is printed; `MEDMAP_CRASH_SEED=N` replays a run, `MEDMAP_CRASH_POINTS`
//! sets the kills per backend (default 60: half pushes, a quarter each of
//! directory and catalog imports). Run one backend with
//! `cargo test --test crash -- sqlite` (or `postgres`).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::child::{bin, ServeChild, TempPgDatabase};
use common::small_data_dir;
use medmap::model::FacilityKind;
use medmap::store::Store;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::Value;

/// Tables some write of the test adds rows to or removes rows from.
const TABLES: &[&str] = &[
    "facilities",
    "facility_ids",
    "organizations",
    "services",
    "service_at_location",
    "service_taxonomy",
    "schedules",
    "taxonomy_terms",
    "substances",
    "products",
    "names",
    "product_substances",
    "product_codes",
    "feed_pushes",
    "stock",
];

/// Pharmacies pushed to and products per pharmacy: 4,320 lines, every one of a
/// facility's lines within the 100 its page lists.
const FACILITIES: usize = 48;
const PRODUCTS: usize = 90;
/// Records per directory and per catalog import.
const BATCH: usize = 400;

/// What the store holds, as far as the writes of this test can change it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    counts: BTreeMap<&'static str, i64>,
    /// `(facility, product) → (quantity, price_minor)` of the pushed pharmacies.
    lines: Lines,
}

type Lines = BTreeMap<(i64, i64), (i64, i64)>;

impl State {
    /// What differs from `other`, for a failure message.
    fn diff(&self, other: &State) -> String {
        let mut out = String::new();
        for (t, n) in &self.counts {
            let m = other.counts.get(t).copied().unwrap_or(-1);
            if *n != m {
                out.push_str(&format!("{t}: {n} vs {m}; "));
            }
        }
        let differing = self
            .lines
            .iter()
            .filter(|(k, v)| other.lines.get(k) != Some(v))
            .count()
            + other
                .lines
                .keys()
                .filter(|k| !self.lines.contains_key(k))
                .count();
        if differing > 0 {
            out.push_str(&format!("{differing} stock lines differ"));
        }
        out
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let r = match store {
        Store::Sqlite(p) => sqlx::query_scalar::<_, i64>(&sql).fetch_one(p).await,
        Store::Postgres(p) => sqlx::query_scalar::<_, i64>(&sql).fetch_one(p).await,
    };
    r.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// `(id, text)` rows of `sql`.
async fn id_text(store: &Store, sql: &str) -> Vec<(i64, String)> {
    let r = match store {
        Store::Sqlite(p) => sqlx::query_as::<_, (i64, String)>(sql).fetch_all(p).await,
        Store::Postgres(p) => sqlx::query_as::<_, (i64, String)>(sql).fetch_all(p).await,
    };
    r.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn state(store: &Store, fx: &Fixture) -> State {
    let mut counts = BTreeMap::new();
    for t in TABLES {
        counts.insert(*t, count(store, t).await);
    }
    let ids: Vec<String> = fx.facilities.iter().map(|f| f.0.to_string()).collect();
    let sql = format!(
        "SELECT facility_id, product_id, CAST(COALESCE(quantity, -1) AS BIGINT), \
         CAST(COALESCE(price_minor, -1) AS BIGINT) FROM stock WHERE facility_id IN ({})",
        ids.join(",")
    );
    let rows = match store {
        Store::Sqlite(p) => {
            sqlx::query_as::<_, (i64, i64, i64, i64)>(&sql)
                .fetch_all(p)
                .await
        }
        Store::Postgres(p) => {
            sqlx::query_as::<_, (i64, i64, i64, i64)>(&sql)
                .fetch_all(p)
                .await
        }
    }
    .expect("stock lines");
    let lines = rows
        .into_iter()
        .map(|(f, p, q, c)| ((f, p), (q, c)))
        .collect();
    State { counts, lines }
}

/// The pharmacies (id, lat, lon) pushed to, the products they list, the key.
struct Fixture {
    facilities: Vec<(i64, f64, f64)>,
    products: Vec<i64>,
    key: String,
}

async fn fixture(store: &Store) -> Fixture {
    let facilities: Vec<(i64, f64, f64)> = store
        .load_facilities()
        .await
        .expect("facilities")
        .into_iter()
        .filter(|f| f.kind == FacilityKind::Pharmacy)
        .filter_map(|f| Some((f.id, f.lat?, f.lon?)))
        .take(FACILITIES)
        .collect();
    assert_eq!(facilities.len(), FACILITIES, "pharmacies in the small data");
    let products: Vec<i64> = store
        .load_products()
        .await
        .expect("products")
        .into_iter()
        .map(|p| p.id)
        .take(PRODUCTS)
        .collect();
    assert_eq!(products.len(), PRODUCTS);
    let scope: Vec<(i64, Option<String>)> = facilities.iter().map(|f| (f.0, None)).collect();
    let key = common::make_key(store, "Crash test pharmacies", &scope).await;
    Fixture {
        facilities,
        products,
        key,
    }
}

// ---------------------------------------------------------------------------------
// The writes.

/// A feed push: its query, body, and the pushed pharmacies' lines once applied.
struct Push {
    query: &'static str,
    body: String,
    after: Lines,
}

/// A snapshot push (every pharmacy, most products: the ones left out are removed)
/// or a delta push (a third of the lines changed), with fresh random figures so a
/// mix of two pushes shows.
fn make_push(rng: &mut StdRng, fx: &Fixture, before: &Lines) -> Push {
    let snapshot = rng.random_bool(0.6);
    let mut body = String::from("facility,product_id,quantity,price\n");
    let mut after = if snapshot {
        Lines::new()
    } else {
        before.clone()
    };
    for (f, _, _) in &fx.facilities {
        for (i, p) in fx.products.iter().enumerate() {
            let keep = if snapshot {
                i == 0 || rng.random_bool(0.85)
            } else {
                rng.random_bool(0.33)
            };
            if !keep {
                continue;
            }
            let q: i64 = rng.random_range(1..=999);
            let cents: i64 = rng.random_range(100..=99_999);
            body.push_str(&format!("{f},{p},{q},{}.{:02}\n", cents / 100, cents % 100));
            after.insert((*f, *p), (q, cents));
        }
    }
    Push {
        query: if snapshot { "" } else { "?mode=delta" },
        body,
        after,
    }
}

/// `POST /api/v1/feeds/stock`; the status, or `None` when the server went away.
async fn post_push(base: String, key: String, query: &str, body: String) -> Option<u16> {
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/feeds/stock{query}"))
        .bearer_auth(key)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .ok()?;
    let code = r.status().as_u16();
    // The answer is only sent after the commit; a body cut off still means 200.
    let _ = r.bytes().await;
    Some(code)
}

/// Which import a batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Push,
    Directory,
    Catalog,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Push => "feed push",
            Kind::Directory => "directory import",
            Kind::Catalog => "catalog import",
        }
    }
}

fn shelter_name(batch: usize, i: usize) -> String {
    format!("Crash shelter {batch:03} {i:04}")
}

fn drug_name(batch: usize, i: usize) -> String {
    format!("CRASHDRUG K{batch:03} N{i:04}")
}

/// `BATCH` OpenStreetMap social facilities (each also an HSDS service with its
/// taxonomy), new ids per batch.
fn osm_batch(dir: &Path, batch: usize, rng: &mut StdRng) -> PathBuf {
    let features: Vec<Value> = (0..BATCH)
        .map(|i| {
            let id = format!("node/{}", 9_000_000_000u64 + (batch * 10_000 + i) as u64);
            let what = ["shelter", "food_bank", "outreach"][i % 3];
            let whom = ["homeless", "senior", "child"][i % 3];
            serde_json::json!({
                "type": "Feature",
                "id": id,
                "properties": {
                    "@id": id,
                    "amenity": "social_facility",
                    "social_facility": what,
                    "social_facility:for": whom,
                    "name": shelter_name(batch, i),
                    "addr:city": "Helsinki",
                    "opening_hours": "Mo-Fr 09:00-17:00",
                },
                "geometry": {"type": "Point", "coordinates": [
                    24.9 + rng.random_range(0.0..0.1),
                    60.15 + rng.random_range(0.0..0.05),
                ]},
            })
        })
        .collect();
    let path = dir.join(format!("crash_{batch:03}.geojson"));
    let doc = serde_json::json!({"type": "FeatureCollection", "features": features});
    std::fs::write(&path, doc.to_string()).expect("write geojson");
    path
}

/// A folder with `BATCH` Drugs@FDA products, each with a substance of its own.
fn fda_batch(dir: &Path, batch: usize) -> PathBuf {
    let folder = dir.join(format!("fda_{batch:03}"));
    std::fs::create_dir_all(&folder).expect("mkdir");
    let mut csv = String::from("drug_name,active_ingredients,is_brand_name\n");
    for i in 0..BATCH {
        csv.push_str(&format!(
            "{},CRASHSUBSTANCE K{batch:03} N{i:04},true\n",
            drug_name(batch, i)
        ));
    }
    std::fs::write(folder.join("us_drugsatfda_product_to_ingredient.csv"), csv).expect("write");
    folder
}

/// `medmap --db URL import SOURCE PATH` as a child process.
fn spawn_import(db_url: &str, source: &str, path: &Path) -> Child {
    Command::new(bin())
        .args(["--db", db_url, "import", source])
        .arg(path)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("medmap import")
}

/// Kills a child CLI still running when dropped (a failing test leaves none behind).
struct Cli(Child);

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_import(db_url: &str, source: &str, path: &Path) -> Duration {
    let t = Instant::now();
    let out = Command::new(bin())
        .args(["--db", db_url, "import", source])
        .arg(path)
        .env("RUST_LOG", "error")
        .output()
        .expect("medmap import");
    assert!(
        out.status.success(),
        "medmap import {source} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed()
}

// ---------------------------------------------------------------------------------
// The answers.

async fn get(base: &str, path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let code = r.status().as_u16();
    (code, r.json().await.unwrap_or(Value::Null))
}

/// A gauge of `/metrics`.
async fn gauge(base: &str, name: &str) -> i64 {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|l| {
            l.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or_else(|| panic!("no {name} in /metrics")) as i64
}

/// How far the snapshot's counts sit from the tables' (measured on the first start,
/// after the bundled import): the relation every restart must keep.
#[derive(Debug, Clone, Copy)]
struct Offsets {
    facilities: i64,
    stock: i64,
}

async fn offsets(base: &str, store: &Store) -> Offsets {
    Offsets {
        facilities: gauge(base, "medmap_snapshot_facilities").await
            - count(store, "facilities").await,
        stock: gauge(base, "medmap_snapshot_stock_lines").await - count(store, "stock").await,
    }
}

/// The restarted server against the tables: the snapshot's counts, every pushed
/// pharmacy's stock lines, availability of some of them, and the records of the
/// batches `batches` names.
async fn check_answers(
    base: &str,
    store: &Store,
    fx: &Fixture,
    now: &State,
    off: Offsets,
    batches: &[(Kind, usize)],
    rng: &mut StdRng,
) -> Result<(), String> {
    let got = offsets(base, store).await;
    if (got.facilities, got.stock) != (off.facilities, off.stock) {
        return Err(format!(
            "snapshot counts off the tables: {got:?}, on the first start {off:?}"
        ));
    }
    for (f, lat, lon) in &fx.facilities {
        let (code, d) = get(base, &format!("/api/v1/facilities/{f}")).await;
        if code != 200 {
            return Err(format!("facility {f}: {code} {d}"));
        }
        let mut shown: Vec<(i64, i64)> = d["stock"]["lines"]
            .as_array()
            .ok_or("no lines")?
            .iter()
            .map(|l| {
                (
                    l["quantity"].as_i64().unwrap_or(-1),
                    l["price_minor"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        shown.sort();
        let mut table: Vec<(i64, i64)> = now
            .lines
            .iter()
            .filter(|((ff, _), _)| ff == f)
            .map(|(_, v)| *v)
            .collect();
        table.sort();
        if d["stock"]["line_count"].as_i64() != Some(table.len() as i64) || shown != table {
            return Err(format!(
                "facility {f}: the page shows {} lines (line_count {}), the table holds {}",
                shown.len(),
                d["stock"]["line_count"],
                table.len()
            ));
        }
        // Availability of one of its lines, asked for where the pharmacy is.
        let lines = d["stock"]["lines"].as_array().ok_or("no lines")?;
        if lines.is_empty() {
            continue;
        }
        let l = &lines[rng.random_range(0..lines.len())];
        let med = l["product"]["id"].as_str().ok_or("product id")?;
        let (code, a) = get(
            base,
            &format!("/api/v1/availability?medication_id={med}&lat={lat}&lon={lon}&radius_km=1&limit=100"),
        )
        .await;
        let listed = a["items"].as_array().is_some_and(|items| {
            items
                .iter()
                .any(|o| o["facility"]["id"] == *f && o["quantity"] == l["quantity"])
        });
        if code != 200 || !listed {
            return Err(format!(
                "availability of {med} does not list facility {f} with quantity {}: {code} {a}",
                l["quantity"]
            ));
        }
    }
    for (kind, batch) in batches {
        for i in [0, BATCH / 2, BATCH - 1] {
            match kind {
                Kind::Directory => check_shelter(base, store, *batch, i).await?,
                Kind::Catalog => check_drug(base, store, *batch, i).await?,
                Kind::Push => {}
            }
        }
    }
    Ok(())
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A shelter of a directory batch: its page and its HSDS service answer if and
/// only if the tables hold it.
async fn check_shelter(base: &str, store: &Store, batch: usize, i: usize) -> Result<(), String> {
    let name = shelter_name(batch, i);
    let rows = id_text(
        store,
        &format!(
            "SELECT id, name FROM facilities WHERE name = {}",
            sql_text(&name)
        ),
    )
    .await;
    match rows.first() {
        Some((id, _)) => {
            let (code, d) = get(base, &format!("/api/v1/facilities/{id}")).await;
            if code != 200 || d["name"] != name.as_str() {
                return Err(format!(
                    "{name} is facility {id} in the table; the API: {code} {d}"
                ));
            }
            let services = id_text(
                store,
                &format!(
                    "SELECT s.id, s.uuid FROM services s JOIN service_at_location sal \
                     ON sal.service_id = s.id WHERE sal.facility_id = {id}"
                ),
            )
            .await;
            if services.len() != 1 {
                return Err(format!("{name}: {} services in the table", services.len()));
            }
            let (code, s) = get(base, &format!("/api/v1/hsds/services/{}", services[0].1)).await;
            if code != 200 {
                return Err(format!("{name}'s service {}: {code} {s}", services[0].1));
            }
        }
        None => {
            let q = name.replace(' ', "+");
            let (code, d) = get(base, &format!("/api/v1/facilities?q={q}&limit=50")).await;
            let found = d["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|f| f["name"] == name.as_str()));
            if code != 200 || found {
                return Err(format!("{name} is not in the table; the API: {code} {d}"));
            }
        }
    }
    Ok(())
}

/// A product of a catalog batch: its page answers, and search finds it by name, if
/// and only if the tables hold it.
async fn check_drug(base: &str, store: &Store, batch: usize, i: usize) -> Result<(), String> {
    let name = drug_name(batch, i);
    let rows: Vec<(i64, String)> = id_text(
        store,
        "SELECT id, name FROM products WHERE source = 'us_drugsatfda'",
    )
    .await
    .into_iter()
    .filter(|(_, n)| n.eq_ignore_ascii_case(&name))
    .collect();
    let q = name.replace(' ', "+");
    let (code, d) = get(base, &format!("/api/v1/medications/search?q={q}&limit=20")).await;
    if code != 200 {
        return Err(format!("search {name}: {code} {d}"));
    }
    let found = d["items"].as_array().is_some_and(|items| {
        items.iter().any(|m| {
            m["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
        })
    });
    match rows.first() {
        Some((id, _)) => {
            let (code, m) = get(base, &format!("/api/v1/medications/p{id}")).await;
            if code != 200 || !found {
                return Err(format!(
                    "{name} is product {id} in the table; its page {code}, search finds it: {found} ({d})"
                ));
            }
            let _ = m;
        }
        None if found => return Err(format!("{name} is not in the table; search finds it: {d}")),
        None => {}
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// The run.

/// Per kind: kills, then how many left the store as before and as after, and how
/// many the writer had acknowledged.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    kills: u32,
    before: u32,
    after: u32,
    acknowledged: u32,
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(backend: &str, db_url: &str) {
    let seed = env_u64("MEDMAP_CRASH_SEED", 18);
    let points = env_u64("MEDMAP_CRASH_POINTS", 60) as usize;
    eprintln!("{backend}: crash seed {seed}, {points} kills (MEDMAP_CRASH_SEED and MEDMAP_CRASH_POINTS change them)");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let data = small_data_dir();
    let files = tempfile::tempdir().expect("dir");
    let mut server = ServeChild::start(db_url, data.path()).await;
    let store = Store::connect(db_url).await.expect("store");
    let fx = fixture(&store).await;

    // Un-killed writes of each kind: the durations the kill moments are drawn
    // over, and a check of this test's model of a push.
    let mut push_time = Duration::ZERO;
    for _ in 0..3 {
        let before = state(&store, &fx).await;
        let p = make_push(&mut rng, &fx, &before.lines);
        let t = Instant::now();
        let code = post_push(server.base.clone(), fx.key.clone(), p.query, p.body).await;
        push_time = push_time.max(t.elapsed());
        assert_eq!(code, Some(200));
        let after = state(&store, &fx).await;
        assert_eq!(
            after.lines, p.after,
            "a push applies as this test models it"
        );
    }
    let mut batch = 0;
    let mut import_time = run_import(db_url, "osm", &osm_batch(files.path(), batch, &mut rng));
    let mut catalog_time = run_import(db_url, "us-fda", &fda_batch(files.path(), batch));
    batch += 1;
    // Restarted once, so the offsets are measured on a snapshot built at a start.
    server.kill();
    let mut server = ServeChild::start(db_url, data.path()).await;
    let off = offsets(&server.base, &store).await;
    let now = state(&store, &fx).await;
    if let Err(e) = check_answers(
        &server.base,
        &store,
        &fx,
        &now,
        off,
        &[(Kind::Directory, 0), (Kind::Catalog, 0)],
        &mut rng,
    )
    .await
    {
        panic!("{backend}: before any kill: {e}");
    }
    eprintln!(
        "{backend}: un-killed push {:.0} ms, directory import {:.0} ms, catalog import {:.0} ms; snapshot offsets {off:?}",
        push_time.as_secs_f64() * 1e3,
        import_time.as_secs_f64() * 1e3,
        catalog_time.as_secs_f64() * 1e3
    );

    let mut kinds: Vec<Kind> = (0..points)
        .map(|i| match i % 4 {
            0 | 1 => Kind::Push,
            2 => Kind::Directory,
            _ => Kind::Catalog,
        })
        .collect();
    kinds.shuffle(&mut rng);
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for (n, kind) in kinds.into_iter().enumerate() {
        let before = state(&store, &fx).await;
        let (took, delay_of) = match kind {
            Kind::Push => (push_time, "push"),
            Kind::Directory => (import_time, "import"),
            Kind::Catalog => (catalog_time, "catalog"),
        };
        let delay = took.mul_f64(rng.random_range(0.0..1.25));
        let this_batch = batch;
        // The write, the kill `delay` after it began, and whether the writer said
        // it was done before the kill.
        let (acknowledged, known_after) = match kind {
            Kind::Push => {
                let p = make_push(&mut rng, &fx, &before.lines);
                let task = tokio::spawn(post_push(
                    server.base.clone(),
                    fx.key.clone(),
                    p.query,
                    p.body,
                ));
                tokio::time::sleep(delay).await;
                server.kill();
                let code = task.await.expect("push task");
                let mut after = before.clone();
                after.lines = p.after;
                (code == Some(200), Some(after))
            }
            Kind::Directory | Kind::Catalog => {
                let (source, path) = if kind == Kind::Directory {
                    ("osm", osm_batch(files.path(), this_batch, &mut rng))
                } else {
                    ("us-fda", fda_batch(files.path(), this_batch))
                };
                batch += 1;
                let mut cli = Cli(spawn_import(db_url, source, &path));
                tokio::time::sleep(delay).await;
                let done = matches!(cli.0.try_wait(), Ok(Some(s)) if s.success());
                let _ = cli.0.kill();
                let _ = cli.0.wait();
                server.kill();
                (done, None)
            }
        };
        server = ServeChild::start(db_url, data.path()).await;
        let killed = state(&store, &fx).await;
        let t = tallies.entry(kind.name()).or_default();
        t.kills += 1;
        t.acknowledged += u32::from(acknowledged);
        let outcome = match known_after {
            // A push's after state is known: the lines it carries, one more push row,
            // the stock count moved by as many lines as it added or removed.
            Some(mut after) => {
                *after.counts.entry("feed_pushes").or_default() += 1;
                *after.counts.entry("stock").or_default() +=
                    after.lines.len() as i64 - before.lines.len() as i64;
                if killed == before && !acknowledged {
                    "before"
                } else if killed == after {
                    "after"
                } else {
                    panic!(
                        "{backend}: kill {n} ({}, seed {seed}, {delay:?} after the start, acknowledged {acknowledged}): \
                         the store is neither before (differs: {}) nor after (differs: {})",
                        kind.name(),
                        killed.diff(&before),
                        killed.diff(&after)
                    );
                }
            }
            // An import's after state is what running it whole gives (imports upsert
            // by natural key: once more changes nothing that is already there).
            None => {
                if killed == before && !acknowledged {
                    "before"
                } else {
                    let path = if kind == Kind::Directory {
                        files.path().join(format!("crash_{this_batch:03}.geojson"))
                    } else {
                        files.path().join(format!("fda_{this_batch:03}"))
                    };
                    let source = if kind == Kind::Directory {
                        "osm"
                    } else {
                        "us-fda"
                    };
                    let took = run_import(db_url, source, &path);
                    if kind == Kind::Directory {
                        import_time = (import_time + took) / 2;
                    } else {
                        catalog_time = (catalog_time + took) / 2;
                    }
                    let after = state(&store, &fx).await;
                    if killed != after {
                        panic!(
                            "{backend}: kill {n} ({}, seed {seed}, {delay:?} after the start, acknowledged {acknowledged}): \
                             the store is neither before (differs: {}) nor after (differs: {})",
                            kind.name(),
                            killed.diff(&before),
                            killed.diff(&after)
                        );
                    }
                    "after"
                }
            }
        };
        if outcome == "before" {
            t.before += 1;
        } else {
            t.after += 1;
        }
        let batches = match kind {
            Kind::Push => vec![],
            k => vec![(k, this_batch)],
        };
        if let Err(e) =
            check_answers(&server.base, &store, &fx, &killed, off, &batches, &mut rng).await
        {
            panic!(
                "{backend}: kill {n} ({}, seed {seed}, {delay_of} killed {delay:?} after the start, store {outcome}): \
                 the restarted server's answers disagree with the tables: {e}",
                kind.name()
            );
        }
        // The same kind of write once more, un-killed, on the freshly restarted
        // server: how long it takes now (a restart may still be busy) sets the
        // span the next kill of that kind is drawn over.
        match kind {
            Kind::Push => {
                let before = state(&store, &fx).await;
                let p = make_push(&mut rng, &fx, &before.lines);
                let t = Instant::now();
                let code = post_push(server.base.clone(), fx.key.clone(), p.query, p.body).await;
                assert_eq!(code, Some(200), "an un-killed push");
                push_time = (push_time + t.elapsed()) / 2;
            }
            Kind::Directory if outcome == "before" => {
                let path = files.path().join(format!("crash_{this_batch:03}.geojson"));
                import_time = (import_time + run_import(db_url, "osm", &path)) / 2;
            }
            Kind::Catalog if outcome == "before" => {
                let path = files.path().join(format!("fda_{this_batch:03}"));
                catalog_time = (catalog_time + run_import(db_url, "us-fda", &path)) / 2;
            }
            _ => {}
        }
    }
    server.stop();
    store.close().await;
    for (kind, t) in &tallies {
        eprintln!(
            "{backend}: {kind}: {} kills, store before {} / after {}, {} acknowledged before the kill",
            t.kills, t.before, t.after, t.acknowledged
        );
    }
    eprintln!(
        "{backend}: {points} kills, every one before or after, in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("medmap.db").display());
    run("sqlite", &url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let db = TempPgDatabase::create("medmap_crash").await;
    run("postgres", &db.url).await;
}
