//! OpenStreetMap GeoJSON extracts of health and social facilities (ODbL).

use std::path::Path;

use serde_json::Value;

use super::geo::{country_of, timezone_of};
use super::report::{ImportError, ImportReport};
use crate::model::{Facility, FacilityKind, SourceRef};

const SOURCE: &str = "osm";

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

pub fn read(path: &Path) -> Result<(Vec<Facility>, ImportReport), ImportError> {
    let doc = read_json(path)?;
    let features = doc
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| ImportError::Format {
            path: path.display().to_string(),
            message: "not a GeoJSON FeatureCollection".into(),
        })?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("osm");
    let mut rep = ImportReport::new(format!("osm:{stem}"));
    let mut out = Vec::new();
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
        let id = tag("@id")
            .map(String::from)
            .or_else(|| f.get("id").and_then(Value::as_str).map(String::from));
        let Some(id) = id else {
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
        let country = tag("addr:country")
            .map(str::to_uppercase)
            .or_else(|| country_of(lat, lon).map(String::from));
        let street = match (tag("addr:street"), tag("addr:housenumber")) {
            (Some(s), Some(n)) => Some(format!("{s} {n}")),
            (Some(s), None) => Some(s.to_string()),
            _ => None,
        };
        let phones = tag("phone")
            .or(tag("contact:phone"))
            .map(|p| p.split(';').map(|x| x.trim().to_string()).collect())
            .unwrap_or_default();
        out.push(Facility {
            src: SourceRef::new(SOURCE, id.clone()),
            kind,
            name: name.to_string(),
            organization: None,
            address: street,
            city: tag("addr:city").map(String::from),
            postcode: tag("addr:postcode").map(String::from),
            timezone: country.as_deref().and_then(timezone_of).map(String::from),
            country,
            lat: Some(lat),
            lon: Some(lon),
            opening_hours: tag("opening_hours").map(String::from),
            phones,
            website: tag("website").or(tag("contact:website")).map(String::from),
            email: tag("email").or(tag("contact:email")).map(String::from),
            description: tag("description").map(String::from),
            languages: Vec::new(),
            external_ids: vec![("osm".into(), id)],
        });
        rep.imported += 1;
    }
    Ok((out, rep))
}
