//! HSDS 3.0 JSON objects built from the snapshot's directory: what the API answers
//! and the JSON export writes. Absent values are left out rather than sent as
//! `null` (the schemas type them as strings or numbers), nested objects without ids
//! of their own (addresses, phones, languages) get stable UUIDv5 ids from their
//! parent, and URIs and e-mails that would not validate are repaired or left out.
//! Confidential places reach here already withheld ([`crate::privacy`]); they are
//! marked `x_confidential` and carry no coordinates.

use serde_json::{json, Map, Value};

use super::directory::ServiceDirectory;
use super::words::language_code;
use crate::model::SourceRef;
use crate::privacy;
use crate::snapshot::Snapshot;
use crate::store::{FacilityRow, ScheduleFullRow};

/// An object from `(key, value)` pairs, without the `None`s.
fn obj<const N: usize>(pairs: [(&str, Option<Value>); N]) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    }
    Value::Object(m)
}

fn st(v: &Option<String>) -> Option<Value> {
    v.as_ref().map(|s| Value::String(s.clone()))
}

fn sv(v: &str) -> Option<Value> {
    Some(Value::String(v.to_string()))
}

/// A number, written as an integer when it is one (`12`, not `12.0`, as sources write ages).
fn nv(v: Option<f64>) -> Option<Value> {
    let x = v.filter(|x| x.is_finite())?;
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Some(json!(x as i64))
    } else {
        serde_json::Number::from_f64(x).map(Value::Number)
    }
}

/// A child id: the UUIDv5 of the parent's id, the kind and the position.
fn child_id(parent: &str, kind: &str, n: usize) -> String {
    SourceRef::new(kind, format!("{parent}/{n}"))
        .uuid()
        .to_string()
}

/// An absolute URI, adding `https://` to a bare host name (`www.example.org`); `None`
/// for text that is no URI at all (the schemas require `format: uri`).
pub fn uri(v: &Option<String>) -> Option<Value> {
    let s = v.as_deref()?.trim();
    if s.contains(char::is_whitespace) || s.is_empty() {
        return None;
    }
    let has_scheme = s.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
    });
    if has_scheme {
        Some(Value::String(s.to_string()))
    } else if s.contains('.') && !s.contains('@') {
        Some(Value::String(format!("https://{s}")))
    } else {
        None
    }
}

/// An e-mail address that looks like one, else `None` (`format: email`).
pub fn email(v: &Option<String>) -> Option<Value> {
    let s = v.as_deref()?.trim();
    let (local, domain) = s.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !s.contains(char::is_whitespace))
        .then(|| Value::String(s.to_string()))
}

/// An HSDS language object: code and name where the table knows both.
fn language(parent: &str, n: usize, l: &str) -> Value {
    let code = language_code(l);
    let is_code = code == Some(l.to_lowercase().as_str());
    obj([
        ("id", sv(&child_id(parent, "language", n))),
        ("name", (!is_code).then(|| Value::String(l.to_string()))),
        ("code", code.map(|c| Value::String(c.to_string()))),
    ])
}

fn languages(parent: &str, ls: &[String]) -> Value {
    Value::Array(
        ls.iter()
            .enumerate()
            .map(|(i, l)| language(parent, i, l))
            .collect(),
    )
}

fn phones(parent: &str, ps: &[String]) -> Value {
    Value::Array(
        ps.iter()
            .enumerate()
            .map(|(i, p)| json!({"id": child_id(parent, "phone", i), "number": p}))
            .collect(),
    )
}

const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

fn schedule(r: &ScheduleFullRow, service: Option<&str>, location: Option<&str>) -> Value {
    let weekly = r
        .weekday
        .and_then(|d| DAYS.get(usize::try_from(d).ok()?.checked_sub(1)?));
    obj([
        (
            "id",
            sv(&SourceRef::new(&r.source, &r.source_id).uuid().to_string()),
        ),
        ("service_id", service.and_then(sv)),
        ("location_id", location.and_then(sv)),
        ("freq", weekly.map(|_| json!("WEEKLY"))),
        ("wkst", weekly.map(|_| json!("MO"))),
        ("byday", weekly.map(|d| json!(d))),
        ("opens_at", st(&r.opens_at)),
        ("closes_at", st(&r.closes_at)),
        ("description", st(&r.description)),
    ])
}

pub fn organization_basic(dir: &ServiceDirectory, o: usize) -> Value {
    let o = &dir.organizations[o];
    obj([
        ("id", sv(&o.uuid)),
        ("name", sv(&o.name)),
        ("alternate_name", st(&o.alternate_name)),
        // Required by HSDS; sources without one get the name.
        (
            "description",
            Some(json!(o
                .description
                .clone()
                .unwrap_or_else(|| o.name.clone()))),
        ),
        ("email", email(&o.email)),
        ("website", uri(&o.website)),
    ])
}

