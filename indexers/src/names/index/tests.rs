//! The name index on a small hand-made catalogue; [`sample`] is also what the
//! evaluation's unit tests run on.

use super::rank::jaro_winkler;
use super::*;
use crate::names::model::{ConceptInput, Lang, MatchKind, NameInput};

fn sub(id: i64, names: &[(&str, Lang)], pop: f32) -> ConceptInput {
    ConceptInput {
        id,
        kind: ConceptKind::Substance,
        names: names.iter().map(|(t, l)| NameInput::new(*t, *l)).collect(),
        ingredients: vec![],
        popularity: pop,
    }
}
fn prod(id: i64, names: &[(&str, Lang)], ingr: &[i64], pop: f32) -> ConceptInput {
    ConceptInput {
        id,
        kind: ConceptKind::Product,
        names: names.iter().map(|(t, l)| NameInput::new(*t, *l)).collect(),
        ingredients: ingr.to_vec(),
        popularity: pop,
    }
}

pub(crate) fn sample() -> NameIndex {
    use Lang::*;
    NameIndex::build(vec![
        sub(
            1,
            &[("Ibuprofen", En), ("ібупрофен", Uk), ("Ибупрофен", Ru)],
            300.0,
        ),
        sub(
            2,
            &[
                ("Paracetamol", En),
                ("Acetaminophen", En),
                ("парацетамол", Uk),
            ],
            500.0,
        ),
        sub(3, &[("Morphine", En), ("морфін", Uk)], 40.0),
        sub(4, &[("Myrophine", En)], 0.0),
        sub(5, &[("Morpholine", En)], 0.0),
        sub(6, &[("Hydroxyzine", En), ("гідроксизин", Uk)], 30.0),
        sub(7, &[("Hydralazine", En)], 20.0),
        sub(
            8,
            &[
                ("Amoxicillin", En),
                ("амоксицилін", Uk),
                ("амоксициллин", Ru),
            ],
            200.0,
        ),
        sub(
            9,
            &[("Clavulanic acid", En), ("клавуланова кислота", Uk)],
            100.0,
        ),
        sub(10, &[("Cetirizine", En), ("цетиризин", Uk)], 100.0),
        sub(11, &[("Celecoxib", En)], 20.0),
        sub(12, &[("Fosphenytoin", En)], 5.0),
        prod(
            100,
            &[("НУРОФЄН®", Uk), ("NUROFЄN®", Latin), ("Нурофен", Ru)],
            &[1],
            50.0,
        ),
        prod(101, &[("Zyrtec", En), ("Зиртек", Ru)], &[10], 30.0),
        prod(102, &[("Celebrex", En)], &[11], 20.0),
        prod(103, &[("Cerebyx", En)], &[12], 5.0),
        prod(104, &[("Augmentin", En), ("Аугментин", Ru)], &[8, 9], 40.0),
        prod(105, &[("Amoxiclav", En)], &[8, 9], 30.0),
        prod(106, &[("Нурофен для детей", Ru)], &[1], 20.0),
    ])
}

fn top(ix: &NameIndex, q: &str) -> Option<(ConceptKind, i64, MatchKind)> {
    ix.search(q, 5)
        .first()
        .map(|h| (h.kind, h.id, h.match_kind))
}

#[test]
fn exact_translit_layout() {
    let ix = sample();
    assert_eq!(
        top(&ix, "ibuprofen"),
        Some((ConceptKind::Substance, 1, MatchKind::Exact))
    );
    assert_eq!(
        top(&ix, "Ибупрофен"),
        Some((ConceptKind::Substance, 1, MatchKind::Exact))
    );
    assert_eq!(
        top(&ix, "gfhfwtnfvjk"),
        Some((ConceptKind::Substance, 2, MatchKind::Layout))
    );
    assert_eq!(
        top(&ix, "зфкфсуефьщд"),
        Some((ConceptKind::Substance, 2, MatchKind::Layout))
    );
    assert_eq!(top(&ix, "nurofen").map(|t| t.1), Some(100));
    let h = top(&ix, "морфин").map(|t| (t.1, t.2));
    assert_eq!(h.map(|t| t.0), Some(3));
}

#[test]
fn misspellings() {
    let ix = sample();
    for (q, id) in [
        ("ibuprofn", 1),
        ("ibuprophen", 1),
        ("mophine", 3),
        ("amoxacillan", 8),
        ("amoksicilin", 8),
        ("ибупрафен", 1),
        ("paracetamoll", 2),
    ] {
        assert_eq!(top(&ix, q).map(|t| t.1), Some(id), "{q}");
    }
    assert_eq!(top(&ix, "zertec").map(|t| t.1), Some(101));
    assert_eq!(top(&ix, "hydroxyzine").map(|t| t.1), Some(6));
    assert_eq!(top(&ix, "hydralazine").map(|t| t.1), Some(7));
    assert_eq!(top(&ix, "celebrex").map(|t| t.1), Some(102));
    assert_eq!(top(&ix, "cerebyx").map(|t| t.1), Some(103));
}

