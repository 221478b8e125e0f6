//! The services index: an inverted index over four fields (name, taxonomy
//! terms, description, organization) with BM25F weights folded into the
//! postings at build time.
//!
//! Shaped for a national directory (200,000 services): the term dictionary is an
//! `fst::Map` (the names engine's structure, so typo-tolerant lookups walk it
//! with the same bit-parallel automaton), postings are flat arrays sorted by
//! service, and each posting carries its field-weighted, length-normalised term
//! frequency already computed, so a query's cost is one multiply-add per posting
//! it reads and nothing per service it does not. Needs from the vocabulary are
//! pseudo-terms posted in the field where their phrase (or taxonomy term) was
//! found, so a need found in a service's name weighs as a name match.
//!
//! Positions are kept only for proximity (the tie breaker): each service's
//! content terms in order, name then description, capped.

use std::collections::HashMap;

use fst::{IntoStreamer, Map, MapBuilder, Streamer};

use super::analyze::{analyze_with, StemCache};
use super::needs::Needs;

/// The fields a service's words are found in, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name = 0,
    Terms = 1,
    Description = 2,
    Organization = 3,
}

impl Field {
    pub const ALL: [Field; 4] = [
        Field::Name,
        Field::Terms,
        Field::Description,
        Field::Organization,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Terms => "taxonomy",
            Field::Description => "description",
            Field::Organization => "organization",
        }
    }
}

/// BM25F field weights: a word in the name says more about what a service is
/// than the same word in its description.
const WEIGHT: [f32; 4] = [4.0, 2.0, 1.0, 0.6];
/// Length normalisation per field: names are short and their length says little.
const B: [f32; 4] = [0.4, 0.5, 0.75, 0.5];
/// BM25 saturation: how fast repeated mentions stop adding relevance.
pub(crate) const K1: f32 = 2.0;
/// Positions kept per service for proximity.
const MAX_POSITIONS: usize = 128;
/// A position that holds no term (a stop word, or the gap between fields).
pub(crate) const GAP: u32 = u32::MAX;

/// One service as the index reads it.
#[derive(Debug, Clone, Default)]
pub struct ServiceDoc {
    /// Name and alternate name.
    pub name: String,
    /// Taxonomy term names and keywords, one per entry.
    pub terms: Vec<String>,
    /// Description, eligibility and other prose.
    pub description: String,
    pub organization: String,
}

/// What one term is.
#[derive(Debug, Clone)]
pub(crate) enum TermKind {
    /// A word stem; the first surface form seen, for explanations.
    Word(String),
    /// A need of the vocabulary.
    Need(u32),
}

/// The built index.
#[derive(Debug, Default)]
pub struct ServiceIndex {
    pub(crate) dict: Map<Vec<u8>>,
    pub(crate) terms: Vec<TermKind>,
    /// Term of each need (`None` when no service has it).
    pub(crate) need_term: Vec<Option<u32>>,
    /// Postings of term `t`: `post_off[t]..post_off[t + 1]`.
    pub(crate) post_off: Vec<u32>,
    pub(crate) post_doc: Vec<u32>,
    /// Field-weighted, length-normalised term frequency, already saturated
    /// (`tf / (K1 + tf)`, BM25's curve): a query multiplies it by the term's
    /// idf and nothing else per posting.
    pub(crate) post_tf: Vec<f32>,
    /// Per term, the largest of its postings' saturated tf: a bound on what
    /// the term can add to any service, for pruning ([`crate::services::Query::score`]).
    pub(crate) term_max: Vec<f32>,
    /// Bit `f` set: the term occurs in field `f`.
    pub(crate) post_fields: Vec<u8>,
    pub(crate) pos_off: Vec<u32>,
    pub(crate) positions: Vec<u32>,
    /// Needs each service is tagged with (with ancestors), for answers and facets.
    pub(crate) doc_needs: Vec<Vec<u32>>,
    pub needs: Needs,
    pub(crate) n_docs: u32,
}

