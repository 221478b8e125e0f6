//! What a search answers: [`ServiceHit`], one service at one place, with what the
//! API and the pages show of it (address in one line, the languages of the service
//! and the place, today's hours), and the ranking of hits. Kept apart from the
//! matching and the filters: this is the shape of an answer, not the choice of one.

use medmap_indexers::hours::Hours;

use super::filters::hours_at;
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
    #[serde(skip)]
    pub(crate) service_ix: usize,
    #[serde(skip)]
    pub(crate) link_ix: Option<usize>,
}

impl ServiceHit {
    /// The hours this hit's open-now and today's hours were read from.
    pub fn hours<'a>(&self, snap: &'a Snapshot) -> &'a Hours {
        let facility = self
            .link_ix
            .and_then(|l| snap.directory.links.get(l))
            .map(|l| l.facility);
        hours_at(snap, self.service_ix, facility)
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

/// Ranks hits by text relevance, then distance, then name (then ids, so the order
/// is stable).
pub(super) fn rank(hits: &mut [ServiceHit]) {
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(
                a.distance_km
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.distance_km.unwrap_or(f64::MAX)),
            )
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.service_id.cmp(&b.service_id))
            .then_with(|| a.service_at_location_id.cmp(&b.service_at_location_id))
    });
}