/// A location: the basic fields, or with addresses, phones, languages and schedules.
pub fn location(snap: &Snapshot, f: u32, full: bool) -> Value {
    let x: &FacilityRow = &snap.facilities[f as usize];
    let dir = &snap.directory;
    let mut v = obj([
        ("id", sv(&x.uuid)),
        ("location_type", sv("physical")),
        ("url", uri(&x.website)),
        (
            "organization_id",
            dir.facility_org
                .get(&f)
                .map(|&o| json!(dir.organizations[o].uuid)),
        ),
        ("name", sv(&x.name)),
        ("description", st(&x.description)),
        // None for a confidential place: its coarse area is no position to show.
        ("latitude", nv(privacy::shown_point(x).map(|p| p.0))),
        ("longitude", nv(privacy::shown_point(x).map(|p| p.1))),
    ]);
    if x.confidential {
        // Extension fields: the place is withheld for safety; call this instead.
        v["x_confidential"] = json!(true);
        if let Some(c) = &x.public_contact {
            v["x_public_contact"] = json!(c);
        }
    }
    if full {
        let has_address = x.address.is_some() || x.city.is_some() || x.postcode.is_some();
        let addresses: Vec<Value> = has_address
            .then(|| {
                json!({
                    "id": child_id(&x.uuid, "address", 0),
                    "location_id": x.uuid,
                    "address_1": x.address.clone().unwrap_or_default(),
                    "city": x.city.clone().unwrap_or_default(),
                    "state_province": x.region.clone().unwrap_or_default(),
                    "postal_code": x.postcode.clone().unwrap_or_default(),
                    "country": x.country.clone().unwrap_or_default(),
                    "address_type": "physical",
                })
            })
            .into_iter()
            .collect();
        v["addresses"] = Value::Array(addresses);
        v["phones"] = phones(&x.uuid, &x.phones);
        v["languages"] = languages(&x.uuid, &x.languages);
        v["schedules"] = Value::Array(
            dir.facility_schedules
                .get(&f)
                .into_iter()
                .flatten()
                .filter(|r| r.service_id.is_none())
                .map(|r| schedule(r, None, Some(&x.uuid)))
                .collect(),
        );
    }
    v
}

/// The one-to-one fields of a service (HSDS `service_list` item).
pub fn service_basic(dir: &ServiceDirectory, si: usize) -> Value {
    let s = &dir.services[si];
    let org = dir.service_org[si];
    let mut v = obj([
        ("id", sv(&s.uuid)),
        (
            "organization_id",
            org.map(|o| json!(dir.organizations[o].uuid)),
        ),
        ("name", sv(&s.name)),
        ("alternate_name", st(&s.alternate_name)),
        ("description", st(&s.description)),
        ("url", uri(&s.url)),
        ("email", email(&s.email)),
        ("status", sv(&s.status)),
        ("application_process", st(&s.application_process)),
        ("fees_description", st(&s.fees)),
        ("eligibility_description", st(&s.eligibility)),
        ("minimum_age", nv(s.min_age)),
        ("maximum_age", nv(s.max_age)),
        ("last_modified", st(&s.last_modified)),
    ]);
    if s.confidential {
        // Extension fields (see `crate::privacy`): where it is is withheld; its
        // public contact (a helpline) is whom to call.
        v["x_confidential"] = json!(true);
        if let Some(c) = &s.public_contact {
            v["x_public_contact"] = json!(c);
        }
    }
    if let Some(o) = org {
        v["organization"] = organization_basic(dir, o);
    }
    v
}

fn term(dir: &ServiceDirectory, t: usize) -> Value {
    let r = &dir.terms[t];
    let tx = &dir.taxonomies[dir.term_taxonomy[t]];
    obj([
        ("id", sv(&r.uuid)),
        ("code", st(&r.code)),
        ("name", sv(&r.name)),
        (
            "description",
            Some(json!(r
                .description
                .clone()
                .unwrap_or_else(|| r.name.clone()))),
        ),
        (
            "parent_id",
            r.parent
                .as_ref()
                .map(|p| json!(SourceRef::new(&r.source, p).uuid().to_string())),
        ),
        ("taxonomy", sv(&tx.name)),
        ("taxonomy_id", sv(&tx.uuid)),
        ("language", st(&r.language)),
    ])
}