#[test]
fn multiword() {
    let ix = sample();
    assert_eq!(top(&ix, "paracetamol 500 mg").map(|t| t.1), Some(2));
    assert_eq!(top(&ix, "нурофен таблетки").map(|t| t.1), Some(100));
    assert_eq!(top(&ix, "нурофен для детей").map(|t| t.1), Some(106));
    let hits = ix.search("amoxicillin clavulanic acid", 10);
    assert!(
        hits.iter()
            .any(|h| h.kind == ConceptKind::Product && h.id == 104),
        "{hits:?}"
    );
    let hits = ix.search("nurofen express forte ultra", 10);
    assert!(hits.iter().any(|h| h.id == 100), "{hits:?}");
}

#[test]
fn suggest_and_analogs() {
    let ix = sample();
    let s = ix.suggest("ibu", 5);
    assert_eq!(s.first().map(|h| h.id), Some(1));
    let s = ix.suggest("нуро", 5);
    assert!(s.iter().any(|h| h.id == 100));
    let s = ix.suggest("yehj", 5);
    assert!(
        s.iter()
            .any(|h| h.id == 100 && h.match_kind == MatchKind::Layout),
        "{s:?}"
    );
    assert_eq!(ix.products_with_ingredients(&[9, 8]), vec![104, 105]);
    assert_eq!(ix.products_of_substance(1), vec![100, 106]);
    assert!(ix.concept(ConceptKind::Product, 104).is_some());
    assert!(ix.key_count() > 20);
    assert!(ix.fst_bytes() > 0);
}

#[test]
fn hostile_input() {
    let ix = sample();
    assert!(ix.search("", 10).is_empty());
    assert!(ix.search("   ®™ ", 10).is_empty());
    let long = "a".repeat(100_000);
    let _ = ix.search(&long, 10);
    let _ = ix.suggest(&long, 10);
    let junk = "\u{0}\u{1}\u{7f}ab\u{202e}c\u{fffd}";
    let _ = ix.search(junk, 10);
    let many = "x ".repeat(5000);
    let _ = ix.search(&many, 10);
    assert!(ix.search("ibuprofen", 0).is_empty());
}

#[test]
fn jaro_winkler_matches_strsim() {
    for (a, b) in [
        ("mophine", "morphine"),
        ("mophine", "myrophine"),
        ("ibuprofen", "ibuprophen"),
        ("нурофен", "нурафен"),
        ("a", "b"),
        ("abc", "abc"),
        ("martha", "marhta"),
    ] {
        let ac: Vec<char> = a.chars().collect();
        let bc: Vec<char> = b.chars().collect();
        let ours = jaro_winkler(&ac, &bc);
        let theirs = strsim::jaro_winkler(a, b) as f32;
        assert!((ours - theirs).abs() < 1e-4, "{a} {b}: {ours} vs {theirs}");
    }
    assert_eq!(
        super::super::edit::osa_distance(&['a', 'b'], &['b', 'a']),
        1
    );
}

#[test]
fn survives_serialisation() {
    let ix = sample();
    let bytes = postcard::to_stdvec(&ix).expect("serialise");
    let back: NameIndex = postcard::from_bytes(&bytes).expect("deserialise");
    assert_eq!(back.key_count(), ix.key_count());
    for q in [
        "nurofen",
        "ибупрофен",
        "ibuprophen",
        "gfhfwtnfvjk",
        "nuro",
        "paracetamol 500 mg",
    ] {
        let a: Vec<_> = ix
            .search(q, 5)
            .into_iter()
            .map(|h| (h.kind, h.id, h.matched))
            .collect();
        let b: Vec<_> = back
            .search(q, 5)
            .into_iter()
            .map(|h| (h.kind, h.id, h.matched))
            .collect();
        assert!(!a.is_empty(), "{q}");
        assert_eq!(a, b, "{q}");
        let a: Vec<_> = ix.suggest(q, 5).into_iter().map(|h| h.id).collect();
        let b: Vec<_> = back.suggest(q, 5).into_iter().map(|h| h.id).collect();
        assert_eq!(a, b, "{q}");
    }
    // Damaged bytes are an error, never a panic.
    let cut = &bytes[..bytes.len() / 2];
    assert!(postcard::from_bytes::<NameIndex>(cut).is_err());
}

#[test]
fn is_send_sync() {
    fn assert_ss<T: Send + Sync>() {}
    assert_ss::<NameIndex>();
}
