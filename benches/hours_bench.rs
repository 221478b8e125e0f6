//! Opening hours and towns at national scale: `cargo bench --bench hours`.
//!
//! In one run, on mimalloc (the allocator `medmap serve` ships with):
//! 1. the "open now" check over a national facility set: `FACILITIES` (default
//!    120,000) facilities spread over cities in eleven zones and ten countries
//!    (weighted by size), each with a realistic OSM `opening_hours` string (office
//!    hours, lunch breaks, overnight weekends, `24/7`, `PH` rules, some text that
//!    does not parse), parsed with `Hours::parse_osm` in its zone and country
//!    (timed); then every facility asked at one instant, a Monday in November
//!    2026 at 10:00 UTC, two ways (which must answer alike for every facility,
//!    or the run fails):
//!    - `Hours::is_open_at` for each facility (the best of `ROUNDS`, default 3);
//!    - `OpenTable::build` once (each facility's state and when it changes), then
//!      `OpenTable::get_at` for each (the best of 50 rounds);
//! 2. the gazetteer: `medmap::places::gazetteer()` forced (its build from the
//!    bundled GeoNames file, timed once: it is built once per process), then
//!    `Gazetteer::choose(name, prefer)` over 64 town names in Latin and Cyrillic
//!    letters, hits and misses, each timed alone `GAZ_ROUNDS` (default 500) times:
//!    p50, p99, mean in µs;
//! 3. prints one table and writes it as JSON to `target/hours_bench.json`.
//!
//! `SEED` (default 42) draws the facilities.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use medmap_indexers::hours::{Hours, OpenTable};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Cities the facilities are in: (name, zone, country, weight).
const CITIES: &[(&str, &str, &str, f64)] = &[
    ("Kyiv", "Europe/Kyiv", "UA", 3.0),
    ("Lviv", "Europe/Kyiv", "UA", 0.7),
    ("Tartu", "Europe/Tallinn", "EE", 0.1),
    ("Pernik", "Europe/Sofia", "BG", 0.1),
    ("Helsinki", "Europe/Helsinki", "FI", 0.7),
    ("Kungsbacka", "Europe/Stockholm", "SE", 0.1),
    ("London", "Europe/London", "GB", 8.9),
    ("New York", "America/New_York", "US", 8.3),
    ("Los Angeles", "America/Los_Angeles", "US", 3.9),
    ("San Mateo", "America/Los_Angeles", "US", 0.1),
    ("Petrozavodsk", "Europe/Moscow", "RU", 0.3),
    ("Almaty", "Asia/Almaty", "KZ", 2.0),
    ("Niort", "Europe/Paris", "FR", 0.1),
];

/// `opening_hours` strings as facilities carry them, with how common each is.
const EXPRESSIONS: &[(&str, u32)] = &[
    ("Mo-Fr 08:00-17:00", 20),
    ("Mo-Fr 09:00-18:00; PH off", 15),
    ("Mo-Fr 08:00-12:00,13:00-17:00", 10),
    ("Mo-Fr 08:00-20:00; Sa 09:00-14:00; Su off", 10),
    ("Mo-Su 09:00-21:00", 8),
    ("24/7", 6),
    ("Mo-Fr 09:00-18:00; Sa 10:00-16:00; PH off", 6),
    ("Mo-Th 08:00-16:30; Fr 08:00-15:00; Sa,Su off", 5),
    ("Mo-Sa 08:00-22:00; Su,PH 10:00-18:00", 4),
    ("Mo-Su 20:00-08:00", 3),
    ("Fr-Sa 22:00-02:00", 2),
    ("Mo,We,Fr 09:00-13:00; Tu,Th 14:00-19:00", 3),
    ("Mo-Fr 07:30-19:30; Sa 08:00-15:00; PH off", 3),
    ("Mo-Fr 08:00-18:00; Sa 09:00-13:00; We 08:00-12:00", 2),
    ("Mo-Fr 09:00-17:00; Sa unknown", 1),
    ("off", 1),
    ("by appointment", 1),
];

