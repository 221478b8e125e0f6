//! Candidate sources: which keys are worth scoring for one query form.
//!
//! Scoring every key is out of the question (the bundled registers make 185k),
//! so each source reads a small, bounded set: an exact fst lookup, a prefix
//! range and the phonetic buckets (cheap, always read), then in stages the
//! one-edit fuzzy walk, BM25 over trigrams and the two-edit fuzzy walk, each only
//! while nothing found so far is convincing ([`GOOD_ENOUGH`]), because the
//! two-edit walk is the most expensive step a query can take. The fuzzy walk is
//! the fst searched with the automaton of `names/edit.rs`, whose state is one
//! column of the query's bit-parallel edit distance: the code the re-ranker
//! scores with, and nothing to build per query. Every key found goes through
//! [`NameIndex::consider`] (`rank.rs`).

use std::cell::RefCell;

use fst::{IntoStreamer, Streamer};

use super::build::trigrams;
use super::rank::Cands;
use super::search::Variant;
use super::NameIndex;

/// Longest text the fuzzy fst walk runs on. Long phrases are matched better by
/// trigrams and by their words one by one, and the walk costs more per key
/// character on a longer text (each scans the edit-table column for its
/// minimum, one step per query character). The limit dates from per-query
/// Levenshtein DFAs, whose construction grew with the text; kept so results
/// stay the same.
const LEV_MAX_CHARS: usize = 20;
/// Keys read from one prefix range.
pub(super) const PREFIX_SCAN: usize = 48;
/// Keys read from one fuzzy fst walk (a quarter of that for a fuzzy prefix).
const LEV_SCAN: usize = 256;
/// Keys kept from one fuzzy walk (closest, then most popular), re-ranked.
const LEV_KEEP: usize = 32;
/// Keys taken from one phonetic posting list.
const PHONETIC_TAKE: usize = 16;
/// Keys kept from the trigram scorer.
const BM25_TOP: usize = 32;
/// Postings visited by the trigram scorer per query (rarest trigrams first).
const BM25_BUDGET: usize = 6_000;
/// A candidate this good stops the more expensive sources (trigrams, the
/// two-edit walk) from running.
pub(super) const GOOD_ENOUGH: f32 = 0.9;
/// After the trigram stage, a candidate this good (about two edits on a long
/// name) makes the two-edit walk redundant.
const GOOD_ENOUGH_TWO: f32 = 0.84;

