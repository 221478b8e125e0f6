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

mod collect;
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
use collect::Collect;
use facets::Counts;
use filters::{Filters, OpenStates, Verdict};
use hits::order;
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

/// A search's answer: the leading results ranked, how many passed, and how the
/// text was read.
#[derive(Debug, Clone)]
pub struct ServiceResults {
    /// The leading results in rank order: as many as the [`Listing`] asked
    /// for (all with [`Listing::ALL`]). The rest were counted, not kept.
    pub found: Vec<Found>,
    /// How many results passed the filters.
    pub total: usize,
    /// The parsed text (for explanations); `None` without text.
    pub query: Option<Query>,
    pub beyond: Option<Beyond>,
    /// The instant open-now and today's hours refer to.
    pub now: DateTime<Utc>,
    open_at: Option<DateTime<Utc>>,
    /// Facet counts over all results, when the listing asked for them.
    counts: Option<Counts>,
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

/// How much of an answer a caller lists: ordering, or even keeping, tens of
/// thousands of results that nobody pages to would cost more than finding them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing {
    /// One entry per service (its best-ranked place), as the HSDS services list.
    pub per_service: bool,
    /// How many leading results are kept, in rank order (a page's end); the
    /// rest are only counted (`total`, facets).
    pub ordered: usize,
    /// Only services at a place (the service-at-location list).
    pub placed_only: bool,
    /// Count the facets over all results (see [`facets`]).
    pub facets: bool,
}

impl Listing {
    /// Every place of every service, all in rank order.
    pub const ALL: Listing = Listing {
        per_service: false,
        ordered: usize::MAX,
        placed_only: false,
        facets: false,
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
    // Candidates in service order (the directory's memory order, so the
    // filters read it sequentially): the index's for a text (only services
    // with a place inside the radius), else the services near the point, else
    // every service.
    let candidates: Vec<(usize, f32)> = match (&query, &near) {
        (Some(parsed), _) => scored(parsed, near.as_ref()),
        (None, Some(n)) => n.services().iter().map(|&s| (s, 0.0)).collect(),
        (None, None) => (0..dir.services.len()).map(|s| (s, 0.0)).collect(),
    };
    let at = q.open_at.unwrap_or(now);
    let mut collect = Collect::new(snap, listing, at, q.open_at.is_some());
    each_found(snap, q, near.as_ref(), &candidates, now, listing, |f| {
        collect.add(f)
    });
    let (found, total, counts) = collect.finish(query.as_ref());
    let beyond = if total == 0 && !q.relaxable().is_empty() {
        // Beyond the radius, the text's matches come from the whole directory.
        let pool = match (&query, &near) {
            (Some(parsed), Some(_)) => scored(parsed, None),
            _ => candidates,
        };
        // Strong matches only (half the best score or more), then nearest first:
        // the kids' day care next door is not what "dementia day care" wants.
        let best = pool.iter().map(|c| c.1).fold(0.0f32, f32::max);
        let strong: Vec<(usize, f32)> = pool.into_iter().filter(|c| c.1 >= best * 0.5).collect();
        let every = Listing {
            per_service: true,
            placed_only: listing.placed_only,
            ..Listing::ALL
        };
        let mut more = Collect::new(snap, every, at, false);
        each_found(
            snap,
            &q.without_relaxable(),
            None,
            &strong,
            now,
            every,
            |f| more.add(f),
        );
        let (mut more, _, _) = more.finish(None);
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
        total,
        query,
        beyond,
        now,
        open_at: q.open_at,
        counts,
    }
}

/// Hands `emit` each candidate that passes the query's filters, place by place
/// (only the best place of each service when `per_service`), in candidate order.
fn each_found(
    snap: &Snapshot,
    q: &ServiceQuery,
    near: Option<&Near>,
    candidates: &[(usize, f32)],
    now: DateTime<Utc>,
    listing: Listing,
    mut emit: impl FnMut(Found),
) {
    let dir = &snap.directory;
    let filters = Filters::new(snap, q);
    let open_states = OpenStates::new(snap);
    let order = order(dir);
    // Places are read only when a filter or the distance needs them: a
    // national text search without them lists 100,000 services.
    let reads_place = filters.reads_place() || (q.point.is_some() && near.is_none());
    // Without a point, a service's places all rank alike but for their link
    // order, which is their order in `service_places`: listed once, a service
    // is at its first place that passes.
    let first_wins = listing.per_service && q.point.is_none();
    let filters_service = filters.on_service();
    let filters_place = filters.on_place() || q.open_at.is_some() || q.open_on.is_some();
    for (i, &(si, score)) in candidates.iter().enumerate() {
        dir.service_places
            .prefetch_for(i, |j| candidates.get(j).map(|c| c.0));
        if listing.facets {
            dir.service_facets
                .prefetch_for(i, |j| candidates.get(j).map(|c| c.0));
        }
        if filters_service {
            let Some(s) = dir.services.get(si) else {
                continue;
            };
            match filters.service(dir, si, s) {
                Verdict::Keep => {}
                Verdict::Skip => continue,
                Verdict::NoMatch => return,
            }
        }
        let places = dir.service_places.get(si);
        if places.is_empty() {
            // A service with no place: listed alone, unless places are asked for.
            let passes = !listing.placed_only
                && near.is_none()
                && (!filters_place || {
                    let s = &dir.services[si];
                    filters.location(s, None, None, None)
                        && (q.open_at.is_none() && q.open_on.is_none()
                            || filters.open(&open_states, si, None, now))
                });
            if passes {
                emit(Found {
                    service_ix: si,
                    link_ix: None,
                    facility: None,
                    distance_km: None,
                    score,
                });
            }
            continue;
        }
        let mut best: Option<Found> = None;
        for &(link, f) in places {
            let near_km = match near {
                Some(n) => match n.km(f) {
                    // Outside the radius: the cheap test first.
                    None => continue,
                    d => d,
                },
                None => None,
            };
            let distance_km = if filters_place || reads_place {
                let s = &dir.services[si];
                let fac = snap.facilities.get(f as usize).filter(|_| reads_place);
                let ll = fac.and_then(|x| Some((x.lat?, x.lon?)));
                let distance_km = near_km.or_else(|| match (q.point, ll) {
                    (Some((a, b)), Some((c, d))) => Some(haversine_m(a, b, c, d) / 1000.0),
                    _ => None,
                });
                if !filters.location(s, fac, ll, distance_km) {
                    continue;
                }
                if (q.open_at.is_some() || q.open_on.is_some())
                    && !filters.open(&open_states, si, Some(f), now)
                {
                    continue;
                }
                distance_km
            } else {
                near_km
            };
            let found = Found {
                service_ix: si,
                link_ix: Some(link as usize),
                facility: Some(f),
                distance_km,
                score,
            };
            if !listing.per_service {
                emit(found);
            } else if first_wins {
                best = Some(found);
                break;
            } else if best.is_none_or(|b| order(&found, &b).is_lt()) {
                best = Some(found);
            }
        }
        if let Some(b) = best {
            emit(b);
        }
    }
}