impl ServiceIndex {
    /// Builds the index over `docs` (service `i` is `docs[i]`).
    pub fn build(docs: &[ServiceDoc], needs: Needs) -> ServiceIndex {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut terms: Vec<TermKind> = Vec::new();
        let mut need_term: Vec<Option<u32>> = vec![None; needs.len()];
        // Per term: (doc, tf per field); per doc: field lengths.
        let mut raw: Vec<Vec<(u32, [u16; 4])>> = Vec::new();
        let mut lens: Vec<[u32; 4]> = Vec::with_capacity(docs.len());
        let mut pos_off = vec![0u32];
        let mut positions = Vec::new();
        let mut doc_needs = Vec::with_capacity(docs.len());
        let mut stems = StemCache::default();
        for (d, doc) in docs.iter().enumerate() {
            let d = d as u32;
            let mut counts: HashMap<u32, [u16; 4]> = HashMap::new();
            let mut len = [0u32; 4];
            let mut found: Vec<(u32, Field)> = Vec::new();
            let fields: [(Field, Vec<&str>); 4] = [
                (Field::Name, vec![doc.name.as_str()]),
                (Field::Terms, doc.terms.iter().map(String::as_str).collect()),
                (Field::Description, vec![doc.description.as_str()]),
                (Field::Organization, vec![doc.organization.as_str()]),
            ];
            for (f, texts) in fields {
                for text in texts {
                    let tokens = analyze_with(text, &mut stems);
                    found.extend(needs.find_all(&tokens).iter().map(|m| (m.need, f)));
                    if f == Field::Terms {
                        found.extend(needs.of_term(text).iter().map(|&n| (n, f)));
                    }
                    let keep_positions = matches!(f, Field::Name | Field::Description);
                    for tok in &tokens {
                        if tok.stop {
                            if keep_positions {
                                positions.push(GAP);
                            }
                            continue;
                        }
                        len[f as usize] += 1;
                        let t = *ids.entry(tok.stem.clone()).or_insert_with(|| {
                            terms.push(TermKind::Word(tok.word.clone()));
                            raw.push(Vec::new());
                            (terms.len() - 1) as u32
                        });
                        let c = counts.entry(t).or_insert([0; 4]);
                        c[f as usize] = c[f as usize].saturating_add(1);
                        if keep_positions {
                            positions.push(t);
                        }
                    }
                    if keep_positions {
                        positions.push(GAP);
                    }
                }
            }
            // Needs found, with their ancestors, posted in the field they were
            // found in (once per field: a need named twice is not twice the need).
            let mut tagged: Vec<u32> = Vec::new();
            for (need, f) in found {
                let mut chain = Vec::new();
                needs.with_ancestors(need, &mut chain);
                for n in chain {
                    let t = *need_term[n as usize].get_or_insert_with(|| {
                        terms.push(TermKind::Need(n));
                        raw.push(Vec::new());
                        (terms.len() - 1) as u32
                    });
                    counts.entry(t).or_insert([0; 4])[f as usize] = 1;
                    if !tagged.contains(&n) {
                        tagged.push(n);
                    }
                }
            }
            let start = *pos_off.last().unwrap_or(&0) as usize;
            positions.truncate(start + MAX_POSITIONS.min(positions.len() - start));
            pos_off.push(positions.len() as u32);
            for (t, c) in counts {
                raw[t as usize].push((d, c));
            }
            lens.push(len);
            tagged.sort_unstable();
            doc_needs.push(tagged);
        }
        let n = docs.len().max(1) as f32;
        let mut avg = [0f32; 4];
        for l in &lens {
            for f in 0..4 {
                avg[f] += l[f] as f32 / n;
            }
        }
        let mut post_off = Vec::with_capacity(raw.len() + 1);
        let total: usize = raw.iter().map(Vec::len).sum();
        let (mut post_doc, mut post_tf, mut post_fields) = (
            Vec::with_capacity(total),
            Vec::with_capacity(total),
            Vec::with_capacity(total),
        );
        post_off.push(0u32);
        let mut term_max = Vec::with_capacity(raw.len());
        for list in &mut raw {
            let mut max = 0.0f32;
            list.sort_unstable_by_key(|p| p.0);
            for &(d, c) in list.iter() {
                let l = &lens[d as usize];
                let mut tf = 0.0;
                let mut mask = 0u8;
                for f in 0..4 {
                    if c[f] == 0 {
                        continue;
                    }
                    mask |= 1 << f;
                    let norm = 1.0 - B[f] + B[f] * (l[f] as f32 / avg[f].max(1.0));
                    tf += WEIGHT[f] * c[f] as f32 / norm.max(0.1);
                }
                let sat = tf / (K1 + tf);
                max = max.max(sat);
                post_doc.push(d);
                post_tf.push(sat);
                post_fields.push(mask);
            }
            term_max.push(max);
            post_off.push(post_doc.len() as u32);
        }
        let mut keys: Vec<(&String, u32)> = ids.iter().map(|(k, &v)| (k, v)).collect();
        keys.sort_unstable();
        let mut b = MapBuilder::memory();
        for (k, v) in keys {
            // Keys are sorted and unique, so insertion cannot fail.
            let _ = b.insert(k, u64::from(v));
        }
        let dict = b.into_map();
        ServiceIndex {
            dict,
            terms,
            need_term,
            post_off,
            post_doc,
            post_tf,
            term_max,
            post_fields,
            pos_off,
            positions,
            doc_needs,
            needs,
            n_docs: docs.len() as u32,
        }
    }

