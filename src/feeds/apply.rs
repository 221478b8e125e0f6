//! Resolution of a push's references: each distinct facility, code and name once
//! (store look-ups for codes and facilities, the name engine for names). The push as a
//! whole runs in [`super::push`].

use std::collections::{BTreeMap, HashMap, HashSet};

use medmap_indexers::names::ConceptKind;

use super::parse::ProductRef;
use super::report::Suggestion;
use super::validate::{FacilityRes, ProductRes, Resolved};
use super::CodeSystem;
use crate::availability::{confident_match, NameMatch};
use crate::snapshot::Snapshot;
use crate::store::{PublisherContext, Store};

/// Resolves a product name with the name engine's confident-match rule
/// ([`crate::availability::confident_match`]), as the report states it.
pub fn resolve_name(snap: &Snapshot, name: &str) -> ProductRes {
    match confident_match(snap, name) {
        NameMatch::Product(product_id) => ProductRes::Ok {
            product_id,
            new_codes: Vec::new(),
        },
        NameMatch::Unresolved {
            message,
            candidates,
        } => ProductRes::Unresolved {
            message: message.into(),
            suggestions: candidates
                .into_iter()
                .map(|c| Suggestion {
                    kind: match c.kind {
                        ConceptKind::Product => "product",
                        ConceptKind::Substance => "substance",
                    }
                    .into(),
                    id: c.id,
                    name: c.name.to_string(),
                    score: c.score,
                })
                .collect(),
        },
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
