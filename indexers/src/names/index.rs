//! The name index: an `fst::Map` of every normalised name and its
//! transliterations, postings to concepts, a trigram index scored BM25-style,
//! phonetic keys, and the ranking that ties them together.
//!
//! Candidate sources, each bounded so no query can blow up time or memory:
//! exact and prefix lookups in the fst; Damerau-Levenshtein automata (DFAs built
//! once per distance, budget 0/1/2 by query length); skeleton and consonant
//! keys for phonetic misspellings (`ibuprophen`, `zertec`) that are 3+ edits
//! away; trigram postings scored with BM25 as BurntSushi's imdb-rename does over
//! an fst (catches long names with several typos and words out of order). All
//! candidates go through one re-ranking step: Damerau-Levenshtein and
//! Jaro-Winkler similarity, phonetic agreement, and a popularity prior, which is
//! what puts `morphine` before `myrophine` for `mophine`.

use std::cell::RefCell;
use std::collections::HashMap as StdHashMap;
use std::collections::HashSet as StdHashSet;

use crate::hash::FnvBuild;

type HashMap<K, V> = StdHashMap<K, V, FnvBuild>;
type HashSet<K> = StdHashSet<K, FnvBuild>;

use fst::{IntoStreamer, Map, MapBuilder, Streamer};
use serde::{Deserialize, Serialize};

use super::edit::Masks;
use super::layout::switch_layout_all;
use super::model::{ConceptInfo, ConceptInput, ConceptKind, Hit, MatchKind};
use super::normalize::normalize;
use super::query::{core_tokens, is_form_word, is_strength};
use super::translit::{is_cyr_char, is_cyrillic, skeleton, to_cyrillic, to_latin};

/// Raw queries are cut to this many characters before anything else.
pub const MAX_QUERY_CHARS: usize = 200;
/// Names and normalised queries longer than this are cut (chemical names can
/// run to hundreds of characters; nobody types past this).
/// As long as the longest query the API accepts, so any name a user can paste whole is a
/// whole key (register names such as vaccines run to 170 characters and differ late).
const MAX_KEY_CHARS: usize = MAX_QUERY_CHARS;
/// Longest phrase given to the Levenshtein automaton and to the similarity scorers.
const MAX_FUZZY_CHARS: usize = 48;
/// Longest text given to a Levenshtein automaton: its construction grows with
/// the text (hundreds of microseconds for a long phrase at distance 2), and
/// long phrases are matched better by trigrams and by their words one by one.
const LEV_MAX_CHARS: usize = 20;
/// Keys read from one prefix range.
const PREFIX_SCAN: usize = 48;
/// Keys read from one Levenshtein automaton stream.
const LEV_SCAN: usize = 256;
/// Keys kept from one automaton stream (closest, then most popular), re-ranked.
const LEV_KEEP: usize = 32;
/// Keys taken from one phonetic posting list.
const PHONETIC_TAKE: usize = 16;
/// Keys kept from the trigram scorer.
const BM25_TOP: usize = 32;
/// BM25 parameters (the usual ones, as imdb-rename uses).
const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;
/// Postings visited by the trigram scorer per query (rarest trigrams first).
const BM25_BUDGET: usize = 6_000;
/// Concepts expanded from one key.
const POSTINGS_TAKE: usize = 48;
/// A candidate this good stops the more expensive sources (two-edit
/// automaton, trigrams) from running.
const GOOD_ENOUGH: f32 = 0.9;
/// After the trigram stage, a candidate this good (about two edits on a long
/// name) makes the two-edit automaton redundant.
const GOOD_ENOUGH_TWO: f32 = 0.84;
/// Weight of the popularity prior (prior is in 0..=1).
const PRIOR_WEIGHT: f32 = 0.12;

