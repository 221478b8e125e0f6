//! Opening hours: "open now?", "when does that change?", "what are today's
//! times?" for OSM `opening_hours` strings and HSDS/Ohana weekly schedules.
//!
//! Both sources end up as one evaluator, the [`opening_hours`] crate (the Rust
//! implementation of the OSM grammar, tolerant of real-world data): an HSDS
//! schedule is rewritten into the equivalent OSM expression (`Mo 20:00-32:00`
//! for an overnight slot), so overnight spans, DST days and next-change
//! computation behave the same whatever the source.
//!
//! Every facility carries its own IANA time zone: the expression is evaluated
//! in local wall-clock time, and the instants it returns are converted back to
//! UTC. On the spring-forward day a time that does not exist locally (03:30 in
//! Kyiv on the last Sunday of March) resolves to the first existing minute
//! after the gap; on the fall-back day an ambiguous time resolves to the later
//! of its two instants (the crate's choice).
//!
//! Public holidays: with an ISO country code, `PH` rules use the crate's
//! embedded national calendar (from nager.date); regional holidays of that
//! country evaluate as *unknown* rather than guessed. Without a country, or
//! for a country the calendar does not cover, `PH` rules never match, so a
//! holiday is evaluated like an ordinary day: [`Hours::holidays_known`] then
//! returns false so the caller can say "hours on public holidays unknown".
//!
//! Nothing here fails a facility: a string that does not parse becomes
//! [`Hours::Unknown`] with its raw text kept, and every query on it answers
//! "unknown". Evaluation runs under `catch_unwind`, since the evaluator has
//! internal assertions and one odd string must not take a request down.

use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::{DateTime, LocalResult, NaiveTime, TimeDelta, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use opening_hours::localization::{Country, TzLocation};
use opening_hours::{Context, OpeningHours, RuleKind};

mod holidays;
pub mod special;
pub use special::{overlay_day, span_at, state_with, upcoming, Special};

/// Strings longer than this are not parsed: no real schedule needs it, and the
/// parser's cost grows with the input.
pub const MAX_RAW_LEN: usize = 1024;

/// Intervals longer than this count as "forever" for next-change purposes:
/// bounds the evaluator's work on expressions like `2020 Jan 01 off`.
const HORIZON_DAYS: i64 = 370;

/// One weekly slot of an HSDS `schedule` / Ohana `regular_schedules` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WeeklySlot {
    /// Day the slot opens.
    pub weekday: Weekday,
    /// Local opening time.
    pub opens: NaiveTime,
    /// Local closing time; `closes <= opens` means it closes the next day
    /// (`opens == closes` is a full 24 hours).
    pub closes: NaiveTime,
}

/// The compiled evaluator, opaque so the crate behind it can change.
#[derive(Clone, Debug)]
pub struct Compiled {
    oh: OpeningHours<TzLocation<Tz>>,
    holidays_known: bool,
    /// For an expression with `PH`/`SH` in a country with regional holidays:
    /// the same expression with those as holidays, and their calendar.
    regional: Option<Regional>,
}

/// Regional holidays: a date that is a holiday in some region of the country
/// (Scotland's August bank holiday, a German Land's Epiphany) and maybe not where
/// the facility is. On such a date both readings are evaluated; where they agree
/// that is the answer, where they differ it is unknown. Why not the evaluator's
/// own "unknown holidays": it answers the whole date from the holiday rule, so
/// `Mo-Su 08:00-23:00; PH 10:00-18:00` was *closed* at 08:00 in London on
/// Scotland's holiday, where either reading says something else or nothing.
#[derive(Clone, Debug)]
struct Regional {
    oh: OpeningHours<TzLocation<Tz>>,
    holidays: opening_hours::ContextHolidays,
}

impl Regional {
    fn covers(&self, d: chrono::NaiveDate) -> bool {
        self.holidays.get_public().contains(d) || self.holidays.get_school().contains(d)
    }
}

