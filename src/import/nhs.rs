//! NHS England: community pharmacies, GP practices and hospitals (OGL v3.0).

use std::path::Path;

use super::csvutil::{field, owned, Table};
use super::report::{ImportError, ImportReport};
use crate::model::{Facility, FacilityKind, SourceRef};

/// Which NHS list a file is; they differ in column names.
#[derive(Debug, Clone, Copy)]
pub enum NhsList {
    Pharmacies,
    GpPractices,
    Hospitals,
}

fn parse_coord(s: Option<&str>, range: f64) -> Result<Option<f64>, String> {
    match s {
        None => Ok(None),
        Some(v) => match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x.abs() <= range => Ok(Some(x)),
            _ => Err(format!("bad coordinate {v:?}")),
        },
    }
}

fn join_address(parts: &[Option<&str>]) -> Option<String> {
    let v: Vec<&str> = parts.iter().flatten().copied().collect();
    (!v.is_empty()).then(|| v.join(", "))
}

pub fn read(path: &Path, list: NhsList) -> Result<(Vec<Facility>, ImportReport), ImportError> {
    let t = Table::read(path)?;
    let (source, kind, id, name, a1, a2, a3, city, pc, lat, lon, phone) = match list {
        NhsList::Pharmacies => (
            "nhs_pharmacies",
            FacilityKind::Pharmacy,
            t.col("ods_code")?,
            t.col("name")?,
            t.col("address1")?,
            t.col("address2")?,
            t.col("address3")?,
            t.col("city")?,
            t.col("postcode")?,
            t.col("latitude")?,
            t.col("longitude")?,
            Some(t.col("phone")?),
        ),
        NhsList::GpPractices | NhsList::Hospitals => (
            if matches!(list, NhsList::Hospitals) {
                "nhs_hospitals"
            } else {
                "nhs_gp_practices"
            },
            if matches!(list, NhsList::Hospitals) {
                FacilityKind::Hospital
            } else {
                FacilityKind::Clinic
            },
            t.col("OrganisationCode")?,
            t.col("OrganisationName")?,
            t.col("Address1")?,
            t.col("Address2")?,
            t.col("Address3")?,
            t.col("City")?,
            t.col("Postcode")?,
            t.col("Latitude")?,
            t.col("Longitude")?,
            t.col("Phone").ok(),
        ),
    };
    let website = t.col("Website").ok();
    let email = t.col("Email").ok();
    let mut rep = ImportReport::new(source);
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (line, r) in t.valid_rows(&mut rep) {
        let (Some(code), Some(nm)) = (field(r, id), field(r, name)) else {
            rep.reject(line, "no ODS code or name");
            continue;
        };
        if !seen.insert(code.to_string()) {
            rep.reject(line, "duplicate ODS code (first row kept)");
            continue;
        }
        let coords = parse_coord(field(r, lat), 90.0)
            .and_then(|la| Ok((la, parse_coord(field(r, lon), 180.0)?)));
        let (la, lo) = match coords {
            Ok(c) => c,
            Err(e) => {
                rep.reject(line, e);
                continue;
            }
        };
        out.push(Facility {
            src: SourceRef::new(source, code),
            kind,
            name: nm.to_string(),
            organization: None,
            address: join_address(&[field(r, a1), field(r, a2), field(r, a3)]),
            city: owned(r, city),
            region: None,
            postcode: owned(r, pc),
            country: Some("GB".into()),
            lat: la.filter(|_| lo.is_some()),
            lon: lo.filter(|_| la.is_some()),
            opening_hours: None,
            timezone: Some("Europe/London".into()),
            phones: phone.and_then(|p| owned(r, p)).into_iter().collect(),
            website: website.and_then(|w| owned(r, w)),
            email: email.and_then(|e| owned(r, e)),
            description: None,
            languages: Vec::new(),
            external_ids: vec![("ods".into(), code.to_string())],
            confidential: false,
            reimbursement: Vec::new(),
        });
        rep.imported += 1;
    }
    Ok((out, rep))
}
