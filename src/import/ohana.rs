//! The Ohana API sample (San Mateo County social services, BSD-3-Clause): a pre-HSDS
//! Open Referral table layout mapped onto our directory records.

use std::collections::HashMap;
use std::path::Path;

use super::csvutil::{field, owned, Table};
use super::directory::Directory;
use super::report::{ImportError, ImportReport};
use crate::model::{
    Facility, FacilityKind, Organization, Schedule, Service, SourceRef, TaxonomyTerm,
};

const SOURCE: &str = "ohana";

/// Street, city, state, postcode, country of a location.
type Address = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn sref(id: &str) -> SourceRef {
    SourceRef::new(SOURCE, id)
}

/// An optional flag column (absent or empty: false; see [`crate::privacy::parse_flag`]).
fn flag(r: &csv::StringRecord, col: Option<usize>) -> bool {
    col.and_then(|i| field(r, i))
        .is_some_and(crate::privacy::parse_flag)
}

fn list(s: Option<&str>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// "Age 55 or over" / "ages 18-64" → (min, max).
pub fn ages_from_text(text: &str) -> (Option<f64>, Option<f64>) {
    let lower = text.to_lowercase();
    let nums: Vec<f64> = lower
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty() && s.len() <= 3)
        .filter_map(|s| s.parse().ok())
        .collect();
    if !lower.contains("age") || nums.is_empty() {
        return (None, None);
    }
    if lower.contains("or over")
        || lower.contains("and over")
        || lower.contains("or older")
        || lower.contains('+')
    {
        (nums.first().copied(), None)
    } else if lower.contains("under") || lower.contains("younger") {
        (None, nums.first().copied())
    } else if nums.len() >= 2 {
        (Some(nums[0]), Some(nums[1]))
    } else {
        (None, None)
    }
}

