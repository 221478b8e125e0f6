//! The bodies of medmap's fuzz targets, one plain function each, so the libFuzzer
//! targets (`fuzz_targets/*.rs`, run by `cargo +nightly fuzz`) and the proptest
//! fallback (`tests/random_bytes.rs`, for a machine without nightly) run the same
//! code on the same inputs. A body returns normally for any input; a panic, an
//! abort, an allocation over the fuzzer's limit or an input taking over a second
//! is the finding. See docs/fuzzing.md for what each target covers.
//!
//! Each body calls what the server calls on the bytes a client sends: the names
//! engine's query path, the opening-hours evaluator, the feed parser and validator a
//! push runs, and the HSDS importers' readers, without a database (the store is not
//! what is being fuzzed, and a database round-trip per input would cut the
//! executions a thousandfold).

use chrono::{DateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use medmap_indexers::hours::{state_with, Hours, OpenState, Special, WeeklySlot};
use medmap_indexers::names::{
    is_cyrillic, latin_variants, normalize as normalize_name, skeleton, switch_layout,
    switch_layout_all, to_cyrillic, to_latin, ConceptInput, ConceptKind, Lang, NameIndex,
    NameInput,
};

/// Text as the server receives it: a query string or a feed's field is UTF-8 after
/// percent-decoding, and invalid bytes arrive as U+FFFD.
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// The query normaliser, transliteration both ways and the keyboard layout switch,
/// on anything, and on each other's output (the search chains them).
pub fn normalize(data: &[u8]) {
    let s = text(data);
    let n = normalize_name(&s);
    let _ = is_cyrillic(&s);
    for v in [&*s, n.as_str()] {
        let latin = to_latin(v);
        let _ = to_cyrillic(&latin);
        let _ = to_cyrillic(v);
        let _ = latin_variants(v);
        let _ = skeleton(v);
        if let Some(sw) = switch_layout(v) {
            let _ = normalize_name(&sw);
        }
        for sw in switch_layout_all(v) {
            let _ = skeleton(&sw);
        }
    }
}

fn concept(id: i64, kind: ConceptKind, names: &[(&str, Lang)], ingr: &[i64]) -> ConceptInput {
    ConceptInput {
        id,
        kind,
        names: names.iter().map(|(t, l)| NameInput::new(*t, *l)).collect(),
        ingredients: ingr.to_vec(),
        popularity: (id % 7) as f32 * 10.0,
    }
}

/// A small catalogue with the features the search treats specially: names in three
/// alphabets, several words, a trademark sign, brands with ingredients, near-twins.
fn small_index() -> &'static NameIndex {
    static INDEX: std::sync::OnceLock<NameIndex> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        use ConceptKind::{Product as P, Substance as S};
        use Lang::*;
        NameIndex::build(vec![
            concept(
                1,
                S,
                &[("Ibuprofen", En), ("ібупрофен", Uk), ("Ибупрофен", Ru)],
                &[],
            ),
            concept(
                2,
                S,
                &[
                    ("Paracetamol", En),
                    ("Acetaminophen", En),
                    ("парацетамол", Uk),
                ],
                &[],
            ),
            concept(3, S, &[("Morphine", En), ("морфін", Uk)], &[]),
            concept(4, S, &[("Morpholine", En)], &[]),
            concept(
                5,
                S,
                &[
                    ("Amoxicillin", En),
                    ("амоксицилін", Uk),
                    ("амоксициллин", Ru),
                ],
                &[],
            ),
            concept(
                6,
                S,
                &[("Clavulanic acid", En), ("клавуланова кислота", Uk)],
                &[],
            ),
            concept(
                7,
                S,
                &[
                    ("Acetylsalicylic acid", En),
                    ("ацетилсаліцилова кислота", Uk),
                ],
                &[],
            ),
            concept(
                100,
                P,
                &[("НУРОФЄН®", Uk), ("NUROFЄN®", Latin), ("Нурофен", Ru)],
                &[1],
            ),
            concept(101, P, &[("Augmentin", En), ("Аугментин", Ru)], &[5, 6]),
            concept(102, P, &[("Нурофен для детей", Ru)], &[1]),
            concept(
                103,
                P,
                &[("Aspirin Cardio 100 mg", En), ("Аспірин", Uk)],
                &[7],
            ),
            concept(104, P, &[("Panadol Extra", En), ("Панадол", Uk)], &[2]),
        ])
    })
}

/// The name search (ranked search with typos, transliteration and layout) and the
/// autocomplete over a small index, with the input as the query.
pub fn name_search(data: &[u8]) {
    let ix = small_index();
    let q = text(data);
    let limit = data.first().map_or(10, |b| usize::from(*b % 25));
    let _ = ix.search(&q, limit);
    let _ = ix.suggest(&q, limit);
    let _ = ix.exact_concepts(&normalize_name(&q));
}

const ZONES: [Tz; 8] = [
    chrono_tz::Europe::Kyiv,
    chrono_tz::Europe::London,
    chrono_tz::America::New_York,
    chrono_tz::America::Los_Angeles,
    chrono_tz::Asia::Almaty,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Chatham,
    chrono_tz::UTC,
];
const COUNTRIES: [Option<&str>; 8] = [
    None,
    Some("UA"),
    Some("GB"),
    Some("us-ny"),
    Some("RU"),
    Some("DE"),
    Some("KZ"),
    Some("XX"),
];

/// Opening hours: an OSM `opening_hours` string (the input after a 10-byte header)
/// parsed in one of eight time zones with one of eight holiday calendars, evaluated
/// (open now, next change, today's times) at an instant from the header between
/// 1970 and 2100, also under a special-hours span, and the header's bytes read as
/// HSDS weekly slots.
pub fn hours(data: &[u8]) {
    let (head, raw) = data.split_at(data.len().min(10));
    let mut h = [0u8; 10];
    h[..head.len()].copy_from_slice(head);
    let secs = i64::from(u32::from_le_bytes([h[0], h[1], h[2], h[3]])) % 4_102_444_800;
    let Some(at) = DateTime::<Utc>::from_timestamp(secs, 0) else {
        return;
    };
    let tz = ZONES[usize::from(h[4] % 8)];
    let country = COUNTRIES[usize::from(h[5] % 8)];
    let raw = text(raw);

    let evaluate = |hours: &Hours| {
        let state = hours.state_at(at);
        let _ = hours.is_open_at(at);
        let _ = hours.today(at);
        let _ = hours.holidays_known();
        if let Some(next) = state.next_change {
            let _ = hours.is_open_at(next);
        }
        let span = i64::from(h[6]) * 3_600;
        let specials = [Special {
            from: secs - span,
            to: secs + span + 60,
            open: h[7] % 2 == 0,
        }];
        let _: OpenState = state_with(&specials, at, |t| hours.state_at(t));
    };
    evaluate(&Hours::parse_osm(&raw, tz, country));

    let time = |b: u8| NaiveTime::from_hms_opt(u32::from(b % 24), u32::from(b / 24 % 60), 0);
    let slots: Vec<WeeklySlot> = h[6..]
        .chunks(2)
        .filter_map(|c| {
            Some(WeeklySlot {
                weekday: Weekday::try_from(c[0] % 7).ok()?,
                opens: time(c[0])?,
                closes: time(*c.get(1)?)?,
            })
        })
        .collect();
    evaluate(&Hours::from_weekly(slots, tz));
}

#[cfg(feature = "app")]
mod app;
#[cfg(feature = "app")]
pub use app::{feed_csv, feed_json, feed_xml, feed_zip, hsds_csv, hsds_json};
