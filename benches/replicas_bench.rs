//! Replica visibility lag (issue 17): `cargo bench --bench replicas`.
//!
//! Three `serve` replicas (A, B, C: each its own pool, LISTEN connection, snapshot
//! and HTTP server, in one process) on one fresh PostgreSQL schema
//! (`MEDMAP_TEST_PG`, default 127.0.0.1:5432/test), the bundled data imported by A.
//! `REPLICA_PUSHES` (default 1,000) one-line delta pushes go to A over HTTP,
//! round-robin over `REPLICA_PUBLISHERS` (default 20) publishers with a pharmacy
//! each, `REPLICA_CONCURRENCY` (default 4) at a time. For each push the clock starts
//! when A answers 200 (committed and live on A) and stops when the line with the
//! push's price is in B's and C's snapshots, which is what their
//! `/api/v1/availability` answers from (a watcher thread polls every 200 µs; polling
//! HTTP a thousand times a second would measure the poller). Prints p50/p90/p99/max
//! per replica and the push throughput A sustained meanwhile.
//!
//! `REPLICA_DATA=dir` chooses the data folder (default `data/`, the bundled data).
//!
//! Measured 2026-12-07 with `--profile dev` (app crate unoptimised) on the 2-core
//! machine at load average ~8 (other builds): lag on B p50 47 ms, p90 170 ms,
//! p99 303 ms, max 437 ms; on C p50 48 ms, p90 227 ms, p99 426 ms, max 564 ms;
//! 12 pushes/s; all 1,000 lines seen on both (docs/deploy.md).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use medmap::config::Settings;
use medmap::serve::Running;
use medmap::store::Store;
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;

fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One pushed line waiting to show on a replica.
#[derive(Clone, Copy)]
struct Pending {
    facility: i64,
    product: i64,
    price: i64,
    accepted: Instant,
}