/// Score tiers: an exact name beats everything else.
const TIER_EXACT: f32 = 3.0;
const TIER_EXACT_TRANSLIT: f32 = 2.6;
const TIER_EXACT_LAYOUT: f32 = 2.2;
/// A product found through the ingredients named in a multi-word query.
const TIER_COMBINATION: f32 = 0.95;
/// One word of a multi-word query is exactly a name. Below a one-edit match of
/// the whole phrase (`нафтифін гідрохлорд` wants the salt, not `naftifine`),
/// above weak fuzzy matches, so extra words never make a good match vanish.
const TIER_TOKEN_EXACT: f32 = 0.88;

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

#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Posting {
    concept: u32,
    /// The key is a transliteration of the concept's name, not a published name.
    translit: bool,
}

/// The immutable medication name index (see the module docs). `Send + Sync`;
/// build once, share behind an `Arc`.
///
/// Serde-serialisable so an app can persist a built index and read it back on
/// restart: building takes seconds (transliterations, trigrams, the fst), reading
/// it back a fraction of that.
#[derive(Serialize, Deserialize)]
pub struct NameIndex {
    concepts: Vec<ConceptInfo>,
    by_id: HashMap<(ConceptKind, i64), u32>,
    prior: Vec<f32>,
    keys: Vec<Box<str>>,
    /// Skeleton of every key, computed once (the re-ranker needs it per candidate).
    key_skel: Vec<Box<str>>,
    key_prior: Vec<f32>,
    post_off: Vec<u32>,
    posts: Vec<Posting>,
    #[serde(with = "fst_bytes")]
    fst: Map<Vec<u8>>,
    skel: HashMap<Box<str>, Vec<u32>>,
    cons: HashMap<Box<str>, Vec<u32>>,
    tri_keys: Vec<u64>,
    tri_off: Vec<u32>,
    tri_posts: Vec<u32>,
    /// BM25 term-frequency/length factor of every key, precomputed (tf is 1:
    /// a key's trigrams are deduplicated).
    key_norm: Vec<f32>,
    by_ingredients: HashMap<Vec<i64>, Vec<i64>>,
    by_substance: HashMap<i64, Vec<i64>>,
}

/// The fst as its own byte representation, read back through `Map::new`, which
/// checks its header and length: bytes from another format are an error at load,
/// not a surprise at query time.
mod fst_bytes {
    use fst::Map;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(map: &Map<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(map.as_fst().as_bytes())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map<Vec<u8>>, D::Error> {
        let bytes: Vec<u8> = serde::de::Deserialize::deserialize(d).map(|b: ByteBuf| b.0)?;
        Map::new(bytes).map_err(serde::de::Error::custom)
    }

    /// Bytes read as one block when the format has a native byte string.
    struct ByteBuf(Vec<u8>);

    impl<'de> Deserialize<'de> for ByteBuf {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = ByteBuf;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("fst bytes")
                }
                fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<ByteBuf, E> {
                    Ok(ByteBuf(v.to_vec()))
                }
                fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<ByteBuf, E> {
                    Ok(ByteBuf(v))
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> Result<ByteBuf, A::Error> {
                    let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                    while let Some(b) = seq.next_element::<u8>()? {
                        out.push(b);
                    }
                    Ok(ByteBuf(out))
                }
            }
            d.deserialize_byte_buf(V)
        }
    }
}

fn cut_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Consonant key: the skeleton with vowels dropped except a leading one. Real
/// misspellings mostly get vowels wrong (`amoxacillan`, `zertec`).
fn consonant_key(skel: &str) -> String {
    consonant_chars(skel).collect()
}

/// The characters of [`consonant_key`], lazily: the re-ranker compares a
/// candidate's key with the query's without allocating one per candidate.
fn consonant_chars(skel: &str) -> impl Iterator<Item = char> + '_ {
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

