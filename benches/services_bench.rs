//! Services search at national scale, medmap beside PostgreSQL full-text search:
//! `cargo bench --bench services`.
//!
//! In one run:
//! 1. generates the synthetic national directory
//!    (`medmap::import::synthetic_services`, `SERVICES`/`LOCATIONS`, default
//!    200,000 services at 120,000 locations, `SEED` 42), saves it into a fresh
//!    SQLite file through the importers' own `Directory::save` (timed), loads the
//!    `Snapshot` (timed) and reports memory per service: the process RSS before
//!    and after the load, and the live heap the snapshot holds (a counting
//!    allocator around mimalloc, the server's allocator);
//! 2. runs a query set through `medmap::hsds::search::search` in process: the 40
//!    `gen:` rows of `tests/eval/services_truth.tsv` plus `QUERIES` (default
//!    200) queries sampled from the archetypes' vocabulary, half of them with a
//!    10 km radius around a random city: p50, p99, mean;
//! 3. loads the same services into a fresh schema of PostgreSQL
//!    (`MEDMAP_TEST_PG`, default postgres://postgres@127.0.0.1:5432/test; skipped
//!    if unreachable) by COPY and builds what a city would: a weighted `tsvector`
//!    (name A, taxonomy terms B, description C, `english` configuration) with a GIN
//!    index, a `pg_trgm` GIN index on name + description for typos, and a location
//!    table with lat/lon and a plain b-tree (no PostGIS: bounding box + haversine
//!    in SQL); runs the same queries (`websearch_to_tsquery` + `ts_rank`, LIMIT
//!    50, falling back to `word_similarity` when full-text search finds nothing,
//!    with the radius where the medmap query has one): p50, p99;
//! 4. recall@1 and recall@3 of both on the 40 truth rows (a hit counts when its
//!    archetype, read from the generated source id, is one the row expects);
//! 5. prints one table and writes it as JSON to `target/services_bench.json`.
//!
//! The PostgreSQL schema is dropped by a guard, also when the run panics.
//!
//! The one call of the search is [`medmap_top`].

