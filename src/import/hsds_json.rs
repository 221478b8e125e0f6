//! HSDS 3.0 JSON documents (the Open Referral examples and API payloads): services,
//! organizations, locations and service-at-locations, nested or as paged lists.
//!
//! HSDS records carry UUIDs; we keep them as the source ids, so the ids a city
//! publishes are the ids medmap answers with. The CSV datapackage importer
//! ([`super::hsds_csv`]) nests its rows into the same documents and walks them here,
//! so both serialisations map onto the directory through one piece of code.

use std::path::Path;

use serde_json::{Map, Value};

use super::directory::Directory;
use super::ohana::weekday_number;
use super::osm::read_json as read_json_file;
use super::report::{ImportError, ImportReport};
use crate::model::{
    CostOption, Facility, FacilityKind, Organization, Schedule, Service, SourceRef, TaxonomyTerm,
};
use crate::privacy::{flag_of_json, FLAG_FIELDS, PUBLIC_CONTACT_FIELDS};

const SOURCE: &str = "hsds";

fn num(o: &Map<String, Value>, k: &str) -> Option<f64> {
    o.get(k).and_then(|v| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    })
}

/// A language as the directory keeps it: its name, else its code.
fn language(x: &Map<String, Value>) -> Option<String> {
    s(x, "name").or_else(|| s(x, "code"))
}

fn s(o: &Map<String, Value>, k: &str) -> Option<String> {
    o.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

fn arr<'a>(o: &'a Map<String, Value>, k: &str) -> impl Iterator<Item = &'a Map<String, Value>> {
    o.get(k)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// The confidentiality extension flag of a service or location
/// ([`crate::privacy::FLAG_FIELDS`]; a CSV cell arrives as a string).
fn confidential(o: &Map<String, Value>) -> bool {
    FLAG_FIELDS
        .iter()
        .filter_map(|k| o.get(*k))
        .any(flag_of_json)
}

fn sref(id: &str) -> SourceRef {
    SourceRef::new(SOURCE, id)
}

/// Adds what a second copy of a service knows to the first: locations, link ids,
/// terms, and list fields the first copy lacked.
fn merge_service(x: &mut Service, y: Service) {
    for l in y.locations {
        if !x.locations.contains(&l) {
            x.locations.push(l);
        }
    }
    for l in y.link_ids {
        if !x.link_ids.iter().any(|(a, _)| *a == l.0) {
            x.link_ids.push(l);
        }
    }
    for t in y.taxonomy_terms {
        if !x.taxonomy_terms.contains(&t) {
            x.taxonomy_terms.push(t);
        }
    }
    if x.phones.is_empty() {
        x.phones = y.phones;
    }
    if x.languages.is_empty() {
        x.languages = y.languages;
    }
    if x.cost_options.is_empty() {
        x.cost_options = y.cost_options;
    }
    if x.organization.is_none() {
        x.organization = y.organization;
    }
    // Any copy that says "confidential" makes it so: hiding is the safe side.
    x.confidential |= y.confidential;
    if x.public_contact.is_none() {
        x.public_contact = y.public_contact;
    }
}

/// Accumulates records while walking nested documents, rejecting records without ids.
pub(crate) struct Walker<'r> {
    pub(crate) d: Directory,
    pub(crate) rep: &'r mut ImportReport,
}

