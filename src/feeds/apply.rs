//! Resolution of a push's references: each distinct facility, code and name once
//! (store look-ups for codes and facilities, the name engine for names). The push as a
//! whole runs in [`super::push`].

use std::collections::{BTreeMap, HashMap, HashSet};

use medmap_indexers::names::{normalize, skeleton, ConceptKind, Hit, MatchKind};

use super::parse::ProductRef;
use super::report::Suggestion;
use super::validate::{FacilityRes, ProductRes, Resolved};
use super::CodeSystem;
use crate::http::api::medications::{brands, product_name, substance_name, DisplayLang};
use crate::snapshot::Snapshot;
use crate::store::{PublisherContext, Store};

/// Top hits listed for a row whose name did not resolve.
const SUGGESTIONS: usize = 3;

/// Resolves a product name with the name engine: a confident top hit (exact, or a
/// clear score margin over the next different concept) or suggestions.
pub fn resolve_name(snap: &Snapshot, name: &str) -> ProductRes {
    let hits = snap.names.search(name, 5);
    let suggestions = || -> Vec<Suggestion> {
        hits.iter()
            .take(SUGGESTIONS)
            .map(|h| suggestion(snap, h))
            .collect()
    };
    let Some(top) = hits.first() else {
        return ProductRes::Unresolved {
            message: "no medication matches this name".into(),
            suggestions: Vec::new(),
        };
    };
    // Among hits that tie with the top, a product beats a substance: a stock line
    // needs a product.
    let best = hits
        .iter()
        .take_while(|h| (h.score - top.score).abs() < 1e-6)
        .find(|h| h.kind == ConceptKind::Product)
        .unwrap_or(top);
    let next = hits
        .iter()
        .find(|h| !(h.kind == best.kind && h.id == best.id) && h.score < best.score - 1e-6);
    let tied_other = hits
        .iter()
        .any(|h| (h.score - best.score).abs() < 1e-6 && h.kind == best.kind && h.id != best.id);
    let confident = !tied_other
        && (best.match_kind == MatchKind::Exact
            || match next {
                None => {
                    hits.len() == 1 || hits.iter().all(|h| h.kind == best.kind && h.id == best.id)
                }
                Some(n) => best.score - n.score >= 0.15 * best.score.abs().max(1e-3),
            });
    if !confident {
        return ProductRes::Unresolved {
            message: "the name matches several medications; use a code or one of the suggestions"
                .into(),
            suggestions: suggestions(),
        };
    }
    match best.kind {
        ConceptKind::Product => ProductRes::Ok {
            product_id: best.id,
            new_codes: Vec::new(),
        },
        ConceptKind::Substance => {
            // A generic named after its substance ("Парацетамол"): the product group
            // with the substance's own name.
            let groups: Vec<i64> = brands(snap, best.id).collect();
            // Compared by the cross-script skeleton, so the Ukrainian "Ібупрофен" finds
            // the Russian-register "Ибупрофен" product.
            let key = |t: &str| skeleton(&normalize(t));
            let wanted = key(&best.matched);
            let generic = groups.iter().find(|g| {
                snap.products.get(g).is_some_and(|p| {
                    key(&p.name) == wanted || p.names.iter().any(|(n, _)| key(n) == wanted)
                })
            });
            match generic {
                Some(g) => ProductRes::Ok {
                    product_id: *g,
                    new_codes: Vec::new(),
                },
                None => ProductRes::Unresolved {
                    message: "the name is a substance with several products; name the product or give a code".into(),
                    suggestions: groups
                        .iter()
                        .take(SUGGESTIONS)
                        .map(|g| Suggestion {
                            kind: "product".into(),
                            id: *g,
                            name: product_name(snap, *g, DisplayLang::Uk).to_string(),
                            score: best.score,
                        })
                        .collect(),
                },
            }
        }
    }
}

fn suggestion(snap: &Snapshot, h: &Hit) -> Suggestion {
    let (kind, name) = match h.kind {
        ConceptKind::Product => ("product", product_name(snap, h.id, DisplayLang::Uk)),
        ConceptKind::Substance => ("substance", substance_name(snap, h.id, DisplayLang::Uk)),
    };
    Suggestion {
        kind: kind.into(),
        id: h.id,
        name: name.to_string(),
        score: h.score,
    }
}

/// Resolution state of one push: what each reference resolved to so far (indexed like
/// the push's interned references) and the names already run through the name engine,
/// so each distinct facility, code and name is looked up once even when the push
/// arrives in chunks.
#[derive(Debug, Default)]
pub struct Resolver {
    by_name: HashMap<Box<str>, ProductRes>,
    pub res: Resolved,
}