/// Edit budget of the fuzzy fst walk by query length.
pub(super) fn budget(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

thread_local! {
    /// Dense accumulator for the trigram scorer, reused across queries so a
    /// search allocates nothing proportional to the index.
    static SCRATCH: RefCell<(Vec<f32>, Vec<u32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl NameIndex {
    /// Keys starting with `prefix`, at most `max`, in key order.
    pub(super) fn prefix_keys(&self, prefix: &str, max: usize, out: &mut Vec<u32>) {
        if prefix.is_empty() {
            return;
        }
        let mut upper = prefix.as_bytes().to_vec();
        upper.push(0xFF);
        let mut stream = self.fst.range().ge(prefix).lt(&upper).into_stream();
        let mut n = 0;
        while let Some((_, v)) = stream.next() {
            out.push(v as u32);
            n += 1;
            if n >= max {
                break;
            }
        }
    }

    /// Keys within `dist` edits of the variant (optimal string alignment: a
    /// swap of two neighbouring letters is one edit), with their distances,
    /// found by walking the fst with the variant's automaton from `names/edit.rs`
    /// (its state is a column of the bit-parallel edit table; `prefix`: some
    /// prefix of the key is within `dist`). The walk only covers the subtree of
    /// keys sharing the query's first letter (first two for two edits on 8+
    /// characters): walking the whole fst at distance 2 costs milliseconds, and a
    /// wrong first letter is rare in real misspellings (the phonetic and trigram
    /// sources still catch those).
    pub(super) fn lev_keys(&self, v: &Variant, dist: u8, prefix: bool, out: &mut Vec<(u32, u8)>) {
        let n = v.chars.len();
        if n > LEV_MAX_CHARS || dist == 0 {
            return;
        }
        let aut = v.masks.automaton(dist, prefix);
        // One shared letter for one edit; two for two edits on a long word
        // (the two-edit walk under a single letter is the slowest thing a
        // query can do; a second-letter slip is left to trigrams/phonetics).
        let shared = if dist >= 2 && n >= 8 { 2 } else { 1 };
        if n < shared {
            return;
        }
        let lo: Vec<u8> = v.text.chars().take(shared).collect::<String>().into_bytes();
        let mut hi = lo.clone();
        let bumped = match hi.last_mut() {
            Some(b) if *b < 0xFF => {
                *b += 1;
                true
            }
            _ => false,
        };
        let sb = self.fst.search_with_state(&aut).ge(&lo);
        let mut stream = if bumped {
            sb.lt(&hi).into_stream()
        } else {
            sb.into_stream()
        };
        // Completions of a fuzzy prefix are many (every key under `при` is
        // one edit from `прив`) and arrive in key order, not by merit: a short
        // scan finds as good a set as a long one at a quarter of the cost.
        let scan = if prefix { LEV_SCAN / 4 } else { LEV_SCAN };
        let mut taken = 0;
        while let Some((_, val, state)) = stream.next() {
            out.push((val as u32, aut.distance(&state)));
            taken += 1;
            if taken >= scan {
                break;
            }
        }
        out.sort_by(|a, b| {
            a.1.cmp(&b.1).then(
                self.key_prior[b.0 as usize]
                    .partial_cmp(&self.key_prior[a.0 as usize])
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
        });
        out.truncate(LEV_KEEP);
    }

    /// Trigram BM25: the best `BM25_TOP` keys for `text`.
    pub(super) fn bm25_keys(&self, text: &str, out: &mut Vec<u32>) {
        let mut qt = Vec::new();
        trigrams(text, &mut qt);
        let n_keys = self.keys.len() as f32;
        let mut lists: Vec<(usize, usize)> = qt
            .iter()
            .filter_map(|t| {
                let i = self.tri_keys.binary_search(t).ok()?;
                Some((self.tri_off[i] as usize, self.tri_off[i + 1] as usize))
            })
            .collect();
        if lists.is_empty() {
            return;
        }
        lists.sort_by_key(|(a, b)| b - a);
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let (acc, touched) = &mut *guard;
            if acc.len() < self.keys.len() {
                acc.resize(self.keys.len(), 0.0);
            }
            touched.clear();
            let mut spent = 0usize;
            for (a, b) in lists {
                let df = (b - a) as f32;
                if spent > 0 && spent + (b - a) > BM25_BUDGET {
                    break;
                }
                spent += b - a;
                let idf = (1.0 + (n_keys - df + 0.5) / (df + 0.5)).ln();
                for &k in &self.tri_posts[a..b] {
                    let s = idf * self.key_norm[k as usize];
                    let slot = &mut acc[k as usize];
                    if *slot == 0.0 {
                        touched.push(k);
                    }
                    *slot += s;
                }
            }
            let take = BM25_TOP.min(touched.len());
            if take > 0 {
                let cmp = |a: &u32, b: &u32| {
                    acc[*b as usize]
                        .partial_cmp(&acc[*a as usize])
                        .unwrap_or(std::cmp::Ordering::Equal)
                };
                if touched.len() > take {
                    touched.select_nth_unstable_by(take - 1, cmp);
                }
                out.extend_from_slice(&touched[..take]);
            }
            for &k in touched.iter() {
                acc[k as usize] = 0.0;
            }
            touched.clear();
        });
    }

    /// All cheap and fuzzy sources for one variant.
    pub(super) fn gather(&self, v: &Variant, cands: &mut Cands, penalty: f32, deep: bool) {
        let mut done = self.gather_cheap(v, cands, penalty, true);
        if deep {
            self.deepen(v, &mut done, cands, penalty);
        }
    }

    /// Exact, prefix and phonetic candidates; returns the keys scored (sorted).
    pub(super) fn gather_cheap(
        &self,
        v: &Variant,
        cands: &mut Cands,
        penalty: f32,
        phonetic: bool,
    ) -> Vec<u32> {
        if v.text.is_empty() {
            return Vec::new();
        }
        let mut ks: Vec<u32> = Vec::with_capacity(64);
        if let Some(k) = self.key_id(&v.text) {
            ks.push(k);
        }
        // Prefix: the most popular completions (short queries are incomplete names).
        let mut pre = Vec::with_capacity(PREFIX_SCAN);
        if v.chars.len() >= 3 {
            self.prefix_keys(&v.text, PREFIX_SCAN, &mut pre);
            pre.sort_by(|a, b| {
                self.key_prior[*b as usize]
                    .partial_cmp(&self.key_prior[*a as usize])
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            pre.truncate(12);
            ks.extend(pre.iter().copied());
        }
        if let Some(list) = self.skel.get(v.skel.as_str()).filter(|_| phonetic) {
            ks.extend(list.iter().take(PHONETIC_TAKE).copied());
        }
        if phonetic && v.chars.len() >= 4 {
            if let Some(list) = self.cons.get(v.cons.as_str()) {
                ks.extend(list.iter().take(PHONETIC_TAKE).copied());
            }
        }
        ks.sort_unstable();
        ks.dedup();
        for &k in &ks {
            self.consider(v, k, cands, penalty);
        }
        ks
    }

    /// Staged fuzzy sources: one edit, then trigrams, then two edits, each only
    /// when what was found so far is not already a convincing match (the
    /// two-edit walk is the most expensive step by far).
    pub(super) fn deepen(&self, v: &Variant, ks: &mut Vec<u32>, cands: &mut Cands, penalty: f32) {
        if v.text.is_empty() {
            return;
        }
        let b = budget(v.chars.len());
        let mut more: Vec<u32> = Vec::new();
        let mut lev = Vec::new();
        if b >= 1 {
            self.lev_keys(v, 1, false, &mut lev);
            more.extend(lev.iter().map(|(k, _)| *k));
            self.consider_new(v, &mut more, ks, cands, penalty);
        }
        if cands.best() < GOOD_ENOUGH {
            self.bm25_keys(&v.text, &mut more);
            self.consider_new(v, &mut more, ks, cands, penalty);
        }
        if b >= 2 && cands.best() < GOOD_ENOUGH_TWO && !cands.has_prefix() {
            lev.clear();
            self.lev_keys(v, 2, false, &mut lev);
            more.extend(lev.iter().map(|(k, _)| *k));
            self.consider_new(v, &mut more, ks, cands, penalty);
        }
    }

    /// Score the keys in `more` that are not in `done` (sorted), then move them there.
    fn consider_new(
        &self,
        v: &Variant,
        more: &mut Vec<u32>,
        done: &mut Vec<u32>,
        cands: &mut Cands,
        penalty: f32,
    ) {
        more.sort_unstable();
        more.dedup();
        for &k in more.iter() {
            if done.binary_search(&k).is_err() {
                self.consider(v, k, cands, penalty);
            }
        }
        done.append(more);
        done.sort_unstable();
        done.dedup();
    }
}
