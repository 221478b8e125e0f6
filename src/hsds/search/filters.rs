//! The query's filters besides the text: the standard's (taxonomy term, taxonomy,
//! organization, modified after), the person's (age, language), place (point and
//! radius, postcode or proximity to it) and time (open at). Resolved once per query
//! into [`Filters`] (UUIDs looked up, the postcode's centroid found) and then asked
//! of each service and each of its places, in the order the search always applied
//! them; kept apart from the search loop so every rule that drops a result reads in
//! one place.

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc, Weekday};
use medmap_indexers::hours::{Hours, OpenTable};
use medmap_indexers::places::haversine_m;

use super::ServiceQuery;
use crate::hsds::directory::ServiceDirectory;
use crate::hsds::words::language_code;
use crate::snapshot::Snapshot;
use crate::store::{FacilityRow, ServiceRow};

/// What the service-level filters say of one service.
pub(super) enum Verdict {
    /// It passes; its places are checked next.
    Keep,
    /// It does not.
    Skip,
    /// A filter names a UUID the directory does not know: no service can match.
    NoMatch,
}

/// The query's filters, resolved once per query.
pub(super) struct Filters<'a> {
    q: &'a ServiceQuery,
    /// `Some(None)`: the UUID names nothing of that kind.
    term_filter: Option<Option<usize>>,
    taxonomy_filter: Option<Option<usize>>,
    org_filter: Option<Option<usize>>,
    need_filter: Option<Option<u32>>,
    /// The postcode (compacted), and its locations' centroid for a proximity search.
    postcode: Option<String>,
    centroid: Option<(f64, f64)>,
}

impl<'a> Filters<'a> {
    pub(super) fn new(snap: &Snapshot, q: &'a ServiceQuery) -> Filters<'a> {
        let dir: &ServiceDirectory = &snap.directory;
        let term_filter = q.taxonomy_term_id.as_deref().map(|u| dir.term(u));
        let taxonomy_filter = q.taxonomy_id.as_deref().map(|u| dir.taxonomy(u));
        let org_filter = q.organization_id.as_deref().map(|u| dir.organization(u));
        let need_filter = q.need.as_deref().map(|n| dir.need(n));
        // The postcode's locations, and their centroid for a proximity search.
        let postcode = q.postcode.as_deref().map(compact);
        let centroid = postcode.as_ref().and_then(|pc| {
            let pts: Vec<(f64, f64)> = snap
                .facilities
                .iter()
                .filter(|f| f.postcode.as_deref().map(compact).as_ref() == Some(pc))
                .filter_map(|f| Some((f.lat?, f.lon?)))
                .collect();
            (!pts.is_empty()).then(|| {
                let n = pts.len() as f64;
                (
                    pts.iter().map(|p| p.0).sum::<f64>() / n,
                    pts.iter().map(|p| p.1).sum::<f64>() / n,
                )
            })
        });
        Filters {
            q,
            term_filter,
            taxonomy_filter,
            org_filter,
            need_filter,
            postcode,
            centroid,
        }
    }

    /// The filters on the service itself: taxonomy term, taxonomy, organization,
    /// modified after, age.
    pub(super) fn service(&self, dir: &ServiceDirectory, si: usize, s: &ServiceRow) -> Verdict {
        let q = self.q;
        let terms = &dir.service_terms[si];
        match self.term_filter {
            Some(Some(t)) if !terms.contains(&t) => return Verdict::Skip,
            Some(None) => return Verdict::NoMatch,
            _ => {}
        }
        match self.taxonomy_filter {
            Some(Some(x)) if !terms.iter().any(|&t| dir.term_taxonomy[t] == x) => {
                return Verdict::Skip
            }
            Some(None) => return Verdict::NoMatch,
            _ => {}
        }
        match self.org_filter {
            Some(Some(o)) if dir.service_org[si] != Some(o) => return Verdict::Skip,
            Some(None) => return Verdict::NoMatch,
            _ => {}
        }
        match self.need_filter {
            Some(Some(n)) if !dir.index.needs_of(si).contains(&n) => return Verdict::Skip,
            Some(None) => return Verdict::NoMatch,
            _ => {}
        }
        if let Some(after) = q.modified_after {
            let modified = s
                .last_modified
                .as_deref()
                .and_then(|m| DateTime::parse_from_rfc3339(m).ok());
            if modified.is_none_or(|m| m < after) {
                return Verdict::Skip;
            }
        }
        if let Some(age) = q.age {
            if s.min_age.is_some_and(|m| age < m) || s.max_age.is_some_and(|m| age > m) {
                return Verdict::Skip;
            }
        }
        Verdict::Keep
    }

    /// Whether [`Filters::service`] can drop a service: without such a filter a
    /// national search does not read 100,000 service records for nothing.
    pub(super) fn on_service(&self) -> bool {
        let q = self.q;
        self.term_filter.is_some()
            || self.taxonomy_filter.is_some()
            || self.org_filter.is_some()
            || self.need_filter.is_some()
            || q.modified_after.is_some()
            || q.age.is_some()
    }

    /// Whether [`Filters::location`] can drop a place (a point, a postcode, a
    /// language).
    pub(super) fn on_place(&self) -> bool {
        self.q.point.is_some() || self.postcode.is_some() || self.q.language.is_some()
    }

    /// Whether [`Filters::location`] reads the place's record (postcode,
    /// language), not only its distance.
    pub(super) fn reads_place(&self) -> bool {
        self.postcode.is_some() || self.q.language.is_some()
    }

    /// The filters on one place of a service: radius, postcode (or proximity to it),
    /// language (the service's or the place's). `ll` is the place's coordinates and
    /// `distance_km` its distance from the query's point.
    pub(super) fn location(
        &self,
        s: &ServiceRow,
        fac: Option<&FacilityRow>,
        ll: Option<(f64, f64)>,
        distance_km: Option<f64>,
    ) -> bool {
        let q = self.q;
        if q.point.is_some() {
            match (distance_km, q.radius_km) {
                (None, _) => return false,
                (Some(d), Some(r)) if d > r => return false,
                _ => {}
            }
        }
        if let Some(pc) = &self.postcode {
            match (q.proximity_m, self.centroid, ll) {
                (Some(m), Some((a, b)), Some((c, d))) => {
                    if haversine_m(a, b, c, d) > m {
                        return false;
                    }
                }
                (Some(_), _, _) => return false,
                (None, _, _) => {
                    if fac
                        .and_then(|x| x.postcode.as_deref())
                        .map(compact)
                        .as_ref()
                        != Some(pc)
                    {
                        return false;
                    }
                }
            }
        }
        if let Some(lang) = &q.language {
            let at_location = fac.map(|x| x.languages.as_slice()).unwrap_or(&[]);
            if !speaks(&s.languages, lang) && !speaks(at_location, lang) {
                return false;
            }
        }
        true
    }

    /// The open-at and open-on filters, on the hours the place keeps (see
    /// [`hours_at`]); "open on Monday at 10:00" is the next such moment in the
    /// place's own time zone.
    pub(super) fn open(
        &self,
        states: &OpenStates,
        service_ix: usize,
        facility: Option<u32>,
        now: DateTime<Utc>,
    ) -> bool {
        if let Some(at) = self.q.open_at {
            if states.at(service_ix, facility, at) != Some(true) {
                return false;
            }
        }
        if let Some((day, time)) = self.q.open_on {
            let hours = hours_at(states.snap, service_ix, facility);
            let at = next_at(now, day, time, hours.tz().unwrap_or(chrono_tz::UTC));
            if hours.is_open_at(at) != Some(true) {
                return false;
            }
        }
        true
    }
}

fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn speaks(langs: &[String], wanted: &str) -> bool {
    let code = language_code(wanted);
    langs
        .iter()
        .any(|l| l.eq_ignore_ascii_case(wanted) || (code.is_some() && language_code(l) == code))
}

/// The hours a service keeps at a place: the location's where known, else the
/// service's own schedule. One rule for the search's `open_at` and for callers that
/// check a hit at other times (the pages' "open on Monday at 10:00", read in each
/// place's own time zone).
pub(super) fn hours_at(snap: &Snapshot, service_ix: usize, facility: Option<u32>) -> &Hours {
    facility
        .and_then(|f| snap.hours.get(f as usize))
        .filter(|h| h.is_known())
        .unwrap_or(&snap.directory.service_hours[service_ix])
}

/// Whether a service is open at a place (the place's hours where they can say,
/// else the service's own), from the snapshot's open-now tables while they hold
/// for the instant asked, else from the hours: evaluating an opening-hours
/// expression costs microseconds, and a national search asks for tens of
/// thousands of results.
pub(crate) struct OpenStates<'a> {
    snap: &'a Snapshot,
    places: arc_swap::Guard<std::sync::Arc<OpenTable>>,
    services: arc_swap::Guard<std::sync::Arc<OpenTable>>,
}

