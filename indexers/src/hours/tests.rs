use super::*;
use chrono::TimeZone;
use chrono_tz::America::New_York;
use chrono_tz::Europe::{Helsinki, Kyiv};

/// Local wall time in `tz` as a UTC instant (for readable tests).
fn local(tz: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap_or_default()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

#[test]
fn always_open() {
    let h = Hours::parse_osm("24/7", Helsinki, None);
    assert!(matches!(h, Hours::Osm { .. }));
    let s = h.state_at(utc(2025, 6, 1, 3, 0));
    assert_eq!(
        s,
        OpenState {
            open: Some(true),
            next_change: None
        }
    );
    assert_eq!(h.today(utc(2025, 6, 1, 3, 0)), vec![(hm(0, 0), hm(0, 0))]);
}

#[test]
fn several_ranges_a_day() {
    let h = Hours::parse_osm("Mo-Fr 08:00-12:00,13:00-17:00", Helsinki, Some("FI"));
    // Wednesday 2025-06-04.
    let lunch = local(Helsinki, 2025, 6, 4, 12, 30);
    let s = h.state_at(lunch);
    assert_eq!(s.open, Some(false));
    assert_eq!(s.next_change, Some(local(Helsinki, 2025, 6, 4, 13, 0)));
    let s = h.state_at(local(Helsinki, 2025, 6, 4, 9, 0));
    assert_eq!(s.open, Some(true));
    assert_eq!(s.next_change, Some(local(Helsinki, 2025, 6, 4, 12, 0)));
    assert_eq!(
        h.today(lunch),
        vec![(hm(8, 0), hm(12, 0)), (hm(13, 0), hm(17, 0))]
    );
}

#[test]
fn overnight() {
    let h = Hours::parse_osm("Mo-Su 20:00-08:00", Kyiv, Some("UA"));
    let night = local(Kyiv, 2025, 6, 4, 2, 0);
    assert_eq!(
        h.state_at(night),
        OpenState {
            open: Some(true),
            next_change: Some(local(Kyiv, 2025, 6, 4, 8, 0))
        }
    );
    let day = local(Kyiv, 2025, 6, 4, 10, 0);
    assert_eq!(
        h.state_at(day),
        OpenState {
            open: Some(false),
            next_change: Some(local(Kyiv, 2025, 6, 4, 20, 0))
        }
    );
    assert_eq!(
        h.today(day),
        vec![(hm(0, 0), hm(8, 0)), (hm(20, 0), hm(0, 0))]
    );
}

#[test]
fn weekday_ranges() {
    let h = Hours::parse_osm("Mo-Fr 9:00-18:00; Sa 10:00-16:00", Helsinki, Some("FI"));
    // Sunday 2025-06-08: closed until Monday 09:00.
    let sun = local(Helsinki, 2025, 6, 8, 12, 0);
    assert_eq!(
        h.state_at(sun),
        OpenState {
            open: Some(false),
            next_change: Some(local(Helsinki, 2025, 6, 9, 9, 0))
        }
    );
    assert!(h.today(sun).is_empty());
    let sat = local(Helsinki, 2025, 6, 7, 15, 59);
    assert_eq!(h.is_open_at(sat), Some(true));
    assert_eq!(h.today(sat), vec![(hm(10, 0), hm(16, 0))]);
}

#[test]
fn off() {
    let h = Hours::parse_osm("off", Helsinki, None);
    assert_eq!(h.state_at(utc(2025, 6, 4, 12, 0)).open, Some(false));
    assert_eq!(h.state_at(utc(2025, 6, 4, 12, 0)).next_change, None);
    let h = Hours::parse_osm("Mo-Fr 09:00-18:00; We off", Helsinki, None);
    assert_eq!(
        h.is_open_at(local(Helsinki, 2025, 6, 4, 12, 0)),
        Some(false)
    ); // Wednesday
    assert_eq!(h.is_open_at(local(Helsinki, 2025, 6, 5, 12, 0)), Some(true)); // Thursday
}

#[test]
fn public_holiday_off_with_a_real_calendar() {
    // Finland's Independence Day, Friday 6 December 2024.
    let raw = "Mo-Fr 8:00-16:00; PH off";
    let fi = Hours::parse_osm(raw, Helsinki, Some("fi"));
    assert!(fi.holidays_known());
    let holiday = local(Helsinki, 2024, 12, 6, 10, 0);
    assert_eq!(fi.is_open_at(holiday), Some(false));
    assert_eq!(
        fi.is_open_at(local(Helsinki, 2024, 12, 5, 10, 0)),
        Some(true)
    );
    // Thursday 15:00 -> closes 16:00; then the holiday and weekend: Monday 9 Dec 08:00.
    let s = fi.state_at(local(Helsinki, 2024, 12, 5, 16, 30));
    assert_eq!(s.next_change, Some(local(Helsinki, 2024, 12, 9, 8, 0)));
    // Christmas in the UK, Ukraine's Independence Day (24 August 2023, Thursday).
    let gb = Hours::parse_osm(
        "Mo-Su 09:00-17:00; PH off",
        chrono_tz::Europe::London,
        Some("GB"),
    );
    assert_eq!(gb.is_open_at(utc(2024, 12, 25, 12, 0)), Some(false));
    assert_eq!(gb.is_open_at(utc(2024, 12, 27, 12, 0)), Some(true));
    // No country: PH never matches, and we say holidays are unknown.
    let none = Hours::parse_osm(raw, Helsinki, None);
    assert!(!none.holidays_known());
    assert_eq!(none.is_open_at(holiday), Some(true));
    // An expression without PH needs no calendar.
    assert!(Hours::parse_osm("Mo-Fr 8:00-16:00", Helsinki, None).holidays_known());
}

#[test]
fn time_zone_per_facility() {
    let at = utc(2025, 6, 4, 14, 0); // 17:00 Helsinki, 10:00 New York
    let hel = Hours::parse_osm("Mo-Fr 08:00-16:00", Helsinki, None);
    let nyc = Hours::parse_osm("Mo-Fr 08:00-16:00", New_York, None);
    assert_eq!(hel.is_open_at(at), Some(false));
    assert_eq!(nyc.is_open_at(at), Some(true));
    assert_eq!(nyc.state_at(at).next_change, Some(utc(2025, 6, 4, 20, 0)));
}

#[test]
fn kyiv_dst_spring_forward() {
    // 2025-03-30 (last Sunday of March): 03:00 EET -> 04:00 EEST (01:00 UTC).
    let h = Hours::parse_osm("Mo-Su 08:00-21:00", Kyiv, Some("UA"));
    // 02:30 local (EET, UTC+2) = 00:30 UTC: closed, opens 08:00 EEST = 05:00 UTC.
    let s = h.state_at(utc(2025, 3, 30, 0, 30));
    assert_eq!(
        s,
        OpenState {
            open: Some(false),
            next_change: Some(utc(2025, 3, 30, 5, 0))
        }
    );
    // 05:30 UTC = 08:30 EEST: open until 21:00 EEST = 18:00 UTC.
    let s = h.state_at(utc(2025, 3, 30, 5, 30));
    assert_eq!(
        s,
        OpenState {
            open: Some(true),
            next_change: Some(utc(2025, 3, 30, 18, 0))
        }
    );
    // 05:30 UTC the day before was 07:30 EET: still closed.
    assert_eq!(h.is_open_at(utc(2025, 3, 29, 5, 30)), Some(false));

    // Overnight pharmacy across the change: open at 00:00 EET (22:00 UTC),
    // closes 08:00 EEST = 05:00 UTC (a night one hour shorter).
    let n = Hours::parse_osm("Mo-Su 20:00-08:00", Kyiv, Some("UA"));
    let s = n.state_at(utc(2025, 3, 29, 22, 0));
    assert_eq!(
        s,
        OpenState {
            open: Some(true),
            next_change: Some(utc(2025, 3, 30, 5, 0))
        }
    );

    // A range starting inside the gap opens at the first existing minute.
    let g = Hours::parse_osm("Su 03:30-05:00", Kyiv, None);
    let s = g.state_at(utc(2025, 3, 29, 23, 0));
    assert_eq!(s.open, Some(false));
    assert_eq!(s.next_change, Some(utc(2025, 3, 30, 1, 0))); // 04:00 EEST
}

#[test]
fn kyiv_dst_fall_back() {
    // 2025-10-26 (last Sunday of October): 04:00 EEST -> 03:00 EET (01:00 UTC).
    let n = Hours::parse_osm("Mo-Su 20:00-08:00", Kyiv, Some("UA"));
    // 00:00 EEST = 21:00 UTC on the 25th; closes 08:00 EET = 06:00 UTC.
    let s = n.state_at(utc(2025, 10, 25, 21, 0));
    assert_eq!(
        s,
        OpenState {
            open: Some(true),
            next_change: Some(utc(2025, 10, 26, 6, 0))
        }
    );
    let d = Hours::parse_osm("Mo-Su 08:00-21:00", Kyiv, Some("UA"));
    // 06:30 UTC = 08:30 EET: open until 21:00 EET = 19:00 UTC.
    let s = d.state_at(utc(2025, 10, 26, 6, 30));
    assert_eq!(
        s,
        OpenState {
            open: Some(true),
            next_change: Some(utc(2025, 10, 26, 19, 0))
        }
    );
    // 05:30 UTC = 07:30 EET: closed (it would be 08:30 under summer time).
    assert_eq!(d.is_open_at(utc(2025, 10, 26, 5, 30)), Some(false));
    assert_eq!(
        d.today(utc(2025, 10, 26, 5, 30)),
        vec![(hm(8, 0), hm(21, 0))]
    );
}

/// Weekend nights (`Fr-Sa 22:00-02:00`) on both sides of the 2026 clock changes in
/// three zones whose rules differ: where the night's end falls into the skipped
/// hour, on the repeated hour, or clear of both.
#[test]
fn overnight_ranges_across_the_2026_changes_in_three_zones() {
    use chrono_tz::Europe::London;
    let nights = |tz| Hours::parse_osm("Fr-Sa 22:00-02:00", tz, None);
    #[track_caller]
    fn check(h: &Hours, at: DateTime<Utc>, open: bool, next: DateTime<Utc>) {
        assert_eq!(
            h.state_at(at),
            OpenState {
                open: Some(open),
                next_change: Some(next)
            },
            "at {at}"
        );
    }
    // London, spring (29 Mar 01:00 GMT -> 02:00 BST): Saturday's night loses
    // its last hour, 02:00 BST being 01:00 UTC.
    let l = nights(London);
    check(&l, utc(2026, 3, 27, 23, 0), true, utc(2026, 3, 28, 2, 0));
    check(&l, utc(2026, 3, 28, 23, 30), true, utc(2026, 3, 29, 1, 0));
    check(&l, utc(2026, 3, 29, 1, 30), false, utc(2026, 4, 3, 21, 0));
    // London, autumn (25 Oct 02:00 BST -> 01:00 GMT): the night gains an hour,
    // and the repeated 01:30 is inside it both times.
    check(&l, utc(2026, 10, 24, 21, 30), true, utc(2026, 10, 25, 2, 0));
    check(&l, utc(2026, 10, 25, 0, 30), true, utc(2026, 10, 25, 2, 0));
    check(&l, utc(2026, 10, 25, 1, 30), true, utc(2026, 10, 25, 2, 0));
    // The last minute before the change (01:59 BST) is open too, and all day long.
    check(&l, utc(2026, 10, 25, 0, 59), true, utc(2026, 10, 25, 2, 0));
    let all_day = Hours::parse_osm("Mo-Su 00:00-24:00", London, None);
    for (h, m) in [(0, 58), (0, 59), (1, 0), (1, 59)] {
        assert_eq!(
            all_day.is_open_at(utc(2026, 10, 25, h, m)),
            Some(true),
            "{h}:{m}"
        );
    }
    check(
        &l,
        utc(2026, 10, 25, 2, 30),
        false,
        utc(2026, 10, 30, 22, 0),
    );
    // Kyiv (changes at 03:00 and 04:00 local): the nights end before them,
    // in the zone's offset of the moment.
    let k = nights(Kyiv);
    check(&k, utc(2026, 3, 28, 21, 0), true, utc(2026, 3, 29, 0, 0));
    check(&k, utc(2026, 3, 29, 0, 30), false, utc(2026, 4, 3, 19, 0));
    check(&k, utc(2026, 10, 24, 20, 0), true, utc(2026, 10, 24, 23, 0));
    check(
        &k,
        utc(2026, 10, 24, 23, 30),
        false,
        utc(2026, 10, 30, 20, 0),
    );
    // New York, spring (8 Mar 02:00 EST -> 03:00 EDT): the night ends where the
    // skipped hour begins, 07:00 UTC.
    let n = nights(New_York);
    check(&n, utc(2026, 3, 8, 6, 30), true, utc(2026, 3, 8, 7, 0));
    check(&n, utc(2026, 3, 8, 7, 30), false, utc(2026, 3, 14, 2, 0));
    // New York, autumn (1 Nov 02:00 EDT -> 01:00 EST): 02:00 EST is 07:00 UTC,
    // five hours after 22:00 EDT.
    check(&n, utc(2026, 11, 1, 2, 30), true, utc(2026, 11, 1, 7, 0));
    check(&n, utc(2026, 11, 1, 6, 30), true, utc(2026, 11, 1, 7, 0));
    check(&n, utc(2026, 11, 1, 5, 59), true, utc(2026, 11, 1, 7, 0));
    let nights = Hours::parse_osm("Mo-Su 20:00-08:00", Kyiv, None);
    assert_eq!(nights.is_open_at(utc(2026, 10, 25, 0, 59)), Some(true));
    check(&n, utc(2026, 11, 1, 7, 30), false, utc(2026, 11, 7, 3, 0));
}

#[test]
fn unparseable_is_unknown_with_raw_kept() {
    for raw in [
        "by appointment, call first",
        "",
        "   ",
        "Mo-Fr 25:00-26:99",
        &"Mo ".repeat(600),
    ] {
        let h = Hours::parse_osm(raw, Helsinki, Some("FI"));
        assert!(matches!(h, Hours::Unknown { .. }), "{raw:?}");
        assert_eq!(h.raw(), Some(raw));
        assert_eq!(h.state_at(utc(2025, 6, 4, 12, 0)), OpenState::default());
        assert!(h.today(utc(2025, 6, 4, 12, 0)).is_empty());
        assert!(!h.is_known());
    }
    // A bad country code is ignored, not an error.
    let h = Hours::parse_osm("Mo-Fr 08:00-16:00", Helsinki, Some("XX"));
    assert!(h.is_known());
}

#[test]
fn weekly_schedules() {
    let slot = |weekday, o: (u32, u32), c: (u32, u32)| WeeklySlot {
        weekday,
        opens: hm(o.0, o.1),
        closes: hm(c.0, c.1),
    };
    let slots = vec![
        slot(Weekday::Mon, (8, 0), (12, 0)),
        slot(Weekday::Mon, (13, 0), (17, 0)),
        slot(Weekday::Fri, (20, 0), (2, 0)), // overnight into Saturday
        slot(Weekday::Sun, (10, 0), (10, 0)), // 24 hours from Sunday 10:00
    ];
    assert_eq!(
        Hours::weekly_expression(&slots).as_deref(),
        Some("Mo 08:00-12:00, Mo 13:00-17:00, Fr 20:00-26:00, Su 10:00-34:00")
    );
    let h = Hours::from_weekly(slots, Helsinki);
    assert!(h.is_known());
    assert_eq!(h.raw(), None);
    // Monday 2025-06-02.
    assert_eq!(h.is_open_at(local(Helsinki, 2025, 6, 2, 9, 0)), Some(true));
    assert_eq!(
        h.is_open_at(local(Helsinki, 2025, 6, 2, 12, 30)),
        Some(false)
    );
    assert_eq!(
        h.is_open_at(local(Helsinki, 2025, 6, 2, 9, 30)),
        Some(true),
        "Sunday's 24h runs to Mon 10:00"
    );
    assert_eq!(
        h.today(local(Helsinki, 2025, 6, 2, 12, 30)),
        vec![(hm(0, 0), hm(12, 0)), (hm(13, 0), hm(17, 0))]
    );
    // Saturday 01:00 is Friday night.
    assert_eq!(h.is_open_at(local(Helsinki, 2025, 6, 7, 1, 0)), Some(true));
    assert_eq!(h.is_open_at(local(Helsinki, 2025, 6, 7, 3, 0)), Some(false));
    assert_eq!(
        h.state_at(local(Helsinki, 2025, 6, 7, 1, 0)).next_change,
        Some(local(Helsinki, 2025, 6, 7, 2, 0))
    );
    assert!(!Hours::from_weekly(Vec::new(), Helsinki).is_known());
}

#[test]
fn bundled_helsinki_osm_hours_all_evaluate() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../data/facilities/osm_helsinki_health_social.geojson"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        panic!("bundled data missing: {path}");
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let raws: Vec<String> = v["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            f["properties"]["opening_hours"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    assert!(raws.len() >= 10, "{}", raws.len());
    let mut parsed = 0;
    for raw in &raws {
        let h = Hours::parse_osm(raw, Helsinki, Some("FI"));
        parsed += usize::from(h.is_known());
        for day in 0..14 {
            let at = utc(2025, 3, 24, 0, 0) + TimeDelta::hours(day * 13);
            let s = h.state_at(at);
            if let Some(n) = s.next_change {
                assert!(n > at, "{raw}: {n} <= {at}");
            }
            let _ = h.today(at);
        }
    }
    assert_eq!(parsed, raws.len(), "every bundled string parses");
}

#[test]
fn open_table_caches_until_the_next_change() {
    let hours = [
        Hours::parse_osm("Mo-Su 08:00-21:00", Kyiv, None),
        Hours::parse_osm("24/7", Kyiv, None),
        Hours::parse_osm("nonsense", Kyiv, None),
    ];
    let get = |f: u32| hours.get(f as usize);
    let t0 = utc(2025, 6, 4, 4, 0); // 07:00 Kyiv
    let mut t = OpenTable::build(4, t0, get);
    assert_eq!(
        (t.get(0), t.get(1), t.get(2), t.get(3), t.get(99)),
        (Some(false), Some(true), None, None, None)
    );
    assert_eq!(t.valid_until(), utc(2025, 6, 4, 5, 0).timestamp());
    // Each entry expires on its own: past 08:00 Kyiv the pharmacy's cached
    // "closed" is stale, the 24/7 one's "open" is not.
    let later = utc(2025, 6, 4, 5, 30).timestamp();
    assert_eq!(t.get_at(0, t0.timestamp()), Some(Some(false)));
    assert_eq!(t.get_at(0, later), None);
    assert_eq!(t.get_at(1, later), Some(Some(true)));
    assert_eq!(t.get_at(99, later), None);
    assert_eq!(
        t.refresh(t0 + TimeDelta::minutes(30), get),
        0,
        "nothing expired yet"
    );
    assert_eq!(
        t.refresh(utc(2025, 6, 4, 5, 0), get),
        1,
        "only the one that opens at 08:00"
    );
    assert_eq!(t.get(0), Some(true));
}

/// Scotland's August bank holiday (Monday 3 August 2026), asked in London: a
/// regional holiday of another region may or may not apply, so where the holiday
/// rule and the ordinary one disagree the answer is unknown, and where they agree
/// it is theirs (before, the evaluator's own rule said closed at 08:30).
#[test]
fn a_regional_holiday_is_unknown_only_where_the_readings_differ() {
    use chrono_tz::Europe::London;
    let h = Hours::parse_osm("Mo-Su 08:00-23:00; PH 10:00-18:00", London, Some("GB"));
    // 08:30 BST: open on an ordinary day, closed on the holiday.
    assert_eq!(h.is_open_at(utc(2026, 8, 3, 7, 30)), None);
    assert_eq!(h.state_at(utc(2026, 8, 3, 7, 30)).open, None);
    // Noon: open either way.
    assert_eq!(h.is_open_at(utc(2026, 8, 3, 11, 0)), Some(true));
    // 02:00: closed either way.
    assert_eq!(h.is_open_at(utc(2026, 8, 3, 1, 0)), Some(false));
    // The night before, closed, and the answer holds only until that date
    // begins (a cached "closed until 08:00" would be wrong at 08:30).
    let s = h.state_at(utc(2026, 8, 2, 22, 30));
    assert_eq!(
        (s.open, s.next_change),
        (Some(false), Some(utc(2026, 8, 2, 23, 0)))
    );
    // An ordinary Monday a week later is ordinary.
    assert_eq!(h.is_open_at(utc(2026, 8, 10, 7, 30)), Some(true));
}
