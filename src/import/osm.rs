//! OpenStreetMap GeoJSON extracts of health and social facilities (ODbL).
//!
//! Social facilities (shelters, community centres, NGO offices) also become HSDS
//! services at their location, classified by the OSM tag that made them social, so a
//! social worker finds them in the same search as the Open Referral directories.

use std::path::Path;

use serde_json::Value;

use super::directory::Directory;
use super::report::{ImportError, ImportReport};
use crate::model::{Facility, FacilityKind, Service, SourceRef, TaxonomyTerm};

const SOURCE: &str = "osm";
/// Facilities of the National Health Service of Ukraine's open data, by division id.
const NSZU: &str = "nszu";

/// Maps OSM tags to our facility kinds; `None` for features we do not list.
fn kind_of(tags: &serde_json::Map<String, Value>) -> Option<FacilityKind> {
    let tag = |k: &str| tags.get(k).and_then(Value::as_str);
    match tag("amenity").or(tag("healthcare")) {
        Some("pharmacy") => Some(FacilityKind::Pharmacy),
        Some("hospital") => Some(FacilityKind::Hospital),
        Some("dentist") => Some(FacilityKind::Dentist),
        Some(
            "clinic" | "doctors" | "doctor" | "physiotherapist" | "psychotherapist" | "centre"
            | "laboratory" | "optometrist" | "alternative" | "rehabilitation" | "blood_donation"
            | "audiologist" | "podiatrist" | "midwife" | "speech_therapist" | "counselling"
            | "vaccination_centre" | "sample_collection" | "nurse" | "dialysis" | "hospice"
            | "birthing_centre",
        ) => Some(FacilityKind::Clinic),
        Some(
            "social_facility" | "community_centre" | "social_centre" | "nursing_home" | "shelter",
        ) => Some(FacilityKind::Social),
        _ => match tag("office") {
            Some("social_services" | "ngo" | "association" | "charity") => {
                Some(FacilityKind::Social)
            }
            _ => tag("healthcare").map(|_| FacilityKind::Clinic),
        },
    }
}

pub(crate) fn read_json(path: &Path) -> Result<Value, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ImportError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    serde_json::from_str(&text).map_err(|e| ImportError::Format {
        path: path.display().to_string(),
        message: format!("invalid JSON: {e}"),
    })
}

/// The OSM tags that classify a social facility, most specific first, as
/// `(key, value)`: they become the service's taxonomy terms.
fn social_tags(tags: &serde_json::Map<String, Value>) -> Vec<(&'static str, String)> {
    [
        "social_facility",
        "amenity",
        "office",
        "social_facility:for",
    ]
    .into_iter()
    .filter_map(|k| {
        tags.get(k)
            .and_then(Value::as_str)
            .map(|v| (k, v.trim().to_string()))
    })
    .filter(|(_, v)| !v.is_empty())
    .collect()
}

/// The service a social facility offers: its name, description, classifying tags as
/// taxonomy terms, and an age range from `social_facility:for` (child / senior).
fn social_service(
    f: &Facility,
    tags: &serde_json::Map<String, Value>,
    d: &mut Directory,
) -> Service {
    let mut terms = Vec::new();
    let (mut min_age, mut max_age) = (None, None);
    for (k, v) in social_tags(tags) {
        for v in v.split(';').map(str::trim).filter(|v| !v.is_empty()) {
            match (k, v) {
                ("social_facility:for", "child" | "juvenile") => max_age = Some(17.0),
                ("social_facility:for", "senior") => min_age = Some(65.0),
                _ => {}
            }
            let src = SourceRef::new(SOURCE, format!("tag/{k}={v}"));
            if !d.taxonomy.iter().any(|t| t.src == src) {
                d.taxonomy.push(TaxonomyTerm {
                    src: src.clone(),
                    code: Some(format!("{k}={v}")),
                    name: v.replace('_', " "),
                    description: Some(format!("OpenStreetMap tag {k}={v}")),
                    parent: None,
                    taxonomy: Some("OpenStreetMap tags".into()),
                    taxonomy_id: None,
                    language: Some("en".into()),
                });
            }
            terms.push(src);
        }
    }
    Service {
        src: f.src.clone(),
        organization: None,
        name: f.name.clone(),
        alternate_name: None,
        description: f.description.clone(),
        status: "active".into(),
        email: f.email.clone(),
        url: f.website.clone(),
        eligibility: None,
        min_age,
        max_age,
        languages: Vec::new(),
        fees: None,
        application_process: None,
        last_modified: None,
        phones: Vec::new(),
        cost_options: Vec::new(),
        locations: vec![f.src.clone()],
        link_ids: Vec::new(),
        taxonomy_terms: terms,
        confidential: false,
        public_contact: None,
    }
}

