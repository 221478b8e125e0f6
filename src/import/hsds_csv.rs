//! The HSDS 3.0 tabular serialisation: a Frictionless datapackage of CSV files
//! (`services.csv`, `locations.csv`, `service_at_location.csv`, ...), one table per
//! object linked by `*_id` columns.
//!
//! Rows are nested back into HSDS documents (a service with its phones, languages,
//! cost options, schedules, taxonomy terms and service-at-locations with their
//! locations) and walked by the JSON importer, so both serialisations share one
//! mapping onto the directory. Missing optional tables are empty, not errors.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::csvutil::{field, Table};
use super::directory::Directory;
use super::hsds_json::Walker;
use super::report::{ImportError, ImportReport};

type Row = Map<String, Value>;

/// One table's rows as JSON objects (empty cells left out), with their line numbers;
/// every row counts as read, malformed ones are rejected here.
fn rows(dir: &Path, file: &str, rep: &mut ImportReport) -> Result<Vec<(u64, Row)>, ImportError> {
    let path = dir.join(file);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let t = Table::read(&path)?;
    let cols: Vec<(String, usize)> = t.columns().map(|(k, i)| (k.to_string(), i)).collect();
    let mut out = Vec::new();
    for (line, r) in &t.rows {
        rep.read += 1;
        match r {
            Ok(r) => {
                let mut o = Row::new();
                for (k, i) in &cols {
                    if let Some(v) = field(r, *i) {
                        o.insert(k.clone(), Value::String(v.to_string()));
                    }
                }
                out.push((*line, o));
            }
            Err(e) => {
                rep.reject(*line, format!("{file}: {e}"));
            }
        }
    }
    Ok(out)
}

fn id(o: &Row, k: &str) -> Option<String> {
    o.get(k).and_then(Value::as_str).map(String::from)
}

/// Rows grouped by the value of one link column.
fn by(rows: &[(u64, Row)], key: &str) -> HashMap<String, Vec<Value>> {
    let mut m: HashMap<String, Vec<Value>> = HashMap::new();
    for (_, r) in rows {
        if let Some(k) = id(r, key) {
            m.entry(k).or_default().push(Value::Object(r.clone()));
        }
    }
    m
}

fn take(m: &HashMap<String, Vec<Value>>, k: &str) -> Value {
    Value::Array(m.get(k).cloned().unwrap_or_default())
}

