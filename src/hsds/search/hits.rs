//! What a search answers: [`ServiceHit`], one service at one place, with what the
//! API and the pages show of it (address in one line, the languages of the service
//! and the place, today's hours, why it matched), and the ranking of hits. Kept
//! apart from the matching and the filters: this is the shape of an answer, not
//! the choice of one.

use std::cmp::Ordering;

use medmap_indexers::services::Why;

use super::filters::{hours_at, OpenStates};
use super::{Found, ServiceResults};
use crate::hsds::directory::ServiceDirectory;
use crate::snapshot::Snapshot;
use crate::store::{FacilityRow, ServiceRow};

/// One service at one location (or a service with no location), ready to show.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServiceHit {
    /// HSDS service id (UUID).
    pub service_id: String,
    pub name: String,
    pub organization_id: Option<String>,
    pub organization_name: Option<String>,
    pub description: Option<String>,
    pub taxonomy_terms: Vec<String>,
    /// HSDS service_at_location id (UUID), when the hit is at a location.
    pub service_at_location_id: Option<String>,
    /// HSDS location id (UUID) and medmap facility id of that location.
    pub location_id: Option<String>,
    pub facility_id: Option<i64>,
    pub location_name: Option<String>,
    /// Street, city, postcode in one line.
    pub address: Option<String>,
    pub distance_km: Option<f64>,
    /// `None` when the hours are unknown.
    pub open_now: Option<bool>,
    /// Today's opening intervals in local time, `["09:00", "17:00"]`.
    pub today_hours: Vec<[String; 2]>,
    pub languages: Vec<String>,
    pub min_age: Option<f64>,
    pub max_age: Option<f64>,
    /// Relevance of the text match (0 without text); higher is better.
    pub score: f32,
    /// Why it matched: per part of the query, the word, taxonomy term or need it
    /// met and where (empty without text).
    pub why: Vec<Why>,
    /// The needs of the vocabulary the service is tagged with (ids).
    pub needs: Vec<String>,
    #[serde(skip)]
    pub(crate) service_ix: usize,
}

/// Shapes one found service at one place.
pub(super) fn hit(snap: &Snapshot, r: &ServiceResults, f: &Found) -> ServiceHit {
    let dir = &snap.directory;
    let si = f.service_ix;
    let s = &dir.services[si];
    let org = dir.service_org[si].map(|o| &dir.organizations[o]);
    let fac = f.facility.and_then(|i| snap.facilities.get(i as usize));
    let hours = hours_at(snap, si, f.facility);
    let now = r.now;
    ServiceHit {
        service_id: s.uuid.clone(),
        name: s.name.clone(),
        organization_id: org.map(|o| o.uuid.clone()),
        organization_name: org.map(|o| o.name.clone()),
        description: s.description.clone(),
        taxonomy_terms: dir.service_terms[si]
            .iter()
            .map(|&t| dir.terms[t].name.clone())
            .collect(),
        service_at_location_id: f.link_ix.map(|l| dir.links[l].uuid.clone()),
        location_id: fac.map(|x| x.uuid.clone()),
        facility_id: fac.map(|x| x.id),
        location_name: fac.map(|x| x.name.clone()),
        address: address_line(fac),
        distance_km: f.distance_km.map(|d| (d * 1000.0).round() / 1000.0),
        open_now: OpenStates::new(snap).at(si, f.facility, r.open_at.unwrap_or(now)),
        today_hours: hours
            .today(now)
            .into_iter()
            .map(|(a, b)| [a.format("%H:%M").to_string(), b.format("%H:%M").to_string()])
            .collect(),
        languages: languages_at(s, fac),
        min_age: s.min_age,
        max_age: s.max_age,
        score: f.score,
        why: r
            .query
            .as_ref()
            .map(|q| q.explain(&dir.index, si as u32))
            .unwrap_or_default(),
        needs: dir
            .index
            .needs_of(si)
            .iter()
            .filter_map(|&n| dir.index.needs.needs.get(n as usize))
            .map(|n| n.id.clone())
            .collect(),
        service_ix: si,
    }
}

/// Street, city, postcode in one line.
pub(super) fn address_line(fac: Option<&FacilityRow>) -> Option<String> {
    fac.and_then(|x| {
        let parts: Vec<&str> = [
            x.address.as_deref(),
            x.city.as_deref(),
            x.postcode.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    })
}

/// The service's languages, then those of the place it does not list.
pub(super) fn languages_at(s: &ServiceRow, fac: Option<&FacilityRow>) -> Vec<String> {
    let mut languages = s.languages.clone();
    for l in fac.map(|x| x.languages.as_slice()).unwrap_or(&[]) {
        if !languages.contains(l) {
            languages.push(l.clone());
        }
    }
    languages
}

/// The ranking order: text relevance, then distance, then name (then ids, so
/// the order is stable), comparing precomputed ranks rather than strings.
pub(super) fn order(dir: &ServiceDirectory) -> impl Fn(&Found, &Found) -> Ordering + '_ {
    move |a: &Found, b: &Found| by_key(&rank_key(dir, a), &rank_key(dir, b))
}

/// What [`order`] compares, in one small record: the search keeps its leading
/// results in a heap of these, comparing numbers rather than strings.
#[derive(Debug, Clone, Copy)]
pub(super) struct RankKey {
    pub(super) score: f32,
    distance_km: f64,
    service: u32,
    link: u32,
}

pub(super) fn rank_key(dir: &ServiceDirectory, f: &Found) -> RankKey {
    RankKey {
        score: f.score,
        distance_km: f.distance_km.unwrap_or(f64::MAX),
        service: dir
            .service_order
            .get(f.service_ix)
            .copied()
            .unwrap_or(u32::MAX),
        link: f
            .link_ix
            .and_then(|l| dir.link_order.get(l))
            .map_or(0, |&l| l.saturating_add(1)),
    }
}

pub(super) fn by_key(a: &RankKey, b: &RankKey) -> Ordering {
    b.score
        .total_cmp(&a.score)
        .then(a.distance_km.total_cmp(&b.distance_km))
        .then(a.service.cmp(&b.service))
        .then(a.link.cmp(&b.link))
}
