//! The search entry point: which forms of the query are looked up, in what
//! order.
//!
//! A query is looked up as several [`Variant`]s: the whole normalised query
//! (some registered names contain a strength or a form word), its core words
//! (`names/query.rs` strips strengths, forms and filler), the same in the other
//! script, retyped in the other keyboard layout, and word by word. Cheap lookups
//! run first for every form, because a query in the wrong layout or script is
//! usually an exact name there; the fuzzy stages run only while nothing
//! convincing has turned up. A multi-word query whose words name two or more
//! substances (`amoxicillin clavulanic acid`) also finds the products made of
//! exactly those substances.

use super::build::consonant_key;
use super::candidates::{budget, GOOD_ENOUGH};
use super::rank::{Cand, Cands, MAX_FUZZY_CHARS, PRIOR_WEIGHT, TIER_EXACT};
use super::{cut_chars, NameIndex, MAX_KEY_CHARS, MAX_QUERY_CHARS, POSTINGS_TAKE};
use crate::names::edit::Masks;
use crate::names::layout::switch_layout_all;
use crate::names::model::{ConceptKind, Hit, MatchKind};
use crate::names::normalize::normalize;
use crate::names::query::core_tokens;
use crate::names::translit::{is_cyrillic, skeleton, to_cyrillic, to_latin};

/// Words that name a salt or join ingredients; they do not identify a
/// medication on their own.
const WEAK_WORDS: &[&str] = &[
    "acid",
    "кислота",
    "кислоти",
    "кислоты",
    "sodium",
    "натрий",
    "натрію",
    "натрия",
    "potassium",
    "калий",
    "калію",
    "калия",
    "calcium",
    "кальций",
    "кальцію",
    "кальция",
    "hydrochloride",
    "гидрохлорид",
    "гідрохлорид",
    "and",
    "with",
    "и",
    "і",
    "та",
    "с",
    "з",
    "plus",
    "forte",
    "форте",
    "комбінації",
    "комбинации",
];

/// How a query variant was obtained.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Via {
    Direct,
    Translit,
    Layout,
}

/// One form of the query that is looked up.
pub(super) struct Variant {
    pub(super) text: String,
    pub(super) chars: Vec<char>,
    /// Match masks of `chars` cut as the re-ranker compares them.
    pub(super) masks: Masks,
    pub(super) skel: String,
    pub(super) cons: String,
    pub(super) via: Via,
}

impl Variant {
    pub(super) fn new(text: String, via: Via) -> Variant {
        let text = cut_chars(&text, MAX_FUZZY_CHARS * 2).to_string();
        let chars: Vec<char> = text.chars().collect();
        let masks = Masks::new(&chars[..chars.len().min(MAX_FUZZY_CHARS + 8)]);
        let skel = skeleton(&text);
        let cons = consonant_key(&skel);
        Variant {
            text,
            chars,
            masks,
            skel,
            cons,
            via,
        }
    }
}

impl NameIndex {
    /// Ranked concepts for a free-text query (see the module docs).
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let limit = limit.min(1000);
        if limit == 0 {
            return Vec::new();
        }
        let raw = cut_chars(query, MAX_QUERY_CHARS);
        let norm = normalize(raw);
        let norm = cut_chars(&norm, MAX_KEY_CHARS).trim_end().to_string();
        if norm.is_empty() {
            return Vec::new();
        }
        let mut cands = Cands::default();
        let tokens = core_tokens(&norm);
        let phrase = tokens.join(" ");

        // The whole query as typed may itself be a name (`нурофен для детей`).
        let full = Variant::new(norm.clone(), Via::Direct);
        if let Some(k) = self.key_id(&full.text) {
            // Above an exact match of the stripped phrase: the user typed
            // this whole name.
            cands.add(
                k,
                Cand {
                    score: TIER_EXACT + 0.1,
                    kind: MatchKind::Exact,
                    via: Via::Direct,
                    exact: true,
                },
            );
        }
        let main = Variant::new(phrase.clone(), Via::Direct);
        let exact_main = self.key_id(&main.text).is_some();
        let mut main_done = self.gather_cheap(&main, &mut cands, 0.0, true);

