//! From what a person or a feed wrote to a medication, side by side, because the two
//! rules must be read together to be understood:
//!
//! - [`resolve`] (availability): a citizen asks "where can I buy X". Showing the best
//!   guess is right: the answer names the medication it found and how it matched
//!   (`match`: exact, fuzzy, translit, …), and a wrong guess costs one more query.
//! - [`confident_match`] (feeds): a pharmacy's stock row names a product. A wrong
//!   guess would publish stock for a medication the pharmacy does not have, so only a
//!   confident top hit is taken (exact, or a clear score margin over the next
//!   different concept, and a product rather than a bare substance); otherwise the
//!   row is refused with the top suggestions.

use std::sync::Arc;

use medmap_indexers::names::{normalize, skeleton, ConceptKind, Hit, MatchKind};
use quick_cache::sync::Cache;
use serde::Serialize;

use crate::catalog::{CatalogError, DisplayLang, MedicationId};
use crate::snapshot::Snapshot;

/// The medication an availability question resolved to.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Medication {
    pub id: String,
    #[schema(schema_with = crate::schemas::concept_kind)]
    pub kind: ConceptKind,
    #[schema(value_type = String)]
    pub name: Arc<str>,
    /// How a free-text `q` was matched (absent for `medication_id`).
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = crate::schemas::name_match_optional)]
    pub match_kind: Option<MatchKind>,
}

/// Resolves `medication_id` or free text `q` (the id wins) to a concept: the best
/// hit of the name engine, whatever its margin.
pub fn resolve(
    snap: &Snapshot,
    memo: &ResolveMemo,
    medication_id: Option<&str>,
    q: Option<&str>,
    lang: DisplayLang,
) -> Result<(MedicationId, Medication), CatalogError> {
    let catalog = &snap.catalog;
    if let Some(id) = medication_id {
        let mid = MedicationId::parse("medication_id", id)?;
        if !catalog.contains(mid.kind, mid.id) {
            return Err(CatalogError::UnknownId(id.to_string()));
        }
        let medication = Medication {
            id: id.to_string(),
            kind: mid.kind,
            name: catalog.name(mid.kind, mid.id, lang),
            match_kind: None,
        };
        return Ok((mid, medication));
    }
    let q = q.ok_or(CatalogError::NoQuery)?;
    let hit = memo
        .best(snap.catalog_generation, q, |q| {
            catalog.names.search(q, 1).into_iter().next()
        })
        .ok_or_else(|| CatalogError::NoMatch(q.to_string()))?;
    let mid = MedicationId::new(hit.kind, hit.id);
    let medication = Medication {
        id: mid.to_string(),
        kind: hit.kind,
        name: catalog.name(hit.kind, hit.id, lang),
        match_kind: Some(hit.match_kind),
    };
    Ok((mid, medication))
}

/// Dense stock indices of the product groups a medication stands for: a product
/// (with its analogs if asked), or every product whose only ingredient is the
/// substance.
pub fn product_set(snap: &Snapshot, medication: MedicationId, analogs: bool) -> Vec<u32> {
    let catalog = &snap.catalog;
    let groups: Vec<i64> = match medication.kind {
        ConceptKind::Product => {
            let mut g = vec![medication.id];
            if analogs {
                g.extend(catalog.analogs(medication.id));
            }
            g
        }
        ConceptKind::Substance => catalog.names.products_with_ingredients(&[medication.id]),
    };
    let mut out: Vec<u32> = groups
        .iter()
        .filter_map(|g| catalog.products.get(g))
        .flat_map(|g| g.members.iter())
        .filter_map(|m| snap.product_index.get(m).copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Top hits listed for a feed row whose name did not resolve.
const SUGGESTIONS: usize = 3;
/// The margin of the top hit's score over the next different concept that makes a
/// feed's name match confident.
const CONFIDENT_MARGIN: f32 = 0.15;

/// What a feed row's product name resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum NameMatch {
    /// A product group (its representative id).
    Product(i64),
    /// Not confident: why, and the closest candidates (names in Ukrainian, the
    /// language of the feeds' exports).
    Unresolved {
        message: &'static str,
        candidates: Vec<Candidate>,
    },
}

/// A medication offered to a publisher instead of an unresolved name.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub kind: ConceptKind,
    pub id: i64,
    pub name: Arc<str>,
    pub score: f32,
}

