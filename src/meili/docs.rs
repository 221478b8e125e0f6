//! The documents medmap mirrors into Meilisearch, made from a snapshot: what an
//! operator's other sites search is exactly what medmap answers with, including
//! what it withholds. Confidential places are already redacted in the snapshot
//! ([`crate::privacy`]); a document here takes its point only through
//! [`crate::privacy::shown_point`], so a confidential place has no `_geo` and no
//! address, and a confidential service shows its public contact instead.
//!
//! Each document carries `x_hash`, a digest of its own content: a sync reads the
//! ids and digests already in Meilisearch and sends only what changed, so
//! following a national directory costs what changed, not its size.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use serde_json::{json, Map, Value};

use crate::catalog::public_id;
use crate::hsds::vocabulary;
use crate::privacy;
use crate::snapshot::Snapshot;
use medmap_indexers::names::ConceptKind;

/// The indexes medmap keeps, by name.
pub const MEDICATIONS: &str = "medmap_medications";
pub const FACILITIES: &str = "medmap_facilities";
pub const SERVICES: &str = "medmap_services";

/// Most synonyms sent: Meilisearch slows down on settings far larger than this,
/// and the most widely registered concepts come first.
const MAX_SYNONYM_KEYS: usize = 20_000;

/// A document ready to send: its id and body (with `x_hash`).
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub id: String,
    pub body: Value,
    pub hash: String,
}