/// The features of a GeoJSON FeatureCollection, or the elements of an Overpass API
/// answer (`[out:json]`: `tags`, and `lat`/`lon` for nodes or the `center` that
/// `out center` gives ways and relations) as features of the same shape, so a
/// city's export straight from the Overpass API imports as it comes. Elements
/// without tags (a way's bare nodes) are no facilities and are left out.
fn into_features(mut doc: Value) -> Option<Vec<Value>> {
    if let Some(Value::Array(f)) = doc.get_mut("features").map(Value::take) {
        return Some(f);
    }
    let Value::Array(elements) = doc.get_mut("elements")?.take() else {
        return None;
    };
    Some(
        elements
            .into_iter()
            .filter(|e| e.get("tags").is_some_and(Value::is_object))
            .map(|mut e| {
                let kind = e.get("type").and_then(Value::as_str).unwrap_or("node");
                let id = e.get("id").map(|i| format!("{kind}/{i}"));
                let at = e.get("center").unwrap_or(&e);
                let point = match (at.get("lon"), at.get("lat")) {
                    (Some(lon), Some(lat)) => {
                        serde_json::json!({"type": "Point", "coordinates": [lon, lat]})
                    }
                    _ => Value::Null,
                };
                serde_json::json!({
                    "type": "Feature",
                    "id": id,
                    "geometry": point,
                    "properties": e.get_mut("tags").map(Value::take),
                })
            })
            .collect(),
    )
}