/// Resolves a feed's product name: a confident top hit (exact, or a clear score
/// margin over the next different concept) or candidates.
pub fn confident_match(snap: &Snapshot, name: &str) -> NameMatch {
    let catalog = &snap.catalog;
    let hits = catalog.names.search(name, 5);
    let candidate = |h: &Hit| Candidate {
        kind: h.kind,
        id: h.id,
        name: catalog.name(h.kind, h.id, DisplayLang::Uk),
        score: h.score,
    };
    let Some(top) = hits.first() else {
        return NameMatch::Unresolved {
            message: "no medication matches this name",
            candidates: Vec::new(),
        };
    };
    // Among hits that tie with the top, a product beats a substance: a stock line
    // needs a product.
    let best = hits
        .iter()
        .take_while(|h| (h.score - top.score).abs() < 1e-6)
        .find(|h| h.kind == ConceptKind::Product)
        .unwrap_or(top);
    let same = |h: &Hit| h.kind == best.kind && h.id == best.id;
    let next = hits
        .iter()
        .find(|h| !same(h) && h.score < best.score - 1e-6);
    let tied_other = hits
        .iter()
        .any(|h| (h.score - best.score).abs() < 1e-6 && h.kind == best.kind && h.id != best.id);
    let confident = !tied_other
        && (best.match_kind == MatchKind::Exact
            || match next {
                None => hits.len() == 1 || hits.iter().all(same),
                Some(n) => best.score - n.score >= CONFIDENT_MARGIN * best.score.abs().max(1e-3),
            });
    if !confident {
        return NameMatch::Unresolved {
            message: "the name matches several medications; use a code or one of the suggestions",
            candidates: hits.iter().take(SUGGESTIONS).map(candidate).collect(),
        };
    }
    match best.kind {
        ConceptKind::Product => NameMatch::Product(best.id),
        ConceptKind::Substance => {
            // A generic named after its substance ("Парацетамол"): the product group
            // with the substance's own name.
            let groups: Vec<i64> = catalog.brands(best.id).collect();
            // Compared by the cross-script skeleton, so the Ukrainian "Ібупрофен" finds
            // the Russian-register "Ибупрофен" product.
            let key = |t: &str| skeleton(&normalize(t));
            let wanted = key(&best.matched);
            let generic = groups.iter().find(|g| {
                catalog.products.get(g).is_some_and(|p| {
                    key(&p.name) == wanted || p.names.iter().any(|(n, _)| key(n) == wanted)
                })
            });
            match generic {
                Some(g) => NameMatch::Product(*g),
                None => NameMatch::Unresolved {
                    message: "the name is a substance with several products; name the product or give a code",
                    candidates: groups
                        .iter()
                        .take(SUGGESTIONS)
                        .map(|g| Candidate {
                            kind: ConceptKind::Product,
                            id: *g,
                            name: catalog.product_name(*g, DisplayLang::Uk),
                            score: best.score,
                        })
                        .collect(),
                },
            }
        }
    }
}

/// The best concept for a free-text medication name, per catalog generation:
/// availability resolves `q` on every request, and the name search is most of its
/// cost, while its stock part must stay live and is never memoised.
pub struct ResolveMemo {
    inner: Option<Cache<(u64, String), Option<Hit>>>,
}

impl ResolveMemo {
    /// `entries` = 0 turns the memo off.
    pub fn new(entries: usize) -> ResolveMemo {
        ResolveMemo {
            inner: (entries > 0).then(|| Cache::new(entries)),
        }
    }

    /// The memoised best hit for `q`, or `search(q)` kept for next time.
    pub fn best(
        &self,
        generation: u64,
        q: &str,
        search: impl FnOnce(&str) -> Option<Hit>,
    ) -> Option<Hit> {
        let Some(c) = &self.inner else {
            return search(q);
        };
        let key = (generation, q.to_string());
        if let Some(hit) = c.get(&key) {
            return hit;
        }
        let hit = search(q);
        c.insert(key, hit.clone());
        hit
    }
}

impl std::fmt::Debug for ResolveMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolveMemo")
            .field("enabled", &self.inner.is_some())
            .finish()
    }
}
