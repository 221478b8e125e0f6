//! A query as the services index reads it, and its ranking.
//!
//! A person's need ("dentist for people with no insurance", "бесплатный
//! стоматолог") becomes groups: one per content word, or one per need phrase
//! ("no insurance", "доставка обідів") that covers several words. Each group holds
//! the terms that would satisfy it, each with a weight: the word's own stem
//! (1.0), its stem in the other Cyrillic language, its Latin transliteration, the
//! word retyped in the other keyboard layout, terms within one or two typos or
//! starting with it, and the needs it names. A service's score is, per group, the
//! best of its terms' BM25F contributions, summed over groups; any group may be
//! missing (ranked retrieval, not all-words filtering), but a service matching
//! more of the query ranks above one matching less of it. Proximity of the
//! matched words breaks ties.

use std::cell::RefCell;

use super::analyze::{is_stop, langs_of, stem, text_lang, Lang, Token};
use super::index::{Field, ServiceIndex, TermKind, GAP};
use crate::names::{is_cyrillic, normalize, switch_layout_all, to_cyrillic, to_latin};

/// Longest query (characters) analysed; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 300;
/// Most groups a query keeps (a pasted paragraph is cut, not rejected).
const MAX_GROUPS: usize = 16;
/// Leading services the proximity tie breaker is read for.
pub const PROXIMITY_HEAD: usize = 200;

/// The coverage of each set of matched groups (a bit per group), as a table for
/// queries of up to [`Coverage::TABLE_GROUPS`] groups: a national query asks it
/// for 100,000 services.
struct Coverage {
    idf: Vec<f32>,
    total: f32,
    table: Vec<f32>,
}

impl Coverage {
    const TABLE_GROUPS: usize = 10;

    fn new(groups: &[Group]) -> Coverage {
        let idf: Vec<f32> = groups.iter().map(|g| g.idf).collect();
        let total = idf.iter().sum::<f32>().max(1e-6);
        let mut c = Coverage {
            idf,
            total,
            table: Vec::new(),
        };
        if groups.len() <= Self::TABLE_GROUPS {
            c.table = (0..1u32 << groups.len()).map(|m| c.compute(m)).collect();
        }
        c
    }

    fn compute(&self, mask: u32) -> f32 {
        let covered: f32 = self
            .idf
            .iter()
            .enumerate()
            .filter(|(gi, _)| mask & (1 << gi) != 0)
            .map(|(_, idf)| idf)
            .sum();
        covered / self.total
    }

    fn of(&self, mask: u32) -> f32 {
        match self.table.get(mask as usize) {
            Some(&c) => c,
            None => self.compute(mask),
        }
    }

    /// What a service matching the groups of `mask` keeps of its summed
    /// score: a service covering little of the query ranks below one covering
    /// all of it, but is not dropped.
    fn factor(&self, mask: u32) -> f32 {
        0.35 + 0.65 * self.of(mask)
    }
}

/// How a term was reached from the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The word itself, or another form of it (same stem).
    Word,
    /// The word read in the other script (transliteration) or keyboard layout.
    Script,
    /// Within one or two typos.
    Typo,
    /// A longer word starting with it.
    Prefix,
    /// A need of the vocabulary the word or phrase names.
    Need,
}

#[derive(Debug, Clone)]
struct Alt {
    term: u32,
    weight: f32,
    kind: MatchKind,
    /// Least idf this term counts with: a need named by the query's own word is
    /// as specific as that word (a need tags more services than its words
    /// appear in, which would otherwise rank the need below the literal word).
    floor: f32,
}

impl Alt {
    fn idf(&self, ix: &ServiceIndex) -> f32 {
        ix.idf(self.term).max(self.floor) * self.weight
    }
}

/// One part of the query that a service may satisfy.
#[derive(Debug, Clone)]
struct Group {
    /// The query's words this group stands for.
    text: String,
    alts: Vec<Alt>,
    /// Sum of the best idf this group can reach (for coverage).
    idf: f32,
}

/// A parsed query; reusable across searches on the same index.
#[derive(Debug, Clone)]
pub struct Query {
    groups: Vec<Group>,
    /// Each term of any group, sorted, with the groups it satisfies as bits
    /// (the proximity scan looks terms up here, not in every group's list).
    term_groups: Vec<(u32, u32)>,
    /// Needs the query names, for answers ("understood as: dental care").
    pub needs: Vec<u32>,
}

