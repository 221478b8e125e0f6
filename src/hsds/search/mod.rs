//! Service search for people: what a social worker types ("food", "їжа", "еда",
//! "counseling" misspelt), where (a point and radius, or a postcode), when (open now
//! or at a given time), for whom (age, language), within the standard's filters
//! (taxonomy term, taxonomy, organization, modified after).
//!
//! Free text is matched word by word against each service's name, taxonomy terms and
//! description, ranked in that order (a name match outweighs a term match, which
//! outweighs a description match). Each query word is widened before matching: its
//! Latin transliteration when typed in Cyrillic, the other keyboard layout when it
//! matches nothing, and every word of the same need in English, Ukrainian and
//! Russian ([`super::words`]); words then match exactly, by prefix, or within one or
//! two typos. The pages call [`search`] directly; the HSDS API pages its results.
//!
//! This file keeps the query and the one entry point, [`search`], which walks the
//! directory once; the concepts it combines have a file each: `text` (words and
//! forms, typo-tolerant matching, relevance), `filters` (every rule that drops a
//! service or a place) and `hits` (the answer's shape and ranking). [`ServiceHit`]
//! and [`ServiceText`] are re-exported, so the paths stay `hsds::search::…`.

mod filters;
mod hits;
mod text;

use chrono::{DateTime, Utc};
use medmap_indexers::places::haversine_m;

use super::directory::ServiceDirectory;
use crate::snapshot::Snapshot;
use filters::{hours_at, Filters, Verdict};
use hits::{address_line, languages_at, rank};
use text::{query_words, text_score};

pub use hits::ServiceHit;
pub use text::ServiceText;

/// What a person is looking for. Every field is optional; an empty query lists all.
#[derive(Debug, Clone, Default)]
pub struct ServiceQuery {
    /// Free text in any language ("food bank", "їжа", "консультация психолога").
    pub text: Option<String>,
    /// Centre of a radius search, `(lat, lon)`.
    pub point: Option<(f64, f64)>,
    /// Radius around `point` in km; without it, results are only sorted by distance.
    pub radius_km: Option<f64>,
    /// Locations with this postcode (spaces and case ignored) or, with
    /// `proximity_m`, within that many metres of the postcode's centroid.
    pub postcode: Option<String>,
    pub proximity_m: Option<f64>,
    /// Only services open at this instant (`now` for open now).
    pub open_at: Option<DateTime<Utc>>,
    /// Only services whose age range includes this age (years).
    pub age: Option<f64>,
    /// Only services offered in this language (code or name: `uk`, `Ukrainian`).
    pub language: Option<String>,
    /// HSDS filters, by UUID.
    pub taxonomy_term_id: Option<String>,
    pub taxonomy_id: Option<String>,
    pub organization_id: Option<String>,
    pub modified_after: Option<DateTime<Utc>>,
}

/// Searches the snapshot's directory; results are ranked by text relevance, then
/// distance, then name. `now` is the instant "today's hours" refer to.
pub fn search(snap: &Snapshot, q: &ServiceQuery, now: DateTime<Utc>) -> Vec<ServiceHit> {
    let dir: &ServiceDirectory = &snap.directory;
    let words = q.text.as_deref().map(query_words).unwrap_or_default();
    let filters = Filters::new(snap, q);
    let mut hits = Vec::new();
    for (si, s) in dir.services.iter().enumerate() {
        let terms = &dir.service_terms[si];
        match filters.service(dir, si, s) {
            Verdict::Keep => {}
            Verdict::Skip => continue,
            Verdict::NoMatch => return Vec::new(),
        }
        let score = if words.is_empty() {
            0.0
        } else {
            let sc = text_score(&words, &dir.text[si]);
            if sc == 0.0 {
                continue;
            }
            sc
        };
        let org = dir.service_org[si].map(|o| &dir.organizations[o]);
        let term_names: Vec<String> = terms.iter().map(|&t| dir.terms[t].name.clone()).collect();
        let links: Vec<Option<usize>> = if dir.service_links[si].is_empty() {
            vec![None]
        } else {
            dir.service_links[si].iter().copied().map(Some).collect()
        };
        for link in links {
            let f = link.map(|l| dir.links[l].facility);
            let fac = f.map(|f| &snap.facilities[f as usize]);
            let ll = fac.and_then(|x| Some((x.lat?, x.lon?)));
            let distance_km = match (q.point, ll) {
                (Some((a, b)), Some((c, d))) => Some(haversine_m(a, b, c, d) / 1000.0),
                _ => None,
            };
            if !filters.location(s, fac, ll, distance_km) {
                continue;
            }
            let hours = hours_at(snap, si, f);
            if !filters.open(hours) {
                continue;
            }
            let address = address_line(fac);
            let languages = languages_at(s, fac);
            hits.push(ServiceHit {
                service_id: s.uuid.clone(),
                name: s.name.clone(),
                organization_id: org.map(|o| o.uuid.clone()),
                organization_name: org.map(|o| o.name.clone()),
                description: s.description.clone(),
                taxonomy_terms: term_names.clone(),
                service_at_location_id: link.map(|l| dir.links[l].uuid.clone()),
                location_id: fac.map(|x| x.uuid.clone()),
                facility_id: fac.map(|x| x.id),
                location_name: fac.map(|x| x.name.clone()),
                address,
                distance_km: distance_km.map(|d| (d * 1000.0).round() / 1000.0),
                open_now: hours.is_open_at(q.open_at.unwrap_or(now)),
                today_hours: hours
                    .today(now)
                    .into_iter()
                    .map(|(a, b)| [a.format("%H:%M").to_string(), b.format("%H:%M").to_string()])
                    .collect(),
                languages,
                min_age: s.min_age,
                max_age: s.max_age,
                score,
                service_ix: si,
                link_ix: link,
            });
        }
    }
    rank(&mut hits);
    hits
}
