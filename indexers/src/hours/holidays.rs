//! National public holiday calendars, completed where the embedded one (from
//! nager.date, through the opening-hours crate) lists only the day a holiday is
//! *observed*: in the US, Independence Day on Saturday 4 July 2026 is listed as
//! Friday 3 July alone; England's Boxing Day on Saturday 26 December as Monday 28;
//! Bulgaria's 24 May on a Sunday as Monday 25. The holiday is still the date itself
//! (shops that close "PH" close on the 4th), and the OSM reference evaluator,
//! opening_hours.js, says so, so both days are holidays here.
//!
//! How, without a hand list per country: a month-day that is a holiday in *every*
//! year of the calendar where it falls on a weekday is a fixed-date holiday, and is
//! added in the years where it falls on a weekend. Movable feasts and observed
//! substitutes are on a given month-day only in some weekday years, so they never
//! qualify.
//!
//! What nager.date lacks altogether is added by name below ([`MISSING`], and
//! [`STATE`] for state holidays), each with its law.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{Datelike, NaiveDate, Weekday};
use opening_hours::localization::Country;
use opening_hours::ContextHolidays;

/// A month-day must be seen on this many weekday years before it counts as fixed.
const MIN_WEEKDAY_YEARS: usize = 3;

/// Holidays nager.date does not list: (country, month, day, substitute a Sunday by
/// the Monday after, why).
const MISSING: &[(&str, u32, u32, bool, &str)] = &[
    // Labour Code art. 112: 1-6 and 8 January are the New Year holidays; the
    // calendar has 1-7 only.
    (
        "RU",
        1,
        8,
        false,
        "8 January, New Year holidays (Labour Code art. 112)",
    ),
    // Art. 112: a holiday on a day off moves to the next working day (8 March
    // 2026 is a Sunday: Monday 9 March is off).
    (
        "RU",
        3,
        8,
        true,
        "International Women's Day, moved off a Sunday (art. 112)",
    ),
];

/// Public holidays of one state that the national calendar does not have and the
/// embedded one has no regional entry for: (ISO 3166-2 subdivision, month, day,
/// a Sunday moves to the Monday after, the law). Only states whose facilities we
/// bundle are listed; elsewhere in the US a state holiday reads as an ordinary day.
const STATE: &[(&str, u32, u32, bool, &str)] = &[
    (
        "US-NY",
        2,
        12,
        false,
        "Lincoln's Birthday, New York General Construction Law § 24",
    ),
    (
        "US-CA",
        3,
        31,
        true,
        "César Chávez Day, California Government Code § 6700",
    ),
];

/// Calendars built so far, by country and region.
type Calendars = HashMap<(Country, Option<String>), ContextHolidays>;

/// The completed calendar of `country`, with the state holidays of `region`
/// (an ISO 3166-2 code such as `US-NY`) where [`STATE`] has them; built once per
/// country and region.
pub fn public(country: Country, region: Option<&str>) -> ContextHolidays {
    static CACHE: LazyLock<Mutex<Calendars>> = LazyLock::new(Mutex::default);
    let region = region.filter(|r| STATE.iter().any(|s| s.0 == *r));
    let mut cache = match CACHE.lock() {
        Ok(c) => c,
        Err(poisoned) => poisoned.into_inner(),
    };
    cache
        .entry((country, region.map(String::from)))
        .or_insert_with(|| complete(country, region))
        .clone()
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn complete(country: Country, region: Option<&str>) -> ContextHolidays {
    let given = country.holidays();
    let public = given.get_public();
    let dates: Vec<NaiveDate> = public.iter().collect();
    let (Some(first), Some(last)) = (dates.first(), dates.last()) else {
        return given;
    };
    let years = first.year()..=last.year();
    let mut out = public.clone();
    // Month-days that are holidays on every weekday year they fall on.
    let mut month_days: Vec<(u32, u32)> = dates.iter().map(|d| (d.month(), d.day())).collect();
    month_days.sort_unstable();
    month_days.dedup();
    for (m, d) in month_days {
        let on = |y: i32| NaiveDate::from_ymd_opt(y, m, d);
        let weekday_years: Vec<NaiveDate> = years
            .clone()
            .filter_map(on)
            .filter(|x| !is_weekend(*x))
            .collect();
        if weekday_years.len() >= MIN_WEEKDAY_YEARS
            && weekday_years.iter().all(|x| public.contains(*x))
        {
            for x in years.clone().filter_map(on).filter(|x| is_weekend(*x)) {
                out.insert(x);
            }
        }
    }
    let code = format!("{country:?}");
    let added = MISSING
        .iter()
        .filter(|e| e.0 == code)
        .chain(STATE.iter().filter(|e| Some(e.0) == region));
    for &(_, m, d, sunday_to_monday, _why) in added {
        for x in years
            .clone()
            .filter_map(|y| NaiveDate::from_ymd_opt(y, m, d))
        {
            out.insert(x);
            if sunday_to_monday && x.weekday() == Weekday::Sun {
                if let Some(monday) = x.succ_opt() {
                    out.insert(monday);
                }
            }
        }
    }
    ContextHolidays::new(Arc::new(out), Arc::new(given.get_school().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn weekend_dates_of_fixed_holidays_are_holidays() {
        let us = public(Country::US, None);
        assert!(us.get_public().contains(day(2026, 7, 4)), "Saturday 4 July");
        assert!(
            us.get_public().contains(day(2026, 7, 3)),
            "observed on Friday 3 July"
        );
        assert!(!us.get_public().contains(day(2026, 7, 5)));
        let gb = public(Country::GB, None);
        assert!(
            gb.get_public().contains(day(2026, 12, 26)),
            "Boxing Day, a Saturday"
        );
        let bg = public(Country::BG, None);
        assert!(
            bg.get_public().contains(day(2026, 5, 24)),
            "24 May, a Sunday"
        );
        // Movable feasts do not spread: Easter Monday 2026 is 6 April, and
        // 6 April 2027 is an ordinary Tuesday.
        let de = public(Country::DE, None);
        assert!(!de.get_public().contains(day(2027, 4, 6)));
    }

    #[test]
    fn what_the_calendar_lacks_is_added_by_law() {
        let ru = public(Country::RU, None);
        assert!(ru.get_public().contains(day(2026, 1, 8)));
        assert!(
            ru.get_public().contains(day(2026, 3, 9)),
            "8 March 2026 is a Sunday"
        );
        assert!(
            !ru.get_public().contains(day(2027, 3, 9)),
            "8 March 2027 is a Monday"
        );
        // A state's own holiday, in that state only.
        let ny = public(Country::US, Some("US-NY"));
        assert!(ny.get_public().contains(day(2026, 2, 12)));
        assert!(!public(Country::US, Some("US-CA"))
            .get_public()
            .contains(day(2026, 2, 12)));
        assert!(!public(Country::US, None)
            .get_public()
            .contains(day(2026, 2, 12)));
    }
}
