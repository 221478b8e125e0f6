//! `medmap export hsds`: the directory as an HSDS 3.0 datapackage, so a city can
//! publish what it loaded in the open standard and another system can load it.
//!
//! `json` writes fully nested documents (`services.json`, `organizations.json`,
//! `locations.json`, `taxonomy_terms.json`, `taxonomies.json`) shaped exactly as the
//! API answers; `csv` writes the 21 tables of the official tabular datapackage with
//! its `datapackage.json`, flattened from the same documents so the two formats
//! cannot disagree. Both import back with `medmap import hsds-json|hsds-csv`.
//!
//! An export is a publication: it is made from the snapshot, where confidential
//! places are already withheld ([`crate::privacy`]), so it carries their
//! `x_confidential` mark and public contact but never their address, postcode,
//! phones or coordinates (the CSV tables gain `x_…` columns when such records exist).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use super::shape;
use crate::snapshot::Snapshot;

/// The official HSDS 3.0 tabular datapackage descriptor (CC BY-SA 4.0, Open Referral).
const DATAPACKAGE: &str = include_str!("../../data/hsds/datapackage.json");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Encode(String),
}

/// What was written: records per file.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ExportSummary {
    pub files: BTreeMap<String, usize>,
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ExportError> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(|e| ExportError::Io {
        path: path.display().to_string(),
        source: e,
    })
}

/// Every document of the directory, by kind, in a stable order (by UUID).
pub struct Documents {
    pub services: Vec<Value>,
    pub organizations: Vec<Value>,
    pub locations: Vec<Value>,
    pub taxonomy_terms: Vec<Value>,
    pub taxonomies: Vec<Value>,
}

fn sorted(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    v
}

pub fn documents(snap: &Snapshot) -> Documents {
    let dir = &snap.directory;
    Documents {
        services: sorted(
            (0..dir.services.len())
                .map(|s| shape::service_full(snap, s))
                .collect(),
        ),
        organizations: sorted(
            (0..dir.organizations.len())
                .map(|o| shape::organization_full(snap, o, false))
                .collect(),
        ),
        locations: sorted(
            dir.locations
                .iter()
                .map(|&f| shape::location(snap, f, true))
                .collect(),
        ),
        taxonomy_terms: sorted(
            (0..dir.terms.len())
                .map(|t| shape::taxonomy_term(dir, t))
                .collect(),
        ),
        taxonomies: sorted(
            (0..dir.taxonomies.len())
                .map(|t| shape::taxonomy(dir, t))
                .collect(),
        ),
    }
}

/// Writes the datapackage into `out` (created if missing).
pub fn write(snap: &Snapshot, format: Format, out: &Path) -> Result<ExportSummary, ExportError> {
    std::fs::create_dir_all(out).map_err(|e| ExportError::Io {
        path: out.display().to_string(),
        source: e,
    })?;
    let docs = documents(snap);
    match format {
        Format::Json => write_json(&docs, out),
        Format::Csv => write_csv(&docs, out),
    }
}

fn write_json(docs: &Documents, out: &Path) -> Result<ExportSummary, ExportError> {
    let mut summary = ExportSummary::default();
    let files: [(&str, &Vec<Value>, &str); 5] = [
        ("services", &docs.services, "compiled/service.json"),
        (
            "organizations",
            &docs.organizations,
            "compiled/organization.json",
        ),
        ("locations", &docs.locations, "location.json"),
        ("taxonomy_terms", &docs.taxonomy_terms, "taxonomy_term.json"),
        ("taxonomies", &docs.taxonomies, "taxonomy.json"),
    ];
    let mut resources = Vec::new();
    for (name, items, schema) in files {
        let file = format!("{name}.json");
        let bytes =
            serde_json::to_vec_pretty(items).map_err(|e| ExportError::Encode(e.to_string()))?;
        write_file(out, &file, &bytes)?;
        summary.files.insert(file.clone(), items.len());
        resources.push(json!({
            "name": name,
            "path": file,
            "format": "json",
            "mediatype": "application/json",
            "schema": format!("https://raw.githubusercontent.com/openreferral/specification/3.0/schema/{schema}"),
        }));
    }
    let package = json!({
        "name": "medmap-hsds",
        "title": "Social services directory (HSDS 3.0)",
        "profile": "data-package",
        "version": super::HSDS_VERSION,
        "resources": resources,
    });
    let bytes =
        serde_json::to_vec_pretty(&package).map_err(|e| ExportError::Encode(e.to_string()))?;
    write_file(out, "datapackage.json", &bytes)?;
    Ok(summary)
}

/// Rows per HSDS table, flattened from the nested documents.
type Tables = BTreeMap<&'static str, Vec<Map<String, Value>>>;

fn push(t: &mut Tables, table: &'static str, v: &Value, links: &[(&str, &Value)]) {
    let Some(o) = v.as_object() else { return };
    let mut row: Map<String, Value> = o
        .iter()
        .filter(|(_, v)| !v.is_array() && !v.is_object())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in links {
        row.insert((*k).to_string(), (*v).clone());
    }
    let rows = t.entry(table).or_default();
    if !rows.iter().any(|r| r.get("id") == row.get("id")) {
        rows.push(row);
    }
}

