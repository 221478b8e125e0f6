//! Building a [`NameIndex`] from concept records.
//!
//! Everything a query needs precomputed is computed here, once, so a query only
//! reads: every name is normalised and transliterated to the other script (both
//! become keys, so `ибупрофен` and `ibuprofen` are exact lookups); the sorted keys
//! go into the fst with their postings (published names before
//! transliterations, then the most popular concepts); every key's skeleton,
//! consonant key and trigrams are indexed. Normalising and transliterating is
//! most of the build, so it runs on every core and is merged in concept order:
//! the index does not depend on the core count. The key derivations that query
//! time needs too ([`consonant_key`], [`trigrams`]) live here so that names and
//! queries are always keyed the same way.

use fst::{Map, MapBuilder};

use super::{cut_chars, HashMap, NameIndex, Posting, MAX_KEY_CHARS};
use crate::names::model::{ConceptInfo, ConceptInput, ConceptKind};
use crate::names::normalize::normalize;
use crate::names::translit::{is_cyr_char, skeleton, to_cyrillic, to_latin};

/// BM25 parameters (the usual ones, as imdb-rename uses).
const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;

/// Consonant key: the skeleton with vowels dropped except a leading one. Real
/// misspellings mostly get vowels wrong (`amoxacillan`, `zertec`).
pub(super) fn consonant_key(skel: &str) -> String {
    consonant_chars(skel).collect()
}

/// The characters of [`consonant_key`], lazily: the re-ranker compares a
/// candidate's key with the query's without allocating one per candidate.
pub(super) fn consonant_chars(skel: &str) -> impl Iterator<Item = char> + '_ {
    let mut prev_alpha = false;
    let mut last: Option<char> = None;
    skel.chars().filter(move |&c| {
        let vowel = matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
        if vowel && prev_alpha {
            return false;
        }
        prev_alpha = c.is_alphabetic();
        if Some(c) == last {
            return false;
        }
        last = Some(c);
        true
    })
}

fn pack_tri(a: char, b: char, c: char) -> u64 {
    ((a as u64) << 42) | ((b as u64) << 21) | (c as u64)
}

pub(super) fn trigrams(s: &str, out: &mut Vec<u64>) {
    out.clear();
    let mut chars: Vec<char> = Vec::with_capacity(s.len() + 2);
    chars.push(' ');
    chars.extend(s.chars());
    chars.push(' ');
    for w in chars.windows(3) {
        out.push(pack_tri(w[0], w[1], w[2]));
    }
    out.sort_unstable();
    out.dedup();
}

/// Skeleton of every key, and keys by skeleton and by consonant key, the most
/// popular first within a bucket (buckets are cut to PHONETIC_TAKE at query time).
#[allow(clippy::type_complexity)]
fn phonetic_keys(
    keys: &[Box<str>],
    key_prior: &[f32],
) -> (
    HashMap<Box<str>, Vec<u32>>,
    HashMap<Box<str>, Vec<u32>>,
    Vec<Box<str>>,
) {
    let mut skel: HashMap<Box<str>, Vec<u32>> = HashMap::default();
    let mut cons: HashMap<Box<str>, Vec<u32>> = HashMap::default();
    let mut key_skel: Vec<Box<str>> = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let s = skeleton(k);
        let c = consonant_key(&s);
        key_skel.push(s.clone().into_boxed_str());
        skel.entry(s.into_boxed_str()).or_default().push(i as u32);
        if c.chars().count() >= 3 {
            cons.entry(c.into_boxed_str()).or_default().push(i as u32);
        }
    }
    for v in skel.values_mut().chain(cons.values_mut()) {
        v.sort_by(|a, b| {
            key_prior[*b as usize]
                .partial_cmp(&key_prior[*a as usize])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(keys[*a as usize].len().cmp(&keys[*b as usize].len()))
        });
    }
    (skel, cons, key_skel)
}

