//! The fuzz targets' bodies as proptest tests: what `scripts/fuzz` runs on a machine
//! without the nightly toolchain (libFuzzer needs it). No coverage feedback, so
//! beside plain random bytes each test mutates the target's seed corpus
//! (`fuzz/corpus/<target>`: overwritten, inserted and deleted bytes, a cut), which
//! is what gets random input past the format sniffing into the parsers.
//!
//! Cases per target: `MEDMAP_FUZZ_CASES` (default 2,000); `scripts/fuzz` derives it
//! from the seconds it was given.

use std::path::Path;

use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("MEDMAP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// One edit of a seed: at a position (a fraction of its length), overwrite, insert
/// or delete bytes.
#[derive(Debug, Clone)]
enum Edit {
    Overwrite(f64, Vec<u8>),
    Insert(f64, Vec<u8>),
    Delete(f64, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let bytes = prop::collection::vec(
        prop_oneof![
            any::<u8>(),
            Just(b'"'),
            Just(b','),
            Just(b';'),
            Just(b'<'),
            Just(b'\n'),
            Just(0u8)
        ],
        1..8,
    );
    prop_oneof![
        (0.0..1.0f64, bytes.clone()).prop_map(|(at, b)| Edit::Overwrite(at, b)),
        (0.0..1.0f64, bytes).prop_map(|(at, b)| Edit::Insert(at, b)),
        (0.0..1.0f64, 1..64usize).prop_map(|(at, n)| Edit::Delete(at, n)),
    ]
}

fn apply(mut seed: Vec<u8>, edits: &[Edit], cut: Option<f64>) -> Vec<u8> {
    let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
    for e in edits {
        match e {
            Edit::Overwrite(f, b) => {
                let i = at(*f, seed.len());
                for (k, x) in b.iter().enumerate() {
                    match seed.get_mut(i + k) {
                        Some(s) => *s = *x,
                        None => seed.push(*x),
                    }
                }
            }
            Edit::Insert(f, b) => {
                let i = at(*f, seed.len());
                seed.splice(i..i, b.iter().copied());
            }
            Edit::Delete(f, n) => {
                let i = at(*f, seed.len());
                let j = (i + n).min(seed.len());
                seed.drain(i..j);
            }
        }
    }
    if let Some(f) = cut {
        let n = at(f, seed.len());
        seed.truncate(n);
    }
    seed
}

/// Random bytes, or a seed of `target` with a few edits.
fn input(target: &str) -> BoxedStrategy<Vec<u8>> {
    let seeds = seeds(target);
    assert!(!seeds.is_empty(), "fuzz/corpus/{target} has no seeds");
    let mutated = (
        0..seeds.len(),
        prop::collection::vec(edit(), 0..6),
        prop::option::weighted(0.2, 0.0..1.0f64),
    )
        .prop_map(move |(i, edits, cut)| apply(seeds[i].clone(), &edits, cut));
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..2048),
        3 => mutated,
    ]
    .boxed()
}

macro_rules! targets {
    ($($name:ident),* $(,)?) => {
        proptest! {
            #![proptest_config(ProptestConfig {
                cases: cases(),
                failure_persistence: None,
                ..ProptestConfig::default()
            })]
            $(
                #[test]
                fn $name(data in input(stringify!($name))) {
                    medmap_fuzz::$name(&data);
                }
            )*
        }
    };
}

targets!(normalize, name_search, hours);

#[cfg(feature = "app")]
targets!(feed_csv, feed_json, feed_xml, feed_zip, hsds_json, hsds_csv);