/// Ids must be alphanumeric, `-` or `_` for Meilisearch.
pub fn meili_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn finish(id: String, mut body: Map<String, Value>) -> Doc {
    let id = meili_id(&id);
    body.insert("id".into(), json!(id));
    // Stable digest: serde_json's Map is ordered by key here (BTreeMap).
    let mut h = std::collections::hash_map::DefaultHasher::new();
    Value::Object(body.clone()).to_string().hash(&mut h);
    let hash = format!("{:016x}", h.finish());
    body.insert("x_hash".into(), json!(hash));
    Doc {
        id,
        body: Value::Object(body),
        hash,
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Substances and product groups, each with every spelling (three languages,
/// transliterations), its ingredients and brands: Meilisearch then finds a brand
/// by its ingredient and an ingredient by its brands.
pub fn medications(snap: &Snapshot) -> Vec<Doc> {
    let c = &snap.catalog;
    let mut out = Vec::with_capacity(c.substances.len() + c.products.len());
    for (&id, s) in c.substances.iter() {
        let brands: Vec<&str> = c
            .brands(id)
            .filter_map(|p| c.products.get(&p).map(|p| p.name.as_str()))
            .take(50)
            .collect();
        out.push(finish(
            public_id(ConceptKind::Substance, id),
            obj(json!({
                "kind": "substance",
                "name": &*s.display[0],
                "names": s.names.iter().map(|n| &n.0).collect::<Vec<_>>(),
                "brands": brands,
                "product_count": s.products.len(),
            })),
        ));
    }
    for (&id, p) in c.products.iter() {
        let ingredients: Vec<&str> = p
            .ingredients
            .iter()
            .filter_map(|i| c.substances.get(i).map(|s| &*s.display[0]))
            .collect();
        out.push(finish(
            public_id(ConceptKind::Product, id),
            obj(json!({
                "kind": "product",
                "name": &p.name,
                "names": p.names.iter().map(|n| &n.0).collect::<Vec<_>>(),
                "ingredients": ingredients,
                "forms": &p.forms,
                "atc": &p.atc,
                "otc": p.otc,
                "registration_numbers": &p.registration_numbers,
            })),
        ));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Pharmacies, clinics and service locations with their point (none when
/// confidential), kind and hours as text.
pub fn facilities(snap: &Snapshot) -> Vec<Doc> {
    let mut out = Vec::with_capacity(snap.facilities.len());
    for f in snap.facilities.iter() {
        let mut body = obj(json!({
            "name": &f.name,
            "kind": f.kind,
            "city": &f.city,
            "country": &f.country,
            "region": &f.region,
            "opening_hours": &f.opening_hours,
            "languages": &f.languages,
            "website": &f.website,
        }));
        if f.confidential {
            body.insert("confidential".into(), json!(true));
            body.insert("public_contact".into(), json!(f.public_contact));
        } else {
            body.insert("address".into(), json!(f.address));
            body.insert("postcode".into(), json!(f.postcode));
            body.insert("phones".into(), json!(f.phones));
        }
        if let Some((lat, lng)) = privacy::shown_point(f) {
            body.insert("_geo".into(), json!({"lat": lat, "lng": lng}));
        }
        out.push(finish(f.uuid.clone(), body));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// HSDS services with their organization, taxonomy terms, needs (labelled in
/// the three languages) and the point of their first public place.
pub fn services(snap: &Snapshot) -> Vec<Doc> {
    let dir = &snap.directory;
    let mut out = Vec::with_capacity(dir.services.len());
    for (si, s) in dir.services.iter().enumerate() {
        let org = dir
            .service_org
            .get(si)
            .copied()
            .flatten()
            .and_then(|o| dir.organizations.get(o));
        let terms: Vec<&str> = dir
            .service_terms
            .get(si)
            .into_iter()
            .flatten()
            .filter_map(|&t| dir.terms.get(t).map(|t| t.name.as_str()))
            .collect();
        let needs = &dir.index.needs;
        let mut need_labels: Vec<&str> = Vec::new();
        let mut need_ids: Vec<&str> = Vec::new();
        for &n in dir.index.needs_of(si) {
            if let Some(need) = needs.needs.get(n as usize) {
                need_ids.push(&need.id);
                for lang in ["en", "uk", "ru"] {
                    need_labels.push(vocabulary::label(needs, n, lang));
                }
            }
        }
        let places: Vec<&crate::store::FacilityRow> = dir
            .service_places
            .get(si)
            .iter()
            .filter_map(|&(_, f)| snap.facilities.get(f as usize))
            .collect();
        let mut body = obj(json!({
            "name": &s.name,
            "alternate_name": &s.alternate_name,
            "description": &s.description,
            "organization": org.map(|o| &o.name),
            "status": &s.status,
            "eligibility": &s.eligibility,
            "fees": &s.fees,
            "min_age": s.min_age,
            "max_age": s.max_age,
            "languages": &s.languages,
            "url": &s.url,
            "taxonomy": terms,
            "needs": need_ids,
            "need_labels": need_labels,
            "cities": places.iter().filter_map(|f| f.city.as_deref()).collect::<Vec<_>>(),
        }));
        if s.confidential {
            body.insert("confidential".into(), json!(true));
            body.insert("public_contact".into(), json!(privacy::service_contact(s)));
        } else {
            body.insert("phones".into(), json!(s.phones));
            body.insert(
                "addresses".into(),
                json!(places
                    .iter()
                    .filter(|f| !f.confidential)
                    .filter_map(|f| f.address.as_deref())
                    .collect::<Vec<_>>()),
            );
            if let Some((lat, lng)) = places.iter().find_map(|f| privacy::shown_point(f)) {
                body.insert("_geo".into(), json!({"lat": lat, "lng": lng}));
            }
        }
        out.push(finish(s.uuid.clone(), body));
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Synonyms from medmap's own name index: every spelling of a concept (Latin,
/// Cyrillic, transliterated) stands for the others, so a query in one script
/// finds documents written in another. Lower-cased, the most widely
/// registered substances first, capped at [`MAX_SYNONYM_KEYS`].
pub fn synonyms(snap: &Snapshot) -> BTreeMap<String, Vec<String>> {
    let c = &snap.catalog;
    let mut subs: Vec<_> = c.substances.iter().collect();
    subs.sort_by(|a, b| {
        b.1.products
            .len()
            .cmp(&a.1.products.len())
            .then(a.0.cmp(b.0))
    });
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (_, s) in subs {
        let mut names: Vec<String> = s.names.iter().map(|n| n.0.to_lowercase()).collect();
        names.sort();
        names.dedup();
        if names.len() < 2 {
            continue;
        }
        for n in &names {
            if out.len() >= MAX_SYNONYM_KEYS {
                return out;
            }
            let others: Vec<String> = names.iter().filter(|m| *m != n).cloned().collect();
            out.entry(n.clone()).or_default().extend(others);
        }
    }
    for v in out.values_mut() {
        v.sort();
        v.dedup();
    }
    out
}
