//! Opening hours per facility and the "open now" table kept current as time passes.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use medmap_indexers::hours::{Hours, OpenTable, WeeklySlot};

use serde::Serialize;

use super::Snapshot;
use crate::geo::{self, Located};
use crate::hsds::directory::parse_time;
use crate::store::FacilityRow;

/// Opening hours as answers show them.
#[derive(Debug, Serialize)]
pub struct HoursView {
    /// `true`/`false`, or `null` when the hours are unknown.
    pub open_now: Option<bool>,
    /// When it next opens or closes (UTC), if known.
    pub next_change: Option<DateTime<Utc>>,
    /// Today's intervals in the facility's local time, `["09:00", "18:00"]`.
    pub today: Vec<[String; 2]>,
    /// The source's text (OSM `opening_hours`), kept even when it could not be parsed.
    pub raw: Option<String>,
    pub timezone: Option<String>,
    /// Whether public holidays are known for the facility's country.
    pub holidays_known: bool,
}

/// A facility's weekly schedule slot as stored (`weekday` ISO 1-7, times `HH:MM[:SS]`).
pub type ScheduleRow = (i64, i64, String, String);

impl Snapshot {
    /// A facility's hours at `now` (by facility index).
    pub fn hours_view(&self, facility: u32, now: DateTime<Utc>) -> HoursView {
        let Some(h) = self.hours.get(facility as usize) else {
            return HoursView {
                open_now: None,
                next_change: None,
                today: Vec::new(),
                raw: None,
                timezone: None,
                holidays_known: false,
            };
        };
        let state = h.state_at(now);
        HoursView {
            open_now: state.open,
            next_change: state.next_change,
            today: h
                .today(now)
                .into_iter()
                .map(|(a, b)| [a.format("%H:%M").to_string(), b.format("%H:%M").to_string()])
                .collect(),
            raw: h.raw().filter(|r| !r.is_empty()).map(String::from),
            timezone: h.tz().map(|t| t.name().to_string()),
            holidays_known: h.holidays_known(),
        }
    }

    /// Whether a facility is open at the next `time` of its own day (its zone's
    /// wall clock, today if still ahead, else tomorrow): "open at 3 a.m." asked
    /// of pharmacies in several zones means 3 a.m. in each.
    pub fn is_open_at_local(
        &self,
        facility: u32,
        time: chrono::NaiveTime,
        now: DateTime<Utc>,
    ) -> Option<bool> {
        let tz = self
            .hours
            .get(facility as usize)
            .and_then(|h| h.tz())
            .unwrap_or(chrono_tz::UTC);
        let local = now.with_timezone(&tz);
        let mut day = local.date_naive();
        if local.time() > time {
            day = day.succ_opt()?;
        }
        use chrono::TimeZone;
        let at = tz.from_local_datetime(&day.and_time(time)).earliest()?;
        self.is_open(facility, at.with_timezone(&Utc))
    }

    /// Whether a facility is open at `now`: the cached table while it is valid,
    /// else the hours themselves.
    pub fn is_open(&self, facility: u32, now: DateTime<Utc>) -> Option<bool> {
        match self.open.load().get_at(facility, now.timestamp()) {
            Some(cached) => cached,
            None => self
                .hours
                .get(facility as usize)
                .and_then(|h| h.is_open_at(now)),
        }
    }

    /// Recomputes the open-now caches, places' and services' (called
    /// periodically by the server).
    pub fn refresh_open(&self, now: DateTime<Utc>) {
        refresh(&self.open, now, &self.hours);
        refresh(&self.service_open, now, &self.directory.service_hours);
    }

    /// When the open-now caches next need [`Snapshot::refresh_open`] (unix s): from
    /// then until it runs, lookups of the places that changed go the slow way.
    pub fn open_valid_until(&self) -> i64 {
        self.open
            .load()
            .valid_until()
            .min(self.service_open.load().valid_until())
    }
}

/// Swaps in a copy of `table` refreshed at `now` from `hours`: readers keep the
/// table they loaded while this runs.
fn refresh(table: &arc_swap::ArcSwap<OpenTable>, now: DateTime<Utc>, hours: &[Hours]) {
    let mut t = OpenTable::clone(&table.load());
    t.refresh(now, |i| hours.get(i as usize));
    table.store(Arc::new(t));
}

/// Hours per facility: OSM `opening_hours` where the source has it, else the weekly
/// schedule rows (HSDS / Ohana), else unknown. A string that does not parse keeps its
/// raw text and reads "hours unknown"; it never fails the facility.
pub(super) fn build_hours(
    facilities: &[FacilityRow],
    index: &HashMap<i64, u32>,
    schedules: Vec<ScheduleRow>,
) -> Vec<Hours> {
    let mut slots: HashMap<u32, Vec<WeeklySlot>> = HashMap::new();
    for (fid, wd, opens, closes) in schedules {
        let (Some(&i), Some(o), Some(c)) =
            (index.get(&fid), parse_time(&opens), parse_time(&closes))
        else {
            continue;
        };
        let Some(weekday) = u8::try_from(wd)
            .ok()
            .filter(|d| (1..=7).contains(d))
            .and_then(|d| chrono::Weekday::try_from(d - 1).ok())
        else {
            continue;
        };
        slots.entry(i).or_default().push(WeeklySlot {
            weekday,
            opens: o,
            closes: c,
        });
    }
    facilities
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let weekly = slots.remove(&(i as u32));
            if f.opening_hours.is_none() && weekly.is_none() {
                return Hours::Unknown { raw: String::new() };
            }
            // Rows saved before zones came from coordinates may lack one (or a
            // country): the point says, as it does for new imports.
            let stored: Option<chrono_tz::Tz> = f.timezone.as_deref().and_then(|t| t.parse().ok());
            let here = match (stored, &f.country, f.lat, f.lon) {
                (Some(_), Some(_), _, _) | (_, _, None, _) | (_, _, _, None) => Located::default(),
                (_, _, Some(lat), Some(lon)) => geo::locate(lat, lon),
            };
            let tz = stored
                .or_else(|| here.timezone.as_deref().and_then(|t| t.parse().ok()))
                .unwrap_or(chrono_tz::UTC);
            let country = f.country.as_deref().or(here.country.as_deref());
            match (&f.opening_hours, weekly) {
                (Some(raw), _) => Hours::parse_osm(raw, tz, country),
                (None, Some(s)) => Hours::from_weekly(s, tz),
                (None, None) => Hours::Unknown { raw: String::new() },
            }
        })
        .collect()
}
