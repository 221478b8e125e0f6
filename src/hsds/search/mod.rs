//! Service search for people: what a social worker types ("dementia day care",
//! "безкоштовна клініка", "бесплатный стоматолог", "counseling" misspelt), where
//! (a point and radius, or a postcode), when (open now or at a given time), for
//! whom (age, language), within the standard's filters (taxonomy term, taxonomy,
//! organization, modified after).
//!
//! Free text goes to the services index of the search core
//! (`medmap_indexers::services`): ranked retrieval (BM25F over name, taxonomy,
//! description and context, stems in three languages, typos, the needs
//! vocabulary across languages), so a sentence finds its service though some of
//! its words are missing. The ranked services then pass the filters, place by
//! place. The pages call [`search`] directly; the HSDS API pages its results.
//!
//! When the filters leave nothing, [`search`] does not answer with an empty list
//! alone: it says which filters it relaxed and offers the nearest (or best)
//! matches beyond them ([`Beyond`]). Facets (counts per category, per need and
//! per open-now) come with the results for narrowing down ([`facets`]).
//!
//! This file keeps the query, the results and the one entry point; `text` builds
//! the index from the directory, `filters` holds every rule that drops a result,
//! `hits` the answer's shape and ranking, `facets` the counts.

mod facets;
mod filters;
mod hits;
pub(crate) mod text;

use chrono::{DateTime, NaiveTime, Utc, Weekday};
use medmap_indexers::places::haversine_m;
use medmap_indexers::services::Query;

use super::directory::ServiceDirectory;
use crate::snapshot::Snapshot;
use filters::{hours_at, Filters, Verdict};
use hits::rank;

pub use facets::{facets, Facet, Facets};
pub use hits::ServiceHit;

/// Services whose score is under this share of the best one are not listed: a
/// query's weakest word alone ("support") should not list half the directory.
const MIN_SHARE: f32 = 0.2;
/// Matches offered beyond the filters when the filters leave nothing.
const BEYOND: usize = 5;

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
    /// Only services open on this weekday at this local time (the next such
    /// moment, read in each place's own time zone).
    pub open_on: Option<(Weekday, NaiveTime)>,
    /// Only services whose age range includes this age (years).
    pub age: Option<f64>,
    /// Only services offered in this language (code or name: `uk`, `Ukrainian`).
    pub language: Option<String>,
    /// HSDS filters, by UUID.
    pub taxonomy_term_id: Option<String>,
    pub taxonomy_id: Option<String>,
    pub organization_id: Option<String>,
    pub modified_after: Option<DateTime<Utc>>,
    /// Only services tagged with this need of the vocabulary (`dental`).
    pub need: Option<String>,
}

impl ServiceQuery {
    /// The filters a person sets that [`search`] may relax when they leave
    /// nothing, by parameter name; the standard's filters (taxonomy,
    /// organization) say what is wanted and are never relaxed.
    fn relaxable(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.radius_km.is_some() {
            v.push("radius_km");
        }
        if self.postcode.is_some() {
            v.push("postcode");
        }
        if self.open_at.is_some() {
            v.push("open_at");
        }
        if self.open_on.is_some() {
            v.push("open_on");
        }
        if self.age.is_some() {
            v.push("age");
        }
        if self.language.is_some() {
            v.push("language");
        }
        v
    }

    fn without_relaxable(&self) -> ServiceQuery {
        ServiceQuery {
            radius_km: None,
            postcode: None,
            proximity_m: None,
            open_at: None,
            open_on: None,
            age: None,
            language: None,
            ..self.clone()
        }
    }
}

/// One service at one place (or a service with no place) that passed the
/// filters: what ranking and paging need, before anything is shaped for an answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub service_ix: usize,
    pub link_ix: Option<usize>,
    pub facility: Option<u32>,
    pub distance_km: Option<f64>,
    /// Text relevance (0 without text); higher is better.
    pub score: f32,
}

/// Matches beyond the filters, offered when the filters leave nothing.
#[derive(Debug, Clone)]
pub struct Beyond {
    /// The parameters that were relaxed (`radius_km`, `open_at`, `age`, …).
    pub relaxed: Vec<&'static str>,
    /// Nearest first when the query has a point, else best first.
    pub found: Vec<Found>,
}

/// A search's answer: everything that passed, ranked, and how the text was read.
#[derive(Debug, Clone)]
pub struct ServiceResults {
    pub found: Vec<Found>,
    /// The parsed text (for explanations); `None` without text.
    pub query: Option<Query>,
    pub beyond: Option<Beyond>,
    /// The instant open-now and today's hours refer to.
    pub now: DateTime<Utc>,
    open_at: Option<DateTime<Utc>>,
}

impl ServiceResults {
    /// `f` ready to show (built only for the hits a page shows).
    pub fn hit(&self, snap: &Snapshot, f: &Found) -> ServiceHit {
        hits::hit(snap, self, f)
    }

