//! Ranking: one score per candidate key, then keys expanded to concepts.
//!
//! Every source hands its keys to the same [`NameIndex::consider`], so a key
//! scores the same whichever source found it, and keeps its best score in
//! [`Cands`]. A fuzzy score mixes edit distance (bit-parallel, from
//! `names/edit.rs`, shared with the fuzzy walk) with Jaro-Winkler (which rewards
//! a shared start) and phonetic agreement (same skeleton or consonant key);
//! exact names score in tiers above any fuzzy score. [`NameIndex::finish`] then
//! expands keys to concepts and adds a popularity prior, which is what puts
//! `morphine` before `myrophine` for `mophine`.

use super::build::consonant_chars;
use super::search::{Variant, Via};
use super::{HashMap, NameIndex, MAX_KEY_CHARS, POSTINGS_TAKE};
use crate::names::model::{ConceptKind, Hit, MatchKind};
use crate::names::normalize::normalize;
use crate::names::translit::skeleton;

/// Bound of the fuzzy comparison: a query form keeps at most twice this many
/// characters, and edit distance (the query's masks) and Jaro-Winkler compare
/// the first `MAX_FUZZY_CHARS + 8` characters of query and key.
pub(super) const MAX_FUZZY_CHARS: usize = 48;
/// Weight of the popularity prior (prior is in 0..=1).
pub(super) const PRIOR_WEIGHT: f32 = 0.12;

/// Score tiers: an exact name beats everything else.
pub(super) const TIER_EXACT: f32 = 3.0;
const TIER_EXACT_TRANSLIT: f32 = 2.6;
const TIER_EXACT_LAYOUT: f32 = 2.2;
/// A product found through the ingredients named in a multi-word query.
const TIER_COMBINATION: f32 = 0.95;
/// One word of a multi-word query is exactly a name. Below a one-edit match of
/// the whole phrase (`нафтифін гідрохлорд` wants the salt, not `naftifine`),
/// above weak fuzzy matches, so extra words never make a good match vanish.
const TIER_TOKEN_EXACT: f32 = 0.88;

