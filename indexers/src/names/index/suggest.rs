//! Autocomplete: names that start with what was typed, most popular first.
//!
//! Apart from search because a prefix is not a misspelling: completions are
//! ordered by popularity (and shortness), not by similarity, and the fallbacks
//! (other script, other keyboard layout, a one-edit fuzzy prefix walk) run only
//! while fewer keys than asked for have been found.

use super::candidates::PREFIX_SCAN;
use super::search::{Variant, Via};
use super::{cut_chars, HashSet, NameIndex, MAX_KEY_CHARS, MAX_QUERY_CHARS, POSTINGS_TAKE};
use crate::names::layout::switch_layout_all;
use crate::names::model::{Hit, MatchKind};
use crate::names::normalize::normalize;
use crate::names::translit::{is_cyrillic, to_cyrillic, to_latin};

impl NameIndex {
    /// Autocomplete: concepts whose names start with `prefix`, most popular
    /// first, falling back to the other script, the other keyboard layout and a
    /// one-edit fuzzy prefix walk (4+ characters), each only while fewer than
    /// `limit` keys have been found.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Vec<Hit> {
        let limit = limit.min(100);
        if limit == 0 {
            return Vec::new();
        }
        let raw = cut_chars(prefix, MAX_QUERY_CHARS);
        let norm = normalize(raw);
        let norm = cut_chars(&norm, MAX_KEY_CHARS).trim_end().to_string();
        if norm.is_empty() {
            return Vec::new();
        }
        // (key, tier, match kind)
        let mut found: Vec<(u32, f32, MatchKind)> = Vec::new();
        let mut seen: HashSet<u32> = HashSet::default();
        let mut push_prefix =
            |this: &NameIndex,
             text: &str,
             tier: f32,
             mk: MatchKind,
             found: &mut Vec<(u32, f32, MatchKind)>| {
                let mut ks = Vec::new();
                this.prefix_keys(text, PREFIX_SCAN * 2, &mut ks);
                for k in ks {
                    if seen.insert(k) {
                        let exact = this.keys[k as usize].as_ref() == text;
                        let mk = if exact && mk == MatchKind::Prefix {
                            MatchKind::Exact
                        } else {
                            mk
                        };
                        found.push((k, tier + if exact { 1.0 } else { 0.0 }, mk));
                    }
                }
            };
        push_prefix(self, &norm, 3.0, MatchKind::Prefix, &mut found);
        if found.len() < limit {
            let other = if is_cyrillic(&norm) {
                to_latin(&norm)
            } else {
                to_cyrillic(&norm)
            };
            if other != norm {
                push_prefix(self, &other, 2.0, MatchKind::Translit, &mut found);
            }
        }
        if found.len() < limit {
            for sw in switch_layout_all(raw) {
                let n = normalize(&sw);
                push_prefix(self, &n, 1.5, MatchKind::Layout, &mut found);
            }
        }
        if found.len() < limit && norm.chars().count() >= 4 {
            let v = Variant::new(norm.clone(), Via::Direct);
            let mut lev = Vec::new();
            self.lev_keys(&v, 1, true, &mut lev);
            let lev: Vec<u32> = lev.into_iter().map(|(k, _)| k).collect();
            for k in lev {
                if seen.insert(k) {
                    found.push((k, 1.0, MatchKind::Fuzzy));
                }
            }
        }
        found.sort_by(|a, b| {
            let sa =
                a.1 + self.key_prior[a.0 as usize] - 0.002 * self.keys[a.0 as usize].len() as f32;
            let sb =
                b.1 + self.key_prior[b.0 as usize] - 0.002 * self.keys[b.0 as usize].len() as f32;
            sb.partial_cmp(&sa).unwrap_or(std::cmp::Ordering::Equal)
        });
        let mut out: Vec<Hit> = Vec::with_capacity(limit);
        let mut seen_c: HashSet<u32> = HashSet::default();
        'outer: for (k, tier, mk) in found {
            for p in self.postings(k).iter().take(POSTINGS_TAKE) {
                if seen_c.insert(p.concept) {
                    let c = &self.concepts[p.concept as usize];
                    let mk = if p.translit && matches!(mk, MatchKind::Exact | MatchKind::Prefix) {
                        MatchKind::Translit
                    } else {
                        mk
                    };
                    out.push(Hit {
                        kind: c.kind,
                        id: c.id,
                        score: tier + self.prior[p.concept as usize],
                        matched: self.keys[k as usize].to_string(),
                        match_kind: mk,
                    });
                    if out.len() >= limit {
                        break 'outer;
                    }
                }
            }
        }
        out
    }
}
