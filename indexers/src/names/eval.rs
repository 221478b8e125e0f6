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

use std::collections::{BTreeMap, HashMap};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::index::NameIndex;
use super::layout::switch_layout;
use super::model::{ConceptKind, Hit};
use super::normalize::normalize;
use super::translit::{is_cyrillic, latin_variants, to_cyrillic};

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

const QWERTY_ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
const JCUKEN_ROWS: [&str; 3] = ["йцукенгшщзх", "фывапролджэ", "ячсмитьбю"];

fn neighbours(c: char) -> Vec<char> {
    for rows in [QWERTY_ROWS, JCUKEN_ROWS] {
        let grid: Vec<Vec<char>> = rows.iter().map(|r| r.chars().collect()).collect();
        for (ri, row) in grid.iter().enumerate() {
            if let Some(ci) = row.iter().position(|&x| x == c) {
                let mut out = Vec::new();
                for dr in [-1i32, 0, 1] {
                    let r = ri as i32 + dr;
                    if r < 0 || r as usize >= grid.len() {
                        continue;
                    }
                    let row2 = &grid[r as usize];
                    for dc in [-1i32, 0, 1] {
                        let cc = ci as i32 + dc;
                        if (dr == 0 && dc == 0) || cc < 0 || cc as usize >= row2.len() {
                            continue;
                        }
                        out.push(row2[cc as usize]);
                    }
                }
                return out;
            }
        }
    }
    Vec::new()
}

fn alphabet(c: char) -> &'static [char] {
    const LAT: [char; 26] = [
        'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r',
        's', 't', 'u', 'v', 'w', 'x', 'y', 'z',
    ];
    const CYR: [char; 32] = [
        'а', 'б', 'в', 'г', 'д', 'е', 'ж', 'з', 'и', 'й', 'к', 'л', 'м', 'н', 'о', 'п', 'р', 'с',
        'т', 'у', 'ф', 'х', 'ц', 'ч', 'ш', 'щ', 'ы', 'ь', 'э', 'ю', 'я', 'і',
    ];
    if c.is_ascii() {
        &LAT
    } else {
        &CYR
    }
}

/// One random edit at a position that keeps the first letter (people rarely get
/// it wrong, and every evaluation set in the literature keeps it).
fn random_edit(rng: &mut StdRng, w: &[char]) -> Vec<char> {
    let mut v = w.to_vec();
    if v.len() < 3 {
        return v;
    }
    let pos = rng.random_range(1..v.len());
    let pick = |rng: &mut StdRng, c: char| {
        let a = alphabet(c);
        a[rng.random_range(0..a.len())]
    };
    match rng.random_range(0..4) {
        0 => {
            let c = pick(rng, v[pos]);
            v.insert(pos, c);
        }
        1 => {
            v.remove(pos);
        }
        2 => {
            let c = pick(rng, v[pos]);
            v[pos] = c;
        }
        _ => {
            if pos + 1 < v.len() {
                v.swap(pos, pos + 1);
            } else {
                v.swap(pos - 1, pos);
            }
        }
    }
    v
}

fn keyboard_edit(rng: &mut StdRng, w: &[char]) -> Vec<char> {
    let mut v = w.to_vec();
    let positions: Vec<usize> = (1..v.len())
        .filter(|&i| !neighbours(v[i]).is_empty())
        .collect();
    if positions.is_empty() {
        return v;
    }
    let pos = positions[rng.random_range(0..positions.len())];
    let nb = neighbours(v[pos]);
    let c = nb[rng.random_range(0..nb.len())];
    if rng.random_range(0..3) == 0 {
        v.insert(pos, c); // fat finger: both keys
    } else {
        v[pos] = c;
    }
    v
}

/// Phonetic rewrites people make when spelling by ear.
const PHONETIC_RULES: &[(&str, &str)] = &[
    ("ph", "f"),
    ("f", "ph"),
    ("c", "k"),
    ("k", "c"),
    ("y", "i"),
    ("i", "y"),
    ("x", "ks"),
    ("ks", "x"),
    ("th", "t"),
    ("ll", "l"),
    ("l", "ll"),
    ("ss", "s"),
    ("mm", "m"),
    ("tt", "t"),
    ("ine", "in"),
    ("ol", "ole"),
    ("ae", "e"),
    ("z", "s"),
    ("qu", "kw"),
    ("ck", "k"),
    // Cyrillic
    ("лл", "л"),
    ("л", "лл"),
    ("и", "ы"),
    ("е", "э"),
    ("ф", "фф"),
    ("сс", "с"),
    ("мм", "м"),
    ("ц", "тс"),
    ("кс", "х"),
    ("о", "а"),
    ("а", "о"),
];