    /// The needs a service is tagged with (with their ancestors).
    pub fn needs_of(&self, doc: usize) -> &[u32] {
        self.doc_needs.get(doc).map_or(&[], |v| v.as_slice())
    }

    pub(crate) fn postings(&self, t: u32) -> std::ops::Range<usize> {
        let t = t as usize;
        self.post_off[t] as usize..self.post_off[t + 1] as usize
    }

    pub(crate) fn df(&self, t: u32) -> usize {
        self.postings(t).len()
    }

    pub(crate) fn idf(&self, t: u32) -> f32 {
        let n = self.n_docs as f32;
        let df = self.df(t) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    pub(crate) fn term(&self, stem: &str) -> Option<u32> {
        self.dict.get(stem).map(|v| v as u32)
    }

    /// Terms starting with `prefix` (at most `max`).
    pub(crate) fn prefixed(&self, prefix: &str, max: usize) -> Vec<u32> {
        let mut upper = prefix.as_bytes().to_vec();
        upper.push(0xFF);
        let mut s = self.dict.range().ge(prefix).lt(&upper).into_stream();
        let mut out = Vec::new();
        while let Some((_, v)) = s.next() {
            out.push(v as u32);
            if out.len() >= max {
                break;
            }
        }
        out
    }

    /// Terms within `dist` edits of `stem` (same first letter), closest first.
    pub(crate) fn fuzzy(&self, stem: &str, dist: u8, max: usize) -> Vec<(u32, u8)> {
        let chars: Vec<char> = stem.chars().collect();
        let Some(first) = chars.first() else {
            return Vec::new();
        };
        let masks = crate::names::edit::Masks::new(&chars);
        let aut = masks.automaton(dist, false);
        let lo = first.to_string().into_bytes();
        let mut hi = lo.clone();
        if let Some(b) = hi.last_mut() {
            *b = b.saturating_add(1);
        }
        let mut s = self
            .dict
            .search_with_state(&aut)
            .ge(&lo)
            .lt(&hi)
            .into_stream();
        let mut out = Vec::new();
        while let Some((_, v, state)) = s.next() {
            out.push((v as u32, aut.distance(&state)));
            if out.len() >= 256 {
                break;
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1).then(self.df(b.0).cmp(&self.df(a.0))));
        out.truncate(max);
        out
    }

    /// The surface form of a word term, or the need's id.
    pub(crate) fn surface(&self, t: u32) -> String {
        match &self.terms[t as usize] {
            TermKind::Word(w) => w.clone(),
            TermKind::Need(n) => self.needs.needs[*n as usize].id.clone(),
        }
    }

    /// The fields of `doc` term `t` occurs in (0 when it does not).
    pub(crate) fn fields_of(&self, t: u32, doc: u32) -> u8 {
        let r = self.postings(t);
        match self.post_doc[r.clone()].binary_search(&doc) {
            Ok(i) => self.post_fields[r.start + i],
            Err(_) => 0,
        }
    }

    pub(crate) fn positions_of(&self, doc: u32) -> &[u32] {
        let d = doc as usize;
        &self.positions[self.pos_off[d] as usize..self.pos_off[d + 1] as usize]
    }
}