        let other = if is_cyrillic(&phrase) {
            to_latin(&phrase)
        } else if phrase.chars().any(|c| c.is_ascii_alphabetic()) {
            to_cyrillic(&phrase)
        } else {
            String::new()
        };
        let other = Variant::new(other, Via::Translit);
        // Same skeleton as the query: its phonetic buckets were already read.
        let phon = other.skel != main.skel;
        self.gather_cheap(&other, &mut cands, 0.0, phon);

        // Wrong keyboard layout, cheap lookups first: a retyped query is
        // usually an exact name, and checking that is far cheaper than the
        // fuzzy search of the garbled original.
        let mut layouts: Vec<(Variant, Vec<u32>)> = Vec::new();
        if cands.best() < 0.9 {
            for sw in switch_layout_all(raw) {
                let n = normalize(&sw);
                let p = core_tokens(&n).join(" ");
                let v = Variant::new(p, Via::Layout);
                let done = self.gather_cheap(&v, &mut cands, 0.0, true);
                layouts.push((v, done));
            }
        }
        if !exact_main && cands.best() < GOOD_ENOUGH {
            self.deepen(&main, &mut main_done, &mut cands, 0.0);
        }

        // Multi-word: every meaningful word alone, and the ingredients it names.
        let words: Vec<&str> = tokens
            .iter()
            .copied()
            .filter(|t| t.chars().count() >= 3 && !WEAK_WORDS.contains(t))
            .take(3)
            .collect();
        let full_exact = self.key_id(&full.text).is_some();
        if tokens.len() >= 2 && !exact_main && !full_exact {
            let mut substances: Vec<i64> = Vec::new();
            for w in &words {
                let v = Variant::new((*w).to_string(), Via::Direct);
                let mut wc = Cands::default();
                // Words are searched deeply only when the phrase found nothing
                // convincing.
                let deep = self.key_id(w).is_none() && cands.best() < GOOD_ENOUGH;
                self.gather(&v, &mut wc, 0.08, deep);
                if let Some(s) = self.best_substance(&wc) {
                    if !substances.contains(&s) {
                        substances.push(s);
                    }
                }
                for (k, c) in wc.map {
                    cands.add(k, c);
                }
            }
            // Two-word ingredient names (`clavulanic acid`) as one word.
            for pair in tokens.windows(2) {
                if let Some(k) = self.key_id(&pair.join(" ")) {
                    if let Some(s) = self
                        .postings(k)
                        .iter()
                        .map(|p| &self.concepts[p.concept as usize])
                        .find(|c| c.kind == ConceptKind::Substance)
                    {
                        if !substances.contains(&s.id) {
                            substances.push(s.id);
                        }
                    }
                    let v = Variant::new(pair.join(" "), Via::Direct);
                    self.consider(&v, k, &mut cands, 0.08);
                }
            }
            if substances.len() >= 2 {
                return self.finish(cands, limit, Some(&substances));
            }
        }

        // Nothing convincing: misspelt in the other layout or script.
        if cands.best() < 0.6 {
            for (v, done) in &mut layouts {
                self.deepen(v, done, &mut cands, 0.0);
            }
        }
        if cands.best() < 0.8 && !other.text.is_empty() {
            let mut lev = Vec::new();
            self.lev_keys(&other, budget(other.chars.len()).min(1), false, &mut lev);
            let mut ks: Vec<u32> = lev.iter().map(|(k, _)| *k).collect();
            self.bm25_keys(&other.text, &mut ks);
            ks.sort_unstable();
            ks.dedup();
            for k in ks {
                self.consider(&other, k, &mut cands, 0.0);
            }
        }
        self.finish(cands, limit, None)
    }

    fn best_substance(&self, wc: &Cands) -> Option<i64> {
        let mut best: Option<(f32, i64)> = None;
        for (k, c) in &wc.map {
            if c.score < 0.85 {
                continue;
            }
            for p in self.postings(*k).iter().take(POSTINGS_TAKE) {
                let info = &self.concepts[p.concept as usize];
                if info.kind != ConceptKind::Substance {
                    continue;
                }
                let s = c.score + PRIOR_WEIGHT * self.prior[p.concept as usize];
                if best.is_none_or(|(b, _)| s > b) {
                    best = Some((s, info.id));
                }
            }
        }
        best.map(|(_, id)| id)
    }
}
