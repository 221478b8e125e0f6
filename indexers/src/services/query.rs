//! A query as the services index reads it: its groups and their terms (what
//! they are worth is in `score.rs`).
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

use super::analyze::{is_stop, langs_of, stem, text_lang, Lang, Token};
use super::index::{Field, ServiceIndex, TermKind};
use crate::names::{is_cyrillic, normalize, switch_layout_all, to_cyrillic, to_latin};

/// Longest query (characters) analysed; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 300;
/// Most groups a query keeps (a pasted paragraph is cut, not rejected).
const MAX_GROUPS: usize = 16;
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
pub(super) struct Alt {
    pub(super) term: u32,
    weight: f32,
    kind: MatchKind,
    /// Least idf this term counts with: a need named by the query's own word is
    /// as specific as that word (a need tags more services than its words
    /// appear in, which would otherwise rank the need below the literal word).
    floor: f32,
}

impl Alt {
    pub(super) fn idf(&self, ix: &ServiceIndex) -> f32 {
        ix.idf(self.term).max(self.floor) * self.weight
    }
}

/// One part of the query that a service may satisfy.
#[derive(Debug, Clone)]
pub(super) struct Group {
    /// The query's words this group stands for.
    text: String,
    pub(super) alts: Vec<Alt>,
    /// Sum of the best idf this group can reach (for coverage).
    pub(super) idf: f32,
}

/// A parsed query; reusable across searches on the same index.
#[derive(Debug, Clone)]
pub struct Query {
    pub(super) groups: Vec<Group>,
    /// Each term of any group, sorted, with the groups it satisfies as bits
    /// (the proximity scan looks terms up here, not in every group's list).
    pub(super) term_groups: Vec<(u32, u32)>,
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
