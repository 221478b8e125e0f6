//! Recall evaluation of the name index, pure (no files): the app's
//! `medmap eval names`, the benches and the unit tests call it.
//!
//! Two query sets are used:
//!
//! * [`synthetic_queries`]: misspellings generated with a fixed seed from the
//!   indexed names, per category (`exact`, `edit1`, `edit2`, `keyboard`,
//!   `phonetic`, `translit`, `layout`, `prefix`, `brand_generic`).
//! * A hand-written file, `tests/eval/names_truth.tsv` at the repository root:
//!   UTF-8, one query per line, three tab-separated columns
//!   `query<TAB>expected<TAB>category`, where `expected` is the English INN in
//!   lowercase (`ibuprofen`; a combination joins INNs with `+`, as in
//!   `amoxicillin+clavulanic acid`) and `category` is a free label (`typo`,
//!   `brand`, `translit`, `layout`, `multiword`, ...). A first line starting with
//!   `query` is a header; lines starting with `#` and empty lines are ignored.
//!   The app resolves each INN to a substance id and builds [`EvalQuery`]s whose
//!   `expected` are those substances ([`parse_truth`] does the parsing).
//!
//! A query is found at k when one of its expected concepts, or any concept with
//! the same substance set (a product of exactly the expected substances, or the
//! substance itself), is among the first k hits.
//!
//! Two files: `synthetic.rs` generates the synthetic query set; this one scores
//! any ranking function against a query set ([`evaluate_with`]), the index's own
//! search ([`evaluate`]) and the brute-force baseline ([`evaluate_baseline_dl`]),
//! and prints the tables.

mod synthetic;

pub use synthetic::synthetic_queries;

use std::collections::{BTreeMap, HashMap};

use super::index::NameIndex;
use super::model::{ConceptKind, Hit};
use super::normalize::normalize;

/// One evaluation query.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalQuery {
    pub query: String,
    pub category: String,
    pub expected: Vec<(ConceptKind, i64)>,
}

/// Recall of one category.
#[derive(Debug, Clone, Default)]
pub struct CategoryScore {
    pub category: String,
    pub n: usize,
    pub found1: usize,
    pub found5: usize,
}

impl CategoryScore {
    pub fn recall1(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.found1 as f64 / self.n as f64
        }
    }
    pub fn recall5(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.found5 as f64 / self.n as f64
        }
    }
}

/// A query not found at 1, with what came first instead.
#[derive(Debug, Clone)]
pub struct Miss {
    pub query: String,
    pub category: String,
    pub expected: String,
    pub got: Vec<String>,
    /// Rank (1-based) of the first correct hit, if within the first 5.
    pub rank: Option<usize>,
}

/// Recall per category and overall.
#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    pub name: String,
    pub categories: Vec<CategoryScore>,
    pub overall: CategoryScore,
    pub misses: Vec<Miss>,
}

impl EvalReport {
    /// Recall@5 of a category, if present.
    pub fn category(&self, name: &str) -> Option<&CategoryScore> {
        self.categories.iter().find(|c| c.category == name)
    }

    /// A plain-text table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<16} {:>5} {:>9} {:>9}\n",
            self.name, "n", "recall@1", "recall@5"
        );
        for c in self.categories.iter().chain(std::iter::once(&self.overall)) {
            s.push_str(&format!(
                "{:<16} {:>5} {:>9.3} {:>9.3}\n",
                c.category,
                c.n,
                c.recall1(),
                c.recall5()
            ));
        }
        s
    }
}

/// Two reports side by side (ours vs a baseline).
pub fn compare_table(ours: &EvalReport, base: &EvalReport) -> String {
    let mut s = format!(
        "{:<16} {:>5} | {:>8} {:>8} | {:>8} {:>8}\n",
        "category", "n", "ours@1", "ours@5", "base@1", "base@5"
    );
    for c in ours.categories.iter().chain(std::iter::once(&ours.overall)) {
        let b = if c.category == "overall" {
            Some(&base.overall)
        } else {
            base.category(&c.category)
        };
        let (b1, b5) = b.map(|b| (b.recall1(), b.recall5())).unwrap_or((0.0, 0.0));
        s.push_str(&format!(
            "{:<16} {:>5} | {:>8.3} {:>8.3} | {:>8.3} {:>8.3}\n",
            c.category,
            c.n,
            c.recall1(),
            c.recall5(),
            b1,
            b5
        ));
    }
    s
}

/// Parse the hand-written truth file (format in the module docs) into
/// `(query, expected INNs, category)`.
pub fn parse_truth(tsv: &str) -> Vec<(String, Vec<String>, String)> {
    let mut out = Vec::new();
    for (i, line) in tsv.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') || (i == 0 && line.starts_with("query"))
        {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(q), Some(e)) = (cols.next(), cols.next()) else {
            continue;
        };
        let cat = cols.next().unwrap_or("hand").trim().to_string();
        let exp: Vec<String> = e
            .split('+')
            .map(|x| x.trim().to_lowercase())
            .filter(|x| !x.is_empty())
            .collect();
        if !q.trim().is_empty() && !exp.is_empty() {
            out.push((q.to_string(), exp, cat));
        }
    }
    out
}

/// Substance set of a concept: itself for a substance, its ingredients for a product.
fn substance_set(index: &NameIndex, kind: ConceptKind, id: i64) -> Vec<i64> {
    match kind {
        ConceptKind::Substance => vec![id],
        ConceptKind::Product => index
            .concept(kind, id)
            .map(|c| c.ingredients.clone())
            .unwrap_or_default(),
    }
}

