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
mod near;
pub(crate) mod text;

use chrono::{DateTime, NaiveTime, Utc, Weekday};
use medmap_indexers::places::haversine_m;
use medmap_indexers::services::Query;

use super::directory::ServiceDirectory;
use crate::snapshot::Snapshot;
use filters::{Filters, OpenStates, Verdict};
use hits::{order, rank};
use near::Near;

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
}

/// How much of an answer a caller lists: ordering tens of thousands of results
/// that nobody pages to would cost more than finding them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing {
    /// One entry per service (its best-ranked place), as the HSDS services list.
    pub per_service: bool,
    /// The leading results that must be in rank order (a page's end); the rest
    /// follow in no particular order, but all are there (counts, facets).
    pub ordered: usize,
}

impl Listing {
    /// Every place of every service, all in rank order.
    pub const ALL: Listing = Listing {
        per_service: false,
        ordered: usize::MAX,
    };
}

/// Searches the snapshot's directory; results are ranked by text relevance, then
/// distance, then name. `now` is the instant "today's hours" refer to.
pub fn search(snap: &Snapshot, q: &ServiceQuery, now: DateTime<Utc>) -> ServiceResults {
    search_listed(snap, q, now, Listing::ALL)
}

/// [`search`], listed as `listing` says.
pub fn search_listed(
    snap: &Snapshot,
    q: &ServiceQuery,
    now: DateTime<Utc>,
    listing: Listing,
) -> ServiceResults {
    let dir: &ServiceDirectory = &snap.directory;
    let text = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let query = text.map(|t| Query::parse(&dir.index, t));
    // The radius, resolved once through the place index.
    let near = match (q.point, q.radius_km) {
        (Some((lat, lon)), Some(r)) => Some(Near::new(snap, lat, lon, r)),
        _ => None,
    };
    let scored = |parsed: &Query, near: Option<&Near>| -> Vec<(usize, f32)> {
        parsed
            .score(&dir.index, MIN_SHARE, |d| {
                near.is_none_or(|n| n.has_service(d as usize))
            })
            .into_iter()
            .map(|s| (s.doc as usize, s.score))
            .collect()
    };
    // Candidates: the index's for a text (only services with a place inside the
    // radius), else the services near the point, else every service.
    let candidates: Vec<(usize, f32)> = match (&query, &near) {
        // In service order (the scorer gives a few ascending runs, which a
        // stable sort merges cheaply): the filters then read the directory
        // in memory order.
        (Some(parsed), _) => {
            let mut c = scored(parsed, near.as_ref());
            c.sort_by_key(|c| c.0);
            c
        }
        (None, Some(n)) => n.services().iter().map(|&s| (s, 0.0)).collect(),
        (None, None) => (0..dir.services.len()).map(|s| (s, 0.0)).collect(),
    };
    let mut found = filter(
        snap,
        q,
        near.as_ref(),
        &candidates,
        now,
        listing.per_service,
    );
    rank(snap, &mut found, listing.ordered, query.as_ref());
    let beyond = if found.is_empty() && !q.relaxable().is_empty() {
        // Beyond the radius, the text's matches come from the whole directory.
        let pool = match (&query, &near) {
            (Some(parsed), Some(_)) => scored(parsed, None),
            _ => candidates,
        };
        // Strong matches only (half the best score or more), then nearest first:
        // the kids' day care next door is not what "dementia day care" wants.
        let best = pool.iter().map(|c| c.1).fold(0.0f32, f32::max);
        let strong: Vec<(usize, f32)> = pool.into_iter().filter(|c| c.1 >= best * 0.5).collect();
        let mut more = filter(snap, &q.without_relaxable(), None, &strong, now, true);
        rank(snap, &mut more, usize::MAX, None);
        if q.point.is_some() {
            more.sort_by(|a, b| {
                a.distance_km
                    .unwrap_or(f64::MAX)
                    .total_cmp(&b.distance_km.unwrap_or(f64::MAX))
            });
        }
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

/// The candidates that pass the query's filters, place by place (only the best
/// place of each service when `per_service`), unranked.
fn filter(
    snap: &Snapshot,
    q: &ServiceQuery,
    near: Option<&Near>,
    candidates: &[(usize, f32)],
    now: DateTime<Utc>,
    per_service: bool,
) -> Vec<Found> {
    let dir = &snap.directory;
    let filters = Filters::new(snap, q);
    let open_states = OpenStates::new(snap);
    let order = order(dir);
    // Places are read only when a filter or the distance needs them: a
    // national text search without them lists 100,000 services.
    let reads_place = filters.reads_place() || (q.point.is_some() && near.is_none());
    let mut out = Vec::new();
    for (i, &(si, score)) in candidates.iter().enumerate() {
        dir.service_places
            .prefetch_for(i, |j| candidates.get(j).map(|c| c.0));
        let Some(s) = dir.services.get(si) else {
            continue;
        };
        match filters.service(dir, si, s) {
            Verdict::Keep => {}
            Verdict::Skip => continue,
            Verdict::NoMatch => return Vec::new(),
        }
        let first = out.len();
        // Each place of the service, or the service alone when it has none.
        let places = dir.service_places.get(si);
        for k in 0..places.len().max(1) {
            let (link, f) = match places.get(k) {
                Some(&(l, f)) => (Some(l as usize), Some(f)),
                None => (None, None),
            };
            let near_km = match (near, f) {
                (Some(n), Some(f)) => n.km(f),
                _ => None,
            };
            if near.is_some() && near_km.is_none() {
                // Outside the radius (or no place): the cheap test first.
                continue;
            }
            let fac = f
                .filter(|_| reads_place)
                .and_then(|f| snap.facilities.get(f as usize));
            let ll = fac.and_then(|x| Some((x.lat?, x.lon?)));
            let distance_km = near_km.or_else(|| match (q.point, ll) {
                (Some((a, b)), Some((c, d))) => Some(haversine_m(a, b, c, d) / 1000.0),
                _ => None,
            });
            if !filters.location(s, fac, ll, distance_km) {
                continue;
            }
            if (q.open_at.is_some() || q.open_on.is_some())
                && !filters.open(&open_states, si, f, now)
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
        if per_service && out.len() > first + 1 {
            // The places of one service share its score: the best is the nearest.
            let best = (first..out.len())
                .min_by(|&a, &b| order(&out[a], &out[b]))
                .unwrap_or(first);
            out.swap(first, best);
            out.truncate(first + 1);
        }
    }
    out
}