    /// Every found hit, shaped (tests and small directories).
    pub fn hits(&self, snap: &Snapshot) -> Vec<ServiceHit> {
        self.found.iter().map(|f| self.hit(snap, f)).collect()
    }

    /// Keeps one entry per service: its best-ranked place.
    pub fn one_per_service(&mut self) {
        let mut seen = vec![
            false;
            self.found
                .iter()
                .map(|f| f.service_ix + 1)
                .max()
                .unwrap_or(0)
        ];
        self.found
            .retain(|f| !std::mem::replace(&mut seen[f.service_ix], true));
    }
}

/// Searches the snapshot's directory; results are ranked by text relevance, then
/// distance, then name. `now` is the instant "today's hours" refer to.
pub fn search(snap: &Snapshot, q: &ServiceQuery, now: DateTime<Utc>) -> ServiceResults {
    let dir: &ServiceDirectory = &snap.directory;
    let text = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let query = text.map(|t| Query::parse(&dir.index, t));
    // Ranked candidates: the index's for a text, else every service.
    let candidates: Vec<(usize, f32)> = match &query {
        Some(parsed) => parsed
            .search(&dir.index, MIN_SHARE)
            .into_iter()
            .map(|s| (s.doc as usize, s.score))
            .collect(),
        None => match (q.point, q.radius_km) {
            // Near a point without text: only the services at places within the
            // radius (the place index), not the whole directory.
            (Some((lat, lon)), Some(r)) => {
                let mut near: Vec<usize> = snap
                    .places
                    .within(lat, lon, r * 1000.0 + 1.0)
                    .into_iter()
                    .flat_map(|(f, _)| dir.facility_links.get(&f).into_iter().flatten())
                    .map(|&l| dir.links[l].service)
                    .collect();
                near.sort_unstable();
                near.dedup();
                near.into_iter().map(|s| (s, 0.0)).collect()
            }
            _ => (0..dir.services.len()).map(|s| (s, 0.0)).collect(),
        },
    };
    let found = filter(snap, q, &candidates, now);
    let beyond = if found.is_empty() && !candidates.is_empty() && !q.relaxable().is_empty() {
        // Strong matches only (half the best score or more), then nearest first:
        // the kids' day care next door is not what "dementia day care" wants.
        let best = candidates.iter().map(|c| c.1).fold(0.0f32, f32::max);
        let strong: Vec<(usize, f32)> = candidates
            .iter()
            .copied()
            .filter(|c| c.1 >= best * 0.5)
            .collect();
        let mut more = filter(snap, &q.without_relaxable(), &strong, now);
        if q.point.is_some() {
            more.sort_by(|a, b| {
                a.distance_km
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.distance_km.unwrap_or(f64::MAX))
            });
        }
        let mut seen = std::collections::HashSet::new();
        more.retain(|f| seen.insert(f.service_ix));
        more.truncate(BEYOND);
        (!more.is_empty()).then(|| Beyond {
            relaxed: q.relaxable(),
            found: more,
        })
    } else {
        None
    };
    ServiceResults {
        found,
        query,
        beyond,
        now,
        open_at: q.open_at,
    }
}

/// The candidates that pass the query's filters, place by place, ranked.
fn filter(
    snap: &Snapshot,
    q: &ServiceQuery,
    candidates: &[(usize, f32)],
    now: DateTime<Utc>,
) -> Vec<Found> {
    let dir = &snap.directory;
    let filters = Filters::new(snap, q);
    let mut out = Vec::new();
    for &(si, score) in candidates {
        let Some(s) = dir.services.get(si) else {
            continue;
        };
        match filters.service(dir, si, s) {
            Verdict::Keep => {}
            Verdict::Skip => continue,
            Verdict::NoMatch => return Vec::new(),
        }
        // Each place of the service, or the service alone when it has none.
        let links = &dir.service_links[si];
        for k in 0..links.len().max(1) {
            let link = links.get(k).copied();
            let f = link.map(|l| dir.links[l].facility);
            let fac = f.and_then(|f| snap.facilities.get(f as usize));
            let ll = fac.and_then(|x| Some((x.lat?, x.lon?)));
            let distance_km = match (q.point, ll) {
                (Some((a, b)), Some((c, d))) => Some(haversine_m(a, b, c, d) / 1000.0),
                _ => None,
            };
            if !filters.location(s, fac, ll, distance_km) {
                continue;
            }
            if (q.open_at.is_some() || q.open_on.is_some())
                && !filters.open(hours_at(snap, si, f), now)
            {
                continue;
            }
            out.push(Found {
                service_ix: si,
                link_ix: link,
                facility: f,
                distance_km,
                score,
            });
        }
    }
    rank(snap, &mut out);
    out
}