use std::alloc::{GlobalAlloc, Layout};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use medmap::hsds::search::{search_listed, Listing, ServiceQuery};
use medmap::import::directory::Directory;
use medmap::import::synthetic_services::{
    self as synth, archetype_of, Archetype, ARCHETYPES, CITIES,
};
use medmap::snapshot::Snapshot;
use medmap::store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// mimalloc (the server's allocator) with a count of live heap bytes.
struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
static INNER: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the inner allocator.
        unsafe { INNER.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the inner allocator.
        unsafe { INNER.dealloc(p, l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the inner allocator.
        unsafe { INNER.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the inner allocator.
        unsafe { INNER.realloc(p, l, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Hits kept from each engine (PostgreSQL's LIMIT; medmap's top of its list).
const LIMIT: usize = 50;

/// The one call of `medmap::hsds::search::search_listed`: the top services' ids (one per
/// service, as the HSDS API and PostgreSQL's rows give them) and how many there were.
fn medmap_top(snap: &Snapshot, q: &ServiceQuery, now: DateTime<Utc>) -> (Vec<String>, usize) {
    // As the HSDS API lists a page: one entry per service, the page in order.
    let res = search_listed(
        snap,
        q,
        now,
        Listing {
            per_service: true,
            ordered: LIMIT,
            placed_only: false,
            facets: false,
        },
    );
    let dir = &snap.directory;
    (
        res.found
            .iter()
            .take(LIMIT)
            .map(|f| dir.services[f.service_ix].uuid.clone())
            .collect(),
        res.total,
    )
}

/// One query of the set.
#[derive(Debug, Clone)]
struct Query {
    category: String,
    text: String,
    /// Expected archetypes (truth rows only).
    expected: Vec<String>,
    /// `(lat, lon, city)` of a 10 km radius filter.
    around: Option<(f64, f64, &'static str)>,
}

const RADIUS_KM: f64 = 10.0;

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(d)
}

fn truth_rows() -> Vec<Query> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/eval/services_truth.tsv");
    let text = std::fs::read_to_string(path).expect("truth file");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter(|l| l.contains("gen:"))
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 3, "truth row {l:?}");
            Query {
                category: cols[0].into(),
                text: cols[1].into(),
                expected: cols[2]
                    .split('|')
                    .map(|e| e.trim().trim_start_matches("gen:").to_string())
                    .collect(),
                around: None,
            }
        })
        .collect()
}

const STOP: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "to", "for", "in", "on", "at", "by", "with", "who", "are",
    "is", "be", "as", "their", "may", "from", "not", "do", "can", "that", "through",
];

/// A query drawn from an archetype's words: a taxonomy term, a name without its
/// placeholders, or two or three consecutive content words of a sentence.
fn sampled_query(rng: &mut ChaCha8Rng, a: &Archetype) -> String {
    match rng.random_range(0..10) {
        0..=3 => a.terms[rng.random_range(0..a.terms.len())].to_lowercase(),
        4..=6 => {
            let n = a.names[rng.random_range(0..a.names.len())];
            let words: Vec<&str> = n
                .split_whitespace()
                .filter(|w| !w.contains('{') && *w != "-")
                .collect();
            if words.is_empty() {
                a.terms[0].to_lowercase()
            } else {
                words.join(" ").to_lowercase()
            }
        }
        _ => {
            let s = a.sentences[rng.random_range(0..a.sentences.len())];
            let words: Vec<String> = s
                .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
                .map(str::to_lowercase)
                .filter(|w| w.len() > 2 && !STOP.contains(&w.as_str()))
                .collect();
            let k = rng.random_range(2..=3).min(words.len());
            let start = rng.random_range(0..=words.len() - k);
            words[start..start + k].join(" ")
        }
    }
}

fn query_set(n_sampled: usize) -> Vec<Query> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut qs = truth_rows();
    for i in 0..n_sampled {
        let a = &ARCHETYPES[rng.random_range(0..ARCHETYPES.len())];
        let text = sampled_query(&mut rng, a);
        let around = (i % 2 == 0).then(|| {
            let c = &CITIES[rng.random_range(0..CITIES.len())];
            (c.lat, c.lon, c.name)
        });
        qs.push(Query {
            category: "sampled".into(),
            text,
            expected: Vec::new(),
            around,
        });
    }
    qs
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[derive(Debug, Default, Clone, serde::Serialize)]
struct Latency {
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
    max_ms: f64,
    n: usize,
}

fn latency(mut v: Vec<Duration>) -> Latency {
    if v.is_empty() {
        return Latency::default();
    }
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(v[((v.len() - 1) as f64 * q).round() as usize]);
    Latency {
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        mean_ms: v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64,
        max_ms: ms(v[v.len() - 1]),
        n: v.len(),
    }
}

#[derive(Debug, Default, Clone, serde::Serialize)]
struct Recall {
    at1: f64,
    at3: f64,
    /// Category → (recall@1, recall@3, rows).
    by_category: std::collections::BTreeMap<String, (f64, f64, usize)>,
}

/// recall@1 and @3 over the truth rows, given each row's top archetypes.
fn recall(rows: &[(&Query, Vec<String>)]) -> Recall {
    let mut r = Recall::default();
    let mut cats: std::collections::BTreeMap<String, (usize, usize, usize)> = Default::default();
    let (mut h1, mut h3) = (0, 0);
    for (q, top) in rows {
        let hit = |k: usize| top.iter().take(k).any(|a| q.expected.contains(a));
        let c = cats.entry(q.category.clone()).or_default();
        c.2 += 1;
        if hit(1) {
            h1 += 1;
            c.0 += 1;
        }
        if hit(3) {
            h3 += 1;
            c.1 += 1;
        }
    }
    let n = rows.len().max(1) as f64;
    r.at1 = h1 as f64 / n;
    r.at3 = h3 as f64 / n;
    r.by_category = cats
        .into_iter()
        .map(|(k, (a, b, n))| (k, (a as f64 / n as f64, b as f64 / n as f64, n)))
        .collect();
    r
}

/// COPY text escaping (tab, newline, backslash).
fn copy_field(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// The directory as COPY payloads: services, locations, service_at_location.
struct PgData {
    services: Vec<u8>,
    locations: Vec<u8>,
    links: Vec<u8>,
}

fn pg_data(d: &Directory) -> PgData {
    use std::fmt::Write;
    let term_names: HashMap<&str, &str> = d
        .taxonomy
        .iter()
        .map(|t| (t.src.source_id.as_str(), t.name.as_str()))
        .collect();
    let loc_ix: HashMap<&str, usize> = d
        .facilities
        .iter()
        .enumerate()
        .map(|(i, f)| (f.src.source_id.as_str(), i))
        .collect();
    let (mut services, mut links) = (String::new(), String::new());
    for (i, s) in d.services.iter().enumerate() {
        let terms: Vec<&str> = s
            .taxonomy_terms
            .iter()
            .filter_map(|t| term_names.get(t.source_id.as_str()).copied())
            .collect();
        let _ = writeln!(
            services,
            "{i}\t{}\t{}\t{}\t{}",
            archetype_of(&s.src.source_id).unwrap_or("?"),
            copy_field(&s.name),
            copy_field(s.description.as_deref().unwrap_or("")),
            copy_field(&terms.join(", "))
        );
        for l in &s.locations {
            if let Some(li) = loc_ix.get(l.source_id.as_str()) {
                let _ = writeln!(links, "{i}\t{li}");
            }
        }
    }
    let mut locations = String::new();
    for (i, f) in d.facilities.iter().enumerate() {
        if let (Some(lat), Some(lon)) = (f.lat, f.lon) {
            let _ = writeln!(locations, "{i}\t{lat}\t{lon}");
        }
    }
    PgData {
        services: services.into_bytes(),
        locations: locations.into_bytes(),
        links: links.into_bytes(),
    }
}

/// Drops the bench's PostgreSQL schema when it goes out of scope, also while
/// unwinding from a panic (on its own thread and runtime, since the bench's
/// runtime may be the one unwinding).
struct SchemaGuard {
    url: String,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let (url, schema) = (self.url.clone(), self.schema.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&url).await.ok()?;
                sqlx::query(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                    .execute(&mut c)
                    .await
                    .ok()?;
                Some(())
            })
        })
        .join()
        .ok()
        .flatten();
        match dropped {
            Some(()) => eprintln!("dropped schema {}", self.schema),
            None => eprintln!("could not drop schema {} (drop it by hand)", self.schema),
        }
    }
}