impl Compiled {
    /// The state at local time `local`, regional holidays weighed as above.
    fn state(&self, local: DateTime<Tz>) -> (Option<bool>, Option<DateTime<Tz>>) {
        let kind = |k: RuleKind| match k {
            RuleKind::Open => Some(true),
            RuleKind::Closed => Some(false),
            RuleKind::Unknown => None,
        };
        let open = kind(self.oh.state(local).0);
        let mut next = self.oh.next_change(local);
        let Some(r) = &self.regional else {
            return (open, next);
        };
        let day = local.date_naive();
        if r.covers(day) {
            let other = kind(r.oh.state(local).0);
            let other_next = r.oh.next_change(local);
            next = match (next, other_next) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            return (if other == open { open } else { None }, next);
        }
        // The answer holds at most until the next regional date begins.
        let after = [
            r.holidays.get_public().first_after(day),
            r.holidays.get_school().first_after(day),
        ]
        .into_iter()
        .flatten()
        .min()
        .filter(|d| (*d - day).num_days() <= HORIZON_DAYS);
        if let Some(d) = after {
            let start = local
                .timezone()
                .from_local_datetime(&d.and_time(NaiveTime::MIN))
                .earliest();
            if let Some(st) = start {
                if next.is_none_or(|nx| st < nx) {
                    next = Some(st);
                }
            }
        }
        (open, next)
    }
}

/// Opening hours of one facility.
#[derive(Clone, Debug)]
pub enum Hours {
    /// An OSM `opening_hours` expression.
    Osm {
        /// The source text, as given.
        raw: String,
        /// The facility's time zone.
        tz: Tz,
        /// ISO 3166-1 alpha-2 code (or ISO 3166-2 subdivision, `US-NY`) used
        /// for public holidays, if known.
        country: Option<String>,
        /// The evaluator.
        compiled: Compiled,
    },
    /// A weekly schedule (HSDS 3.0 `schedule`, Ohana `regular_schedules`).
    Weekly {
        /// The slots, as given.
        slots: Vec<WeeklySlot>,
        /// The facility's time zone.
        tz: Tz,
        /// The evaluator (the equivalent OSM expression).
        compiled: Compiled,
    },
    /// Not parseable, or empty: every answer is "unknown".
    Unknown {
        /// The source text, kept for display.
        raw: String,
    },
}

/// The answer to "is it open at this instant".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub struct OpenState {
    /// `Some(true)` open, `Some(false)` closed, `None` unknown.
    pub open: Option<bool>,
    /// When that answer next changes, if within about a year.
    pub next_change: Option<DateTime<Utc>>,
}

fn day_abbr(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Mo",
        Weekday::Tue => "Tu",
        Weekday::Wed => "We",
        Weekday::Thu => "Th",
        Weekday::Fri => "Fr",
        Weekday::Sat => "Sa",
        Weekday::Sun => "Su",
    }
}

/// `at` in `tz`, taken at the later of the two instants when the autumn change
/// repeats its wall time. Opening hours are wall-clock times, so both instants of
/// a repeated 01:30 answer alike; and the evaluator answers the last minute of the
/// first one (01:59 BST) as closed even for `00:00-24:00`, which the later one
/// (01:59 GMT) does not (tests/hours_agreement.rs found it).
fn wall_clock(at: DateTime<Utc>, tz: Tz) -> DateTime<Tz> {
    let local = at.with_timezone(&tz);
    match tz.from_local_datetime(&local.naive_local()) {
        LocalResult::Ambiguous(_, later) => later,
        _ => local,
    }
}

/// Runs `f`, turning a panic inside the evaluator into `None`.
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

