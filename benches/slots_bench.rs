//! Appointment slots at scale: `cargo bench --bench slots`.
//!
//! One publication of `LOCATIONS` (default 1,000) locations spread over a 40 km
//! square, each with one schedule and 20 twenty-minute slots a day for 14 days
//! (280,000 slots, a quarter of them busy):
//! 1. the NDJSON lines parsed and checked (`fhir::parse_line`): rows/s;
//! 2. the rows stored in one replacing transaction
//!    (`Store::replace_publication_content`): rows/s, on SQLite, and on
//!    PostgreSQL too when `BENCH_PG_URL` is set (a schema of its own, dropped);
//! 3. `QUERIES` (default 500) "earliest free slots within 5 km" at random points
//!    (`Store::free_slots_near`, limit 20): p50, p99, mean in ms.
//!
//! `SEED` (default 42) draws the points.

use std::time::Instant;

use medmap::slots::fhir::{self, Resource};
use medmap::store::{
    PublicationContent, SlotLocationRow, SlotQuery, SlotRow, SlotScheduleRow, Store,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const LAT0: f64 = 50.45;
const LON0: f64 = 30.52;
/// Degrees of the square the locations are in (~40 km).
const SPAN: f64 = 0.36;

fn lines(locations: usize, t0: i64) -> Vec<(&'static str, String)> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut out = Vec::new();
    for l in 0..locations {
        let (lat, lon) = (
            LAT0 + rng.random::<f64>() * SPAN,
            LON0 + rng.random::<f64>() * SPAN,
        );
        out.push(("Location", format!(r#"{{"resourceType":"Location","id":"L{l}","name":"Clinic {l}","position":{{"latitude":{lat},"longitude":{lon}}},"identifier":[{{"system":"urn:bench","value":"{l}"}}]}}"#)));
        out.push(("Schedule", format!(r#"{{"resourceType":"Schedule","id":"S{l}","serviceType":[{{"coding":[{{"code":"gp","display":"GP"}}]}}],"actor":[{{"reference":"Location/L{l}"}}]}}"#)));
        for d in 0..14 {
            for k in 0..20 {
                let start = t0 + d * 86_400 + 8 * 3600 + k * 1200 + (l as i64 % 7) * 60;
                let s = chrono::DateTime::from_timestamp(start, 0).unwrap_or_default();
                let e = s + chrono::Duration::minutes(20);
                let status = if rng.random::<f64>() < 0.25 {
                    "busy"
                } else {
                    "free"
                };
                out.push(("Slot", format!(r#"{{"resourceType":"Slot","id":"L{l}-{d}-{k}","schedule":{{"reference":"Schedule/S{l}"}},"status":"{status}","start":"{}","end":"{}","extension":[{{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link","valueUrl":"https://book.example/L{l}/{d}/{k}"}}]}}"#, s.to_rfc3339(), e.to_rfc3339())));
            }
        }
    }
    out
}

fn content(resources: Vec<Resource>, now: i64) -> PublicationContent {
    let mut c = PublicationContent::default();
    let mut pos = std::collections::HashMap::new();
    for r in resources {
        match r {
            Resource::Location(l) => {
                pos.insert(format!("S{}", &l.id[1..]), (l.id.clone(), l.lat, l.lon));
                c.locations.push(SlotLocationRow {
                    resource_id: l.id,
                    name: l.name,
                    lat: l.lat,
                    lon: l.lon,
                    identifiers: "[]".into(),
                    phone: None,
                    url: None,
                    facility_id: None,
                    matched_by: None,
                    confirmed_at: now,
                });
            }
            Resource::Schedule(s) => c.schedules.push(SlotScheduleRow {
                resource_id: s.id,
                location_id: s.location,
                service_type: s.service_type,
                service_label: s.service_label,
                wait_days: None,
                confirmed_at: now,
            }),
            Resource::Slot(s) => {
                let (loc, lat, lon) = pos.get(&s.schedule).cloned().unwrap_or_default();
                c.slots.push(SlotRow {
                    resource_id: s.id,
                    schedule_id: s.schedule,
                    location_id: loc,
                    facility_id: None,
                    lat,
                    lon,
                    start_at: s.start,
                    end_at: s.end,
                    status: s.status,
                    capacity: s.capacity,
                    service_type: Some("gp".into()),
                    service_label: Some("GP".into()),
                    booking_url: s.booking_url,
                    booking_phone: s.booking_phone,
                    confirmed_at: now,
                })
            }
        }
    }
    c
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(name: &str, store: Store, c: &PublicationContent, queries: usize, now: i64) {
    let k = medmap::feeds::keys::generate();
    let (_, key_id) = store
        .create_key("bench", None, &[], &k.hash, &k.prefix)
        .await
        .expect("key");
    let publisher = store
        .active_key_publisher(key_id)
        .await
        .expect("publisher")
        .expect("active");
    let p = store
        .add_slot_publication(
            key_id,
            publisher,
            "https://bench.example/$bulk-publish",
            300,
        )
        .await
        .expect("publication")
        .expect("new");
    let rows = c.locations.len() + c.schedules.len() + c.slots.len();
    let t = Instant::now();
    store
        .replace_publication_content(p.id, c)
        .await
        .expect("store");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{name}: stored {rows} rows in {secs:.2} s: {:.0} rows/s",
        rows as f64 / secs
    );
    let mut rng = ChaCha8Rng::seed_from_u64(env("SEED", 42) as u64);
    let mut ms = Vec::with_capacity(queries);
    let mut found = 0;
    for _ in 0..queries {
        let q = SlotQuery {
            lat: LAT0 + rng.random::<f64>() * SPAN,
            lon: LON0 + rng.random::<f64>() * SPAN,
            radius_km: 5.0,
            service_type: None,
            from: now,
            to: now + 14 * 86_400,
            limit: 20,
        };
        let t = Instant::now();
        found += store.free_slots_near(&q, now).await.expect("query").len();
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    println!(
        "{name}: {queries} queries (5 km, limit 20): p50 {:.2} ms, p99 {:.2} ms, mean {mean:.2} ms, {:.1} slots per answer",
        pct(&ms, 0.5),
        pct(&ms, 0.99),
        found as f64 / queries as f64
    );
}

#[tokio::main]
async fn main() {
    let locations = env("LOCATIONS", 1000);
    let queries = env("QUERIES", 500);
    let now = chrono::Utc::now().timestamp();
    let t0 = now - now % 86_400 + 86_400;
    let text = lines(locations, t0);
    let t = Instant::now();
    let mut resources = Vec::with_capacity(text.len());
    for (ty, line) in &text {
        resources.push(fhir::parse_line(ty, line).expect("valid line"));
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "parsed {} NDJSON lines in {secs:.2} s: {:.0} rows/s",
        text.len(),
        text.len() as f64 / secs
    );
    let c = content(resources, now);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("slots.db");
    let store = Store::connect_sqlite(path.to_str().expect("path"))
        .await
        .expect("sqlite");
    run("sqlite", store, &c, queries, now).await;
    if let Ok(url) = std::env::var("BENCH_PG_URL") {
        let schema = format!("slots_bench_{}", std::process::id());
        let admin = sqlx::PgPool::connect(&url).await.expect("pg");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&admin)
            .await
            .expect("schema");
        let opts: sqlx::postgres::PgConnectOptions = url.parse().expect("pg url");
        let store = Store::connect_postgres(opts.options([("search_path", schema.as_str())]))
            .await
            .expect("pg store");
        run("postgres", store.clone(), &c, queries, now).await;
        store.close().await;
        sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
            .execute(&admin)
            .await
            .expect("drop");
    }
}
