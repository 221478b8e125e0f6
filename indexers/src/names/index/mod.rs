//! The name index: an `fst::Map` of every normalised name and its
//! transliterations, postings to concepts, a trigram index scored BM25-style,
//! phonetic keys, and the ranking that ties them together.
//!
//! Candidate sources, each bounded so no query can blow up time or memory:
//! exact and prefix lookups in the fst; a fuzzy walk of the fst for keys within
//! one or two edits (budget 0/1/2 by query length) whose automaton state is a
//! column of the query's bit-parallel edit distance (`names/edit.rs`: nothing is
//! built per query but the query's bit masks); skeleton and consonant
//! keys for phonetic misspellings (`ibuprophen`, `zertec`) that are 3+ edits
//! away; trigram postings scored with BM25 as BurntSushi's imdb-rename does over
//! an fst (catches long names with several typos and words out of order). All
//! candidates go through one re-ranking step: edit distance (the same
//! bit-parallel code as the walk; a swap of two neighbouring letters is one edit)
//! and Jaro-Winkler similarity, phonetic agreement, and a popularity prior, which
//! is what puts `morphine` before `myrophine` for `mophine`.
//!
//! One file per stage, each an `impl NameIndex` block:
//!
//! * this file: the [`NameIndex`] struct, its serde and the read-only
//!   accessors. The struct lives here rather than in `build.rs` because a
//!   private field is visible to the module that declares it and that module's
//!   children: declared here, every stage reads the fields and none is visible
//!   outside `names::index`. Its field order is the persisted format (postcard
//!   writes fields in declaration order, without names): never reorder them;
//! * `build.rs`: names to keys (normalised and transliterated), the fst and
//!   postings, phonetic buckets, trigram postings;
//! * `candidates.rs`: the sources above, each a bounded set of key ids;
//! * `rank.rs`: one score per candidate key, then keys expanded to ranked
//!   concepts;
//! * `search.rs`: the query forms (as typed, in the other script, in the other
//!   keyboard layout, word by word) and the order the sources run on them;
//! * `suggest.rs`: autocomplete.

mod build;
mod candidates;
mod rank;
mod search;
mod suggest;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap as StdHashMap;
use std::collections::HashSet as StdHashSet;

use crate::hash::FnvBuild;

type HashMap<K, V> = StdHashMap<K, V, FnvBuild>;
type HashSet<K> = StdHashSet<K, FnvBuild>;

use fst::Map;
use serde::{Deserialize, Serialize};

use super::model::{ConceptInfo, ConceptKind};
use super::query::{is_form_word, is_strength};

/// Raw queries are cut to this many characters before anything else.
pub const MAX_QUERY_CHARS: usize = 200;
/// Names and normalised queries longer than this are cut (chemical names can
/// run to hundreds of characters; nobody types past this).
/// As long as the longest query the API accepts, so any name a user can paste whole is a
/// whole key (register names such as vaccines run to 170 characters and differ late).
const MAX_KEY_CHARS: usize = MAX_QUERY_CHARS;
/// Concepts expanded from one key.
const POSTINGS_TAKE: usize = 48;

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

impl NameIndex {
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