/// Trigram postings (sorted trigrams, offsets, key ids) and every key's BM25
/// length factor.
fn trigram_postings(keys: &[Box<str>]) -> (Vec<u64>, Vec<u32>, Vec<u32>, Vec<f32>) {
    let mut pairs: Vec<(u64, u32)> = Vec::new();
    let mut key_tris: Vec<u16> = Vec::with_capacity(keys.len());
    let mut buf = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        trigrams(k, &mut buf);
        key_tris.push(buf.len().min(u16::MAX as usize) as u16);
        pairs.extend(buf.iter().map(|t| (*t, i as u32)));
    }
    pairs.sort_unstable();
    let mut tri_keys = Vec::new();
    let mut tri_off = Vec::new();
    let mut tri_posts = Vec::with_capacity(pairs.len());
    for (t, k) in pairs {
        if tri_keys.last() != Some(&t) {
            tri_keys.push(t);
            tri_off.push(tri_posts.len() as u32);
        }
        tri_posts.push(k);
    }
    tri_off.push(tri_posts.len() as u32);
    let avg_tris = if keys.is_empty() {
        1.0
    } else {
        key_tris.iter().map(|&x| x as f32).sum::<f32>() / keys.len() as f32
    };
    let key_norm: Vec<f32> = key_tris
        .iter()
        .map(|&len| {
            (BM25_K1 + 1.0) / (1.0 + BM25_K1 * (1.0 - BM25_B + BM25_B * len as f32 / avg_tris))
        })
        .collect();
    (tri_keys, tri_off, tri_posts, key_norm)
}