impl Walker<'_> {
    pub(crate) fn organization(&mut self, o: &Map<String, Value>, path: &str) -> Option<SourceRef> {
        let (Some(id), Some(name)) = (s(o, "id"), s(o, "name")) else {
            self.rep
                .reject(0, format!("{path}: organization without id or name"));
            return None;
        };
        let r = sref(&id);
        if !self.d.organizations.iter().any(|x| x.src == r) {
            self.d.organizations.push(Organization {
                src: r.clone(),
                name,
                alternate_name: s(o, "alternate_name"),
                description: s(o, "description"),
                email: s(o, "email"),
                website: s(o, "website"),
            });
            self.rep.imported += 1;
        }
        for (i, l) in arr(o, "locations").enumerate() {
            self.location(l, Some(&r), &format!("{path}.locations[{i}]"));
        }
        for (i, sv) in arr(o, "services").enumerate() {
            self.service(sv, Some(&r), &format!("{path}.services[{i}]"));
        }
        Some(r)
    }

    pub(crate) fn location(
        &mut self,
        l: &Map<String, Value>,
        org: Option<&SourceRef>,
        path: &str,
    ) -> Option<SourceRef> {
        let Some(id) = s(l, "id") else {
            self.rep.reject(0, format!("{path}: location without id"));
            return None;
        };
        let r = sref(&id);
        if let Some(x) = self.d.facilities.iter_mut().find(|x| x.src == r) {
            // Met again (inside a service, in a list): a copy marking it confidential
            // is enough.
            x.confidential |= confidential(l);
            return Some(r);
        }
        // The physical address where there is one: that is where people go.
        let addr = arr(l, "addresses")
            .find(|a| s(a, "address_type").as_deref() != Some("postal"))
            .or_else(|| arr(l, "addresses").next());
        let a = |k: &str| addr.and_then(|a| s(a, k));
        let lat = num(l, "latitude").filter(|v| v.abs() <= 90.0);
        let lon = num(l, "longitude").filter(|v| v.abs() <= 180.0);
        let street = [a("address_1"), a("address_2")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        let country = a("country").map(|c| c.to_uppercase());
        self.d.facilities.push(Facility {
            src: r.clone(),
            kind: FacilityKind::Social,
            name: s(l, "name").unwrap_or_else(|| "(unnamed location)".into()),
            organization: org
                .cloned()
                .or_else(|| s(l, "organization_id").map(|o| sref(&o))),
            address: (!street.is_empty()).then_some(street),
            city: a("city"),
            region: a("state_province"),
            postcode: a("postal_code"),
            timezone: None,
            country,
            lat: lat.filter(|_| lon.is_some()),
            lon: lon.filter(|_| lat.is_some()),
            opening_hours: None,
            phones: arr(l, "phones").filter_map(|p| s(p, "number")).collect(),
            website: s(l, "url"),
            email: None,
            description: s(l, "description"),
            languages: arr(l, "languages").filter_map(language).collect(),
            external_ids: Vec::new(),
            confidential: confidential(l),
            reimbursement: Vec::new(),
        });
        self.rep.imported += 1;
        for (i, sc) in arr(l, "schedules").enumerate() {
            self.schedule(sc, None, Some(&r), &format!("{path}.schedules[{i}]"));
        }
        Some(r)
    }

    pub(crate) fn schedule(
        &mut self,
        sc: &Map<String, Value>,
        svc: Option<&SourceRef>,
        loc: Option<&SourceRef>,
        path: &str,
    ) {
        let Some(id) = s(sc, "id") else {
            self.rep.reject(0, format!("{path}: schedule without id"));
            return;
        };
        // One HSDS schedule may list several days (`byday: "TH,FR"`): one slot each.
        let days: Vec<u8> = s(sc, "byday")
            .map(|b| b.split(',').filter_map(weekday_number).collect())
            .unwrap_or_default();
        let days: Vec<Option<u8>> = if days.is_empty() {
            vec![None]
        } else {
            days.into_iter().map(Some).collect()
        };
        for (n, day) in days.into_iter().enumerate() {
            let sid = if n == 0 {
                id.clone()
            } else {
                format!("{id}#{n}")
            };
            self.d.schedules.push(Schedule {
                src: sref(&sid),
                service: svc.cloned(),
                facility: loc.cloned(),
                weekday: day,
                opens_at: s(sc, "opens_at"),
                closes_at: s(sc, "closes_at"),
                description: s(sc, "description"),
            });
        }
        self.rep.imported += 1;
    }

    pub(crate) fn service(
        &mut self,
        o: &Map<String, Value>,
        org: Option<&SourceRef>,
        path: &str,
    ) -> Option<SourceRef> {
        let (Some(id), Some(name)) = (s(o, "id"), s(o, "name")) else {
            self.rep
                .reject(0, format!("{path}: service without id or name"));
            return None;
        };
        let r = sref(&id);
        let org = match o.get("organization").and_then(Value::as_object) {
            Some(x) => self.organization(x, &format!("{path}.organization")),
            None => org
                .cloned()
                .or_else(|| s(o, "organization_id").map(|x| sref(&x))),
        };
        let mut locations = Vec::new();
        let mut link_ids = Vec::new();
        for (i, sal) in arr(o, "service_at_locations").enumerate() {
            let at = format!("{path}.service_at_locations[{i}]");
            let lr = match sal.get("location").and_then(Value::as_object) {
                Some(l) => self.location(l, org.as_ref(), &format!("{at}.location")),
                None => s(sal, "location_id").map(|lid| sref(&lid)),
            };
            let Some(lr) = lr else { continue };
            if let Some(link) = s(sal, "id") {
                link_ids.push((lr.clone(), link));
            }
            for (j, sc) in arr(sal, "schedules").enumerate() {
                self.schedule(sc, Some(&r), Some(&lr), &format!("{at}.schedules[{j}]"));
            }
            if !locations.contains(&lr) {
                locations.push(lr);
            }
        }
        let mut terms = Vec::new();
        for a in arr(o, "attributes") {
            if let Some(t) = a.get("taxonomy_term").and_then(Value::as_object) {
                if let Some(tr) = self.term(t) {
                    if !terms.contains(&tr) {
                        terms.push(tr);
                    }
                }
            }
        }
        for (i, sc) in arr(o, "schedules").enumerate() {
            self.schedule(sc, Some(&r), None, &format!("{path}.schedules[{i}]"));
        }
        let svc = Service {
            src: r.clone(),
            organization: org,
            name,
            alternate_name: s(o, "alternate_name"),
            description: s(o, "description"),
            status: s(o, "status").unwrap_or_else(|| "active".into()),
            email: s(o, "email"),
            url: s(o, "url"),
            eligibility: s(o, "eligibility_description"),
            min_age: num(o, "minimum_age"),
            max_age: num(o, "maximum_age"),
            languages: arr(o, "languages").filter_map(language).collect(),
            fees: s(o, "fees_description").or_else(|| s(o, "fees")),
            application_process: s(o, "application_process"),
            last_modified: s(o, "last_modified"),
            phones: arr(o, "phones").filter_map(|p| s(p, "number")).collect(),
            cost_options: arr(o, "cost_options")
                .map(|c| CostOption {
                    option: s(c, "option"),
                    amount: num(c, "amount"),
                    currency: s(c, "currency"),
                    amount_description: s(c, "amount_description"),
                    valid_from: s(c, "valid_from"),
                    valid_to: s(c, "valid_to"),
                })
                .collect(),
            locations,
            link_ids,
            taxonomy_terms: terms,
            confidential: confidential(o),
            public_contact: PUBLIC_CONTACT_FIELDS.iter().find_map(|k| s(o, k)),
        };
        match self.d.services.iter_mut().find(|x| x.src == r) {
            // The same service met again (in a list, inside its organization, at a
            // location): the links and terms it brings are added, nothing dropped.
            Some(x) => merge_service(x, svc),
            None => {
                self.d.services.push(svc);
                self.rep.imported += 1;
            }
        }
        Some(r)
    }

    pub(crate) fn term(&mut self, t: &Map<String, Value>) -> Option<SourceRef> {
        let (id, name) = (s(t, "id")?, s(t, "name")?);
        let r = sref(&id);
        if !self.d.taxonomy.iter().any(|x| x.src == r) {
            let detail = t.get("taxonomy_detail").and_then(Value::as_object);
            self.d.taxonomy.push(TaxonomyTerm {
                src: r.clone(),
                code: s(t, "code"),
                name,
                description: s(t, "description"),
                parent: s(t, "parent_id"),
                taxonomy: s(t, "taxonomy").or_else(|| detail.and_then(|d| s(d, "name"))),
                taxonomy_id: s(t, "taxonomy_id").or_else(|| detail.and_then(|d| s(d, "id"))),
                language: s(t, "language"),
            });
            self.rep.imported += 1;
        }
        Some(r)
    }

    /// Classifies a top-level document by its shape and walks it; an array (as
    /// `medmap export hsds` writes) is walked item by item.
    pub(crate) fn document(&mut self, v: &Value, path: &str) {
        if let Some(items) = v.as_array() {
            for (i, item) in items.iter().enumerate() {
                self.document(item, &format!("{path}[{i}]"));
            }
            return;
        }
        let Some(o) = v.as_object() else {
            self.rep.reject(0, format!("{path}: not a JSON object"));
            return;
        };
        self.rep.read += 1;
        if let Some(items) = o.get("contents").and_then(Value::as_array) {
            for (i, item) in items.iter().enumerate() {
                self.document(item, &format!("{path}.contents[{i}]"));
            }
        } else if o.contains_key("service") && o.contains_key("location") {
            let svc = o
                .get("service")
                .and_then(Value::as_object)
                .and_then(|x| self.service(x, None, &format!("{path}.service")));
            let loc = o
                .get("location")
                .and_then(Value::as_object)
                .and_then(|x| self.location(x, None, &format!("{path}.location")));
            if let (Some(sv), Some(l)) = (svc, loc) {
                if let Some(x) = self.d.services.iter_mut().find(|x| x.src == sv) {
                    if !x.locations.contains(&l) {
                        x.locations.push(l);
                    }
                }
            }
        } else if o.contains_key("status") || o.contains_key("service_at_locations") {
            self.service(o, None, path);
        } else if o.contains_key("latitude") || o.contains_key("location_type") {
            self.location(o, None, path);
        } else if o.contains_key("taxonomy")
            || o.contains_key("taxonomy_id")
            || o.contains_key("taxonomy_detail")
        {
            if self.term(o).is_none() {
                self.rep
                    .reject(0, format!("{path}: taxonomy term without id or name"));
            }
        } else if o.contains_key("name")
            && (o.contains_key("website")
                || o.contains_key("legal_status")
                || o.contains_key("services"))
        {
            self.organization(o, path);
        } else {
            self.rep.reject(
                0,
                format!(
                    "{path}: not an HSDS service, organization, location or service_at_location"
                ),
            );
        }
    }
}

/// Reads every `*.json` in `dir` (or one file) as HSDS documents.
pub fn read(path: &Path) -> Result<(Directory, ImportReport), ImportError> {
    let mut files: Vec<std::path::PathBuf> = if path.is_dir() {
        std::fs::read_dir(path)
            .map_err(|e| ImportError::Io {
                path: path.display().to_string(),
                source: e,
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect()
    } else {
        vec![path.to_path_buf()]
    };
    files.sort();
    let mut rep = ImportReport::new("hsds_json");
    let mut w = Walker {
        d: Directory::default(),
        rep: &mut rep,
    };
    for f in files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_string();
        // The schema-only documents (base, tabular, taxonomy definitions) are not data.
        if [
            "base.json",
            "tabular.json",
            "taxonomy.json",
            "taxonomy_list.json",
            "taxonomies.json",
            "datapackage.json",
        ]
        .contains(&name.as_str())
        {
            continue;
        }
        let v = read_json_file(&f)?;
        w.document(&v, &format!("{name}$"));
    }
    let d = w.d;
    Ok((d, rep))
}