/// Town names people type, in Latin and Cyrillic letters, with the reader's
/// country a page would prefer; the last ten are names of no town or hardly one
/// (the run lists which found none: Atlantis is a town in Florida).
const TOWNS: &[(&str, Option<&str>)] = &[
    ("Kyiv", Some("UA")),
    ("Київ", Some("UA")),
    ("Киев", Some("RU")),
    ("Lviv", None),
    ("Львів", Some("UA")),
    ("Львов", Some("RU")),
    ("L'viv", None),
    ("Kharkiv", None),
    ("Харків", Some("UA")),
    ("Odesa", None),
    ("Одеса", Some("UA")),
    ("Одесса", Some("RU")),
    ("Dnipro", None),
    ("Дніпро", Some("UA")),
    ("Zaporizhzhia", None),
    ("Запоріжжя", Some("UA")),
    ("Vinnytsia", None),
    ("Вінниця", Some("UA")),
    ("Poltava", None),
    ("Полтава", Some("UA")),
    ("Ivano-Frankivsk", None),
    ("Івано-Франківськ", Some("UA")),
    ("Ternopil", None),
    ("Тернопіль", Some("UA")),
    ("Uzhhorod", None),
    ("Pervomaisk", Some("UA")),
    ("Первомайськ", Some("UA")),
    ("Первомайск", Some("RU")),
    ("Tartu", None),
    ("Тарту", Some("RU")),
    ("Tallinn", None),
    ("Pernik", None),
    ("Перник", None),
    ("Sofia", None),
    ("София", Some("RU")),
    ("Helsinki", None),
    ("Хельсинки", Some("RU")),
    ("Kungsbacka", None),
    ("London", Some("GB")),
    ("Лондон", Some("RU")),
    ("New York", Some("US")),
    ("Нью-Йорк", Some("RU")),
    ("Los Angeles", Some("US")),
    ("San Mateo", Some("US")),
    ("Springfield", Some("US")),
    ("Petrozavodsk", None),
    ("Петрозаводск", Some("RU")),
    ("Almaty", None),
    ("Алматы", Some("RU")),
    ("Niort", None),
    ("Paris", None),
    ("Париж", Some("RU")),
    ("Moscow", None),
    ("Москва", Some("RU")),
    ("Atlantis", None),
    ("Атлантида", Some("RU")),
    ("Qwertyville", Some("US")),
    ("Zzyzxgrad", None),
    ("Нарнія", Some("UA")),
    ("Хогвартс", Some("RU")),
    ("Lvivv Oblast Centre", None),
    ("Kyyiv-Pasazhyrskyi", Some("UA")),
    ("Gotham City", Some("US")),
    ("Mordor", None),
];

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(d)
}

fn pick_weighted<T>(rng: &mut ChaCha8Rng, items: &[T], weight: impl Fn(&T) -> f64) -> usize {
    let total: f64 = items.iter().map(&weight).sum();
    let mut x = rng.random_range(0.0..total);
    for (i, it) in items.iter().enumerate() {
        x -= weight(it);
        if x < 0.0 {
            return i;
        }
    }
    items.len() - 1
}

#[derive(Debug, Default, Clone, serde::Serialize)]
struct HoursReport {
    facilities: usize,
    parse_ms: f64,
    parse_ns_per_facility: f64,
    unparsed: usize,
    open: usize,
    closed: usize,
    unknown: usize,
    is_open_at_ms: f64,
    is_open_at_ns_per_facility: f64,
    table_build_ms: f64,
    table_build_ns_per_facility: f64,
    get_at_ms: f64,
    get_at_ns_per_facility: f64,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
struct GazetteerReport {
    build_ms: f64,
    towns: usize,
    names: usize,
    hits: usize,
    misses: Vec<String>,
    samples: usize,
    p50_us: f64,
    p99_us: f64,
    mean_us: f64,
    max_us: f64,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn hours_bench(n: usize, seed: u64, rounds: usize) -> HoursReport {
    let zones: Vec<Tz> = CITIES
        .iter()
        .map(|c| c.1.parse().expect("an IANA zone"))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let picks: Vec<(usize, usize)> = (0..n)
        .map(|_| {
            (
                pick_weighted(&mut rng, CITIES, |c| c.3),
                pick_weighted(&mut rng, EXPRESSIONS, |e| f64::from(e.1)),
            )
        })
        .collect();
    let t = Instant::now();
    let hours: Vec<Hours> = picks
        .iter()
        .map(|&(c, e)| Hours::parse_osm(EXPRESSIONS[e].0, zones[c], Some(CITIES[c].2)))
        .collect();
    let parse = t.elapsed();
    let mut r = HoursReport {
        facilities: n,
        parse_ms: ms(parse),
        parse_ns_per_facility: parse.as_nanos() as f64 / n as f64,
        unparsed: hours.iter().filter(|h| !h.is_known()).count(),
        ..HoursReport::default()
    };

    // A Monday morning in Europe, the night before in America.
    let now = Utc
        .with_ymd_and_hms(2026, 11, 16, 10, 0, 0)
        .single()
        .expect("a real instant");

    // 1. Each facility's hours evaluated.
    let mut best = Duration::MAX;
    let mut direct = Vec::new();
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        let answers: Vec<Option<bool>> = hours.iter().map(|h| h.is_open_at(now)).collect();
        best = best.min(t.elapsed());
        direct = black_box(answers);
    }
    r.is_open_at_ms = ms(best);
    r.is_open_at_ns_per_facility = best.as_nanos() as f64 / n as f64;
    r.open = direct.iter().filter(|a| **a == Some(true)).count();
    r.closed = direct.iter().filter(|a| **a == Some(false)).count();
    r.unknown = direct.iter().filter(|a| a.is_none()).count();

