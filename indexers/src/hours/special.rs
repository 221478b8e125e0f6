//! Special times: stretches when a facility's published hours do not apply. A
//! pharmacy on night duty is open from 20:00 to 08:00 whatever its hours say; on a
//! holiday it may be closed all day, or open 10:00-14:00 only.
//!
//! They are kept apart from [`Hours`](super::Hours) rather than spliced into the
//! OSM expression because they come from a different writer (a duty rota, pushed
//! or imported, replaced as a whole) on a different rhythm from the hours in the
//! directory, and because they are absolute instants: a rota says "the night of
//! the 24th", not a rule. Evaluation is a layer: inside a special span its state
//! wins, outside it the hours answer, and the next change is the first instant
//! where the layered answer really differs.

use chrono::{DateTime, Utc};

use super::OpenState;

/// One span, `[from, to)` in unix seconds: open (a duty shift, extra hours) or
/// closed (a closure, a holiday).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Special {
    pub from: i64,
    pub to: i64,
    pub open: bool,
}

/// How many boundaries the next-change search walks before it gives up and
/// answers the last one it reached: a change reported early only costs one
/// more evaluation later.
const MAX_STEPS: usize = 16;

/// The state at `at` with `specials` (sorted by `from`, none overlapping) laid
/// over `base` (the facility's regular hours).
pub fn state_with(
    specials: &[Special],
    at: DateTime<Utc>,
    base: impl Fn(DateTime<Utc>) -> OpenState,
) -> OpenState {
    if specials.is_empty() {
        return base(at);
    }
    let point = |t: DateTime<Utc>| -> (Option<bool>, Option<DateTime<Utc>>) {
        let ts = t.timestamp();
        // The first span ending after `t`: it holds `t`, or is the next to come.
        let i = specials.partition_point(|s| s.to <= ts);
        match specials.get(i) {
            Some(s) if s.from <= ts => (Some(s.open), DateTime::from_timestamp(s.to, 0)),
            next => {
                let b = base(t);
                let start = next.and_then(|s| DateTime::from_timestamp(s.from, 0));
                let change = match (b.next_change, start) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                (b.open, change)
            }
        }
    };
    let (open, mut next) = point(at);
    for _ in 0..MAX_STEPS {
        let Some(t) = next else {
            return OpenState {
                open,
                next_change: None,
            };
        };
        let (o, n) = point(t);
        if o != open {
            break;
        }
        next = n.filter(|n| *n > t);
    }
    OpenState {
        open,
        next_change: next,
    }
}

/// The span holding `at`, if any.
pub fn span_at(specials: &[Special], at: DateTime<Utc>) -> Option<&Special> {
    let ts = at.timestamp();
    specials
        .get(specials.partition_point(|s| s.to <= ts))
        .filter(|s| s.from <= ts)
}

/// Open intervals `[from, to)` (unix s) within `[day_from, day_to)`: `regular`
/// (the hours' intervals, in order) with the spans laid over them. Why: a page's
/// "today" must say "closed" on the holiday and "20:00-24:00" on a duty night.
pub fn overlay_day(
    specials: &[Special],
    regular: &[(i64, i64)],
    day_from: i64,
    day_to: i64,
) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    let mut push = |a: i64, b: i64| {
        if a >= b {
            return;
        }
        match out.last_mut() {
            Some(last) if last.1 >= a => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    };
    // Walk the day in pieces cut at every span edge: inside a span its state
    // holds, outside it the regular intervals do.
    let mut cuts = vec![day_from, day_to];
    for s in specials {
        cuts.extend(
            [s.from, s.to]
                .into_iter()
                .filter(|t| (day_from..day_to).contains(t)),
        );
    }
    cuts.sort_unstable();
    cuts.dedup();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let mid = a + (b - a) / 2;
        match specials.iter().find(|s| s.from <= mid && mid < s.to) {
            Some(s) if s.open => push(a, b),
            Some(_) => {}
            None => {
                for &(ra, rb) in regular {
                    push(ra.max(a), rb.min(b));
                }
            }
        }
    }
    out
}

