//! `medmap eval services`: recall@1 and recall@3 of the services search per
//! category of the truth file (`tests/eval/services_truth.tsv`: plain words,
//! sentences, misspellings, Ukrainian, Russian, transliteration), beside a
//! baseline: trigram word similarity over name, taxonomy and description, the
//! ranking a city gets from PostgreSQL `pg_trgm` (`word_similarity`) with no
//! search engine. Every ranking change is measured against both.
//!
//! A truth row expects service names (`A|B`: any counts) over the bundled
//! directory, or an archetype of the generated national directory
//! (`gen:food-pantry`), which is checked only when the snapshot holds one.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use medmap_indexers::names::normalize;

use crate::hsds::search::{search_listed, Listing, ServiceQuery};
use crate::snapshot::Snapshot;
use crate::store::Store;

#[derive(Debug, Clone, Args)]
pub struct ServicesEvalArgs {
    /// Truth file (`category<TAB>query<TAB>expected`).
    #[arg(long, default_value = "tests/eval/services_truth.tsv")]
    pub truth: PathBuf,
    /// Data folder imported first if the database is empty.
    #[arg(long, env = "MEDMAP_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// How many misses to print.
    #[arg(long, default_value_t = 15)]
    pub misses: usize,
    /// Also run the `gen:` rows over a generated national directory of this many
    /// services (seed 42, at 0.6 locations per service), in a temporary SQLite.
    #[arg(long)]
    pub generated: Option<usize>,
}

/// One truth row.
#[derive(Debug, Clone)]
pub struct TruthRow {
    pub category: String,
    pub query: String,
    /// Service names, or `gen:<archetype>`.
    pub expected: Vec<String>,
}

/// Reads the truth file; comment and malformed lines are skipped.
pub fn parse_truth(tsv: &str) -> Vec<TruthRow> {
    tsv.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut c = l.split('\t');
            let (cat, q, e) = (c.next()?, c.next()?, c.next()?);
            Some(TruthRow {
                category: cat.trim().to_string(),
                query: q.trim().to_string(),
                expected: e.split('|').map(|x| x.trim().to_string()).collect(),
            })
        })
        .collect()
}

/// Recall per category, ours and the baseline's.
#[derive(Debug, Default, Clone)]
pub struct ServicesReport {
    /// category → (queries, ours@1, ours@3, baseline@1, baseline@3)
    pub by_category: BTreeMap<String, [usize; 5]>,
    pub misses: Vec<String>,
    /// Rows whose expected services are not in the snapshot.
    pub skipped: usize,
}

impl ServicesReport {
    /// Recall@1 and @3 of ours over `categories` (all when empty).
    pub fn recall(&self, categories: &[&str]) -> (f64, f64) {
        let mut t = [0usize; 5];
        for (c, v) in &self.by_category {
            if categories.is_empty() || categories.contains(&c.as_str()) {
                for i in 0..5 {
                    t[i] += v[i];
                }
            }
        }
        let n = t[0].max(1) as f64;
        (t[1] as f64 / n, t[2] as f64 / n)
    }

    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<14} {:>5} {:>9} {:>9} {:>9} {:>9}\n",
            "category", "n", "ours@1", "ours@3", "trgm@1", "trgm@3"
        );
        let mut total = [0usize; 5];
        let row = |name: &str, v: &[usize; 5]| {
            let n = v[0].max(1) as f64;
            format!(
                "{:<14} {:>5} {:>9.3} {:>9.3} {:>9.3} {:>9.3}\n",
                name,
                v[0],
                v[1] as f64 / n,
                v[2] as f64 / n,
                v[3] as f64 / n,
                v[4] as f64 / n
            )
        };
        for (c, v) in &self.by_category {
            s.push_str(&row(c, v));
            for i in 0..5 {
                total[i] += v[i];
            }
        }
        s.push_str(&row("overall", &total));
        s
    }
}

/// Runs the truth rows over a snapshot.
pub fn evaluate(snap: &Snapshot, rows: &[TruthRow]) -> ServicesReport {
    let dir = &snap.directory;
    let names: HashSet<&str> = dir.services.iter().map(|s| s.name.as_str()).collect();
    let archetype = |si: usize| -> Option<&str> {
        let id = dir.services[si].source_id.as_str();
        id.strip_prefix("gen/")?.split('/').next()
    };
    let has_generated = dir.services.iter().any(|s| s.source_id.starts_with("gen/"));
    let baseline = Trigrams::build(snap);
    let now = Utc::now();
    let mut report = ServicesReport::default();
    for row in rows {
        let generated = row.expected.iter().any(|e| e.starts_with("gen:"));
        let known = if generated {
            has_generated
        } else {
            row.expected.iter().any(|e| names.contains(e.as_str()))
        };
        if !known {
            report.skipped += 1;
            continue;
        }
        let ok = |si: usize| {
            row.expected.iter().any(|e| match e.strip_prefix("gen:") {
                Some(a) => archetype(si) == Some(a),
                None => dir.services[si].name == *e,
            })
        };
        let r = search_listed(
            snap,
            &ServiceQuery {
                text: Some(row.query.clone()),
                ..ServiceQuery::default()
            },
            now,
            Listing {
                per_service: true,
                ordered: 3,
                placed_only: false,
                facets: false,
            },
        );
        let ours: Vec<usize> = r.found.iter().take(3).map(|f| f.service_ix).collect();
        let base = baseline.top(&row.query, 3);
        let v = report.by_category.entry(row.category.clone()).or_default();
        v[0] += 1;
        let at1 = ours.first().is_some_and(|&s| ok(s));
        let at3 = ours.iter().any(|&s| ok(s));
        v[1] += usize::from(at1);
        v[2] += usize::from(at3);
        v[3] += usize::from(base.first().is_some_and(|&s| ok(s)));
        v[4] += usize::from(base.iter().any(|&s| ok(s)));
        if !at1 {
            report.misses.push(format!(
                "{} [{}] {:?} expected {} got {:?}",
                if at3 { "@1" } else { "@3" },
                row.category,
                row.query,
                row.expected.join("|"),
                ours.iter()
                    .map(|&s| dir.services[s].name.as_str())
                    .collect::<Vec<_>>()
            ));
        }
    }
    report
}

