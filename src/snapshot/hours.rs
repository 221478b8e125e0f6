//! Opening hours per facility and the "open now" table kept current as time passes.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use medmap_indexers::hours::{self as ixhours, Hours, OpenState, OpenTable, WeeklySlot};

use serde::Serialize;

use super::{Snapshot, SpecialTimes};
use crate::geo::{self, Located};
use crate::hsds::directory::parse_time;
use crate::store::FacilityRow;

/// Opening hours as answers show them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HoursView {
    /// `true`/`false`, or `null` when the hours are unknown.
    pub open_now: Option<bool>,
    /// When it next opens or closes (UTC), if known.
    pub next_change: Option<DateTime<Utc>>,
    /// Today's intervals in the facility's local time, `["09:00", "18:00"]`.
    #[schema(value_type = Vec<Vec<String>>, example = json!([["09:00", "18:00"]]))]
    pub today: Vec<[String; 2]>,
    /// The source's text (OSM `opening_hours`), kept even when it could not be parsed.
    pub raw: Option<String>,
    pub timezone: Option<String>,
    /// Whether public holidays are known for the facility's country.
    pub holidays_known: bool,
    /// Duty shifts and closures under way or to come (at most
    /// [`SPECIAL_SHOWN`]), which `open_now`, `next_change` and `today` already
    /// take into account.
    pub special: Vec<SpecialView>,
}

/// How many special times an answer lists: a year's night-duty rota is long,
/// and the next few are what a reader acts on.
pub const SPECIAL_SHOWN: usize = 10;

/// A duty shift or closure as answers show it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SpecialView {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `from` and `to` on the facility's own clock, `2026-12-24T20:00`.
    pub local_from: String,
    pub local_to: String,
    /// Open (on duty) or closed.
    pub open: bool,
    /// The rota's own words ("night duty", "Christmas"), if any.
    pub note: Option<String>,
    /// Under way at the time asked.
    pub now: bool,
}

/// A facility's weekly schedule slot as stored (`weekday` ISO 1-7, times `HH:MM[:SS]`).
pub type ScheduleRow = (i64, i64, String, String);

impl Snapshot {
    /// A facility's hours at `now` (by facility index).
    pub fn hours_view(&self, facility: u32, now: DateTime<Utc>) -> HoursView {
        let h = self.hours.get(facility as usize);
        let state = self.state_of(facility, now);
        let tz = self.facility_tz(facility);
        HoursView {
            open_now: state.open,
            next_change: state.next_change,
            today: self.today(facility, now, tz),
            raw: h
                .and_then(|h| h.raw())
                .filter(|r| !r.is_empty())
                .map(String::from),
            timezone: h
                .and_then(|h| h.tz())
                .or_else(|| self.special.get(facility).map(|_| tz))
                .map(|t| t.name().to_string()),
            holidays_known: h.is_some_and(|h| h.holidays_known()),
            special: self.special_views(facility, now, tz),
        }
    }

    /// Open, closed or unknown at `at` and when that changes: the facility's
    /// special times where they say, its hours elsewhere.
    pub fn state_of(&self, facility: u32, at: DateTime<Utc>) -> OpenState {
        let hours = self.hours.get(facility as usize);
        ixhours::state_with(self.special.of(facility), at, |t| {
            hours.map(|h| h.state_at(t)).unwrap_or_default()
        })
    }

    /// [`Snapshot::state_of`] without the next change (cheaper).
    pub(crate) fn open_of(&self, facility: u32, at: DateTime<Utc>) -> Option<bool> {
        match ixhours::span_at(self.special.of(facility), at) {
            Some(s) => Some(s.open),
            None => self
                .hours
                .get(facility as usize)
                .and_then(|h| h.is_open_at(at)),
        }
    }

    /// The zone a facility's clock runs on: its hours', else its record's, else UTC.
    pub fn facility_tz(&self, facility: u32) -> chrono_tz::Tz {
        self.hours
            .get(facility as usize)
            .and_then(|h| h.tz())
            .or_else(|| {
                self.facilities
                    .get(facility as usize)
                    .and_then(|f| f.timezone.as_deref())
                    .and_then(|t| t.parse().ok())
            })
            .unwrap_or(chrono_tz::UTC)
    }