/// The spans still to come or under way at `now`, in order.
pub fn upcoming(specials: &[Special], now: DateTime<Utc>) -> &[Special] {
    let ts = now.timestamp();
    &specials[specials.partition_point(|s| s.to <= ts)..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hours::Hours;
    use chrono::TimeZone;

    fn utc(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap()
    }

    fn span(from: DateTime<Utc>, to: DateTime<Utc>, open: bool) -> Special {
        Special {
            from: from.timestamp(),
            to: to.timestamp(),
            open,
        }
    }

    /// A day pharmacy (09:00-21:00 UTC) on night duty from 21:00 to 09:00: open
    /// all night, and the next change is the end of the duty day, not the seams.
    #[test]
    fn a_night_duty_joins_the_days_on_either_side() {
        let h = Hours::parse_osm("Mo-Su 09:00-21:00", chrono_tz::UTC, None);
        let duty = [span(utc(10, 21, 0), utc(11, 9, 0), true)];
        let s = state_with(&duty, utc(11, 3, 0), |t| h.state_at(t));
        assert_eq!(s.open, Some(true));
        assert_eq!(s.next_change, Some(utc(11, 21, 0)));
        // Before the duty, on the 10th at noon: open until the 11th at 21:00.
        let s = state_with(&duty, utc(10, 12, 0), |t| h.state_at(t));
        assert_eq!((s.open, s.next_change), (Some(true), Some(utc(11, 21, 0))));
        // Without it, the night is closed.
        assert_eq!(h.state_at(utc(11, 3, 0)).open, Some(false));
        // After it, the regular hours answer again.
        let s = state_with(&duty, utc(11, 22, 0), |t| h.state_at(t));
        assert_eq!((s.open, s.next_change), (Some(false), Some(utc(12, 9, 0))));
    }

    /// A closure inside opening hours closes, and the next change is its end when
    /// the hours are open then, or the next opening when they are not.
    #[test]
    fn a_closure_wins_over_the_hours() {
        let h = Hours::parse_osm("Mo-Su 09:00-21:00", chrono_tz::UTC, None);
        let closed = [span(utc(24, 0, 0), utc(25, 0, 0), false)];
        let s = state_with(&closed, utc(24, 12, 0), |t| h.state_at(t));
        assert_eq!((s.open, s.next_change), (Some(false), Some(utc(25, 9, 0))));
        let s = state_with(&closed, utc(23, 12, 0), |t| h.state_at(t));
        assert_eq!((s.open, s.next_change), (Some(true), Some(utc(23, 21, 0))));
        let s = state_with(&closed, utc(23, 22, 0), |t| h.state_at(t));
        assert_eq!((s.open, s.next_change), (Some(false), Some(utc(25, 9, 0))));
    }

    /// "Today" on a duty day runs on into the night; on a closed day it is empty;
    /// a closure of the afternoon keeps the morning.
    #[test]
    fn today_with_special_times() {
        let day = (utc(10, 0, 0).timestamp(), utc(11, 0, 0).timestamp());
        let regular = [(utc(10, 9, 0).timestamp(), utc(10, 21, 0).timestamp())];
        let duty = [span(utc(10, 21, 0), utc(11, 9, 0), true)];
        assert_eq!(
            overlay_day(&duty, &regular, day.0, day.1),
            vec![(utc(10, 9, 0).timestamp(), utc(11, 0, 0).timestamp())]
        );
        let closed = [span(utc(10, 0, 0), utc(11, 0, 0), false)];
        assert!(overlay_day(&closed, &regular, day.0, day.1).is_empty());
        let afternoon = [span(utc(10, 13, 0), utc(10, 18, 0), false)];
        assert_eq!(
            overlay_day(&afternoon, &regular, day.0, day.1),
            vec![
                (utc(10, 9, 0).timestamp(), utc(10, 13, 0).timestamp()),
                (utc(10, 18, 0).timestamp(), utc(10, 21, 0).timestamp())
            ]
        );
        assert_eq!(overlay_day(&[], &regular, day.0, day.1), regular.to_vec());
    }

    /// A facility whose hours are unknown is open during its duty and unknown
    /// otherwise: a duty rota says when, not when not.
    #[test]
    fn duty_of_a_facility_without_hours() {
        let h = Hours::Unknown { raw: String::new() };
        let duty = [span(utc(10, 20, 0), utc(11, 8, 0), true)];
        let s = state_with(&duty, utc(10, 19, 0), |t| h.state_at(t));
        assert_eq!((s.open, s.next_change), (None, Some(utc(10, 20, 0))));
        let s = state_with(&duty, utc(10, 23, 0), |t| h.state_at(t));
        assert_eq!((s.open, s.next_change), (Some(true), Some(utc(11, 8, 0))));
        assert_eq!(upcoming(&duty, utc(11, 8, 0)), &[]);
        assert_eq!(span_at(&duty, utc(11, 7, 59)), Some(&duty[0]));
        assert_eq!(span_at(&duty, utc(11, 8, 0)), None);
        assert_eq!(upcoming(&duty, utc(11, 7, 59)).len(), 1);
    }
}