fn phonetic_edit(rng: &mut StdRng, w: &str) -> Option<String> {
    let mut applicable: Vec<(usize, &str, &str)> = Vec::new();
    for (from, to) in PHONETIC_RULES {
        for (i, _) in w.match_indices(from) {
            if i == 0 && from.len() <= 2 {
                continue;
            }
            if *from == "ine" && i + 3 != w.len() {
                continue;
            }
            if *from == "ol" && i + 2 != w.len() {
                continue;
            }
            applicable.push((i, from, to));
        }
    }
    if applicable.is_empty() {
        return None;
    }
    // One or two rewrites (misspellings by ear stack up: `ibuprophen`).
    let n = 1 + usize::from(applicable.len() > 2 && rng.random_range(0..2) == 0);
    let mut out = w.to_string();
    let mut done = 0;
    for _ in 0..8 {
        if done == n {
            break;
        }
        let (_, from, to) = applicable[rng.random_range(0..applicable.len())];
        if let Some(i) = out.find(from) {
            if i == 0 {
                continue;
            }
            out.replace_range(i..i + from.len(), to);
            done += 1;
        }
    }
    (out != w).then_some(out)
}

fn is_word_name(n: &str, min: usize, max: usize) -> bool {
    let len = n.chars().count();
    len >= min && len <= max && n.chars().all(|c| c.is_alphabetic() || c == ' ')
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

/// Generate a synthetic query set from the indexed names with a fixed seed.
/// Concepts are drawn among those with a non-zero popularity (medicines that
/// are on a register), names among their single- or two-word alphabetic names.
/// A generated misspelling that is itself exactly another medication's name is
/// skipped: there the user gets that medication, rightly.
pub fn synthetic_queries(index: &NameIndex, seed: u64, per_category: usize) -> Vec<EvalQuery> {
    let mut rng = StdRng::seed_from_u64(seed);
    let pool: Vec<(ConceptKind, i64)> = index
        .concepts()
        .iter()
        .filter(|c| c.popularity > 0.0)
        .map(|c| (c.kind, c.id))
        .collect();
    let mut out = Vec::new();
    if pool.is_empty() {
        return out;
    }
    let cats = [
        "exact",
        "edit1",
        "edit2",
        "keyboard",
        "phonetic",
        "translit",
        "layout",
        "prefix",
        "brand_generic",
    ];
    for cat in cats {
        let mut made = 0;
        let mut tries = 0;
        while made < per_category && tries < per_category * 200 {
            tries += 1;
            let (kind, id) = pool[rng.random_range(0..pool.len())];
            let Some(info) = index.concept(kind, id) else {
                continue;
            };
            if info.names.is_empty() {
                continue;
            }
            let raw = &info.names[rng.random_range(0..info.names.len())].text;
            let name = normalize(raw);
            let chars: Vec<char> = name.chars().collect();
            let mut expected = vec![(kind, id)];
            let q: Option<String> = match cat {
                "exact" => Some(raw.clone()),
                "edit1" if is_word_name(&name, 5, 30) => {
                    Some(random_edit(&mut rng, &chars).into_iter().collect())
                }
                "edit2" if is_word_name(&name, 8, 30) => {
                    let once = random_edit(&mut rng, &chars);
                    Some(random_edit(&mut rng, &once).into_iter().collect())
                }
                "keyboard" if is_word_name(&name, 5, 30) => {
                    Some(keyboard_edit(&mut rng, &chars).into_iter().collect())
                }
                "phonetic" if is_word_name(&name, 5, 30) => phonetic_edit(&mut rng, &name),
                "translit" if is_word_name(&name, 4, 40) => {
                    if is_cyrillic(&name) {
                        let v = latin_variants(&name);
                        (!v.is_empty()).then(|| v[rng.random_range(0..v.len())].clone())
                    } else {
                        Some(to_cyrillic(&name))
                    }
                }
                "layout" if is_word_name(&name, 4, 40) => switch_layout(&name),
                "prefix" if is_word_name(&name, 7, 40) => {
                    let keep = (chars.len() * 2).div_ceil(3).max(5);
                    Some(chars[..keep].iter().collect())
                }
                "brand_generic" if kind == ConceptKind::Product && !info.ingredients.is_empty() => {
                    expected = info
                        .ingredients
                        .iter()
                        .map(|s| (ConceptKind::Substance, *s))
                        .collect();
                    Some(raw.clone())
                }
                _ => None,
            };
            let Some(q) = q else { continue };
            let nq = normalize(&q);
            if nq.is_empty() || (cat != "exact" && cat != "brand_generic" && nq == name) {
                continue;
            }
            // A name shared by medications with different substances is
            // ambiguous for any engine: not a fair test.
            let own = substance_set(index, kind, id);
            if index
                .exact_concepts(&name)
                .into_iter()
                .any(|(k, i)| substance_set(index, k, i) != own)
            {
                continue;
            }
            if cat != "exact" && cat != "brand_generic" && cat != "translit" && cat != "layout" {
                // Skip misspellings that are exactly another medication's name.
                let own = substance_set(index, kind, id);
                let clash = index
                    .exact_concepts(&nq)
                    .into_iter()
                    .any(|(k, i)| (k, i) != (kind, id) && substance_set(index, k, i) != own);
                if clash {
                    continue;
                }
            }
            out.push(EvalQuery {
                query: q,
                category: cat.to_string(),
                expected,
            });
            made += 1;
        }
    }
    out
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