    // 2. The open-now table: built once, then one byte per lookup.
    let t = Instant::now();
    let table = OpenTable::build(n, now, |f| hours.get(f as usize));
    let build = t.elapsed();
    r.table_build_ms = ms(build);
    r.table_build_ns_per_facility = build.as_nanos() as f64 / n as f64;
    let ts = now.timestamp();
    let mut best = Duration::MAX;
    for _ in 0..50 {
        let t = Instant::now();
        let mut open = 0usize;
        for f in 0..n as u32 {
            if black_box(table.get_at(f, ts)) == Some(Some(true)) {
                open += 1;
            }
        }
        best = best.min(t.elapsed());
        black_box(open);
    }
    r.get_at_ms = ms(best);
    r.get_at_ns_per_facility = best.as_nanos() as f64 / n as f64;
    for (f, d) in direct.iter().enumerate() {
        assert_eq!(
            table.get_at(f as u32, ts),
            Some(*d),
            "facility {f} ({:?}): the table and is_open_at differ",
            hours[f].raw()
        );
    }
    r
}

fn gazetteer_bench(rounds: usize) -> GazetteerReport {
    let t = Instant::now();
    let g = medmap::places::gazetteer();
    let towns = g.len();
    let build = t.elapsed();
    let mut samples = Vec::with_capacity(TOWNS.len() * rounds);
    let misses: Vec<String> = TOWNS
        .iter()
        .filter(|(name, prefer)| g.choose(name, *prefer).is_none())
        .map(|(name, _)| name.to_string())
        .collect();
    for _ in 0..rounds.max(1) {
        for (name, prefer) in TOWNS {
            let t = Instant::now();
            let found = g.choose(black_box(name), black_box(*prefer));
            let d = t.elapsed();
            black_box(found);
            samples.push(d);
        }
    }
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let at = |q: f64| us(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    GazetteerReport {
        build_ms: ms(build),
        towns,
        names: TOWNS.len(),
        hits: TOWNS.len() - misses.len(),
        misses,
        samples: samples.len(),
        p50_us: at(0.50),
        p99_us: at(0.99),
        mean_us: samples.iter().map(|d| us(*d)).sum::<f64>() / samples.len() as f64,
        max_us: us(samples[samples.len() - 1]),
    }
}

fn main() {
    let n = env_usize("FACILITIES", 120_000);
    let seed = env_usize("SEED", 42) as u64;
    let rounds = env_usize("ROUNDS", 3);
    let gaz_rounds = env_usize("GAZ_ROUNDS", 500);
    println!(
        "hours bench: {n} facilities in {} cities, {} expressions, seed {seed}",
        CITIES.len(),
        EXPRESSIONS.len()
    );
    let h = hours_bench(n, seed, rounds);
    let g = gazetteer_bench(gaz_rounds);

    println!();
    println!("{:<44} {:>12} {:>14}", "", "total", "per item");
    let row = |label: &str, total: String, per: String| {
        println!("{label:<44} {total:>12} {per:>14}");
    };
    row(
        &format!("parse_osm ({} facilities)", h.facilities),
        format!("{:.1} ms", h.parse_ms),
        format!("{:.0} ns", h.parse_ns_per_facility),
    );
    row(
        "open now: Hours::is_open_at each",
        format!("{:.1} ms", h.is_open_at_ms),
        format!("{:.0} ns", h.is_open_at_ns_per_facility),
    );
    row(
        "open now: OpenTable::build",
        format!("{:.1} ms", h.table_build_ms),
        format!("{:.0} ns", h.table_build_ns_per_facility),
    );
    row(
        "open now: OpenTable::get_at each",
        format!("{:.3} ms", h.get_at_ms),
        format!("{:.2} ns", h.get_at_ns_per_facility),
    );
    row(
        &format!("gazetteer build ({} towns)", g.towns),
        format!("{:.0} ms", g.build_ms),
        "-".into(),
    );
    row(
        &format!("gazetteer choose p50 ({} names, {} hits)", g.names, g.hits),
        "-".into(),
        format!("{:.2} µs", g.p50_us),
    );
    row(
        &format!("gazetteer choose p99 ({} samples)", g.samples),
        "-".into(),
        format!("{:.2} µs", g.p99_us),
    );
    row(
        "gazetteer choose mean / max",
        "-".into(),
        format!("{:.2} / {:.0} µs", g.mean_us, g.max_us),
    );
    println!("names that found no town: {}", g.misses.join(", "));
    println!(
        "answers at 2026-11-16 10:00 UTC: {} open, {} closed, {} unknown ({} unparsed)",
        h.open, h.closed, h.unknown, h.unparsed
    );

    let json = serde_json::json!({
        "facilities": n,
        "seed": seed,
        "hours": h,
        "gazetteer": g,
        "measured_at": Utc::now().to_rfc3339(),
    });
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/target").into());
    let out = std::path::Path::new(&target).join("hours_bench.json");
    match std::fs::write(
        &out,
        serde_json::to_string_pretty(&json).unwrap_or_default(),
    ) {
        Ok(()) => println!("wrote {}", out.display()),
        Err(e) => println!("could not write {}: {e}", out.display()),
    }
}