impl<'a> OpenStates<'a> {
    pub(crate) fn new(snap: &'a Snapshot) -> OpenStates<'a> {
        OpenStates {
            snap,
            places: snap.open.load(),
            services: snap.service_open.load(),
        }
    }

    pub(crate) fn at(
        &self,
        service_ix: usize,
        facility: Option<u32>,
        at: DateTime<Utc>,
    ) -> Option<bool> {
        let ts = at.timestamp();
        if let Some(f) = facility {
            let place = match self.places.get_at(f, ts) {
                Some(state) => state,
                None => self.snap.open_of(f, at),
            };
            // When the place cannot say (it keeps no hours, or hours that do
            // not tell), the service's own hours do.
            if place.is_some() {
                return place;
            }
        }
        match self.services.get_at(service_ix as u32, ts) {
            Some(state) => state,
            None => self
                .snap
                .directory
                .service_hours
                .get(service_ix)?
                .is_open_at(at),
        }
    }
}

/// The first instant at or after `now` that is `day` at `time` in `tz`.
pub(crate) fn next_at(
    now: DateTime<Utc>,
    day: Weekday,
    time: NaiveTime,
    tz: chrono_tz::Tz,
) -> DateTime<Utc> {
    let local = now.with_timezone(&tz).date_naive();
    for ahead in 0..8 {
        let d = local + chrono::Duration::days(ahead);
        if d.weekday() == day {
            if let Some(t) = tz.from_local_datetime(&d.and_time(time)).earliest() {
                let t = t.with_timezone(&Utc);
                if t >= now || ahead == 7 {
                    return t;
                }
            }
        }
    }
    now
}