fn trigrams(s: &str, out: &mut Vec<u64>) {
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

/// Jaro-Winkler similarity on char slices (same definition as
/// `strsim::jaro_winkler`, without its per-call `String`s), inputs cut to 64.
fn jaro_winkler(a: &[char], b: &[char]) -> f32 {
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

/// Edit budget of the Levenshtein automaton by query length.
fn budget(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// How a query variant was obtained.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Via {
    Direct,
    Translit,
    Layout,
}

/// One form of the query that is looked up.
struct Variant {
    text: String,
    chars: Vec<char>,
    /// Match masks of `chars` cut as the re-ranker compares them.
    masks: Masks,
    skel: String,
    cons: String,
    via: Via,
}

impl Variant {
    fn new(text: String, via: Via) -> Variant {
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

/// Candidate key with its best score so far.
#[derive(Clone, Copy, Debug)]
struct Cand {
    score: f32,
    kind: MatchKind,
    via: Via,
    exact: bool,
}

#[derive(Default)]
struct Cands {
    map: HashMap<u32, Cand>,
}

impl Cands {
    fn add(&mut self, key: u32, c: Cand) {
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
    fn has_prefix(&self) -> bool {
        self.map
            .values()
            .any(|c| c.kind == MatchKind::Prefix && c.score >= 0.85)
    }

    fn best(&self) -> f32 {
        self.map.values().map(|c| c.score).fold(0.0, f32::max)
    }
}

thread_local! {
    /// Dense accumulator for the trigram scorer, reused across queries so a
    /// search allocates nothing proportional to the index.
    static SCRATCH: RefCell<(Vec<f32>, Vec<u32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
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

    /// Number of keys in the fst (names and transliterations, deduplicated).
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Size of the fst itself in bytes.
    pub fn fst_bytes(&self) -> usize {
        self.fst.as_fst().as_bytes().len()
    }

    /// Number of concepts.
    pub fn concept_count(&self) -> usize {
        self.concepts.len()
    }

    /// Every concept, in build order (used by the evaluation).
    pub fn concepts(&self) -> &[ConceptInfo] {
        &self.concepts
    }

    /// A concept by kind and app id.
    pub fn concept(&self, kind: ConceptKind, id: i64) -> Option<&ConceptInfo> {
        self.by_id
            .get(&(kind, id))
            .and_then(|&i| self.concepts.get(i as usize))
    }

    /// Products whose ingredient set is exactly `substance_ids` (analogs).
    pub fn products_with_ingredients(&self, substance_ids: &[i64]) -> Vec<i64> {
        let mut k = substance_ids.to_vec();
        k.sort_unstable();
        k.dedup();
        self.by_ingredients.get(&k).cloned().unwrap_or_default()
    }

    /// Products (brands and generics) that contain the substance.
    pub fn products_of_substance(&self, substance_id: i64) -> Vec<i64> {
        self.by_substance
            .get(&substance_id)
            .cloned()
            .unwrap_or_default()
    }

    fn postings(&self, key: u32) -> &[Posting] {
        let k = key as usize;
        match (self.post_off.get(k), self.post_off.get(k + 1)) {
            (Some(&a), Some(&b)) => &self.posts[a as usize..b as usize],
            _ => &[],
        }
    }

    fn key_id(&self, s: &str) -> Option<u32> {
        self.fst.get(s.as_bytes()).map(|v| v as u32)
    }

    /// Keys starting with `prefix`, at most `max`, in key order.
    fn prefix_keys(&self, prefix: &str, max: usize, out: &mut Vec<u32>) {
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

    /// Keys within `dist` edits (Damerau) of the variant. The automaton only
    /// walks the subtree of keys sharing the query's first letter: walking the
    /// whole fst at distance 2 costs milliseconds, and a wrong first letter is
    /// rare in real misspellings (the phonetic and trigram sources still catch
    /// those).
    fn lev_keys(&self, v: &Variant, dist: u8, prefix: bool, out: &mut Vec<(u32, u8)>) {
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
    fn bm25_keys(&self, text: &str, out: &mut Vec<u32>) {
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

    fn consider(&self, v: &Variant, key: u32, cands: &mut Cands, penalty: f32) {
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

    /// All cheap and fuzzy sources for one variant.
    fn gather(&self, v: &Variant, cands: &mut Cands, penalty: f32, deep: bool) {
        let mut done = self.gather_cheap(v, cands, penalty, true);
        if deep {
            self.deepen(v, &mut done, cands, penalty);
        }
    }

    /// Exact, prefix and phonetic candidates; returns the keys scored (sorted).
    fn gather_cheap(
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
    /// two-edit automaton is the most expensive step by far).
    fn deepen(&self, v: &Variant, ks: &mut Vec<u32>, cands: &mut Cands, penalty: f32) {
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

    /// Expand candidate keys to concepts, add combination products, rank.
    fn finish(&self, cands: Cands, limit: usize, substances: Option<&[i64]>) -> Vec<Hit> {
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

    /// Autocomplete: concepts whose names start with `prefix`, most popular
    /// first, falling back to the other script, the other keyboard layout and a
    /// one-edit prefix automaton when the prefix itself completes nothing.
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

    /// Concepts that have exactly this normalised name (published or
    /// transliterated).
    pub fn exact_concepts(&self, normalized: &str) -> Vec<(ConceptKind, i64)> {
        self.key_id(normalized)
            .map(|k| {
                self.key_concepts(k)
                    .map(|(kind, id, _)| (kind, id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// All keys (used by the evaluation's brute-force baseline).
    pub(crate) fn all_keys(&self) -> impl Iterator<Item = (u32, &str)> {
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| (i as u32, k.as_ref()))
    }

    /// Concepts of a key (used by the evaluation's brute-force baseline).
    pub(crate) fn key_concepts(
        &self,
        key: u32,
    ) -> impl Iterator<Item = (ConceptKind, i64, f32)> + '_ {
        self.postings(key).iter().map(|p| {
            let c = &self.concepts[p.concept as usize];
            (c.kind, c.id, self.prior[p.concept as usize])
        })
    }
}

/// Tokens of a query that carry no medication meaning (exposed for the app's
/// query echo / highlighting).
pub fn is_noise_token(tok: &str) -> bool {
    is_strength(tok) || is_form_word(tok)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::names::model::{Lang, NameInput};

    fn sub(id: i64, names: &[(&str, Lang)], pop: f32) -> ConceptInput {
        ConceptInput {
            id,
            kind: ConceptKind::Substance,
            names: names.iter().map(|(t, l)| NameInput::new(*t, *l)).collect(),
            ingredients: vec![],
            popularity: pop,
        }
    }
    fn prod(id: i64, names: &[(&str, Lang)], ingr: &[i64], pop: f32) -> ConceptInput {
        ConceptInput {
            id,
            kind: ConceptKind::Product,
            names: names.iter().map(|(t, l)| NameInput::new(*t, *l)).collect(),
            ingredients: ingr.to_vec(),
            popularity: pop,
        }
    }

    pub(crate) fn sample() -> NameIndex {
        use Lang::*;
        NameIndex::build(vec![
            sub(
                1,
                &[("Ibuprofen", En), ("ібупрофен", Uk), ("Ибупрофен", Ru)],
                300.0,
            ),
            sub(
                2,
                &[
                    ("Paracetamol", En),
                    ("Acetaminophen", En),
                    ("парацетамол", Uk),
                ],
                500.0,
            ),
            sub(3, &[("Morphine", En), ("морфін", Uk)], 40.0),
            sub(4, &[("Myrophine", En)], 0.0),
            sub(5, &[("Morpholine", En)], 0.0),
            sub(6, &[("Hydroxyzine", En), ("гідроксизин", Uk)], 30.0),
            sub(7, &[("Hydralazine", En)], 20.0),
            sub(
                8,
                &[
                    ("Amoxicillin", En),
                    ("амоксицилін", Uk),
                    ("амоксициллин", Ru),
                ],
                200.0,
            ),
            sub(
                9,
                &[("Clavulanic acid", En), ("клавуланова кислота", Uk)],
                100.0,
            ),
            sub(10, &[("Cetirizine", En), ("цетиризин", Uk)], 100.0),
            sub(11, &[("Celecoxib", En)], 20.0),
            sub(12, &[("Fosphenytoin", En)], 5.0),
            prod(
                100,
                &[("НУРОФЄН®", Uk), ("NUROFЄN®", Latin), ("Нурофен", Ru)],
                &[1],
                50.0,
            ),
            prod(101, &[("Zyrtec", En), ("Зиртек", Ru)], &[10], 30.0),
            prod(102, &[("Celebrex", En)], &[11], 20.0),
            prod(103, &[("Cerebyx", En)], &[12], 5.0),
            prod(104, &[("Augmentin", En), ("Аугментин", Ru)], &[8, 9], 40.0),
            prod(105, &[("Amoxiclav", En)], &[8, 9], 30.0),
            prod(106, &[("Нурофен для детей", Ru)], &[1], 20.0),
        ])
    }

    fn top(ix: &NameIndex, q: &str) -> Option<(ConceptKind, i64, MatchKind)> {
        ix.search(q, 5)
            .first()
            .map(|h| (h.kind, h.id, h.match_kind))
    }

    #[test]
    fn exact_translit_layout() {
        let ix = sample();
        assert_eq!(
            top(&ix, "ibuprofen"),
            Some((ConceptKind::Substance, 1, MatchKind::Exact))
        );
        assert_eq!(
            top(&ix, "Ибупрофен"),
            Some((ConceptKind::Substance, 1, MatchKind::Exact))
        );
        assert_eq!(
            top(&ix, "gfhfwtnfvjk"),
            Some((ConceptKind::Substance, 2, MatchKind::Layout))
        );
        assert_eq!(
            top(&ix, "зфкфсуефьщд"),
            Some((ConceptKind::Substance, 2, MatchKind::Layout))
        );
        assert_eq!(top(&ix, "nurofen").map(|t| t.1), Some(100));
        let h = top(&ix, "морфин").map(|t| (t.1, t.2));
        assert_eq!(h.map(|t| t.0), Some(3));
    }

    #[test]
    fn misspellings() {
        let ix = sample();
        for (q, id) in [
            ("ibuprofn", 1),
            ("ibuprophen", 1),
            ("mophine", 3),
            ("amoxacillan", 8),
            ("amoksicilin", 8),
            ("ибупрафен", 1),
            ("paracetamoll", 2),
        ] {
            assert_eq!(top(&ix, q).map(|t| t.1), Some(id), "{q}");
        }
        assert_eq!(top(&ix, "zertec").map(|t| t.1), Some(101));
        assert_eq!(top(&ix, "hydroxyzine").map(|t| t.1), Some(6));
        assert_eq!(top(&ix, "hydralazine").map(|t| t.1), Some(7));
        assert_eq!(top(&ix, "celebrex").map(|t| t.1), Some(102));
        assert_eq!(top(&ix, "cerebyx").map(|t| t.1), Some(103));
    }

    #[test]
    fn multiword() {
        let ix = sample();
        assert_eq!(top(&ix, "paracetamol 500 mg").map(|t| t.1), Some(2));
        assert_eq!(top(&ix, "нурофен таблетки").map(|t| t.1), Some(100));
        assert_eq!(top(&ix, "нурофен для детей").map(|t| t.1), Some(106));
        let hits = ix.search("amoxicillin clavulanic acid", 10);
        assert!(
            hits.iter()
                .any(|h| h.kind == ConceptKind::Product && h.id == 104),
            "{hits:?}"
        );
        let hits = ix.search("nurofen express forte ultra", 10);
        assert!(hits.iter().any(|h| h.id == 100), "{hits:?}");
    }

    #[test]
    fn suggest_and_analogs() {
        let ix = sample();
        let s = ix.suggest("ibu", 5);
        assert_eq!(s.first().map(|h| h.id), Some(1));
        let s = ix.suggest("нуро", 5);
        assert!(s.iter().any(|h| h.id == 100));
        let s = ix.suggest("yehj", 5);
        assert!(
            s.iter()
                .any(|h| h.id == 100 && h.match_kind == MatchKind::Layout),
            "{s:?}"
        );
        assert_eq!(ix.products_with_ingredients(&[9, 8]), vec![104, 105]);
        assert_eq!(ix.products_of_substance(1), vec![100, 106]);
        assert!(ix.concept(ConceptKind::Product, 104).is_some());
        assert!(ix.key_count() > 20);
        assert!(ix.fst_bytes() > 0);
    }

    #[test]
    fn hostile_input() {
        let ix = sample();
        assert!(ix.search("", 10).is_empty());
        assert!(ix.search("   ®™ ", 10).is_empty());
        let long = "a".repeat(100_000);
        let _ = ix.search(&long, 10);
        let _ = ix.suggest(&long, 10);
        let junk = "\u{0}\u{1}\u{7f}ab\u{202e}c\u{fffd}";
        let _ = ix.search(junk, 10);
        let many = "x ".repeat(5000);
        let _ = ix.search(&many, 10);
        assert!(ix.search("ibuprofen", 0).is_empty());
    }

    #[test]
    fn jaro_winkler_matches_strsim() {
        for (a, b) in [
            ("mophine", "morphine"),
            ("mophine", "myrophine"),
            ("ibuprofen", "ibuprophen"),
            ("нурофен", "нурафен"),
            ("a", "b"),
            ("abc", "abc"),
            ("martha", "marhta"),
        ] {
            let ac: Vec<char> = a.chars().collect();
            let bc: Vec<char> = b.chars().collect();
            let ours = jaro_winkler(&ac, &bc);
            let theirs = strsim::jaro_winkler(a, b) as f32;
            assert!((ours - theirs).abs() < 1e-4, "{a} {b}: {ours} vs {theirs}");
        }
        assert_eq!(
            super::super::edit::osa_distance(&['a', 'b'], &['b', 'a']),
            1
        );
    }

    #[test]
    fn survives_serialisation() {
        let ix = sample();
        let bytes = postcard::to_stdvec(&ix).expect("serialise");
        let back: NameIndex = postcard::from_bytes(&bytes).expect("deserialise");
        assert_eq!(back.key_count(), ix.key_count());
        for q in [
            "nurofen",
            "ибупрофен",
            "ibuprophen",
            "gfhfwtnfvjk",
            "nuro",
            "paracetamol 500 mg",
        ] {
            let a: Vec<_> = ix
                .search(q, 5)
                .into_iter()
                .map(|h| (h.kind, h.id, h.matched))
                .collect();
            let b: Vec<_> = back
                .search(q, 5)
                .into_iter()
                .map(|h| (h.kind, h.id, h.matched))
                .collect();
            assert!(!a.is_empty(), "{q}");
            assert_eq!(a, b, "{q}");
            let a: Vec<_> = ix.suggest(q, 5).into_iter().map(|h| h.id).collect();
            let b: Vec<_> = back.suggest(q, 5).into_iter().map(|h| h.id).collect();
            assert_eq!(a, b, "{q}");
        }
        // Damaged bytes are an error, never a panic.
        let cut = &bytes[..bytes.len() / 2];
        assert!(postcard::from_bytes::<NameIndex>(cut).is_err());
    }

    #[test]
    fn is_send_sync() {
        fn assert_ss<T: Send + Sync>() {}
        assert_ss::<NameIndex>();
    }
}