fn compile(expr: &str, tz: Tz, country: Option<&str>) -> Option<Compiled> {
    if expr.len() > MAX_RAW_LEN || expr.trim().is_empty() {
        return None;
    }
    let parsed: OpeningHours = guarded(|| expr.parse::<OpeningHours>().ok()).flatten()?;
    let ctx = || {
        Context::default()
            .with_locale(TzLocation::new(tz))
            .approx_bound_interval_size(TimeDelta::days(HORIZON_DAYS))
    };
    // `UA`, or a subdivision `US-NY` whose state holidays count as public ones.
    let code = country.map(|c| c.trim().to_ascii_uppercase());
    let (cc, region) = match code.as_deref().map(|c| c.split_once('-')) {
        Some(Some((cc, _))) => (Some(cc), code.as_deref()),
        _ => (code.as_deref(), None),
    };
    let country = cc.and_then(|c| c.parse::<Country>().ok());
    let mentions = |word: &str| {
        expr.split(|ch: char| !ch.is_ascii_alphanumeric())
            .any(|w| w == word)
    };
    let mut regional = None;
    let mut main = ctx();
    if let Some(c) = country {
        main = main.with_holidays(holidays::public(c, region));
        let r = c.holidays_regional();
        let has_any =
            r.get_public().iter().next().is_some() || r.get_school().iter().next().is_some();
        if (mentions("PH") || mentions("SH")) && has_any {
            regional = Some(Regional {
                oh: parsed.clone().with_context(ctx().with_holidays(r.clone())),
                holidays: r,
            });
        }
    }
    let holidays_known = !mentions("PH")
        || country.is_some_and(|c| holidays::public(c, region).get_public().count() > 0);
    Some(Compiled {
        oh: parsed.with_context(main),
        holidays_known,
        regional,
    })
}

impl Hours {
    /// Parses an OSM `opening_hours` string. Never fails: anything the parser
    /// rejects (or an empty / over-long string) is [`Hours::Unknown`] with the
    /// raw text kept. `country` (ISO alpha-2, any case, or an ISO 3166-2
    /// subdivision such as `US-NY`) selects the public holiday calendar for `PH`.
    pub fn parse_osm(raw: &str, tz: Tz, country: Option<&str>) -> Hours {
        match compile(raw.trim(), tz, country) {
            Some(compiled) => Hours::Osm {
                raw: raw.to_string(),
                tz,
                country: country.map(|c| c.trim().to_ascii_uppercase()),
                compiled,
            },
            None => Hours::Unknown {
                raw: raw.to_string(),
            },
        }
    }

    /// A weekly schedule. An empty slot list carries no information and is
    /// [`Hours::Unknown`] (not "always closed").
    pub fn from_weekly(slots: Vec<WeeklySlot>, tz: Tz) -> Hours {
        match Self::weekly_expression(&slots).and_then(|e| compile(&e, tz, None)) {
            Some(compiled) => Hours::Weekly {
                slots,
                tz,
                compiled,
            },
            None => Hours::Unknown { raw: String::new() },
        }
    }

    /// The OSM expression equivalent to weekly slots (additional rules joined
    /// by `, ` so slots of one day add up instead of replacing each other;
    /// overnight slots in extended hours, `20:00-32:00`).
    pub fn weekly_expression(slots: &[WeeklySlot]) -> Option<String> {
        if slots.is_empty() {
            return None;
        }
        let parts: Vec<String> = slots
            .iter()
            .map(|s| {
                let o = s.opens.hour() * 60 + s.opens.minute();
                let mut c = s.closes.hour() * 60 + s.closes.minute();
                if c <= o {
                    c += 24 * 60;
                }
                format!(
                    "{} {:02}:{:02}-{:02}:{:02}",
                    day_abbr(s.weekday),
                    o / 60,
                    o % 60,
                    c / 60,
                    c % 60
                )
            })
            .collect();
        Some(parts.join(", "))
    }

    fn compiled(&self) -> Option<&Compiled> {
        match self {
            Hours::Osm { compiled, .. } | Hours::Weekly { compiled, .. } => Some(compiled),
            Hours::Unknown { .. } => None,
        }
    }

    /// The facility's time zone (None for unknown hours).
    pub fn tz(&self) -> Option<Tz> {
        match self {
            Hours::Osm { tz, .. } | Hours::Weekly { tz, .. } => Some(*tz),
            Hours::Unknown { .. } => None,
        }
    }