/// Jaro-Winkler similarity on char slices (same definition as
/// `strsim::jaro_winkler`, without its per-call `String`s), inputs cut to 64.
pub(super) fn jaro_winkler(a: &[char], b: &[char]) -> f32 {
    let a = &a[..a.len().min(64)];
    let b = &b[..b.len().min(64)];
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut a_m = [false; 64];
    let mut b_m = [false; 64];
    let mut matches = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_m[j] && b[j] == ca {
                a_m[i] = true;
                b_m[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut j = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        if !a_m[i] {
            continue;
        }
        while !b_m[j] {
            j += 1;
        }
        if ca != b[j] {
            transpositions += 1;
        }
        j += 1;
    }
    let m = matches as f32;
    let jaro =
        (m / a.len() as f32 + m / b.len() as f32 + (m - (transpositions / 2) as f32) / m) / 3.0;
    let prefix = a
        .iter()
        .zip(b.iter())
        .take(4)
        .take_while(|(x, y)| x == y)
        .count() as f32;
    jaro + 0.1 * prefix * (1.0 - jaro)
}

/// Candidate key with its best score so far.
#[derive(Clone, Copy, Debug)]
pub(super) struct Cand {
    pub(super) score: f32,
    pub(super) kind: MatchKind,
    pub(super) via: Via,
    pub(super) exact: bool,
}

#[derive(Default)]
pub(super) struct Cands {
    pub(super) map: HashMap<u32, Cand>,
}

impl Cands {
    pub(super) fn add(&mut self, key: u32, c: Cand) {
        match self.map.get_mut(&key) {
            Some(old) if old.score >= c.score => {}
            Some(old) => *old = c,
            None => {
                self.map.insert(key, c);
            }
        }
    }
    /// A completion of the query was found: the user is still typing, and a
    /// two-edit search would only add noise (and cost).
    pub(super) fn has_prefix(&self) -> bool {
        self.map
            .values()
            .any(|c| c.kind == MatchKind::Prefix && c.score >= 0.85)
    }

    pub(super) fn best(&self) -> f32 {
        self.map.values().map(|c| c.score).fold(0.0, f32::max)
    }
}

impl NameIndex {
    /// Similarity of a query variant to a key in 0..~1.
    fn similarity(&self, v: &Variant, key: &str, key_skel: &str) -> (f32, MatchKind) {
        let kc: Vec<char> = key.chars().take(MAX_KEY_CHARS).collect();
        let q = &v.chars;
        if q.is_empty() {
            return (0.0, MatchKind::Fuzzy);
        }
        if kc.len() > q.len() && kc.starts_with(q) {
            let word_end = kc.get(q.len()) == Some(&' ');
            let s = if q.len() >= 3 {
                0.80 + 0.15 * (q.len() as f32 / kc.len() as f32) + if word_end { 0.04 } else { 0.0 }
            } else {
                0.5 + 0.1 * (q.len() as f32 / kc.len() as f32)
            };
            return (s, MatchKind::Prefix);
        }
        // Compare with the key cut to the query's word count, so extra words in a
        // name (`nurofen forte`) cost little.
        let q_words = q.iter().filter(|&&c| c == ' ').count() + 1;
        let mut cut = kc.len();
        let mut seen = 0;
        for (i, &c) in kc.iter().enumerate() {
            if c == ' ' {
                seen += 1;
                if seen == q_words {
                    cut = i;
                    break;
                }
            }
        }
        let score_of = |k: &[char]| -> f32 {
            let k = &k[..k.len().min(MAX_FUZZY_CHARS + 8)];
            let qq = &q[..q.len().min(MAX_FUZZY_CHARS + 8)];
            let d = v.masks.distance(k) as f32;
            let maxlen = qq.len().max(k.len()) as f32;
            let ed = 1.0 - d / maxlen;
            let jw = jaro_winkler(qq, k);
            0.55 * ed + 0.45 * jw
        };
        let mut s = score_of(&kc);
        if cut < kc.len() {
            s = s.max(score_of(&kc[..cut]) - 0.03 * (1 + kc.len() - cut).min(10) as f32 / 10.0);
        }
        // Phonetic agreement: same skeleton is as good as one edit.
        let ks = key_skel;
        if ks == v.skel {
            s = s.max(0.9) + 0.02;
        } else if cut < kc.len() {
            let head: String = kc[..cut].iter().collect();
            if skeleton(&head) == v.skel {
                s = s.max(0.86);
            }
        }
        if consonant_chars(ks).eq(v.cons.chars()) {
            s += 0.02;
        }
        (s.min(1.0), MatchKind::Fuzzy)
    }

    pub(super) fn consider(&self, v: &Variant, key: u32, cands: &mut Cands, penalty: f32) {
        let Some(k) = self.keys.get(key as usize) else {
            return;
        };
        if k.as_ref() == v.text {
            let tier = match v.via {
                Via::Direct => TIER_EXACT,
                Via::Translit => TIER_EXACT_TRANSLIT,
                Via::Layout => TIER_EXACT_LAYOUT,
            };
            let score = if penalty > 0.0 {
                TIER_TOKEN_EXACT
            } else {
                tier
            };
            cands.add(
                key,
                Cand {
                    score,
                    kind: MatchKind::Exact,
                    via: v.via,
                    exact: penalty == 0.0,
                },
            );
            return;
        }
        let ksk = self
            .key_skel
            .get(key as usize)
            .map(|s| s.as_ref())
            .unwrap_or("");
        let (s, kind) = self.similarity(v, k, ksk);
        let via_pen = match v.via {
            Via::Direct => 0.0,
            Via::Translit => 0.01,
            Via::Layout => 0.02,
        };
        cands.add(
            key,
            Cand {
                score: s - penalty - via_pen,
                kind,
                via: v.via,
                exact: false,
            },
        );
    }

    /// Expand candidate keys to concepts, add combination products, rank.
    pub(super) fn finish(
        &self,
        cands: Cands,
        limit: usize,
        substances: Option<&[i64]>,
    ) -> Vec<Hit> {
        let mut keyed: Vec<(u32, Cand)> = cands.map.into_iter().collect();
        keyed.sort_by(|a, b| {
            b.1.score
                .partial_cmp(&a.1.score)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        keyed.truncate(200);
        let mut best: HashMap<u32, (f32, u32, MatchKind)> = HashMap::default();
        for (k, c) in &keyed {
            for p in self.postings(*k).iter().take(POSTINGS_TAKE) {
                let info = &self.concepts[p.concept as usize];
                let kind_bonus = if info.kind == ConceptKind::Substance {
                    0.01
                } else {
                    0.0
                };
                let mut score =
                    c.score + PRIOR_WEIGHT * self.prior[p.concept as usize] + kind_bonus;
                let mk = if c.via == Via::Layout {
                    MatchKind::Layout
                } else if c.via == Via::Translit || p.translit {
                    if c.exact && c.via == Via::Direct {
                        // Same letters, but the name was published in the other
                        // script: ranked as exact, reported as translit.
                        score -= TIER_EXACT - TIER_EXACT_TRANSLIT;
                    }
                    MatchKind::Translit
                } else {
                    c.kind
                };
                match best.get(&p.concept) {
                    Some((s, _, _)) if *s >= score => {}
                    _ => {
                        best.insert(p.concept, (score, *k, mk));
                    }
                }
            }
        }
        if let Some(subs) = substances {
            let mut set = subs.to_vec();
            set.sort_unstable();
            let matched = subs
                .iter()
                .filter_map(|s| self.concept(ConceptKind::Substance, *s))
                .filter_map(|c| c.names.first().map(|n| normalize(&n.text)))
                .collect::<Vec<_>>()
                .join(" + ");
            for pid in self
                .products_with_ingredients(&set)
                .into_iter()
                .take(POSTINGS_TAKE)
            {
                if let Some(&ci) = self.by_id.get(&(ConceptKind::Product, pid)) {
                    let score = TIER_COMBINATION + PRIOR_WEIGHT * self.prior[ci as usize];
                    match best.get(&ci) {
                        Some((s, _, _)) if *s >= score => {}
                        _ => {
                            best.insert(ci, (score, u32::MAX, MatchKind::Fuzzy));
                        }
                    }
                }
            }
            let mut hits = self.rank(best, limit);
            for h in &mut hits {
                if h.matched.is_empty() {
                    h.matched = matched.clone();
                }
            }
            return hits;
        }
        self.rank(best, limit)
    }

    fn rank(&self, best: HashMap<u32, (f32, u32, MatchKind)>, limit: usize) -> Vec<Hit> {
        let mut v: Vec<(u32, (f32, u32, MatchKind))> = best.into_iter().collect();
        v.sort_by(|a, b| {
            b.1 .0
                .partial_cmp(&a.1 .0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.0.cmp(&b.0))
        });
        v.truncate(limit);
        v.into_iter()
            .map(|(ci, (score, key, mk))| {
                let c = &self.concepts[ci as usize];
                Hit {
                    kind: c.kind,
                    id: c.id,
                    score,
                    matched: self
                        .keys
                        .get(key as usize)
                        .map(|k| k.to_string())
                        .unwrap_or_default(),
                    match_kind: mk,
                }
            })
            .collect()
    }
}