/// Facilities of every kind, plus a service per social facility, from a GeoJSON
/// FeatureCollection or an Overpass API JSON answer.
pub fn read(path: &Path) -> Result<(Directory, ImportReport), ImportError> {
    let doc = read_json(path)?;
    let features = into_features(doc).ok_or_else(|| ImportError::Format {
        path: path.display().to_string(),
        message: "neither a GeoJSON FeatureCollection nor an Overpass API JSON answer".into(),
    })?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("osm");
    let mut rep = ImportReport::new(format!("osm:{stem}"));
    let mut d = Directory::default();
    for (i, f) in features.iter().enumerate() {
        let line = i as u64 + 1;
        rep.read += 1;
        let Some(tags) = f.get("properties").and_then(Value::as_object) else {
            rep.reject(line, "feature without properties");
            continue;
        };
        let tag = |k: &str| {
            tags.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        // NSZU's division id names a pharmacy or practice of Ukraine's national
        // health service lists across re-imports (its name is often just
        // "Аптека №18"); anything else is an OSM element.
        // NSZU's primary-care list has no id at all: its name, operator and full
        // address name the practice, so a stable id is derived from them.
        let src = match tag("ref:nszu:division_id") {
            Some(division) => Some(SourceRef::new(NSZU, division.to_string())),
            None => tag("@id")
                .or(tag("osm_id"))
                .or_else(|| f.get("id").and_then(Value::as_str))
                .map(|id| SourceRef::new(SOURCE, id.to_string()))
                .or_else(|| {
                    tag("nszu:primary_care_contract")?;
                    let key = [
                        tag("name")?,
                        tag("operator").unwrap_or(""),
                        tag("addr:full")?,
                    ];
                    let id =
                        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, key.join("\n").as_bytes());
                    Some(SourceRef::new(NSZU, format!("primary-care:{id}")))
                }),
        };
        let Some(src) = src else {
            rep.reject(line, "no OSM id");
            continue;
        };
        let Some(kind) = kind_of(tags) else {
            rep.reject(line, "not a health or social facility");
            continue;
        };
        let name = tag("name").or(tag("name:en")).or(tag("operator"));
        let Some(name) = name else {
            rep.reject(line, "no name");
            continue;
        };
        let coords = f.pointer("/geometry/coordinates").and_then(Value::as_array);
        let (lon, lat) = match coords.map(|c| {
            (
                c.first().and_then(Value::as_f64),
                c.get(1).and_then(Value::as_f64),
            )
        }) {
            Some((Some(lo), Some(la))) if la.abs() <= 90.0 && lo.abs() <= 180.0 => (lo, la),
            _ => {
                rep.reject(line, "no point geometry");
                continue;
            }
        };
        let country = tag("addr:country").map(str::to_uppercase);
        let street = match (tag("addr:street"), tag("addr:housenumber")) {
            (Some(s), Some(n)) => Some(format!("{s} {n}")),
            (Some(s), None) => Some(s.to_string()),
            _ => tag("addr:full").map(String::from),
        };
        // The NSZU list of pharmacies dispensing "Доступні ліки" says so per row.
        let reimbursement = if tag("nszu:reimbursement").is_some() {
            vec![crate::model::REIMBURSEMENT_UA.to_string()]
        } else {
            Vec::new()
        };
        let phones = tag("phone")
            .or(tag("contact:phone"))
            .map(|p| p.split(';').map(|x| x.trim().to_string()).collect())
            .unwrap_or_default();
        let facility = Facility {
            kind,
            name: name.to_string(),
            organization: None,
            address: street,
            city: tag("addr:city").map(String::from),
            region: tag("addr:region").map(String::from),
            postcode: tag("addr:postcode").map(String::from),
            timezone: None,
            country,
            lat: Some(lat),
            lon: Some(lon),
            opening_hours: tag("opening_hours").map(String::from),
            phones,
            website: tag("website").or(tag("contact:website")).map(String::from),
            email: tag("email").or(tag("contact:email")).map(String::from),
            description: tag("description").map(String::from),
            languages: Vec::new(),
            external_ids: if src.source == SOURCE {
                vec![("osm".into(), src.source_id.clone())]
            } else {
                Vec::new()
            },
            confidential: false,
            reimbursement,
            src,
        };
        if kind == FacilityKind::Social {
            let svc = social_service(&facility, tags, &mut d);
            d.services.push(svc);
        }
        d.facilities.push(facility);
        rep.imported += 1;
    }
    Ok((d, rep))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Overpass API answer (`[out:json]` … `out center tags;`): a node, a way with
    /// its center, a relation, a bare node of a way, and elements we do not list.
    #[test]
    fn reads_an_overpass_answer() {
        let doc = serde_json::json!({
            "version": 0.6,
            "generator": "Overpass API",
            "osm3s": {"copyright": "The data included in this document is from www.openstreetmap.org. The data is made available under ODbL."},
            "elements": [
                {"type": "node", "id": 322920315, "lat": 58.3630891, "lon": 26.6811539,
                 "tags": {"amenity": "pharmacy", "name": "Raja Apteek", "opening_hours": "Mo-Th 08:00-17:30; Fr 08:00-16:00", "addr:city": "Tartu"}},
                {"type": "way", "id": 28531745, "center": {"lat": 58.3701, "lon": 26.7152},
                 "nodes": [1, 2, 3], "tags": {"amenity": "clinic", "name": "Tartu Kesklinna Perearstikeskus"}},
                {"type": "relation", "id": 3001, "center": {"lat": 58.38, "lon": 26.72},
                 "tags": {"amenity": "social_facility", "social_facility": "shelter", "social_facility:for": "homeless", "name": "Varjupaik"}},
                {"type": "node", "id": 1, "lat": 58.0, "lon": 26.0},
                {"type": "node", "id": 7, "lat": 58.1, "lon": 26.1, "tags": {"amenity": "bench"}},
                {"type": "way", "id": 8, "tags": {"amenity": "pharmacy", "name": "No centre"}}
            ]
        });
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("tartu.json");
        std::fs::write(&path, doc.to_string()).expect("write");
        let (d, rep) = read(&path).expect("read");
        assert_eq!((rep.read, rep.imported), (5, 3), "{rep}");
        let ids: Vec<&str> = d
            .facilities
            .iter()
            .map(|f| f.src.source_id.as_str())
            .collect();
        assert_eq!(ids, ["node/322920315", "way/28531745", "relation/3001"]);
        assert_eq!(d.facilities[0].kind, FacilityKind::Pharmacy);
        assert_eq!(d.facilities[1].lat, Some(58.3701));
        assert_eq!(d.services.len(), 1, "the shelter is also a service");

        std::fs::write(&path, r#"{"elements": 3}"#).expect("write");
        assert!(matches!(read(&path), Err(ImportError::Format { .. })));
    }
}