/// Reads an HSDS CSV datapackage folder.
pub fn read(dir: &Path) -> Result<(Directory, ImportReport), ImportError> {
    let mut rep = ImportReport::new("hsds_csv");
    let organizations = rows(dir, "organizations.csv", &mut rep)?;
    let services = rows(dir, "services.csv", &mut rep)?;
    let locations = rows(dir, "locations.csv", &mut rep)?;
    let sal = rows(dir, "service_at_location.csv", &mut rep)?;
    let addresses = rows(dir, "addresses.csv", &mut rep)?;
    let phones = rows(dir, "phones.csv", &mut rep)?;
    let languages = rows(dir, "languages.csv", &mut rep)?;
    let schedules = rows(dir, "schedules.csv", &mut rep)?;
    let costs = rows(dir, "cost_options.csv", &mut rep)?;
    let attributes = rows(dir, "attributes.csv", &mut rep)?;
    let terms = rows(dir, "taxonomy_terms.csv", &mut rep)?;
    let taxonomies = rows(dir, "taxonomies.csv", &mut rep)?;
    if services.is_empty() && organizations.is_empty() && locations.is_empty() {
        return Err(ImportError::Format {
            path: dir.display().to_string(),
            message: "not an HSDS CSV datapackage: no services.csv, organizations.csv or locations.csv rows".into(),
        });
    }

    let taxonomy_by_id: HashMap<String, Row> = taxonomies
        .iter()
        .filter_map(|(_, r)| Some((id(r, "id")?, r.clone())))
        .collect();
    let mut term_by_id: HashMap<String, Row> = HashMap::new();
    for (_, t) in &terms {
        let mut t = t.clone();
        if let Some(tx) = id(&t, "taxonomy_id").and_then(|x| taxonomy_by_id.get(&x)) {
            t.insert("taxonomy_detail".into(), Value::Object(tx.clone()));
        }
        if let Some(i) = id(&t, "id") {
            term_by_id.insert(i, t);
        }
    }
    // Attributes link a record (link_id) to a taxonomy term.
    let mut attrs: HashMap<String, Vec<Value>> = HashMap::new();
    for (_, a) in &attributes {
        let (Some(link), Some(term)) = (
            id(a, "link_id"),
            id(a, "taxonomy_term_id").and_then(|t| term_by_id.get(&t)),
        ) else {
            continue;
        };
        let mut a = a.clone();
        a.insert("taxonomy_term".into(), Value::Object(term.clone()));
        attrs.entry(link).or_default().push(Value::Object(a));
    }

    let (phones_s, phones_l) = (by(&phones, "service_id"), by(&phones, "location_id"));
    let (langs_s, langs_l) = (by(&languages, "service_id"), by(&languages, "location_id"));
    let costs_s = by(&costs, "service_id");
    let addr_l = by(&addresses, "location_id");
    // A schedule belongs to the most specific record it names.
    let (mut sched_sal, mut sched_s, mut sched_l) = (
        HashMap::<String, Vec<Value>>::new(),
        HashMap::<String, Vec<Value>>::new(),
        HashMap::<String, Vec<Value>>::new(),
    );
    for (_, r) in &schedules {
        let v = Value::Object(r.clone());
        if let Some(k) = id(r, "service_at_location_id") {
            sched_sal.entry(k).or_default().push(v);
        } else if let Some(k) = id(r, "service_id") {
            sched_s.entry(k).or_default().push(v);
        } else if let Some(k) = id(r, "location_id") {
            sched_l.entry(k).or_default().push(v);
        }
    }

    let mut location_docs: HashMap<String, Value> = HashMap::new();
    for (_, l) in &locations {
        let Some(lid) = id(l, "id") else { continue };
        let mut l = l.clone();
        l.insert("addresses".into(), take(&addr_l, &lid));
        l.insert("phones".into(), take(&phones_l, &lid));
        l.insert("languages".into(), take(&langs_l, &lid));
        l.insert("schedules".into(), take(&sched_l, &lid));
        location_docs.insert(lid, Value::Object(l));
    }
    let mut sal_by_service: HashMap<String, Vec<Value>> = HashMap::new();
    for (_, r) in &sal {
        let Some(sid) = id(r, "service_id") else {
            continue;
        };
        let mut r = r.clone();
        if let Some(loc) = id(&r, "location_id").and_then(|l| location_docs.get(&l)) {
            r.insert("location".into(), loc.clone());
        }
        if let Some(i) = id(&r, "id") {
            r.insert("schedules".into(), take(&sched_sal, &i));
        }
        sal_by_service
            .entry(sid)
            .or_default()
            .push(Value::Object(r));
    }

    let mut w = Walker {
        d: Directory::default(),
        rep: &mut rep,
    };
    for (line, o) in &organizations {
        w.organization(o, &format!("organizations.csv line {line}"));
    }
    for (line, l) in &locations {
        let doc = id(l, "id").and_then(|i| location_docs.get(&i).cloned());
        match doc.as_ref().and_then(Value::as_object) {
            Some(doc) => {
                w.location(doc, None, &format!("locations.csv line {line}"));
            }
            None => w.rep.reject(*line, "locations.csv: location without id"),
        }
    }
    for t in terms
        .iter()
        .filter_map(|(_, t)| term_by_id.get(&id(t, "id")?))
    {
        w.term(t);
    }
    for (line, s) in &services {
        let mut s = s.clone();
        if let Some(sid) = id(&s, "id") {
            s.insert("phones".into(), take(&phones_s, &sid));
            s.insert("languages".into(), take(&langs_s, &sid));
            s.insert("cost_options".into(), take(&costs_s, &sid));
            s.insert("schedules".into(), take(&sched_s, &sid));
            s.insert("attributes".into(), take(&attrs, &sid));
            s.insert("service_at_locations".into(), take(&sal_by_service, &sid));
        }
        w.service(&s, None, &format!("services.csv line {line}"));
    }
    let d = w.d;
    Ok((d, rep))
}
