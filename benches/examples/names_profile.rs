//! Profile helper: builds the full name index and runs the benchmark query mix
//! in a loop (`perf record` it). `cargo run --release --example names_profile`.

use std::hint::black_box;
use std::time::Instant;

use medmap_benches::names_fixture::{default_data_dir, load_concepts};
use medmap_indexers::names::eval::synthetic_queries;
use medmap_indexers::names::NameIndex;

/// The allocator `medmap serve` ships with (see `src/main.rs`): the search core is
/// measured as it runs in production, not against glibc malloc, whose
/// `malloc_consolidate` alone was a tenth of a slow query's profile.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let index = NameIndex::build(load_concepts(&default_data_dir()));
    // `names_profile q <query>...`: print the hits of each query instead.
    if std::env::args().nth(1).as_deref() == Some("q") {
        for q in std::env::args().skip(2) {
            println!("== {q}");
            for h in index.search(&q, 8) {
                let c = index.concept(h.kind, h.id);
                println!(
                    "  {:?} {} {:.3} {:?} matched={:?} names={:?} ingr={:?}",
                    h.kind,
                    h.id,
                    h.score,
                    h.match_kind,
                    h.matched,
                    c.map(|c| c
                        .names
                        .iter()
                        .take(3)
                        .map(|n| n.text.as_str())
                        .collect::<Vec<_>>()),
                    c.map(|c| &c.ingredients)
                );
            }
        }
        return;
    }
    // `names_profile repeat search|suggest N <query>...`: run those queries N
    // times each (for `perf record` on one slow query) and print the mean.
    if std::env::args().nth(1).as_deref() == Some("repeat") {
        let args: Vec<String> = std::env::args().skip(2).collect();
        let suggest = args.first().map(String::as_str) == Some("suggest");
        let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
        for q in args.iter().skip(2) {
            let t = Instant::now();
            for _ in 0..n {
                if suggest {
                    black_box(index.suggest(q, 10));
                } else {
                    black_box(index.search(q, 10));
                }
            }
            println!("{:>10.1?}  {q}", t.elapsed() / n as u32);
        }
        return;
    }
    let queries: Vec<(String, String)> = synthetic_queries(&index, 1, 200)
        .into_iter()
        .map(|q| (q.category, q.query))
        .collect();
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let mut per_cat: std::collections::BTreeMap<String, Vec<u128>> = Default::default();
    for _ in 0..rounds {
        for (c, q) in &queries {
            let t = Instant::now();
            black_box(index.search(q, 10));
            per_cat
                .entry(c.clone())
                .or_default()
                .push(t.elapsed().as_micros());
        }
    }
    // Slowest queries by their best-of-3 time (`names_profile slow`).
    if std::env::args().nth(1).as_deref() == Some("slow") {
        let mut t: Vec<(u128, &str, &str)> = queries
            .iter()
            .map(|(c, q)| {
                let best = (0..3)
                    .map(|_| {
                        let t = Instant::now();
                        black_box(index.search(q, 10));
                        t.elapsed().as_micros()
                    })
                    .min()
                    .unwrap_or(0);
                (best, c.as_str(), q.as_str())
            })
            .collect();
        t.sort_unstable_by(|a, b| b.cmp(a));
        for (us, c, q) in t.iter().take(25) {
            println!("{us:>6}us [{c}] {q}");
        }
        return;
    }
    for (c, mut v) in per_cat {
        v.sort_unstable();
        println!(
            "{c:<14} p50 {:>6}us p99 {:>6}us",
            v[v.len() / 2],
            v[v.len() * 99 / 100]
        );
    }
}
