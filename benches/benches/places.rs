//! Nearest-k and within-radius over the national pharmacy fixture (10,000
//! points, 70 % in cities; `STOCK_LINES` scales it like the stock bench).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use medmap_benches::stock_fixture::{Fixture, FixtureConfig, BBOX};
use medmap_indexers::places::PlaceIndex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn bench(c: &mut Criterion) {
    let fx = Fixture::generate(FixtureConfig::from_env());
    let idx = PlaceIndex::build(fx.pharmacies.iter().map(|p| (p.id, p.lat, p.lon)));
    let mut r = StdRng::seed_from_u64(5);
    // Half at pharmacies (dense), half anywhere in the country (mostly sparse).
    let pts: Vec<(f64, f64)> = (0..1024)
        .map(|i| {
            if i % 2 == 0 {
                let p = &fx.pharmacies[r.random_range(0..fx.pharmacies.len())];
                (p.lat, p.lon)
            } else {
                (
                    r.random_range(BBOX.0..BBOX.1),
                    r.random_range(BBOX.2..BBOX.3),
                )
            }
        })
        .collect();
    let mut g = c.benchmark_group("places");
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("build_10k", |b| {
        b.iter(|| PlaceIndex::build(fx.pharmacies.iter().map(|p| (p.id, p.lat, p.lon))))
    });
    for k in [1usize, 20] {
        let mut i = 0;
        g.bench_function(format!("nearest_{k}"), |b| {
            b.iter(|| {
                i = (i + 1) % pts.len();
                black_box(idx.nearest(pts[i].0, pts[i].1, k))
            })
        });
    }
    for km in [1.0f64, 10.0] {
        let mut i = 0;
        g.bench_function(format!("within_{km}km"), |b| {
            b.iter(|| {
                i = (i + 1) % pts.len();
                black_box(idx.within(pts[i].0, pts[i].1, km * 1000.0))
            })
        });
    }
    let mut i = 0;
    g.bench_function("estimate_within_10km", |b| {
        b.iter(|| {
            i = (i + 1) % pts.len();
            black_box(idx.estimate_within(pts[i].0, pts[i].1, 10_000.0))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