/// Why a service matched: one entry per query part it satisfied.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Why {
    /// The query's words.
    pub query: String,
    /// The service's word (as first seen in the directory) or the need's id.
    pub matched: String,
    pub kind: MatchKind,
    /// The fields it was found in (`name`, `taxonomy`, `description`, `organization`).
    pub fields: Vec<&'static str>,
}

/// One ranked service.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub doc: u32,
    pub score: f32,
}

/// A service's running score and the groups (bits) it matched.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    total: f32,
    mask: u32,
}

impl Acc {
    /// Credits group `gi`'s best term, worth `v`. The tiny constant marks a
    /// service as touched even when `v` is zero.
    #[inline]
    fn add(&mut self, v: f32, gi: usize) {
        self.total += v + 1e-9;
        self.mask |= 1 << gi;
    }
}

thread_local! {
    /// Dense accumulators reused across queries, so a search allocates nothing
    /// proportional to the directory.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[derive(Default)]
struct Scratch {
    /// Per service: its score so far and the groups it matched, side by side
    /// (one memory access per service touched).
    acc: Vec<Acc>,
    group: Vec<f32>,
    touched: Vec<u32>,
    group_touched: Vec<u32>,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Parses `text` against `ix`.
    pub fn parse(ix: &ServiceIndex, text: &str) -> Query {
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let norm = normalize(&text);
        let fallback = text_lang(&norm);
        let words: Vec<&str> = norm.split_whitespace().collect();
        // Each word's stems (both Cyrillic readings when its letters do not say).
        let stems: Vec<Vec<(String, Lang)>> = words
            .iter()
            .map(|w| {
                let (l, other) = langs_of(w, fallback);
                let mut v = vec![(stem(w, l), l)];
                if let Some(o) = other {
                    let s = stem(w, o);
                    if s != v[0].0 {
                        v.push((s, o));
                    }
                }
                v
            })
            .collect();
        // Need phrases, longest first, over every reading of the words.
        let mut covered: Vec<Option<usize>> = vec![None; words.len()];
        let mut phrase_needs: Vec<(usize, usize, Vec<u32>)> = Vec::new();
        // The second reading differs only where a word has two stems; without
        // one it would find exactly what the first found.
        let readings = if stems.iter().any(|s| s.len() > 1) {
            2
        } else {
            1
        };
        for reading in 0..readings {
            let tokens: Vec<Token> = words
                .iter()
                .zip(&stems)
                .map(|(w, s)| {
                    let (st, lang) = s.get(reading).unwrap_or(&s[0]).clone();
                    Token {
                        word: w.to_string(),
                        stem: st,
                        lang,
                        stop: is_stop(w),
                    }
                })
                .collect();
            let mut found = ix.needs.find_all(&tokens);
            found.sort_by(|a, b| b.len.cmp(&a.len).then(a.start.cmp(&b.start)));
            for m in found {
                let span = m.start..m.start + m.len;
                let same = phrase_needs
                    .iter()
                    .position(|(s, l, _)| *s == m.start && *l == m.len);
                match same {
                    Some(i) if !phrase_needs[i].2.contains(&m.need) => {
                        phrase_needs[i].2.push(m.need);
                    }
                    Some(_) => {}
                    None if span.clone().all(|i| covered[i].is_none()) => {
                        for i in span {
                            covered[i] = Some(phrase_needs.len());
                        }
                        phrase_needs.push((m.start, m.len, vec![m.need]));
                    }
                    None => {}
                }
            }
        }
        let mut groups = Vec::new();
        let mut all_needs = Vec::new();
        let mut i = 0;
        while i < words.len() && groups.len() < MAX_GROUPS {
            if let Some(p) = covered[i] {
                let (start, len, needs) = &phrase_needs[p];
                let mut g = Group {
                    text: words[*start..start + len].join(" "),
                    alts: Vec::new(),
                    idf: 0.0,
                };
                for &n in needs {
                    push_need(ix, &mut g, n, 1.0);
                    all_needs.push(n);
                }
                // The words themselves count too, less than the need they make
                // (a service mentioning "insurance" is not a free one).
                let own_weight = if *len > 1 { 0.5 } else { 1.0 };
                for k in *start..start + len {
                    if !is_stop(words[k]) {
                        word_alts(ix, words[k], &stems[k], own_weight, &mut g, &mut all_needs);
                    }
                }
                i = start + len;
                finish(ix, g, &mut groups);
                continue;
            }
            if is_stop(words[i]) {
                i += 1;
                continue;
            }
            let mut g = Group {
                text: words[i].to_string(),
                alts: Vec::new(),
                idf: 0.0,
            };
            word_alts(ix, words[i], &stems[i], 1.0, &mut g, &mut all_needs);
            finish(ix, g, &mut groups);
            i += 1;
        }
        all_needs.sort_unstable();
        all_needs.dedup();
        let mut term_groups: Vec<(u32, u32)> = Vec::new();
        for (gi, g) in groups.iter().enumerate() {
            for a in &g.alts {
                term_groups.push((a.term, 1 << gi));
            }
        }
        term_groups.sort_unstable();
        term_groups.dedup_by(|b, a| {
            let same = a.0 == b.0;
            if same {
                a.1 |= b.1;
            }
            same
        });
        Query {
            groups,
            term_groups,
            needs: all_needs,
        }
    }

    /// Every service matching at least one group, best first, with the
    /// proximity bonus on the leading ones. Services scoring under `min_share`
    /// of the best are dropped: a query's weakest word alone ("people") should
    /// not list the whole directory.
    pub fn search(&self, ix: &ServiceIndex, min_share: f32) -> Vec<Scored> {
        let mut out = self.score(ix, min_share, |_| true);
        out.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        let head = out.len().min(PROXIMITY_HEAD);
        for sc in &mut out[..head] {
            sc.score *= self.proximity(ix, sc.doc);
        }
        out[..head].sort_by(|a, b| b.score.total_cmp(&a.score).then(a.doc.cmp(&b.doc)));
        out
    }

    /// The services [`Query::search`] lists that `keep` accepts, in no order and
    /// without the proximity bonus. The cut (`min_share` of the best) is taken
    /// over the whole directory, not only over the kept services: a caller that
    /// keeps the services near a point still hears "nothing near you matches
    /// well" when only weak matches are near, and offers the strong ones beyond.
    /// Unordered because a caller filtering and paging orders only what it shows
    /// (a national query scores 100,000 services).
    pub fn score(
        &self,
        ix: &ServiceIndex,
        min_share: f32,
        keep: impl Fn(u32) -> bool,
    ) -> Vec<Scored> {
        if self.groups.is_empty() || ix.n_docs == 0 {
            return Vec::new();
        }
        SCRATCH.with(|cell| {
            let mut s = cell.borrow_mut();
            let s = &mut *s;
            let n = ix.n_docs as usize;
            if s.acc.len() < n {
                s.acc.resize(n, Acc::default());
                s.group.resize(n, 0.0);
            }
            s.touched.clear();
            let coverage = Coverage::new(&self.groups);
            // Groups strongest first. A service none of the groups read so far
            // matched can score at most what the remaining groups can add; once
            // that is under the cut of the best score already certain, later
            // groups only raise the services already found (MaxScore pruning:
            // the answer is the same, and the common word of "food pantry" does
            // not enter 40,000 services that the rare one already outranks).
            let bound: Vec<f32> = self
                .groups
                .iter()
                .map(|g| {
                    g.alts
                        .iter()
                        .map(|a| a.idf(ix) * ix.term_max[a.term as usize])
                        .fold(0.0, f32::max)
                })
                .collect();
            let mut order: Vec<usize> = (0..self.groups.len()).collect();
            order.sort_by(|&a, &b| bound[b].total_cmp(&bound[a]));
            let mut certain = 0.0f32;
            for (k, &gi) in order.iter().enumerate() {
                let rest_mask = order[k..].iter().fold(0u32, |m, &g| m | 1 << g);
                let rest: f32 = order[k..].iter().map(|&g| bound[g]).sum();
                // A little slack over the bound for float rounding.
                let newcomers = rest * 1.001 * coverage.factor(rest_mask) >= min_share * certain;
                let g = &self.groups[gi];
                // The bound matters only for the groups still to come.
                let last = k + 1 == order.len();
                if let [a] = g.alts.as_slice() {
                    // One term: its postings go straight to the services (a
                    // service has at most one posting per term, so there is
                    // no best-of-alternatives to take first).
                    let idf = a.idf(ix);
                    let r = ix.postings(a.term);
                    for (&d, &sat) in ix.post_doc[r.clone()].iter().zip(&ix.post_tf[r]) {
                        let acc = &mut s.acc[d as usize];
                        if acc.total == 0.0 {
                            if !newcomers {
                                continue;
                            }
                            s.touched.push(d);
                        }
                        acc.add(idf * sat, gi);
                        if !last {
                            certain = certain.max(acc.total * coverage.factor(acc.mask));
                        }
                    }
                    continue;
                }
                s.group_touched.clear();
                for a in &g.alts {
                    let idf = a.idf(ix);
                    let r = ix.postings(a.term);
                    for (&d, &sat) in ix.post_doc[r.clone()].iter().zip(&ix.post_tf[r]) {
                        let du = d as usize;
                        if !newcomers && s.acc[du].total == 0.0 {
                            continue;
                        }
                        let v = idf * sat;
                        let slot = &mut s.group[du];
                        if *slot == 0.0 {
                            s.group_touched.push(d);
                        }
                        if v > *slot {
                            *slot = v;
                        }
                    }
                }
                for &d in &s.group_touched {
                    let du = d as usize;
                    let acc = &mut s.acc[du];
                    if acc.total == 0.0 {
                        s.touched.push(d);
                    }
                    acc.add(s.group[du], gi);
                    s.group[du] = 0.0;
                    // What this service scores at least, whatever comes next.
                    if !last {
                        certain = certain.max(acc.total * coverage.factor(acc.mask));
                    }
                }
            }
            // Coverage: the share of the query's information a service matched,
            // per set of matched groups (a table when the query is short enough).
            // Final scores are written in place first, so only the services
            // above the cut are collected.
            let mut best = 0.0f32;
            for &d in &s.touched {
                let acc = &mut s.acc[d as usize];
                acc.total *= coverage.factor(acc.mask);
                best = best.max(acc.total);
            }
            let cut = best * min_share;
            let mut out: Vec<Scored> = Vec::new();
            for &d in &s.touched {
                let acc = std::mem::take(&mut s.acc[d as usize]);
                if acc.total >= cut && keep(d) {
                    out.push(Scored {
                        doc: d,
                        score: acc.total,
                    });
                }
            }
            out
        })
    }

    /// The tie breaker for `doc`, as a factor on its score (1.0 to 1.05): the
    /// share of the query's neighbouring parts that stand next to each other
    /// in its text as in the query. Callers apply it to the services they list
    /// first ([`PROXIMITY_HEAD`]); it reads the service's positions.
    pub fn proximity(&self, ix: &ServiceIndex, doc: u32) -> f32 {
        if self.groups.len() < 2 {
            return 1.0;
        }
        let groups_of = |t: u32| -> u32 {
            if t == GAP {
                return 0;
            }
            self.term_groups
                .binary_search_by_key(&t, |x| x.0)
                .map_or(0, |i| self.term_groups[i].1)
        };
        let pos: Vec<u32> = ix.positions_of(doc).iter().map(|&t| groups_of(t)).collect();
        let mut pairs = 0;
        for gi in 0..self.groups.len() - 1 {
            let (a, b) = (1u32 << gi, 1u32 << (gi + 1));
            let near = pos
                .windows(3)
                .any(|p| p[0] & a != 0 && (p[1] & b != 0 || p[2] & b != 0));
            pairs += usize::from(near);
        }
        1.0 + 0.05 * pairs as f32 / (self.groups.len() - 1) as f32
    }

    /// Why `doc` matched: per group, the best term it holds.
    pub fn explain(&self, ix: &ServiceIndex, doc: u32) -> Vec<Why> {
        let mut out = Vec::new();
        for g in &self.groups {
            let best = g
                .alts
                .iter()
                .filter_map(|a| {
                    let f = ix.fields_of(a.term, doc);
                    (f != 0).then_some((a, f))
                })
                .max_by(|(a, _), (b, _)| a.idf(ix).total_cmp(&b.idf(ix)));
            if let Some((a, f)) = best {
                out.push(Why {
                    query: g.text.clone(),
                    matched: ix.surface(a.term),
                    kind: a.kind,
                    fields: Field::ALL
                        .iter()
                        .filter(|x| f & (1 << **x as u8) != 0)
                        .map(|x| x.as_str())
                        .collect(),
                });
            }
        }
        out
    }
}

fn push(g: &mut Group, term: u32, weight: f32, kind: MatchKind) {
    match g.alts.iter_mut().find(|a| a.term == term) {
        Some(a) if a.weight >= weight => {}
        Some(a) => {
            a.weight = weight;
            a.kind = kind;
        }
        None => g.alts.push(Alt {
            term,
            weight,
            kind,
            floor: 0.0,
        }),
    }
}

fn push_need(ix: &ServiceIndex, g: &mut Group, need: u32, weight: f32) {
    if let Some(Some(t)) = ix.need_term.get(need as usize) {
        push(g, *t, weight, MatchKind::Need);
    }
}

fn finish(ix: &ServiceIndex, mut g: Group, groups: &mut Vec<Group>) {
    if g.alts.is_empty() {
        // Nothing in the directory can satisfy it: it neither filters nor
        // counts against coverage.
        return;
    }
    let word_idf = g
        .alts
        .iter()
        .filter(|a| a.kind == MatchKind::Word && a.weight >= 1.0)
        .map(|a| ix.idf(a.term))
        .fold(0.0, f32::max);
    for a in &mut g.alts {
        if a.kind == MatchKind::Need {
            a.floor = word_idf;
        }
    }
    g.idf = g.alts.iter().map(|a| a.idf(ix)).fold(0.0, f32::max);
    groups.push(g);
}

/// Budget of typos by stem length.
fn typo_budget(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// The terms one query word may be satisfied by.
fn word_alts(
    ix: &ServiceIndex,
    word: &str,
    stems: &[(String, Lang)],
    weight: f32,
    g: &mut Group,
    needs: &mut Vec<u32>,
) {
    let mut exact = false;
    for (s, _) in stems {
        if let Some(t) = ix.term(s) {
            push(g, t, weight, MatchKind::Word);
            exact = true;
        }
    }
    // The same word in the other script: `лгбт` for `lgbt`, `besplatnyj` for
    // `бесплатный`; or typed in the other keyboard layout (`ctvmz`).
    let mut others: Vec<String> = Vec::new();
    if is_cyrillic(word) {
        others.push(to_latin(word));
    } else if !exact && word.chars().any(|c| c.is_ascii_alphabetic()) {
        // `e` is `е` as often as `э` in people's transliteration (`eda`).
        let cyr = to_cyrillic(word);
        let soft = cyr.replace('э', "е");
        others.push(cyr);
        if !others.contains(&soft) {
            others.push(soft);
        }
    }
    if !exact {
        others.extend(switch_layout_all(word));
    }
    for o in &others {
        let (l, other) = langs_of(o, None);
        let mut ss = vec![stem(o, l)];
        if let Some(x) = other {
            ss.push(stem(o, x));
        }
        for s in &ss {
            if let Some(t) = ix.term(s) {
                push(g, t, weight * 0.85, MatchKind::Script);
            }
            for (n, d) in need_hits(ix, s) {
                push_need(ix, g, n, weight * 0.85 * typo_factor(d));
                needs.push(n);
            }
        }
    }
    // Needs this single word names, also through a typo.
    for (s, _) in stems {
        for (n, d) in need_hits(ix, s) {
            push_need(ix, g, n, weight * typo_factor(d));
            needs.push(n);
        }
    }
    if !exact {
        for (s, _) in stems {
            let n = s.chars().count();
            let budget = typo_budget(n);
            if budget > 0 {
                for (t, d) in ix.fuzzy(s, budget, 8) {
                    if matches!(ix.terms[t as usize], TermKind::Word(_)) {
                        push(g, t, weight * typo_factor(d as usize), MatchKind::Typo);
                    }
                }
            }
            if n >= 4 {
                for t in ix.prefixed(s, 8) {
                    push(g, t, weight * 0.7, MatchKind::Prefix);
                }
            }
            // A word with a letter or two too many at its end ("clothng" for
            // "cloth…", an unknown ending the stemmer kept): its shorter forms.
            let chars: Vec<char> = s.chars().collect();
            for cut in 1..=3 {
                if n < cut + 4 {
                    break;
                }
                let shorter: String = chars[..n - cut].iter().collect();
                if let Some(t) = ix.term(&shorter) {
                    push(g, t, weight * 0.8, MatchKind::Typo);
                }
                for (need, d) in need_hits(ix, &shorter) {
                    if d == 0 {
                        push_need(ix, g, need, weight * 0.8);
                        needs.push(need);
                    }
                }
            }
        }
    }
}

/// Needs a stem names: exactly, else within a typo or two (longer stems only).
fn need_hits(ix: &ServiceIndex, s: &str) -> Vec<(u32, usize)> {
    let tok = Token {
        word: s.to_string(),
        stem: s.to_string(),
        lang: Lang::Other,
        stop: false,
    };
    let exact: Vec<(u32, usize)> = ix
        .needs
        .find_all(std::slice::from_ref(&tok))
        .into_iter()
        .map(|m| (m.need, 0))
        .collect();
    if !exact.is_empty() {
        return exact;
    }
    let n = s.chars().count();
    let budget = match n {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    };
    if budget == 0 {
        return Vec::new();
    }
    ix.needs.fuzzy(s, budget)
}

fn typo_factor(d: usize) -> f32 {
    match d {
        0 => 1.0,
        1 => 0.8,
        _ => 0.6,
    }
}