pub fn read(dir: &Path) -> Result<(Directory, Vec<ImportReport>), ImportError> {
    let mut d = Directory::default();
    let mut reports = Vec::new();

    let t = Table::read(&dir.join("organizations.csv"))?;
    let (id, name, alt, desc, email, web) = (
        t.col("id")?,
        t.col("name")?,
        t.col("alternate_name")?,
        t.col("description")?,
        t.col("email")?,
        t.col("website")?,
    );
    let mut rep = ImportReport::new("ohana:organizations");
    for (line, r) in t.valid_rows(&mut rep) {
        let (Some(i), Some(n)) = (field(r, id), field(r, name)) else {
            rep.reject(line, "no id or name");
            continue;
        };
        d.organizations.push(Organization {
            src: sref(&format!("org/{i}")),
            name: n.into(),
            alternate_name: owned(r, alt),
            description: owned(r, desc),
            email: owned(r, email),
            website: owned(r, web),
        });
        rep.imported += 1;
    }
    reports.push(rep);

    let t = Table::read(&dir.join("addresses.csv"))?;
    let (loc, a1, a2, city, state, pc, country) = (
        t.col("location_id")?,
        t.col("address_1")?,
        t.col("address_2")?,
        t.col("city")?,
        t.col("state_province")?,
        t.col("postal_code")?,
        t.col("country")?,
    );
    let mut addresses: HashMap<String, Address> = HashMap::new();
    let mut rep = ImportReport::new("ohana:addresses");
    for (_, r) in t.valid_rows(&mut rep) {
        if let Some(l) = field(r, loc) {
            let street = [field(r, a1), field(r, a2)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            addresses.insert(
                l.into(),
                (
                    (!street.is_empty()).then_some(street),
                    owned(r, city),
                    owned(r, state),
                    owned(r, pc),
                    owned(r, country),
                ),
            );
            rep.imported += 1;
        }
    }
    reports.push(rep);

    let t = Table::read(&dir.join("phones.csv"))?;
    let (ploc, psvc, num) = (
        t.col("location_id")?,
        t.col("service_id")?,
        t.col("number")?,
    );
    let mut phones: HashMap<String, Vec<String>> = HashMap::new();
    let mut service_phones: HashMap<String, Vec<String>> = HashMap::new();
    let mut rep = ImportReport::new("ohana:phones");
    for (line, r) in t.valid_rows(&mut rep) {
        let Some(n) = field(r, num) else {
            rep.reject(line, "no number");
            continue;
        };
        if let Some(sv) = field(r, psvc) {
            service_phones.entry(sv.into()).or_default().push(n.into());
        } else if let Some(l) = field(r, ploc) {
            phones.entry(l.into()).or_default().push(n.into());
        }
        // Phones of organizations only are reached through their locations.
        rep.imported += 1;
    }
    reports.push(rep);

    let t = Table::read(&dir.join("locations.csv"))?;
    let (id, org, name, desc, email, langs, lat, lon, web) = (
        t.col("id")?,
        t.col("organization_id")?,
        t.col("name")?,
        t.col("description")?,
        t.col("email")?,
        t.col("languages")?,
        t.col("latitude")?,
        t.col("longitude")?,
        t.col("website")?,
    );
    // Optional: `confidential` (see `crate::privacy`).
    let conf = t.col_opt("confidential");
    let mut rep = ImportReport::new("ohana:locations");
    for (line, r) in t.valid_rows(&mut rep) {
        let (Some(i), Some(n)) = (field(r, id), field(r, name)) else {
            rep.reject(line, "no id or name");
            continue;
        };
        let la = field(r, lat)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.abs() <= 90.0);
        let lo = field(r, lon)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.abs() <= 180.0);
        let (street, c, st, p, country) = addresses.remove(i).unwrap_or_default();
        d.facilities.push(Facility {
            src: sref(&format!("loc/{i}")),
            kind: FacilityKind::Social,
            name: n.into(),
            organization: field(r, org).map(|o| sref(&format!("org/{o}"))),
            address: street,
            city: c,
            region: st,
            postcode: p,
            country: Some(country.unwrap_or_else(|| "US".into())),
            lat: la.filter(|_| lo.is_some()),
            lon: lo.filter(|_| la.is_some()),
            opening_hours: None,
            timezone: Some("America/Los_Angeles".into()),
            phones: phones.remove(i).unwrap_or_default(),
            website: owned(r, web),
            email: owned(r, email),
            description: owned(r, desc),
            languages: list(field(r, langs)),
            external_ids: Vec::new(),
            confidential: flag(r, conf),
            reimbursement: Vec::new(),
        });
        rep.imported += 1;
    }
    reports.push(rep);

    let t = Table::read(&dir.join("taxonomy.csv"))?;
    let (id, name, parent) = (t.col("taxonomy_id")?, t.col("name")?, t.col("parent_id")?);
    let mut rep = ImportReport::new("ohana:taxonomy");
    for (line, r) in t.valid_rows(&mut rep) {
        let (Some(i), Some(n)) = (field(r, id), field(r, name)) else {
            rep.reject(line, "no id or name");
            continue;
        };
        d.taxonomy.push(TaxonomyTerm {
            src: sref(&format!("tax/{i}")),
            code: Some(i.to_string()),
            name: n.into(),
            description: None,
            parent: field(r, parent).map(|p| format!("tax/{p}")),
            taxonomy: Some("open_eligibility".into()),
            taxonomy_id: None,
            language: Some("en".into()),
        });
        rep.imported += 1;
    }
    reports.push(rep);

    let t = Table::read(&dir.join("services.csv"))?;
    let c = |n| t.col(n);
    let (id, loc, name, alt, desc, elig, email, fees, langs, status, web, tax, appl) = (
        c("id")?,
        c("location_id")?,
        c("name")?,
        c("alternate_name")?,
        c("description")?,
        c("eligibility")?,
        c("email")?,
        c("fees")?,
        c("languages")?,
        c("status")?,
        c("website")?,
        c("taxonomy_ids")?,
        c("application_process")?,
    );
    // Optional: `confidential` and `public_contact` (see `crate::privacy`).
    let (conf, contact) = (t.col_opt("confidential"), t.col_opt("public_contact"));
    let org_of_loc: HashMap<String, Option<SourceRef>> = d
        .facilities
        .iter()
        .map(|f| (f.src.source_id.clone(), f.organization.clone()))
        .collect();
    // Ohana's `keywords` are the directory's own classification ("Dementia
    // Management", "Automobile Loans"); HSDS 3.0 has no keywords field, so each
    // becomes a term of an `ohana_keywords` taxonomy, linked like any term.
    let kw = t.columns().find(|(n, _)| *n == "keywords").map(|(_, i)| i);
    let mut keywords: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut rep = ImportReport::new("ohana:services");
    for (line, r) in t.valid_rows(&mut rep) {
        let (Some(i), Some(n)) = (field(r, id), field(r, name)) else {
            rep.reject(line, "no id or name");
            continue;
        };
        let location = field(r, loc).map(|l| sref(&format!("loc/{l}")));
        let (min_age, max_age) = field(r, elig).map(ages_from_text).unwrap_or((None, None));
        d.services.push(Service {
            src: sref(&format!("svc/{i}")),
            organization: location
                .as_ref()
                .and_then(|l| org_of_loc.get(&l.source_id).cloned().flatten()),
            name: n.into(),
            alternate_name: owned(r, alt),
            description: owned(r, desc),
            status: match field(r, status) {
                Some("inactive") => "inactive".into(),
                Some("defunct") => "defunct".into(),
                _ => "active".into(),
            },
            email: owned(r, email),
            url: owned(r, web),
            eligibility: owned(r, elig),
            min_age,
            max_age,
            languages: list(field(r, langs)),
            fees: owned(r, fees),
            application_process: owned(r, appl),
            last_modified: None,
            phones: service_phones.remove(i).unwrap_or_default(),
            cost_options: Vec::new(),
            locations: location.into_iter().collect(),
            link_ids: Vec::new(),
            taxonomy_terms: list(field(r, tax))
                .iter()
                .map(|t| sref(&format!("tax/{t}")))
                .chain(service_keywords(kw.and_then(|k| field(r, k))).map(|k| {
                    let src = sref(&format!("kw/{}", k.to_lowercase()));
                    keywords.insert(k);
                    src
                }))
                .collect(),
            confidential: flag(r, conf),
            public_contact: contact.and_then(|i| owned(r, i)),
        });
        rep.imported += 1;
    }
    reports.push(rep);
    let mut seen = std::collections::HashSet::new();
    for k in keywords {
        if seen.insert(k.to_lowercase()) {
            d.taxonomy.push(TaxonomyTerm {
                src: sref(&format!("kw/{}", k.to_lowercase())),
                code: None,
                name: k,
                description: None,
                parent: None,
                taxonomy: Some("ohana_keywords".into()),
                taxonomy_id: None,
                language: Some("en".into()),
            });
        }
    }

    let t = Table::read(&dir.join("regular_schedules.csv"))?;
    let (id, loc, svc, wd, op, cl) = (
        t.col("id")?,
        t.col("location_id")?,
        t.col("service_id")?,
        t.col("weekday")?,
        t.col("opens_at")?,
        t.col("closes_at")?,
    );
    let mut rep = ImportReport::new("ohana:regular_schedules");
    for (line, r) in t.valid_rows(&mut rep) {
        let Some(i) = field(r, id) else {
            rep.reject(line, "no id");
            continue;
        };
        let Some(weekday) = field(r, wd).and_then(weekday_number) else {
            rep.reject(line, "unknown weekday");
            continue;
        };
        d.schedules.push(Schedule {
            src: sref(&format!("sched/{i}")),
            service: field(r, svc).map(|s| sref(&format!("svc/{s}"))),
            facility: field(r, loc).map(|l| sref(&format!("loc/{l}"))),
            weekday: Some(weekday),
            opens_at: owned(r, op),
            closes_at: owned(r, cl),
            description: None,
        });
        rep.imported += 1;
    }
    reports.push(rep);
    Ok((d, reports))
}

/// A service's keywords (comma separated), trimmed, each once.
fn service_keywords(raw: Option<&str>) -> impl Iterator<Item = String> + '_ {
    let mut seen = std::collections::HashSet::new();
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .filter(move |k| seen.insert(k.to_lowercase()))
        .map(String::from)
}

/// `Monday`/`Mon`/`1` → ISO weekday number.
pub fn weekday_number(s: &str) -> Option<u8> {
    let l = s.trim().to_lowercase();
    if let Ok(n) = l.parse::<u8>() {
        return (1..=7).contains(&n).then_some(n);
    }
    ["mo", "tu", "we", "th", "fr", "sa", "su"]
        .iter()
        .position(|p| l.starts_with(p))
        .map(|i| i as u8 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_read_from_eligibility_text() {
        assert_eq!(
            ages_from_text("Age 55 or over for most programs"),
            (Some(55.0), None)
        );
        assert_eq!(ages_from_text("Youth ages 14-21"), (Some(14.0), Some(21.0)));
        assert_eq!(ages_from_text("Low-income residents"), (None, None));
    }
}