pub fn taxonomy_term(dir: &ServiceDirectory, t: usize) -> Value {
    let mut v = term(dir, t);
    v["taxonomy_detail"] = taxonomy(dir, dir.term_taxonomy[t]);
    v
}

pub fn taxonomy(dir: &ServiceDirectory, x: usize) -> Value {
    let t = &dir.taxonomies[x];
    json!({"id": t.uuid, "name": t.name, "description": t.name})
}

/// A fully nested service (HSDS `service`).
pub fn service_full(snap: &Snapshot, si: usize) -> Value {
    let dir = &snap.directory;
    let s = &dir.services[si];
    let mut v = service_basic(dir, si);
    v["phones"] = phones(&s.uuid, &s.phones);
    v["languages"] = languages(&s.uuid, &s.languages);
    v["schedules"] = Value::Array(
        dir.service_schedules
            .get(&si)
            .into_iter()
            .flatten()
            .map(|r| schedule(r, Some(&s.uuid), None))
            .collect(),
    );
    v["cost_options"] = Value::Array(
        s.cost_options
            .iter()
            .enumerate()
            .map(|(i, c)| {
                obj([
                    ("id", sv(&child_id(&s.uuid, "cost_option", i))),
                    ("service_id", sv(&s.uuid)),
                    ("option", st(&c.option)),
                    ("amount", nv(c.amount)),
                    ("currency", st(&c.currency)),
                    ("amount_description", st(&c.amount_description)),
                    ("valid_from", st(&c.valid_from)),
                    ("valid_to", st(&c.valid_to)),
                ])
            })
            .collect(),
    );
    v["attributes"] = Value::Array(
        dir.service_terms[si]
            .iter()
            .map(|&t| {
                let tid = &dir.terms[t].uuid;
                json!({
                    "id": SourceRef::new("attribute", format!("{}/{tid}", s.uuid)).uuid().to_string(),
                    "link_id": s.uuid,
                    "link_type": "service",
                    "link_entity": "service",
                    "taxonomy_term_id": tid,
                    "taxonomy_term": taxonomy_term(dir, t),
                })
            })
            .collect(),
    );
    v["service_at_locations"] = Value::Array(
        dir.service_links[si]
            .iter()
            .map(|&l| link(snap, l, false))
            .collect(),
    );
    v
}

/// A service at a location: nested location and schedules; with `with_service`, the
/// service's one-to-one fields too (the list and by-id answers).
pub fn link(snap: &Snapshot, l: usize, with_service: bool) -> Value {
    let dir = &snap.directory;
    let k = &dir.links[l];
    let s = &dir.services[k.service];
    let f = &snap.facilities[k.facility as usize];
    let mut v = json!({
        "id": k.uuid,
        "service_id": s.uuid,
        "location_id": f.uuid,
        "location": location(snap, k.facility, !with_service),
    });
    if !with_service {
        v["schedules"] = Value::Array(
            dir.facility_schedules
                .get(&k.facility)
                .into_iter()
                .flatten()
                .filter(|r| r.service_id == Some(s.id))
                .map(|r| schedule(r, Some(&s.uuid), Some(&f.uuid)))
                .collect(),
        );
    } else {
        v["service"] = service_basic(dir, k.service);
    }
    v
}

/// A fully nested service at a location (`GET /service_at_locations/{id}`).
pub fn link_full(snap: &Snapshot, l: usize) -> Value {
    let mut v = link(snap, l, false);
    v["service"] = service_basic(&snap.directory, snap.directory.links[l].service);
    v
}

/// An organization with its locations and services (`full_service`: fully nested).
pub fn organization_full(snap: &Snapshot, o: usize, full_service: bool) -> Value {
    let dir = &snap.directory;
    let mut v = organization_basic(dir, o);
    let mut locs: Vec<u32> = dir
        .facility_org
        .iter()
        .filter(|(_, &x)| x == o)
        .map(|(&f, _)| f)
        .collect();
    locs.sort_by(|a, b| {
        snap.facilities[*a as usize]
            .uuid
            .cmp(&snap.facilities[*b as usize].uuid)
    });
    v["locations"] = Value::Array(locs.iter().map(|&f| location(snap, f, true)).collect());
    let mut services: Vec<usize> = (0..dir.services.len())
        .filter(|&s| dir.service_org[s] == Some(o))
        .collect();
    services.sort_by(|a, b| dir.services[*a].uuid.cmp(&dir.services[*b].uuid));
    v["services"] = Value::Array(
        services
            .into_iter()
            .map(|s| {
                if full_service {
                    service_full(snap, s)
                } else {
                    service_basic(dir, s)
                }
            })
            .collect(),
    );
    v
}
