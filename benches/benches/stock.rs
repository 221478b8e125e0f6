//! Availability query at national scale (issue 5).
//!
//! `cargo bench -p medmap-benches --bench stock` prints, for the seeded
//! fixture (10M lines; `STOCK_LINES=40000000` for 40M):
//! build times, heap bytes per stock line (the index's own count and the
//! allocator's), feed-apply latency, and p50/p90/p99/max over 10,000 queries
//! timed one by one with `Instant` (radius 10 km around a random pharmacy,
//! open now, fresh lines only, top 20 by distance), for products drawn
//! uniformly (what the PostGIS pgbench script draws) and by popularity (what
//! people search for), plus price order. Then criterion measures the same
//! query mix. `STOCK_CRITERION=0` skips criterion; `STOCK_QUERIES=n` changes
//! the query count. The last line, `OURS ...`, is parsed by
//! benches/postgis/run.sh.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use criterion::Criterion;
use medmap_benches::stock_fixture::{Fixture, FixtureConfig};
use medmap_indexers::hours::{Hours, OpenTable};
use medmap_indexers::places::PlaceIndex;
use medmap_indexers::stock::{
    Plan, PlanChoice, Sort, StockIndex, StockLine, StockQuery, StockStatus,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Counts live heap bytes, so the index's footprint is measured, not assumed.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LIVE.fetch_add(n, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

struct World {
    fx: Fixture,
    places: PlaceIndex,
    stock: StockIndex,
    open: OpenTable,
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

fn query_for(w: &World, r: &mut StdRng, popular: bool, sort: Sort) -> StockQuery {
    let ph = &w.fx.pharmacies[r.random_range(0..w.fx.pharmacies.len())];
    let product = if popular {
        w.fx.popular_product(r)
    } else {
        r.random_range(0..w.fx.config.products as u32)
    };
    let mut q = StockQuery::new(vec![product], ph.lat, ph.lon, 10_000.0, w.fx.config.now);
    q.open_now = true;
    q.cutoff_secs = q.fresh_secs; // fresh lines only
    q.sort = sort;
    q.limit = 20;
    q
}

struct Run {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean_hits: f64,
    plans: [usize; 3],
}

fn run(w: &World, n: usize, seed: u64, popular: bool, sort: Sort, choice: PlanChoice) -> Run {
    let mut r = StdRng::seed_from_u64(seed);
    let qs: Vec<StockQuery> = (0..n)
        .map(|_| query_for(w, &mut r, popular, sort))
        .collect();
    let open = |f: u32| w.open.get(f);
    // Warm caches the way a serving process is warm.
    for q in qs.iter().take(n / 10) {
        black_box(w.stock.query_with(q, &w.places, &open, choice));
    }
    let mut times = Vec::with_capacity(n);
    let mut hits = 0usize;
    let mut plans = [0usize; 3];
    for q in &qs {
        let t = Instant::now();
        let (h, plan) = w.stock.query_with(black_box(q), &w.places, &open, choice);
        times.push(t.elapsed());
        hits += h.len();
        plans[match plan {
            Plan::Scan => 0,
            Plan::Walk => 1,
            Plan::WalkThenScan => 2,
        }] += 1;
        black_box(h);
    }
    Run {
        p50: pct(&mut times, 0.50),
        p90: pct(&mut times, 0.90),
        p99: pct(&mut times, 0.99),
        max: pct(&mut times, 1.0),
        mean_hits: hits as f64 / n.max(1) as f64,
        plans,
    }
}

fn print_run(label: &str, r: &Run) {
    println!(
        "{label:<44} p50 {:>7.2} µs  p90 {:>7.2} µs  p99 {:>7.2} µs  max {:>8.1} µs  hits {:>5.1}  plans scan/walk/fallback {:?}",
        r.p50, r.p90, r.p99, r.max, r.mean_hits, r.plans
    );
}

fn main() {
    let cfg = FixtureConfig::from_env();
    let n_queries: usize = std::env::var("STOCK_QUERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    println!(
        "fixture: {} pharmacies x {} of {} products = {} lines (seed {})",
        cfg.pharmacies,
        cfg.per_pharmacy,
        cfg.products,
        cfg.lines(),
        cfg.seed
    );

    let t = Instant::now();
    let fx = Fixture::generate(cfg.clone());
    let lines: Vec<(u32, StockLine)> = fx.lines().collect();
    println!("generate: {:.2} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let places = PlaceIndex::build(fx.pharmacies.iter().map(|p| (p.id, p.lat, p.lon)));
    println!(
        "places build: {:.1} ms for {} facilities, ≈ {} heap bytes",
        t.elapsed().as_secs_f64() * 1e3,
        places.len(),
        places.heap_bytes()
    );

    let before = live();
    let t = Instant::now();
    let stock = StockIndex::build(lines.iter().copied(), cfg.products);
    let build = t.elapsed();
    let measured = live() - before;
    let n = stock.len().max(1) as f64;
    println!(
        "stock build: {:.2} s for {} lines; heap {} bytes = {:.2} bytes/line (index count {:.2}); places adds {:.3} bytes/line",
        build.as_secs_f64(),
        stock.len(),
        measured,
        measured as f64 / n,
        stock.heap_bytes() as f64 / n,
        places.heap_bytes() as f64 / n
    );
    let mut lens: Vec<usize> = (0..cfg.products as u32)
        .map(|p| stock.lines_for(p).len())
        .collect();
    lens.sort_unstable();
    println!(
        "posting lengths: min {} p50 {} p90 {} p99 {} max {}",
        lens[0],
        lens[lens.len() / 2],
        lens[lens.len() * 9 / 10],
        lens[lens.len() * 99 / 100],
        lens[lens.len() - 1]
    );

    let now = DateTime::<Utc>::from_timestamp(cfg.now, 0).unwrap_or_default();
    let t = Instant::now();
    let hours: Vec<Hours> = fx
        .pharmacies
        .iter()
        .map(|p| Hours::parse_osm(&p.hours, chrono_tz::Europe::Kyiv, Some("UA")))
        .collect();
    let parse = t.elapsed();
    let t = Instant::now();
    let open = OpenTable::build(hours.len(), now, |f| hours.get(f as usize));
    println!(
        "hours: parse {:.1} ms, open-now table {:.1} ms for {} pharmacies ({} open now)",
        parse.as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64() * 1e3,
        hours.len(),
        (0..hours.len() as u32)
            .filter(|&f| open.get(f) == Some(true))
            .count()
    );

    // A feed push: one pharmacy's full snapshot (1,000 upserts) plus 50 removals.
    let ph = 4242u32 % cfg.pharmacies as u32;
    let ups: Vec<(u32, StockLine)> = fx
        .pharmacy_lines(ph)
        .into_iter()
        .map(|(p, mut l)| {
            l.checked_at = cfg.now;
            l.status = StockStatus::Low;
            (p, l)
        })
        .collect();
    let rems: Vec<(u32, u32)> = ups.iter().take(50).map(|(p, _)| (*p, ph)).collect();
    let t = Instant::now();
    let next = stock.apply(&ups, &rems);
    println!(
        "apply: {} upserts + {} removals in {:.2} ms (copy-on-write, {} lines after)",
        ups.len(),
        rems.len(),
        t.elapsed().as_secs_f64() * 1e3,
        next.len()
    );
    drop(next);
    drop(lines);

    let w = World {
        fx,
        places,
        stock,
        open,
    };
    println!("queries: {n_queries} per row, radius 10 km around a random pharmacy, open now, fresh only, top 20");
    let main = run(&w, n_queries, 1, false, Sort::Distance, PlanChoice::Auto);
    print_run("uniform product, distance, auto", &main);
    print_run(
        "uniform product, distance, scan only",
        &run(&w, n_queries, 1, false, Sort::Distance, PlanChoice::Scan),
    );
    print_run(
        "uniform product, distance, walk only",
        &run(&w, n_queries, 1, false, Sort::Distance, PlanChoice::Walk),
    );
    let pop = run(&w, n_queries, 2, true, Sort::Distance, PlanChoice::Auto);
    print_run("popular product, distance, auto", &pop);
    print_run(
        "popular product, distance, scan only",
        &run(&w, n_queries, 2, true, Sort::Distance, PlanChoice::Scan),
    );
    print_run(
        "popular product, distance, walk only",
        &run(&w, n_queries, 2, true, Sort::Distance, PlanChoice::Walk),
    );
    print_run(
        "uniform product, price, auto",
        &run(&w, n_queries, 3, false, Sort::Price, PlanChoice::Auto),
    );
    print_run(
        "popular product, price, auto",
        &run(&w, n_queries, 4, true, Sort::Price, PlanChoice::Auto),
    );

    println!(
        "OURS lines={} p50_us={:.2} p99_us={:.2} popular_p50_us={:.2} popular_p99_us={:.2} bytes_per_line={:.2} build_s={:.2}",
        w.stock.len(),
        main.p50,
        main.p99,
        pop.p50,
        pop.p99,
        measured as f64 / n,
        build.as_secs_f64()
    );

    if std::env::var("STOCK_CRITERION").as_deref() == Ok("0") {
        return;
    }
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    let mut r = StdRng::seed_from_u64(9);
    let uniform: Vec<StockQuery> = (0..1024)
        .map(|_| query_for(&w, &mut r, false, Sort::Distance))
        .collect();
    let popular: Vec<StockQuery> = (0..1024)
        .map(|_| query_for(&w, &mut r, true, Sort::Distance))
        .collect();
    let open = |f: u32| w.open.get(f);
    for (name, qs) in [
        ("stock/availability_uniform", &uniform),
        ("stock/availability_popular", &popular),
    ] {
        let mut i = 0usize;
        c.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % qs.len();
                black_box(w.stock.query(&qs[i], &w.places, &open))
            })
        });
    }
    c.final_summary();
}