#[derive(Debug, Default, serde::Serialize)]
struct PgReport {
    copy_s: f64,
    index_s: f64,
    pg_trgm: bool,
    latency: Latency,
    latency_radius: Latency,
    latency_no_radius: Latency,
    trigram_fallbacks: usize,
    recall: Recall,
}

const HAVERSINE_KM: &str = "2 * 6371 * asin(sqrt(power(sin(radians(l.lat - $6) / 2), 2) + cos(radians($6)) * cos(radians(l.lat)) * power(sin(radians(l.lon - $7) / 2), 2)))";

async fn pg_bench(url: &str, data: &PgData, queries: &[Query]) -> Option<PgReport> {
    use sqlx::Connection;
    let mut admin = match sqlx::PgConnection::connect(url).await {
        Ok(c) => c,
        Err(e) => {
            println!("PostgreSQL at {url} unreachable ({e}); skipped");
            return None;
        }
    };
    let schema = format!("svcbench_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    let _guard = SchemaGuard {
        url: url.to_string(),
        schema: schema.clone(),
    };
    let opts = sqlx::postgres::PgConnectOptions::from_str(url)
        .expect("pg url")
        .options([("search_path", format!("{schema},public"))]);
    let mut c = sqlx::PgConnection::connect_with(&opts)
        .await
        .expect("pg connect");
    let mut rep = PgReport {
        pg_trgm: sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .execute(&mut c)
            .await
            .map_err(|e| println!("pg_trgm unavailable ({e}); no typo fallback"))
            .is_ok(),
        ..PgReport::default()
    };
    for ddl in [
        "CREATE TABLE services (id integer PRIMARY KEY, archetype text NOT NULL, name text NOT NULL, description text NOT NULL, terms text NOT NULL, \
         doc text GENERATED ALWAYS AS (name || ' ' || description) STORED, \
         tsv tsvector GENERATED ALWAYS AS (setweight(to_tsvector('english', name), 'A') || setweight(to_tsvector('english', terms), 'B') || setweight(to_tsvector('english', description), 'C')) STORED)",
        "CREATE TABLE locations (id integer PRIMARY KEY, lat double precision NOT NULL, lon double precision NOT NULL)",
        "CREATE TABLE service_at_location (service_id integer NOT NULL, location_id integer NOT NULL, PRIMARY KEY (service_id, location_id))",
    ] {
        sqlx::query(ddl).execute(&mut c).await.expect("ddl");
    }
    let t = Instant::now();
    for (table, payload) in [
        (
            "services (id, archetype, name, description, terms)",
            &data.services,
        ),
        ("locations (id, lat, lon)", &data.locations),
        ("service_at_location (service_id, location_id)", &data.links),
    ] {
        let mut copy = c
            .copy_in_raw(&format!("COPY {table} FROM STDIN"))
            .await
            .expect("copy");
        for part in payload.chunks(1 << 20) {
            copy.send(part).await.expect("copy send");
        }
        copy.finish().await.expect("copy finish");
    }
    rep.copy_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut ddl = vec![
        "CREATE INDEX services_tsv ON services USING gin (tsv)",
        "CREATE INDEX locations_lat_lon ON locations (lat, lon)",
        "CREATE INDEX sal_location ON service_at_location (location_id)",
    ];
    if rep.pg_trgm {
        ddl.push("CREATE INDEX services_doc_trgm ON services USING gin (doc gin_trgm_ops)");
    }
    ddl.push("ANALYZE");
    for q in ddl {
        sqlx::query(q).execute(&mut c).await.expect("index");
    }
    rep.index_s = t.elapsed().as_secs_f64();

    let radius_filter = format!(
        "EXISTS (SELECT 1 FROM service_at_location sl JOIN locations l ON l.id = sl.location_id \
         WHERE sl.service_id = s.id AND l.lat BETWEEN $2 AND $3 AND l.lon BETWEEN $4 AND $5 AND {HAVERSINE_KM} <= $8)"
    );
    let fts = "SELECT s.archetype FROM services s, websearch_to_tsquery('english', $1) q WHERE s.tsv @@ q ORDER BY ts_rank(s.tsv, q) DESC, s.id LIMIT 50";
    let fts_r = format!("SELECT s.archetype FROM services s, websearch_to_tsquery('english', $1) q WHERE s.tsv @@ q AND {radius_filter} ORDER BY ts_rank(s.tsv, q) DESC, s.id LIMIT 50");
    let trgm = "SELECT s.archetype FROM services s WHERE $1 <% s.doc ORDER BY word_similarity($1, s.doc) DESC, s.id LIMIT 50";
    let trgm_r = format!("SELECT s.archetype FROM services s WHERE $1 <% s.doc AND {radius_filter} ORDER BY word_similarity($1, s.doc) DESC, s.id LIMIT 50");

    async fn run(
        c: &mut sqlx::PgConnection,
        sql: &str,
        q: &Query,
    ) -> Result<Vec<String>, sqlx::Error> {
        let mut query = sqlx::query_scalar::<_, String>(sql).bind(&q.text);
        if let Some((lat, lon, _)) = q.around {
            let dlat = RADIUS_KM / 111.32;
            let dlon = RADIUS_KM / (111.32 * lat.to_radians().cos().max(0.01));
            query = query
                .bind(lat - dlat)
                .bind(lat + dlat)
                .bind(lon - dlon)
                .bind(lon + dlon)
                .bind(lat)
                .bind(lon)
                .bind(RADIUS_KM);
        }
        query.fetch_all(c).await
    }

    // Warm the caches and the prepared statements.
    for q in queries.iter().take(10) {
        let sql = if q.around.is_some() {
            fts_r.as_str()
        } else {
            fts
        };
        let _ = run(&mut c, sql, q).await;
    }
    let (mut all, mut with_r, mut without_r) = (Vec::new(), Vec::new(), Vec::new());
    let mut truth = Vec::new();
    for q in queries {
        let t = Instant::now();
        let (sql, fallback) = if q.around.is_some() {
            (fts_r.as_str(), trgm_r.as_str())
        } else {
            (fts, trgm)
        };
        let mut top = run(&mut c, sql, q).await.expect("fts query");
        if top.is_empty() && rep.pg_trgm {
            rep.trigram_fallbacks += 1;
            top = run(&mut c, fallback, q).await.expect("trigram query");
        }
        let dt = t.elapsed();
        all.push(dt);
        if q.around.is_some() {
            with_r.push(dt);
        } else {
            without_r.push(dt);
        }
        if !q.expected.is_empty() {
            truth.push((q, top));
        }
    }
    rep.latency = latency(all);
    rep.latency_radius = latency(with_r);
    rep.latency_no_radius = latency(without_r);
    rep.recall = recall(&truth);
    drop(c);
    Some(rep)
}

