//! Full-size evaluation of the name index on the bundled registers. Ignored in the
//! default test run (a brute-force baseline over every key takes minutes); run with
//! `cargo test -p medmap-benches --release -- --ignored --nocapture eval`: prints the
//! recall table (ours vs brute-force Damerau-Levenshtein), the worst misses and
//! the hand-written truth set's recall.

use std::path::Path;
use std::time::Instant;

use medmap_benches::names_fixture::{default_data_dir, load_concepts, merge_key};
use medmap_indexers::names::eval::{
    compare_table, evaluate, evaluate_baseline_dl, evaluate_with, parse_truth, synthetic_queries,
    EvalQuery,
};
use medmap_indexers::names::{ConceptKind, NameIndex};

#[test]
#[ignore = "minutes long: run with --release -- --ignored"]
fn eval_full_fixture() {
    let dir = default_data_dir();
    if !dir.exists() {
        eprintln!("no data at {}, skipped", dir.display());
        return;
    }
    let t = Instant::now();
    let concepts = load_concepts(&dir);
    let n = concepts.len();
    let load = t.elapsed();
    let t = Instant::now();
    let index = NameIndex::build(concepts);
    println!(
        "concepts {n}, keys {}, fst {} bytes ({:.1} B/key), load {:?}, build {:?}",
        index.key_count(),
        index.fst_bytes(),
        index.fst_bytes() as f64 / index.key_count().max(1) as f64,
        load,
        t.elapsed()
    );
    assert!(index.key_count() >= 100_000, "{}", index.key_count());

    let per = std::env::var("NAMES_EVAL_PER")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    let queries = synthetic_queries(&index, 42, per);
    let t = Instant::now();
    let ours = evaluate(&index, &queries);
    let ours_time = t.elapsed();
    let t = Instant::now();
    // NAMES_EVAL_BASELINE=0 skips the (slow, full-scan) baseline while tuning.
    let with_base = std::env::var("NAMES_EVAL_BASELINE").map_or(true, |v| v != "0");
    let base = if with_base {
        evaluate_baseline_dl(&index, &queries)
    } else {
        evaluate_with(&index, &[], "skipped", |_| Vec::new())
    };
    println!(
        "synthetic: {} queries (ours {:?}, baseline {:?})",
        queries.len(),
        ours_time,
        t.elapsed()
    );
    println!("{}", compare_table(&ours, &base));
    let mut misses = ours.misses.clone();
    misses.sort_by_key(|m| std::cmp::Reverse(m.rank.unwrap_or(99)));
    for m in misses.iter().take(40) {
        println!(
            "MISS [{}] {:?} want {:?} rank {:?} got {:?}",
            m.category, m.query, m.expected, m.rank, m.got
        );
    }

    // Hand-written truth set.
    let truth_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/eval/names_truth.tsv");
    if let Ok(text) = std::fs::read_to_string(&truth_path) {
        let mut hq: Vec<EvalQuery> = Vec::new();
        let mut unresolved = Vec::new();
        for (q, inns, cat) in parse_truth(&text) {
            let mut expected = Vec::new();
            for inn in &inns {
                match resolve_inn(&index, inn) {
                    Some(id) => expected.push((ConceptKind::Substance, id)),
                    None => unresolved.push(inn.clone()),
                }
            }
            if expected.len() == inns.len() {
                hq.push(EvalQuery {
                    query: q,
                    category: cat,
                    expected,
                });
            }
        }
        let ours_h = evaluate(&index, &hq);
        let base_h = if with_base {
            evaluate_baseline_dl(&index, &hq)
        } else {
            evaluate_with(&index, &[], "skipped", |_| Vec::new())
        };
        println!(
            "hand-written: {} queries, unresolved INNs {:?}",
            hq.len(),
            unresolved
        );
        println!("{}", compare_table(&ours_h, &base_h));
        for m in ours_h.misses.iter() {
            println!(
                "HAND MISS [{}] {:?} want {:?} rank {:?} got {:?}",
                m.category, m.query, m.expected, m.rank, m.got
            );
        }
    }

    assert_eq!(ours.category("exact").map(|c| c.recall1()), Some(1.0));
    assert!(ours.overall.recall5() >= 0.9);
}

/// The substance whose English name has this INN's merge key.
fn resolve_inn(index: &NameIndex, inn: &str) -> Option<i64> {
    let want = merge_key(inn);
    index
        .concepts()
        .iter()
        .filter(|c| c.kind == ConceptKind::Substance)
        .find(|c| c.names.iter().any(|n| merge_key(&n.text) == want))
        .map(|c| c.id)
}