/// Runs `f` over `items` cut into one contiguous chunk per core (`f` gets the
/// chunk's first index) and returns the results in chunk order.
fn parallel_chunks<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &[T]) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if cores <= 1 || items.len() < 4096 {
        return vec![f(0, items)];
    }
    let size = items.len().div_ceil(cores);
    std::thread::scope(|sc| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(size)
            .enumerate()
            .map(|(i, chunk)| sc.spawn(move || f(i * size, chunk)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

impl NameIndex {
    /// Build the index. Names are normalised here; empty names are ignored;
    /// duplicate `(kind, id)` concepts are merged.
    pub fn build(inputs: Vec<ConceptInput>) -> NameIndex {
        // Concepts, merged by (kind, id).
        let mut by_id: HashMap<(ConceptKind, i64), u32> = HashMap::default();
        let mut concepts: Vec<ConceptInfo> = Vec::with_capacity(inputs.len());
        let mut raw_pop: Vec<f32> = Vec::with_capacity(inputs.len());
        for c in inputs {
            let idx = *by_id.entry((c.kind, c.id)).or_insert_with(|| {
                concepts.push(ConceptInfo {
                    id: c.id,
                    kind: c.kind,
                    names: Vec::new(),
                    ingredients: Vec::new(),
                    popularity: 0.0,
                });
                raw_pop.push(0.0);
                (concepts.len() - 1) as u32
            });
            let info = &mut concepts[idx as usize];
            for n in c.names {
                if !info.names.iter().any(|m| m.text == n.text) {
                    info.names.push(n);
                }
            }
            info.ingredients.extend(c.ingredients);
            info.ingredients.sort_unstable();
            info.ingredients.dedup();
            let p = if c.popularity.is_finite() {
                c.popularity.max(0.0)
            } else {
                0.0
            };
            info.popularity = info.popularity.max(p);
            raw_pop[idx as usize] = info.popularity;
        }
        let max_lp = raw_pop
            .iter()
            .map(|p| (1.0 + p).ln())
            .fold(0.0f32, f32::max)
            .max(1e-6);
        let prior: Vec<f32> = raw_pop.iter().map(|p| (1.0 + p).ln() / max_lp).collect();

        // Keys and postings.
        let mut key_map: HashMap<String, Vec<Posting>> = HashMap::default();
        let mut add = |k: String, p: Posting| {
            if k.is_empty() {
                return;
            }
            let v = key_map.entry(k).or_default();
            if let Some(old) = v.iter_mut().find(|o| o.concept == p.concept) {
                old.translit &= p.translit;
            } else {
                v.push(p);
            }
        };
        // Normalising and transliterating every name is most of the build: it
        // runs on every core, in concept order, and is merged in that order so
        // the index is the same whatever the core count.
        let keyed = parallel_chunks(&concepts, |first, chunk| {
            let mut out: Vec<(String, Posting)> = Vec::new();
            for (i, info) in chunk.iter().enumerate() {
                let ci = (first + i) as u32;
                for n in &info.names {
                    let norm = normalize(&n.text);
                    let norm = cut_chars(&norm, MAX_KEY_CHARS).trim_end().to_string();
                    if norm.is_empty() {
                        continue;
                    }
                    let other = if norm.chars().any(is_cyr_char) {
                        Some(to_latin(&norm))
                    } else if norm.chars().any(|c| c.is_ascii_alphabetic()) {
                        Some(to_cyrillic(&norm))
                    } else {
                        None
                    };
                    if let Some(t) = other {
                        out.push((
                            t,
                            Posting {
                                concept: ci,
                                translit: true,
                            },
                        ));
                    }
                    out.push((
                        norm,
                        Posting {
                            concept: ci,
                            translit: false,
                        },
                    ));
                }
            }
            out
        });
        for (k, p) in keyed.into_iter().flatten() {
            add(k, p);
        }
        let mut entries: Vec<(String, Vec<Posting>)> = key_map.into_iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));

        let mut keys: Vec<Box<str>> = Vec::with_capacity(entries.len());
        let mut key_prior: Vec<f32> = Vec::with_capacity(entries.len());
        let mut post_off: Vec<u32> = Vec::with_capacity(entries.len() + 1);
        let mut posts: Vec<Posting> = Vec::new();
        let mut fst_builder = MapBuilder::memory();
        for (i, (k, mut ps)) in entries.into_iter().enumerate() {
            // Published names first, then the most popular concepts: the order
            // in which a key's concepts are expanded (bounded by POSTINGS_TAKE).
            ps.sort_by(|a, b| {
                a.translit.cmp(&b.translit).then(
                    prior[b.concept as usize]
                        .partial_cmp(&prior[a.concept as usize])
                        .unwrap_or(std::cmp::Ordering::Equal),
                )
            });
            post_off.push(posts.len() as u32);
            key_prior.push(
                ps.iter()
                    .map(|p| prior[p.concept as usize])
                    .fold(0.0, f32::max),
            );
            posts.extend(ps);
            // Keys are sorted and unique, so insert cannot fail.
            let _ = fst_builder.insert(k.as_bytes(), i as u64);
            keys.push(k.into_boxed_str());
        }
        post_off.push(posts.len() as u32);
        let fst_bytes = fst_builder.into_inner().unwrap_or_default();
        let fst = Map::new(fst_bytes).unwrap_or_default();

        // Phonetic keys and trigram postings are independent: one core each.
        let ((skel, cons, key_skel), (tri_keys, tri_off, tri_posts, key_norm)) =
            std::thread::scope(|sc| {
                let phon = sc.spawn(|| phonetic_keys(&keys, &key_prior));
                let tri = trigram_postings(&keys);
                let phon = phon.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
                (phon, tri)
            });

        // Analogs.
        let mut by_ingredients: HashMap<Vec<i64>, Vec<i64>> = HashMap::default();
        let mut by_substance: HashMap<i64, Vec<i64>> = HashMap::default();
        for c in &concepts {
            if c.kind == ConceptKind::Product && !c.ingredients.is_empty() {
                by_ingredients
                    .entry(c.ingredients.clone())
                    .or_default()
                    .push(c.id);
                for s in &c.ingredients {
                    by_substance.entry(*s).or_default().push(c.id);
                }
            }
        }
        for v in by_ingredients.values_mut().chain(by_substance.values_mut()) {
            v.sort_unstable();
            v.dedup();
        }

        NameIndex {
            concepts,
            by_id,
            prior,
            keys,
            key_skel,
            key_prior,
            post_off,
            posts,
            fst,
            skel,
            cons,
            tri_keys,
            tri_off,
            tri_posts,
            key_norm,
            by_ingredients,
            by_substance,
        }
    }
}