/// The baseline: each service's words (name, taxonomy, description) as trigram
/// sets; a query scores a service by the mean over its words of the best
/// trigram similarity to one of the service's words (`pg_trgm`'s
/// `word_similarity`, word by word).
struct Trigrams {
    docs: Vec<Vec<(String, HashSet<[char; 3]>)>>,
}

fn trigrams(w: &str) -> HashSet<[char; 3]> {
    let padded: Vec<char> = format!("  {w} ").chars().collect();
    padded.windows(3).map(|x| [x[0], x[1], x[2]]).collect()
}

impl Trigrams {
    fn build(snap: &Snapshot) -> Trigrams {
        let dir = &snap.directory;
        let docs = dir
            .services
            .iter()
            .enumerate()
            .map(|(si, s)| {
                let mut text = format!(
                    "{} {}",
                    s.name,
                    s.description.as_deref().unwrap_or_default()
                );
                for &t in &dir.service_terms[si] {
                    text.push(' ');
                    text.push_str(&dir.terms[t].name);
                }
                let mut words: Vec<String> = normalize(&text)
                    .split_whitespace()
                    .map(String::from)
                    .collect();
                words.sort();
                words.dedup();
                words
                    .into_iter()
                    .map(|w| {
                        let t = trigrams(&w);
                        (w, t)
                    })
                    .collect()
            })
            .collect();
        Trigrams { docs }
    }

    fn top(&self, query: &str, k: usize) -> Vec<usize> {
        let q: Vec<HashSet<[char; 3]>> =
            normalize(query).split_whitespace().map(trigrams).collect();
        if q.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<(usize, f32)> = self
            .docs
            .iter()
            .enumerate()
            .map(|(i, words)| {
                let s: f32 = q
                    .iter()
                    .map(|qt| {
                        words
                            .iter()
                            .map(|(_, wt)| {
                                let inter = qt.intersection(wt).count() as f32;
                                inter / qt.len().max(1) as f32
                            })
                            .fold(0.0, f32::max)
                    })
                    .sum::<f32>()
                    / q.len() as f32;
                (i, s)
            })
            .filter(|x| x.1 >= 0.3)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.into_iter().take(k).map(|x| x.0).collect()
    }
}

fn is_generated(r: &TruthRow) -> bool {
    r.expected.iter().any(|e| e.starts_with("gen:"))
}

/// The `gen:` rows over a freshly generated directory in a temporary SQLite.
pub async fn generated_report(
    services: usize,
    rows: Vec<TruthRow>,
) -> anyhow::Result<ServicesReport> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("generated.db");
    let store = Store::connect(&format!("sqlite://{}", path.display())).await?;
    let d = tokio::task::spawn_blocking(move || {
        crate::import::synthetic_services::national_directory(42, services, services * 3 / 5)
    })
    .await?;
    d.save(&store).await?;
    let snap = Snapshot::load(&store).await?;
    let rows: Vec<TruthRow> = rows.into_iter().filter(is_generated).collect();
    let report = tokio::task::spawn_blocking(move || evaluate(&snap, &rows)).await?;
    store.close().await;
    Ok(report)
}

pub async fn run_services(db: &str, args: ServicesEvalArgs) -> anyhow::Result<()> {
    let (store, snap) = super::open_snapshot(db, &args.data_dir).await?;
    let tsv = std::fs::read_to_string(&args.truth)
        .with_context(|| format!("reading {}", args.truth.display()))?;
    let rows: Vec<TruthRow> = parse_truth(&tsv)
        .into_iter()
        .filter(|r| !is_generated(r))
        .collect();
    let report = tokio::task::spawn_blocking(move || evaluate(&snap, &rows)).await?;
    println!("{}", report.table());
    if report.skipped > 0 {
        println!(
            "{} rows skipped: their services are not in this database",
            report.skipped
        );
    }
    let mut misses = report.misses.clone();
    if let Some(n) = args.generated {
        let generated = generated_report(n, parse_truth(&tsv)).await?;
        println!("generated national directory ({n} services):");
        println!("{}", generated.table());
        misses.extend(generated.misses);
    }
    println!("misses (@3: not in the top 3; @1: not first):");
    misses.sort();
    for m in misses.iter().take(args.misses) {
        println!("  {m}");
    }
    store.close().await;
    Ok(())
}