fn location_rows(t: &mut Tables, l: &Value) {
    push(t, "location", l, &[]);
    let id = &l["id"];
    for a in l["addresses"].as_array().into_iter().flatten() {
        push(t, "address", a, &[("location_id", id)]);
    }
    for p in l["phones"].as_array().into_iter().flatten() {
        push(t, "phone", p, &[("location_id", id)]);
    }
    for x in l["languages"].as_array().into_iter().flatten() {
        push(t, "language", x, &[("location_id", id)]);
    }
    for s in l["schedules"].as_array().into_iter().flatten() {
        push(t, "schedule", s, &[("location_id", id)]);
    }
}

fn tables(docs: &Documents) -> Tables {
    let mut t = Tables::new();
    for o in &docs.organizations {
        push(&mut t, "organization", o, &[]);
    }
    for l in &docs.locations {
        location_rows(&mut t, l);
    }
    for x in &docs.taxonomies {
        push(&mut t, "taxonomy", x, &[]);
    }
    for x in &docs.taxonomy_terms {
        push(&mut t, "taxonomy_term", x, &[]);
    }
    for s in &docs.services {
        push(&mut t, "service", s, &[]);
        let id = &s["id"];
        for p in s["phones"].as_array().into_iter().flatten() {
            push(&mut t, "phone", p, &[("service_id", id)]);
        }
        for x in s["languages"].as_array().into_iter().flatten() {
            push(&mut t, "language", x, &[("service_id", id)]);
        }
        for x in s["schedules"].as_array().into_iter().flatten() {
            push(&mut t, "schedule", x, &[]);
        }
        for x in s["cost_options"].as_array().into_iter().flatten() {
            push(&mut t, "cost_option", x, &[]);
        }
        for x in s["attributes"].as_array().into_iter().flatten() {
            push(&mut t, "attribute", x, &[]);
        }
        for sal in s["service_at_locations"].as_array().into_iter().flatten() {
            push(&mut t, "service_at_location", sal, &[]);
            location_rows(&mut t, &sal["location"]);
            let sal_id = &sal["id"];
            for x in sal["schedules"].as_array().into_iter().flatten() {
                push(&mut t, "schedule", x, &[("service_at_location_id", sal_id)]);
            }
        }
    }
    t
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// The extension columns (`x_…`, see [`crate::privacy`]) the rows of a table use,
/// in name order: appended to the table's fields, so nothing the JSON says is lost.
fn extension_fields(rows: &[Map<String, Value>]) -> Vec<String> {
    let mut keys: Vec<String> = rows
        .iter()
        .flat_map(|r| r.keys())
        .filter(|k| k.starts_with("x_"))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn write_csv(docs: &Documents, out: &Path) -> Result<ExportSummary, ExportError> {
    let mut package: Value =
        serde_json::from_str(DATAPACKAGE).map_err(|e| ExportError::Encode(e.to_string()))?;
    let tables = tables(docs);
    // The descriptor gains the extension columns the tables use (none: as published).
    let mut extended = false;
    for r in package["resources"].as_array_mut().into_iter().flatten() {
        let Some(name) = r["name"].as_str() else {
            continue;
        };
        let ext = extension_fields(tables.get(name).map(Vec::as_slice).unwrap_or(&[]));
        if let Some(fields) = r["schema"]["fields"].as_array_mut() {
            for k in ext {
                let kind = if k == "x_confidential" {
                    "boolean"
                } else {
                    "string"
                };
                fields.push(json!({
                    "name": k,
                    "type": kind,
                    "description": "medmap extension: a confidential service or location (its address withheld for safety) and the public contact to call instead",
                }));
                extended = true;
            }
        }
    }
    let mut summary = ExportSummary::default();
    for r in package["resources"].as_array().into_iter().flatten() {
        let (Some(name), Some(path)) = (r["name"].as_str(), r["path"].as_str()) else {
            continue;
        };
        let fields: Vec<&str> = r["schema"]["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["name"].as_str())
            .collect();
        let mut w = csv::Writer::from_writer(Vec::new());
        let io = |e: csv::Error| ExportError::Encode(format!("{path}: {e}"));
        w.write_record(&fields).map_err(io)?;
        let rows = tables.get(name).map(Vec::as_slice).unwrap_or(&[]);
        for row in rows {
            w.write_record(fields.iter().map(|f| cell(row.get(*f))))
                .map_err(io)?;
        }
        let bytes = w
            .into_inner()
            .map_err(|e| ExportError::Encode(format!("{path}: {e}")))?;
        write_file(out, path, &bytes)?;
        summary.files.insert(path.to_string(), rows.len());
    }
    if extended {
        let bytes =
            serde_json::to_vec_pretty(&package).map_err(|e| ExportError::Encode(e.to_string()))?;
        write_file(out, "datapackage.json", &bytes)?;
    } else {
        write_file(out, "datapackage.json", DATAPACKAGE.as_bytes())?;
    }
    Ok(summary)
}