    /// Open, closed or unknown at `at`, and when that changes.
    pub fn state_at(&self, at: DateTime<Utc>) -> OpenState {
        let (Some(c), Some(tz)) = (self.compiled(), self.tz()) else {
            return OpenState::default();
        };
        let local = wall_clock(at, tz);
        guarded(|| {
            let (open, next) = c.state(local);
            OpenState {
                open,
                next_change: next.map(|d| d.with_timezone(&Utc)),
            }
        })
        .unwrap_or_default()
    }

    /// Open at `at`? (`None` = unknown.)
    pub fn is_open_at(&self, at: DateTime<Utc>) -> Option<bool> {
        let (Some(c), Some(tz)) = (self.compiled(), self.tz()) else {
            return None;
        };
        let local = wall_clock(at, tz);
        match &c.regional {
            // Only a regional date needs the next change; elsewhere the state alone.
            Some(r) if r.covers(local.date_naive()) => guarded(|| c.state(local).0).flatten(),
            _ => guarded(|| match c.oh.state(local).0 {
                RuleKind::Open => Some(true),
                RuleKind::Closed => Some(false),
                RuleKind::Unknown => None,
            })
            .flatten(),
        }
    }

    /// The open intervals of the local day containing `at`, in local wall
    /// time, in order. An interval ending at midnight is returned with end
    /// `00:00`; an overnight opening shows as `(00:00, 08:00)` in the morning
    /// and `(20:00, 00:00)` in the evening. Empty when closed all day or
    /// unknown.
    pub fn today(&self, at: DateTime<Utc>) -> Vec<(NaiveTime, NaiveTime)> {
        let (Some(c), Some(tz)) = (self.compiled(), self.tz()) else {
            return Vec::new();
        };
        let date = at.with_timezone(&tz).date_naive();
        let t = |h: u8, m: u8| {
            NaiveTime::from_hms_opt(u32::from(h) % 24, u32::from(m), 0).unwrap_or(NaiveTime::MIN)
        };
        guarded(|| {
            c.oh.schedule_at(date)
                .into_iter()
                .filter(|r| r.kind == RuleKind::Open)
                .map(|r| {
                    (
                        t(r.range.start.hour(), r.range.start.minute()),
                        t(r.range.end.hour(), r.range.end.minute()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
    }

    /// The source text (OSM string, or the unparseable text); None for a
    /// weekly schedule, which has no source string.
    pub fn raw(&self) -> Option<&str> {
        match self {
            Hours::Osm { raw, .. } | Hours::Unknown { raw } => Some(raw),
            Hours::Weekly { .. } => None,
        }
    }

    /// False when the hours are unknown.
    pub fn is_known(&self) -> bool {
        self.compiled().is_some()
    }

    /// False when the expression has `PH` rules but no holiday calendar was
    /// available: public holidays are then evaluated as ordinary days and the
    /// caller should say so.
    pub fn holidays_known(&self) -> bool {
        self.compiled().is_some_and(|c| c.holidays_known)
    }
}

/// Per-facility "open now" answers cached until they change. Why: evaluating
/// an expression costs microseconds, while an availability query needs the
/// answer for dozens of facilities and a national services search for tens of
/// thousands, in a few microseconds in total. Each entry keeps its own expiry, so
/// [`OpenTable::refresh`] re-evaluates only the facilities whose state expired.
///
/// The answers sit in a byte per facility, apart from their expiries: until the
/// earliest expiry (`min_until`) a lookup reads that byte alone, and the bytes of
/// 100,000 places stay in the CPU's cache where 16-byte entries would not.
#[derive(Clone, Debug, Default)]
pub struct OpenTable {
    /// Per facility: the answer (see [`encode`]).
    states: Vec<u8>,
    /// Per facility: the instant (unix s) its answer holds until.
    until: Vec<i64>,
    /// The earliest of `until`: before it every answer holds.
    min_until: i64,
    /// The last evaluation (unix s): every entry holds from here to its
    /// `until`, so an instant before it (an `open_at` in the past) is not
    /// answered from the table.
    checked: i64,
}

fn encode(state: Option<bool>) -> u8 {
    match state {
        None => 0,
        Some(false) => 1,
        Some(true) => 2,
    }
}

fn decode(byte: u8) -> Option<bool> {
    match byte {
        1 => Some(false),
        2 => Some(true),
        _ => None,
    }
}

impl OpenTable {
    /// Evaluates `n` facilities at `now`; `hours(f)` gives facility `f`'s
    /// hours (None = no hours known).
    pub fn build<'a>(
        n: usize,
        now: DateTime<Utc>,
        hours: impl Fn(u32) -> Option<&'a Hours>,
    ) -> OpenTable {
        OpenTable::build_with(n, now, |i, at| {
            hours(i).map(|h| h.state_at(at)).unwrap_or_default()
        })
    }

    /// [`OpenTable::build`] where `state(f, at)` answers for facility `f`
    /// (hours with special times laid over them, say).
    pub fn build_with(
        n: usize,
        now: DateTime<Utc>,
        state: impl Fn(u32, DateTime<Utc>) -> OpenState,
    ) -> OpenTable {
        let mut t = OpenTable {
            states: vec![0; n],
            until: vec![i64::MIN; n],
            min_until: i64::MIN,
            checked: i64::MIN,
        };
        t.refresh_with(now, state);
        t
    }

    /// Re-evaluates the entries whose answer may have changed by `now`.
    /// Returns how many were re-evaluated.
    pub fn refresh<'a>(
        &mut self,
        now: DateTime<Utc>,
        hours: impl Fn(u32) -> Option<&'a Hours>,
    ) -> usize {
        self.refresh_with(now, |i, at| {
            hours(i).map(|h| h.state_at(at)).unwrap_or_default()
        })
    }

    /// [`OpenTable::refresh`] with a state function (see [`OpenTable::build_with`]).
    pub fn refresh_with(
        &mut self,
        now: DateTime<Utc>,
        state: impl Fn(u32, DateTime<Utc>) -> OpenState,
    ) -> usize {
        let ts = now.timestamp();
        self.checked = self.checked.max(ts);
        let mut n = 0;
        let mut min_until = i64::MAX;
        for (i, (byte, until)) in self.states.iter_mut().zip(&mut self.until).enumerate() {
            if *until <= ts {
                n += 1;
                let s = state(i as u32, now);
                *byte = encode(s.open);
                *until = s
                    .next_change
                    .map_or(i64::MAX, |c| c.timestamp().max(ts + 1));
            }
            min_until = min_until.min(*until);
        }
        self.min_until = min_until;
        n
    }

    /// Marks facilities' answers as expired (their hours or special times
    /// changed): lookups go to the hours until the next refresh re-evaluates them.
    pub fn expire(&mut self, facilities: impl IntoIterator<Item = u32>) {
        for f in facilities {
            if let Some(u) = self.until.get_mut(f as usize) {
                *u = i64::MIN;
                self.min_until = i64::MIN;
            }
        }
    }

    /// Cached answer for a facility (None: unknown, or out of range).
    #[inline]
    pub fn get(&self, facility: u32) -> Option<bool> {
        self.states.get(facility as usize).copied().and_then(decode)
    }

    /// A facility's cached answer if it still holds at `ts` (unix s): each entry
    /// carries its own expiry, so one facility about to close does not send every
    /// other lookup back to the hours.
    #[inline]
    pub fn get_at(&self, facility: u32, ts: i64) -> Option<Option<bool>> {
        let i = facility as usize;
        let state = *self.states.get(i)?;
        if ts < self.checked {
            return None;
        }
        // Before the earliest expiry the byte alone answers.
        if ts < self.min_until || self.until.get(i).is_some_and(|&u| ts < u) {
            Some(decode(state))
        } else {
            None
        }
    }

    /// Earliest instant (unix s) at which some entry needs re-evaluation: when
    /// a refresh keeps every lookup on the fast path.
    pub fn valid_until(&self) -> i64 {
        self.min_until
    }
}

#[cfg(test)]
mod tests;