async fn replica(url: &str, schema: &str, data: Option<std::path::PathBuf>) -> Running {
    let opts = PgConnectOptions::from_str(url)
        .expect("pg url")
        .application_name(schema)
        .options([("search_path", schema)]);
    let store = Store::connect_postgres(opts).await.expect("pg store");
    let settings = Settings {
        addr: "127.0.0.1:0".parse().expect("addr"),
        data_dir: data,
        feed_rate_per_min: std::num::NonZeroU32::new(1_000_000).expect("nonzero"),
        feed_burst: std::num::NonZeroU32::new(1_000_000).expect("nonzero"),
        ..Settings::default()
    };
    let r = medmap::serve::start(store, settings)
        .await
        .expect("server starts");
    let t = Instant::now();
    while r.state.snap().is_err() {
        assert!(t.elapsed() < Duration::from_secs(1_800), "not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    r
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let url = std::env::var("MEDMAP_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let pushes: usize = env_or("REPLICA_PUSHES", 1_000);
    let publishers: usize = env_or("REPLICA_PUBLISHERS", 20);
    let concurrency: usize = env_or("REPLICA_CONCURRENCY", 4);
    let data: std::path::PathBuf = env_or("REPLICA_DATA", "data".into());

    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = match sqlx::PgConnection::connect(&url).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: PostgreSQL at {url} unreachable: {e}");
            return;
        }
    };
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("schema");

    let t = Instant::now();
    let a = replica(&url, &schema, Some(data)).await;
    eprintln!(
        "A ready (bundled data imported) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let b = replica(&url, &schema, None).await;
    let c = replica(&url, &schema, None).await;
    eprintln!("B and C ready in {:.1} s", t.elapsed().as_secs_f64());

    let snap = a.state.snap().expect("snapshot");
    let pharmacies: Vec<i64> = snap
        .facilities
        .iter()
        .filter(|f| f.kind == medmap::model::FacilityKind::Pharmacy)
        .map(|f| f.id)
        .take(publishers)
        .collect();
    let mut products: Vec<i64> = snap.catalog.products.keys().copied().collect();
    products.sort_unstable();
    products.truncate(500);
    assert!(pharmacies.len() == publishers && !products.is_empty());
    let mut keys = Vec::new();
    for (i, f) in pharmacies.iter().enumerate() {
        let k = medmap::feeds::keys::generate();
        a.state
            .store
            .create_key(
                &format!("Bench {i}"),
                Some("UAH"),
                &[(*f, None)],
                &k.hash,
                &k.prefix,
            )
            .await
            .expect("key");
        keys.push(k.secret);
    }

    // The watcher: every 200 µs, which pending lines B and C now show.
    let pending: Arc<Mutex<Vec<(usize, Pending)>>> = Arc::default();
    let lags: Arc<Mutex<[Vec<Duration>; 2]>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (pending, lags, stop) = (pending.clone(), lags.clone(), stop.clone());
        let cells = [b.state.snapshot.clone(), c.state.snapshot.clone()];
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let now = Instant::now();
                let mut p = pending.lock().expect("lock");
                p.retain(|(replica, line)| {
                    let Some(s) = cells[*replica].get() else {
                        return true;
                    };
                    let shown = match (
                        s.product_index.get(&line.product),
                        s.facility_index.get(&line.facility),
                    ) {
                        (Some(&pi), Some(&fi)) => s
                            .stock
                            .line(pi, fi)
                            .and_then(|l| l.price_minor)
                            .is_some_and(|m| i64::from(m) == line.price),
                        _ => false,
                    };
                    if shown {
                        lags.lock().expect("lock")[*replica].push(now - line.accepted);
                    }
                    !shown
                });
                drop(p);
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };

    let client = reqwest::Client::new();
    let base = format!("http://{}", a.addr);
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, base, keys, pharmacies, products, pending, next) = (
            client.clone(),
            base.clone(),
            keys.clone(),
            pharmacies.clone(),
            products.clone(),
            pending.clone(),
            next.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= pushes {
                    return latencies;
                }
                let who = i % pharmacies.len();
                let (facility, product) = (pharmacies[who], products[i % products.len()]);
                let price = 10_000 + i as i64;
                let body = format!(
                    "facility,product_id,quantity,price\n{facility},{product},3,{}.{:02}\n",
                    price / 100,
                    price % 100
                );
                let t = Instant::now();
                let r = client
                    .post(format!("{base}/api/v1/feeds/stock?mode=delta"))
                    .bearer_auth(&keys[who])
                    .body(body)
                    .send()
                    .await
                    .expect("push answered");
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                assert!(status.is_success(), "push {i}: {status} {text}");
                let accepted = Instant::now();
                latencies.push(accepted - t);
                let line = Pending {
                    facility,
                    product,
                    price,
                    accepted,
                };
                let mut p = pending.lock().expect("lock");
                p.push((0, line));
                p.push((1, line));
            }
        }));
    }
    let mut push_lat = Vec::new();
    for w in workers {
        push_lat.extend(w.await.expect("worker"));
    }
    let elapsed = started.elapsed();
    let t = Instant::now();
    while !pending.lock().expect("lock").is_empty() {
        if t.elapsed() > Duration::from_secs(60) {
            eprintln!("lines never seen: {}", pending.lock().expect("lock").len());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    watcher.join().expect("watcher");

    push_lat.sort_unstable();
    println!(
        "{pushes} pushes to A ({publishers} publishers round-robin, {concurrency} at a time) in {:.2} s: {:.0} pushes/s; push answer p50 {} p99 {}",
        elapsed.as_secs_f64(),
        pushes as f64 / elapsed.as_secs_f64(),
        ms(percentile(&push_lat, 0.5)),
        ms(percentile(&push_lat, 0.99)),
    );
    let lags = std::mem::take(&mut *lags.lock().expect("lock"));
    let mut by: HashMap<&str, Vec<Duration>> = HashMap::new();
    for (name, l) in ["B", "C"].iter().zip(lags.iter()) {
        let mut l = l.clone();
        l.sort_unstable();
        println!(
            "visible on {name}: {} of {pushes}; lag after A's 200: p50 {} p90 {} p99 {} max {}",
            l.len(),
            ms(percentile(&l, 0.5)),
            ms(percentile(&l, 0.9)),
            ms(percentile(&l, 0.99)),
            ms(l.last().copied().unwrap_or_default()),
        );
        by.insert(name, l);
    }
    let head = a.state.store.change_window().await.expect("window");
    println!(
        "change log head {}; positions A {} B {} C {}",
        head.head,
        a.state.snapshot.sync.position(),
        b.state.snapshot.sync.position(),
        c.state.snapshot.sync.position()
    );

    for r in [a, b, c] {
        r.task.abort();
        r.state.store.close().await;
    }
    let _ = sqlx::query(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{schema}'"
    ))
    .execute(&mut conn)
    .await;
    let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut conn)
        .await;
}