    /// Today's open intervals on the facility's clock, special times included.
    fn today(&self, facility: u32, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Vec<[String; 2]> {
        let fmt = |t: chrono::NaiveTime| t.format("%H:%M").to_string();
        let regular = self
            .hours
            .get(facility as usize)
            .map(|h| h.today(now))
            .unwrap_or_default();
        let specials = self.special.of(facility);
        let date = now.with_timezone(&tz).date_naive();
        let instant = |d: chrono::NaiveDate, t: chrono::NaiveTime| {
            use chrono::TimeZone;
            tz.from_local_datetime(&d.and_time(t))
                .earliest()
                .map(|x| x.timestamp())
        };
        let day = instant(date, chrono::NaiveTime::MIN).zip(
            date.succ_opt()
                .and_then(|d| instant(d, chrono::NaiveTime::MIN)),
        );
        let touched = day.is_some_and(|(a, b)| specials.iter().any(|s| s.from < b && a < s.to));
        let Some((day_from, day_to)) = day.filter(|_| touched) else {
            return regular.into_iter().map(|(a, b)| [fmt(a), fmt(b)]).collect();
        };
        // An interval ending at midnight ends the day, not its start.
        let regular: Vec<(i64, i64)> = regular
            .into_iter()
            .filter_map(|(a, b)| {
                let end = if b == chrono::NaiveTime::MIN {
                    Some(day_to)
                } else {
                    instant(date, b)
                };
                Some((instant(date, a)?, end?))
            })
            .collect();
        let local = |ts: i64| {
            DateTime::from_timestamp(ts, 0)
                .map(|t| fmt(t.with_timezone(&tz).time()))
                .unwrap_or_default()
        };
        ixhours::overlay_day(specials, &regular, day_from, day_to)
            .into_iter()
            .map(|(a, b)| [local(a), local(b)])
            .collect()
    }

    fn special_views(
        &self,
        facility: u32,
        now: DateTime<Utc>,
        tz: chrono_tz::Tz,
    ) -> Vec<SpecialView> {
        let Some(f) = self.special.get(facility) else {
            return Vec::new();
        };
        let first = f.spans.len() - ixhours::upcoming(&f.spans, now).len();
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string();
        f.spans[first..]
            .iter()
            .zip(&f.notes[first..])
            .take(SPECIAL_SHOWN)
            .filter_map(|(s, note)| {
                let (from, to) = (
                    DateTime::from_timestamp(s.from, 0)?,
                    DateTime::from_timestamp(s.to, 0)?,
                );
                Some(SpecialView {
                    from,
                    to,
                    local_from: local(from),
                    local_to: local(to),
                    open: s.open,
                    note: note.as_deref().map(String::from),
                    now: from <= now,
                })
            })
            .collect()
    }

    /// This snapshot with other special times, the open-now answers of the
    /// facilities in `changed` re-evaluated (everything else is shared).
    pub fn with_special(&self, special: SpecialTimes, changed: &[u32]) -> Snapshot {
        let mut next = Snapshot {
            built_at: Utc::now(),
            special: Arc::new(special),
            ..self.clone()
        };
        let mut table = OpenTable::clone(&self.open.load());
        table.expire(changed.iter().copied());
        next.open = Arc::new(arc_swap::ArcSwap::from_pointee(table));
        next.refresh_open(Utc::now());
        next
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
        let tz = self.facility_tz(facility);
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
            None => self.open_of(facility, now),
        }
    }

    /// Recomputes the open-now caches, places' and services' (called
    /// periodically by the server).
    pub fn refresh_open(&self, now: DateTime<Utc>) {
        refresh(&self.open, now, |i, at| self.state_of(i, at));
        let services = &self.directory.service_hours;
        refresh(&self.service_open, now, |i, at| {
            services
                .get(i as usize)
                .map(|h| h.state_at(at))
                .unwrap_or_default()
        });
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
fn refresh(
    table: &arc_swap::ArcSwap<OpenTable>,
    now: DateTime<Utc>,
    state: impl Fn(u32, DateTime<Utc>) -> OpenState,
) {
    let mut t = OpenTable::clone(&table.load());
    t.refresh_with(now, state);
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
            // Holidays need the subdivision too (a state's own holidays), which
            // rows do not store: the point says.
            let holidays = f
                .opening_hours
                .as_deref()
                .is_some_and(|r| r.contains("PH") || r.contains("SH"));
            let here = match (stored, &f.country, f.lat, f.lon) {
                (_, _, Some(lat), Some(lon))
                    if holidays || stored.is_none() || f.country.is_none() =>
                {
                    geo::locate(lat, lon)
                }
                _ => Located::default(),
            };
            let tz = stored
                .or_else(|| here.timezone.as_deref().and_then(|t| t.parse().ok()))
                .unwrap_or(chrono_tz::UTC);
            let country = f.country.as_deref().or(here.country.as_deref());
            let region = here.subdivision.as_deref().filter(|s| {
                country
                    .is_some_and(|c| s.split('-').next() == Some(c.to_ascii_uppercase().as_str()))
            });
            match (&f.opening_hours, weekly) {
                (Some(raw), _) => Hours::parse_osm(raw, tz, region.or(country)),
                (None, Some(s)) => Hours::from_weekly(s, tz),
                (None, None) => Hours::Unknown { raw: String::new() },
            }
        })
        .collect()
}