fn is_found(index: &NameIndex, q: &EvalQuery, hit: (ConceptKind, i64)) -> bool {
    if q.expected.contains(&hit) {
        return true;
    }
    let mut want: Vec<i64> = Vec::new();
    for (k, i) in &q.expected {
        want.extend(substance_set(index, *k, *i));
    }
    want.sort_unstable();
    want.dedup();
    if want.is_empty() {
        return false;
    }
    let mut got = substance_set(index, hit.0, hit.1);
    got.sort_unstable();
    got == want
}

fn display(index: &NameIndex, k: ConceptKind, id: i64) -> String {
    index
        .concept(k, id)
        .and_then(|c| c.names.first())
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

/// Evaluate any ranking function over the queries.
pub fn evaluate_with<F>(
    index: &NameIndex,
    queries: &[EvalQuery],
    name: &str,
    mut f: F,
) -> EvalReport
where
    F: FnMut(&str) -> Vec<(ConceptKind, i64)>,
{
    let mut cats: BTreeMap<String, CategoryScore> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut overall = CategoryScore {
        category: "overall".into(),
        ..Default::default()
    };
    let mut misses = Vec::new();
    for q in queries {
        let hits = f(&q.query);
        let rank = hits.iter().take(5).position(|h| is_found(index, q, *h));
        if !cats.contains_key(&q.category) {
            order.push(q.category.clone());
        }
        let c = cats
            .entry(q.category.clone())
            .or_insert_with(|| CategoryScore {
                category: q.category.clone(),
                ..Default::default()
            });
        c.n += 1;
        overall.n += 1;
        if rank == Some(0) {
            c.found1 += 1;
            overall.found1 += 1;
        }
        if rank.is_some() {
            c.found5 += 1;
            overall.found5 += 1;
        }
        if rank != Some(0) {
            misses.push(Miss {
                query: q.query.clone(),
                category: q.category.clone(),
                expected: q
                    .expected
                    .iter()
                    .map(|(k, i)| display(index, *k, *i))
                    .collect::<Vec<_>>()
                    .join(" + "),
                got: hits
                    .iter()
                    .take(3)
                    .map(|(k, i)| display(index, *k, *i))
                    .collect(),
                rank: rank.map(|r| r + 1),
            });
        }
    }
    EvalReport {
        name: name.to_string(),
        categories: order.into_iter().filter_map(|c| cats.remove(&c)).collect(),
        overall,
        misses,
    }
}

/// Evaluate the index's own `search`.
pub fn evaluate(index: &NameIndex, queries: &[EvalQuery]) -> EvalReport {
    evaluate_with(index, queries, "medmap", |q| {
        index
            .search(q, 5)
            .into_iter()
            .map(|h: Hit| (h.kind, h.id))
            .collect()
    })
}

/// Baseline: brute-force Damerau-Levenshtein (optimal string alignment) of the
/// normalised query against every indexed key, ties broken by key order, as a
/// plain edit-distance engine would. Slow by design (a full scan per query).
pub fn evaluate_baseline_dl(index: &NameIndex, queries: &[EvalQuery]) -> EvalReport {
    let keys: Vec<(u32, Vec<char>)> = index
        .all_keys()
        .map(|(i, k)| (i, k.chars().collect()))
        .collect();
    evaluate_with(index, queries, "brute-force DL", |q| {
        let nq: Vec<char> = normalize(q).chars().collect();
        // Best 5 distinct concepts by distance.
        let mut best: Vec<(usize, u32)> = Vec::new();
        let mut worst_kept = usize::MAX;
        for (k, kc) in &keys {
            if best.len() >= 32 && kc.len().abs_diff(nq.len()) > worst_kept {
                continue;
            }
            let d = super::edit::osa_distance(&nq, kc);
            if best.len() < 32 || d < worst_kept {
                best.push((d, *k));
                best.sort_by_key(|x| x.0);
                best.truncate(32);
                worst_kept = best.last().map(|x| x.0).unwrap_or(usize::MAX);
            }
        }
        let mut out: Vec<(ConceptKind, i64)> = Vec::new();
        let mut seen: HashMap<(ConceptKind, i64), ()> = HashMap::new();
        for (_, k) in best {
            for (kind, id, _) in index.key_concepts(k) {
                if seen.insert((kind, id), ()).is_none() {
                    out.push((kind, id));
                }
            }
            if out.len() >= 5 {
                break;
            }
        }
        out.truncate(5);
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_eval_on_sample() {
        let ix = super::super::index::tests::sample();
        let qs = synthetic_queries(&ix, 7, 20);
        assert!(qs.len() > 60, "{}", qs.len());
        let again = synthetic_queries(&ix, 7, 20);
        assert_eq!(qs, again, "fixed seed gives the same set");
        let ours = evaluate(&ix, &qs);
        let base = evaluate_baseline_dl(&ix, &qs);
        println!("{}", compare_table(&ours, &base));
        for m in ours.misses.iter().take(20) {
            println!("{m:?}");
        }
        assert_eq!(ours.category("exact").map(|c| c.recall1()), Some(1.0));
        assert!(ours.overall.recall5() >= 0.9, "{}", ours.table());
        assert!(ours.overall.recall1() >= 0.8, "{}", ours.table());
    }

    #[test]
    fn truth_parsing() {
        let t = "query\texpected\tcategory\n# c\nibuprophen\tibuprofen\ttypo\nаугментин\tamoxicillin+clavulanic acid\tbrand\n\nbad line\n";
        let p = parse_truth(t);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[1].1,
            vec!["amoxicillin".to_string(), "clavulanic acid".to_string()]
        );
    }
}
