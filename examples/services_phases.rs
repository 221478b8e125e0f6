//! Where a services search spends its time, phase by phase, over the synthetic
//! national directory in a SQLite file made by `medmap import synthetic-services`:
//! `cargo run --release --example services_phases -- DB [QUERIES_FILE]`.
use std::time::Instant;

use chrono::Utc;
use medmap::hsds::search::{facets, search_listed, Listing, ServiceQuery};
use medmap::snapshot::Snapshot;
use medmap::store::Store;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let db = args.get(1).expect("DB path");
    let queries: Vec<String> =
        std::fs::read_to_string(args.get(2).map_or("/tmp/svc/queries.txt", |s| s))
            .expect("queries")
            .lines()
            .map(str::to_string)
            .collect();
    let store = Store::connect_sqlite(db).await.expect("sqlite");
    let t = Instant::now();
    let snap = Snapshot::load(&store).await.expect("snapshot");
    println!("snapshot load {:.1} s", t.elapsed().as_secs_f64());
    let now = Utc::now();
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    for radius in [false, true] {
        let (mut ts, mut tf, mut n, mut total) = (0.0, 0.0, 0usize, 0usize);
        for _ in 0..rounds {
            for (i, q) in queries.iter().enumerate() {
                let pts = [
                    (40.7128, -74.0060),
                    (34.0522, -118.2437),
                    (51.5074, -0.1278),
                ];
                let sq = ServiceQuery {
                    text: Some(q.clone()),
                    point: radius.then(|| pts[i % pts.len()]),
                    radius_km: radius.then_some(10.0),
                    ..ServiceQuery::default()
                };
                let t = Instant::now();
                let r = search_listed(
                    &snap,
                    &sq,
                    now,
                    Listing {
                        per_service: true,
                        ordered: 20,
                        placed_only: false,
                        facets: true,
                    },
                );
                ts += t.elapsed().as_secs_f64();
                let t = Instant::now();
                let f = facets(&snap, &r, "en");
                tf += t.elapsed().as_secs_f64();
                n += 1;
                total += r.total;
                std::hint::black_box((r.found.len(), f.categories.len()));
            }
        }
        println!(
            "radius {radius}: search_listed mean {:.3} ms, facets mean {:.3} ms, results mean {}",
            ts * 1000.0 / n as f64,
            tf * 1000.0 / n as f64,
            total / n.max(1)
        );
    }
}