#[derive(Debug, Default, serde::Serialize)]
struct MedmapReport {
    generate_s: f64,
    sqlite_import_s: f64,
    snapshot_load_s: f64,
    rss_before_kib: u64,
    rss_after_kib: u64,
    rss_per_service_bytes: f64,
    snapshot_heap_bytes: i64,
    heap_per_service_bytes: f64,
    latency: Latency,
    latency_radius: Latency,
    latency_no_radius: Latency,
    mean_hits: f64,
    recall: Recall,
}

fn main() {
    let services = env_usize("SERVICES", synth::DEFAULT_SERVICES);
    let locations = env_usize("LOCATIONS", synth::DEFAULT_LOCATIONS);
    let n_sampled = env_usize("QUERIES", 200);
    let seed = env_usize("SEED", 42) as u64;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(bench(services, locations, n_sampled, seed));
}

async fn bench(services: usize, locations: usize, n_sampled: usize, seed: u64) {
    println!("services bench: {services} services at {locations} locations, seed {seed}");
    let mut m = MedmapReport::default();
    let t = Instant::now();
    let dir = synth::national_directory(seed, services, locations);
    m.generate_s = t.elapsed().as_secs_f64();
    println!(
        "  generated in {:.1} s: {} organizations, {} locations, {} services, {} schedules",
        m.generate_s,
        dir.organizations.len(),
        dir.facilities.len(),
        dir.services.len(),
        dir.schedules.len()
    );

    let tmp = tempfile::tempdir().expect("tempdir");
    let store = Store::connect_sqlite(tmp.path().join("services.db").to_str().expect("path"))
        .await
        .expect("sqlite");
    let t = Instant::now();
    dir.save(&store).await.expect("save");
    m.sqlite_import_s = t.elapsed().as_secs_f64();
    println!(
        "  SQLite import (Directory::save): {:.1} s",
        m.sqlite_import_s
    );

    let archetype_by_uuid: HashMap<String, String> = dir
        .services
        .iter()
        .filter_map(|s| {
            Some((
                s.src.uuid().to_string(),
                archetype_of(&s.src.source_id)?.to_string(),
            ))
        })
        .collect();
    let pg = pg_data(&dir);
    drop(dir);

    m.rss_before_kib = rss_kib();
    let heap_before = LIVE.load(Ordering::Relaxed);
    let t = Instant::now();
    let snap = Snapshot::load(&store).await.expect("snapshot");
    m.snapshot_load_s = t.elapsed().as_secs_f64();
    // Let background work of the load (catalog persistence) settle.
    tokio::time::sleep(Duration::from_millis(300)).await;
    m.rss_after_kib = rss_kib();
    m.snapshot_heap_bytes = (LIVE.load(Ordering::Relaxed) - heap_before) as i64;
    let n = services.max(1) as f64;
    m.rss_per_service_bytes = (m.rss_after_kib.saturating_sub(m.rss_before_kib) * 1024) as f64 / n;
    m.heap_per_service_bytes = m.snapshot_heap_bytes as f64 / n;
    println!(
        "  snapshot load {:.1} s; RSS {} → {} MiB ({:.0} B/service); snapshot heap {} MiB ({:.0} B/service)",
        m.snapshot_load_s,
        m.rss_before_kib / 1024,
        m.rss_after_kib / 1024,
        m.rss_per_service_bytes,
        m.snapshot_heap_bytes / (1 << 20),
        m.heap_per_service_bytes
    );

    let queries = query_set(n_sampled);
    let now = Utc::now();
    let to_query = |q: &Query| ServiceQuery {
        text: Some(q.text.clone()),
        point: q.around.map(|(lat, lon, _)| (lat, lon)),
        radius_km: q.around.map(|_| RADIUS_KM),
        ..ServiceQuery::default()
    };
    for q in queries.iter().take(5) {
        let _ = medmap_top(&snap, &to_query(q), now);
    }
    let (mut all, mut with_r, mut without_r) = (Vec::new(), Vec::new(), Vec::new());
    let mut truth = Vec::new();
    let mut hits_total = 0usize;
    // `REPEAT` runs the set several times (for a profiler); figures cover every run.
    let repeat = env_usize("REPEAT", 1).max(1);
    for (i, q) in queries
        .iter()
        .cycle()
        .take(queries.len() * repeat)
        .enumerate()
    {
        let sq = to_query(q);
        let t = Instant::now();
        let (top, total) = medmap_top(&snap, &sq, now);
        let dt = t.elapsed();
        hits_total += total;
        all.push(dt);
        if q.around.is_some() {
            with_r.push(dt);
        } else {
            without_r.push(dt);
        }
        if !q.expected.is_empty() && i < queries.len() {
            let archetypes = top
                .iter()
                .map(|id| archetype_by_uuid.get(id).cloned().unwrap_or_default())
                .collect();
            truth.push((q, archetypes));
        }
    }
    m.mean_hits = hits_total as f64 / (queries.len() * repeat).max(1) as f64;
    m.latency = latency(all);
    m.latency_radius = latency(with_r);
    m.latency_no_radius = latency(without_r);
    m.recall = recall(&truth);
    println!(
        "  medmap: {} queries ({} truth, {} sampled, half of those with a {RADIUS_KM} km radius), mean {:.0} hits",
        queries.len(),
        truth.len(),
        n_sampled,
        m.mean_hits
    );
    drop(snap);
    store.close().await;

    let url = std::env::var("MEDMAP_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    // `SKIP_PG=1` measures medmap alone (profiling runs).
    let p = if std::env::var("SKIP_PG").is_ok_and(|v| v == "1") {
        None
    } else {
        pg_bench(&url, &pg, &queries).await
    };
    if let Some(p) = &p {
        println!(
            "  PostgreSQL: COPY {:.1} s, indexes {:.1} s, pg_trgm {}, trigram fallbacks {}",
            p.copy_s,
            p.index_s,
            if p.pg_trgm { "yes" } else { "NO" },
            p.trigram_fallbacks
        );
    }

    println!();
    println!(
        "{:<28} {:>12} {:>12} {:>10}",
        "", "medmap", "PostgreSQL", "ratio m/pg"
    );
    let row = |label: &str, a: f64, b: Option<f64>, unit: &str| {
        let ratio = b
            .filter(|b| *b > 0.0)
            .map_or("-".to_string(), |b| format!("{:.2}", a / b));
        println!(
            "{:<28} {:>12} {:>12} {:>10}",
            label,
            format!("{a:.2}{unit}"),
            b.map_or("-".to_string(), |b| format!("{b:.2}{unit}")),
            ratio
        );
    };
    let pl = |f: fn(&PgReport) -> f64| p.as_ref().map(f);
    row("p50 all", m.latency.p50_ms, pl(|p| p.latency.p50_ms), " ms");
    row("p99 all", m.latency.p99_ms, pl(|p| p.latency.p99_ms), " ms");
    row(
        "mean all",
        m.latency.mean_ms,
        pl(|p| p.latency.mean_ms),
        " ms",
    );
    row(
        "p50 with 10 km radius",
        m.latency_radius.p50_ms,
        pl(|p| p.latency_radius.p50_ms),
        " ms",
    );
    row(
        "p99 with 10 km radius",
        m.latency_radius.p99_ms,
        pl(|p| p.latency_radius.p99_ms),
        " ms",
    );
    row(
        "p50 without radius",
        m.latency_no_radius.p50_ms,
        pl(|p| p.latency_no_radius.p50_ms),
        " ms",
    );
    row(
        "p99 without radius",
        m.latency_no_radius.p99_ms,
        pl(|p| p.latency_no_radius.p99_ms),
        " ms",
    );
    row(
        "recall@1 (40 truth rows)",
        m.recall.at1,
        pl(|p| p.recall.at1),
        "",
    );
    row(
        "recall@3 (40 truth rows)",
        m.recall.at3,
        pl(|p| p.recall.at3),
        "",
    );
    for (cat, (r1, r3, n)) in &m.recall.by_category {
        let pg = p.as_ref().and_then(|p| p.recall.by_category.get(cat));
        println!(
            "  {cat:<12} n={n:<3} medmap r@1 {r1:.2} r@3 {r3:.2}   PostgreSQL r@1 {} r@3 {}",
            pg.map_or("-".into(), |x| format!("{:.2}", x.0)),
            pg.map_or("-".into(), |x| format!("{:.2}", x.1)),
        );
    }
    println!(
        "import {:.1} s (SQLite, Directory::save) vs {} (PostgreSQL COPY + indexes); snapshot load {:.1} s",
        m.sqlite_import_s,
        p.as_ref()
            .map_or("-".into(), |p| format!("{:.1} s", p.copy_s + p.index_s)),
        m.snapshot_load_s
    );

    let json = serde_json::json!({
        "services": services,
        "locations": locations,
        "seed": seed,
        "queries": queries.len(),
        "radius_km": RADIUS_KM,
        "medmap": m,
        "postgresql": p,
        "measured_at": Utc::now().to_rfc3339(),
    });
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").into());
    let out = std::path::Path::new(&target).join("services_bench.json");
    match std::fs::write(
        &out,
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    ) {
        Ok(()) => println!("wrote {}", out.display()),
        Err(e) => println!("could not write {}: {e}", out.display()),
    }
}
