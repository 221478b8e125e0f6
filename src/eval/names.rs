//! `medmap eval names`: measures medication-name search on the real bundled index,
//! with synthetic misspellings (fixed seed) and the hand-written truth file, so every
//! ranking change is measured rather than guessed (as imdb-rename's eval crate does).

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use medmap_indexers::names::eval::{
    compare_table, evaluate, evaluate_baseline_dl, parse_truth, synthetic_queries, EvalQuery,
    EvalReport,
};
use medmap_indexers::names::{normalize, ConceptKind};

use crate::snapshot::Snapshot;

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Hand-written queries with expected INNs (`query<TAB>expected<TAB>category`).
    #[arg(long, default_value = "tests/eval/names_truth.tsv")]
    pub truth: PathBuf,
    /// Seed of the synthetic misspelling generator.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Synthetic queries per category.
    #[arg(long, default_value_t = 200)]
    pub per_category: usize,
    /// Also run the brute-force Damerau-Levenshtein baseline (slow) for the ratio.
    #[arg(long)]
    pub baseline: bool,
    /// Data folder imported first if the database is empty.
    #[arg(long, env = "MEDMAP_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// How many misses to print.
    #[arg(long, default_value_t = 10)]
    pub misses: usize,
}

/// Resolves the truth file's expected English INNs to substance ids.
pub fn truth_queries(snap: &Snapshot, tsv: &str) -> (Vec<EvalQuery>, Vec<String>) {
    let mut by_name: HashMap<String, i64> = HashMap::new();
    for s in snap.catalog.substances.values() {
        for n in s.row.name_en.iter().chain(s.names.iter().map(|(t, _)| t)) {
            by_name.entry(normalize(n)).or_insert(s.row.id);
        }
    }
    let mut out = Vec::new();
    let mut unresolved = Vec::new();
    for (query, expected, category) in parse_truth(tsv) {
        let ids: Option<Vec<(ConceptKind, i64)>> = expected
            .iter()
            .map(|e| {
                by_name
                    .get(&normalize(e))
                    .map(|id| (ConceptKind::Substance, *id))
            })
            .collect();
        match ids {
            Some(ids) => out.push(EvalQuery {
                query,
                category: format!("hand:{category}"),
                expected: ids,
            }),
            None => unresolved.push(format!("{query} → {}", expected.join("+"))),
        }
    }
    (out, unresolved)
}

/// Runs the evaluation over a snapshot: synthetic set and truth file.
pub fn run_on(
    snap: &Snapshot,
    truth_tsv: &str,
    seed: u64,
    per_category: usize,
    baseline: bool,
) -> (EvalReport, Option<EvalReport>, Vec<String>) {
    let mut queries = synthetic_queries(&snap.catalog.names, seed, per_category);
    let (truth, unresolved) = truth_queries(snap, truth_tsv);
    queries.extend(truth);
    let ours = evaluate(&snap.catalog.names, &queries);
    let base = baseline.then(|| evaluate_baseline_dl(&snap.catalog.names, &queries));
    (ours, base, unresolved)
}

pub async fn run_names(db: &str, args: EvalArgs) -> anyhow::Result<()> {
    let (store, snap) = super::open_snapshot(db, &args.data_dir).await?;
    let tsv = std::fs::read_to_string(&args.truth)
        .with_context(|| format!("reading {}", args.truth.display()))?;
    let (ours, base, unresolved) = tokio::task::spawn_blocking(move || {
        let r = run_on(&snap, &tsv, args.seed, args.per_category, args.baseline);
        drop(snap);
        r
    })
    .await?;
    match &base {
        Some(b) => println!("{}", compare_table(&ours, b)),
        None => println!("{}", ours.table()),
    }
    if !unresolved.is_empty() {
        println!(
            "truth rows whose expected INN is not in the data ({}): {}",
            unresolved.len(),
            unresolved.join("; ")
        );
    }
    println!("worst misses:");
    for m in ours
        .misses
        .iter()
        .filter(|m| m.rank.is_none())
        .chain(ours.misses.iter().filter(|m| m.rank.is_some()))
        .take(args.misses)
    {
        println!(
            "  [{}] {:?} expected {} got {:?} (rank {:?})",
            m.category, m.query, m.expected, m.got, m.rank
        );
    }
    store.close().await;
    Ok(())
}