impl Resolver {
    /// Resolves references first seen in a chunk (appended after the earlier ones).
    pub async fn extend(
        &mut self,
        store: &Store,
        snap: &Snapshot,
        ctx: &PublisherContext,
        facilities: &[Box<str>],
        products: &[ProductRef],
    ) -> Result<(), crate::store::StoreError> {
        // Facilities: the publisher's branch codes, then ids / uuids / system:value.
        let others: Vec<&str> = facilities
            .iter()
            .map(|f| &**f)
            .filter(|f| !ctx.branches.contains_key(*f))
            .collect();
        let found = if others.is_empty() {
            HashMap::new()
        } else {
            store.resolve_facility_refs(&others).await?
        };
        self.res.facilities.extend(facilities.iter().map(|f| {
            let id = ctx.branches.get(&**f).or_else(|| found.get(&**f)).copied();
            match id {
                Some(id) if ctx.scope.contains(&id) => FacilityRes::Ok(id),
                Some(id) => FacilityRes::Forbidden(id),
                None => FacilityRes::Unknown,
            }
        }));

        // Codes: one query per system over the distinct codes of the push.
        let mut wanted: BTreeMap<String, HashSet<&str>> = BTreeMap::new();
        let mut medmap_ids = Vec::new();
        for p in products {
            for (sys, code) in &p.codes {
                match sys {
                    CodeSystem::Medmap => {
                        if let Ok(id) = code.parse::<i64>() {
                            medmap_ids.push(id);
                        }
                    }
                    CodeSystem::Register => {
                        for s in [
                            "ua_drlz_register",
                            "ru_grls_register",
                            "kz_register",
                            "register",
                        ] {
                            wanted.entry(s.to_string()).or_default().insert(code);
                        }
                    }
                    s => {
                        wanted
                            .entry(s.system(ctx.id, code))
                            .or_default()
                            .insert(code);
                    }
                }
            }
        }
        let mut known: HashMap<(String, String), i64> = HashMap::new();
        for (sys, codes) in &wanted {
            let mut list: Vec<&str> = codes.iter().copied().collect();
            let upper: Vec<String> = if sys.ends_with("register") {
                list.iter().map(|c| c.to_uppercase()).collect()
            } else {
                Vec::new()
            };
            list.extend(upper.iter().map(String::as_str));
            for (code, pid) in store.lookup_codes(sys, &list).await? {
                known.insert((sys.clone(), code), pid);
            }
        }
        let medmap_ok = store.existing_products(&medmap_ids).await?;

        self.res.products.reserve(products.len());
        for p in products {
            let mut hit: Option<i64> = None;
            let mut new_codes = Vec::new();
            for (sys, code) in &p.codes {
                let code = &**code;
                let found = match sys {
                    CodeSystem::Medmap => {
                        code.parse::<i64>().ok().filter(|id| medmap_ok.contains(id))
                    }
                    CodeSystem::Register => [
                        "ua_drlz_register",
                        "ru_grls_register",
                        "kz_register",
                        "register",
                    ]
                    .iter()
                    .find_map(|s| {
                        known
                            .get(&(s.to_string(), code.to_string()))
                            .or_else(|| known.get(&(s.to_string(), code.to_uppercase())))
                            .copied()
                    }),
                    s => known
                        .get(&(s.system(ctx.id, code), code.to_string()))
                        .copied(),
                };
                match found {
                    Some(id) if hit.is_none() => hit = Some(id),
                    Some(_) => {}
                    None if *sys != CodeSystem::Medmap => {
                        new_codes.push((sys.system(ctx.id, code), code.to_string()))
                    }
                    None => {}
                }
            }
            let res = match (hit, p.name.as_deref()) {
                (Some(id), _) => ProductRes::Ok {
                    product_id: id,
                    new_codes,
                },
                (None, Some(name)) => {
                    let r = match self.by_name.get(name) {
                        Some(r) => r.clone(),
                        None => {
                            let r = resolve_name(snap, name);
                            self.by_name.insert(name.into(), r.clone());
                            r
                        }
                    };
                    match r {
                        ProductRes::Ok { product_id, .. } => ProductRes::Ok {
                            product_id,
                            new_codes,
                        },
                        other => other,
                    }
                }
                (None, None) => ProductRes::UnknownCode(format!(
                    "no product is known by {}; send a name or a register id once so the code can be learnt",
                    p.codes
                        .iter()
                        .map(|(s, c)| format!("{}={c}", s.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            };
            self.res.products.push(res);
        }
        Ok(())
    }
}
