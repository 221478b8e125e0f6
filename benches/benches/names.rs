//! Name index benchmarks: build time, bytes per key, search and suggest
//! latency over a mix of real-looking queries. Criterion measures the mean; the
//! percentiles asked for (p50/p99) are measured here directly by timing each
//! query of a few thousand with `Instant`, and printed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use medmap_benches::names_fixture::{default_data_dir, load_concepts};
use medmap_indexers::names::eval::synthetic_queries;
use medmap_indexers::names::NameIndex;

/// The allocator `medmap serve` ships with (see `src/main.rs`): the search core is
/// measured as it runs in production, not against glibc malloc, whose
/// `malloc_consolidate` alone was a tenth of a slow query's profile.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn percentiles(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    let at = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    (at(0.5), at(0.99), at(1.0))
}

fn bench(c: &mut Criterion) {
    let concepts = load_concepts(&default_data_dir());
    let t = Instant::now();
    let index = NameIndex::build(concepts.clone());
    let build = t.elapsed();
    println!(
        "build {:?}; concepts {}; keys {}; fst {} bytes = {:.2} bytes/key",
        build,
        index.concept_count(),
        index.key_count(),
        index.fst_bytes(),
        index.fst_bytes() as f64 / index.key_count().max(1) as f64
    );

    // Query mix: every synthetic category (exact, typos, phonetic, translit,
    // layout, prefixes, brands) plus a few multi-word queries.
    let mut queries: Vec<String> = synthetic_queries(&index, 1, 300)
        .into_iter()
        .map(|q| q.query)
        .collect();
    for q in [
        "paracetamol 500 mg",
        "нурофен таблетки",
        "amoxicillin clavulanic acid",
        "ибупрофен 200мг №20",
        "mophine",
        "zertec",
        "ibuprophen",
        "amoxacillan",
    ] {
        queries.push(q.to_string());
    }
    let prefixes: Vec<String> = queries
        .iter()
        .map(|q| q.chars().take(4).collect())
        .collect();

    // Warm up, then time each query.
    for q in &queries {
        black_box(index.search(q, 10));
    }
    let mut times = Vec::with_capacity(queries.len() * 2);
    for _ in 0..2 {
        for q in &queries {
            let t = Instant::now();
            black_box(index.search(q, 10));
            times.push(t.elapsed());
        }
    }
    let (p50, p99, max) = percentiles(times);
    println!(
        "search: {} timings, p50 {:?}, p99 {:?}, max {:?}",
        queries.len() * 2,
        p50,
        p99,
        max
    );
    let mut times = Vec::with_capacity(prefixes.len() * 2);
    for _ in 0..2 {
        for q in &prefixes {
            let t = Instant::now();
            black_box(index.suggest(q, 10));
            times.push(t.elapsed());
        }
    }
    let (p50, p99, max) = percentiles(times);
    println!(
        "suggest: {} timings, p50 {:?}, p99 {:?}, max {:?}",
        prefixes.len() * 2,
        p50,
        p99,
        max
    );

    // On a shared machine a query preempted mid-way costs a whole time slice
    // (milliseconds), which swamps the tail. The per-query minimum over five
    // runs removes that noise and leaves the cost of the query itself.
    let min_of = |f: &dyn Fn(&str), qs: &[String]| -> Vec<Duration> {
        qs.iter()
            .map(|q| {
                (0..5)
                    .map(|_| {
                        let t = Instant::now();
                        f(q);
                        t.elapsed()
                    })
                    .min()
                    .unwrap_or_default()
            })
            .collect()
    };
    let search_min = min_of(&|q| drop(black_box(index.search(q, 10))), &queries);
    // The slowest queries by their own cost: where the tail comes from.
    let mut slowest: Vec<(Duration, &String)> = search_min.iter().copied().zip(&queries).collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (d, q) in slowest.iter().take(12) {
        println!("  slow search {d:>10.1?}  {q}");
    }
    let (p50, p99, max) = percentiles(search_min);
    println!(
        "search, min of 5 runs per query: p50 {:?}, p99 {:?}, max {:?}",
        p50, p99, max
    );
    let suggest_min = min_of(&|q| drop(black_box(index.suggest(q, 10))), &prefixes);
    let mut slowest: Vec<(Duration, &String)> =
        suggest_min.iter().copied().zip(&prefixes).collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (d, q) in slowest.iter().take(8) {
        println!("  slow suggest {d:>10.1?}  {q}");
    }
    let (p50, p99, max) = percentiles(suggest_min);
    println!(
        "suggest, min of 5 runs per query: p50 {:?}, p99 {:?}, max {:?}",
        p50, p99, max
    );

    // `NAMES_CRITERION=0`: the percentiles above only, for quick iterations.
    if std::env::var("NAMES_CRITERION").as_deref() == Ok("0") {
        return;
    }
    let mut g = c.benchmark_group("names");
    g.sample_size(10);
    g.bench_function("build", |b| {
        b.iter(|| NameIndex::build(black_box(concepts.clone())))
    });
    g.finish();
    let mut i = 0usize;
    c.bench_function("names/search_mix", |b| {
        b.iter(|| {
            i = (i + 1) % queries.len();
            black_box(index.search(&queries[i], 10))
        })
    });
    let mut j = 0usize;
    c.bench_function("names/suggest_mix", |b| {
        b.iter(|| {
            j = (j + 1) % prefixes.len();
            black_box(index.suggest(&prefixes[j], 10))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
