//! The ranking rules of the services index, on a small directory.

use super::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn vocab() -> Needs {
    Needs::build(&[
        NeedInput {
            id: "dental".into(),
            oe_terms: s(&["Dental Care"]),
            en: s(&["dental", "dentist", "teeth"]),
            uk: s(&["стоматолог", "зуби"]),
            ru: s(&["стоматолог", "зубы"]),
            ..NeedInput::default()
        },
        NeedInput {
            id: "cost-free".into(),
            en: s(&["free", "no insurance", "no cost"]),
            uk: s(&["безкоштовно", "безкоштовна", "безкоштовний"]),
            ru: s(&["бесплатно", "бесплатный"]),
            ..NeedInput::default()
        },
        NeedInput {
            id: "food".into(),
            en: s(&["food", "meals"]),
            uk: s(&["їжа", "обіди"]),
            ru: s(&["еда", "обеды"]),
            ..NeedInput::default()
        },
    ])
}

fn directory() -> ServiceIndex {
    let doc = |name: &str, terms: &[&str], description: &str| ServiceDoc {
        name: name.into(),
        terms: s(terms),
        description: description.into(),
        organization: "Org".into(),
    };
    ServiceIndex::build(
        &[
            doc(
                "Project Smile",
                &["Dental Care"],
                "Teeth cleaning for children and adults at no cost.",
            ),
            doc(
                "Free Medical Clinic",
                &["Community Clinics"],
                "Free medical care for people without insurance.",
            ),
            doc(
                "Meals on Wheels",
                &["Home-delivered Meals"],
                "Hot meals delivered to seniors at home.",
            ),
            doc(
                "Main Library",
                &["Libraries"],
                "Books, large print books, classes.",
            ),
        ],
        vocab(),
    )
}

fn top(ix: &ServiceIndex, q: &str) -> Vec<u32> {
    Query::parse(ix, q)
        .search(ix, 0.0)
        .iter()
        .map(|x| x.doc)
        .collect()
}

#[test]
fn a_sentence_finds_its_service_though_words_are_missing() {
    let ix = directory();
    assert_eq!(top(&ix, "dentist for people with no insurance")[0], 0);
    assert_eq!(top(&ix, "large print books zebra")[0], 3);
}

#[test]
fn other_languages_reach_english_services_through_needs() {
    let ix = directory();
    assert_eq!(top(&ix, "бесплатный стоматолог")[0], 0);
    assert_eq!(
        top(&ix, "безкоштовна клініка")[0],
        1,
        "{:?}",
        top(&ix, "безкоштовна клініка")
    );
    assert_eq!(top(&ix, "обіди")[0], 2);
}

#[test]
fn typos_and_prefixes_match() {
    let ix = directory();
    assert_eq!(top(&ix, "dentsit")[0], 0);
    assert_eq!(top(&ix, "libary")[0], 3);
    assert_eq!(top(&ix, "libr")[0], 3);
}

#[test]
fn name_outranks_description() {
    let ix = ServiceIndex::build(
        &[
            ServiceDoc {
                name: "Night stop".into(),
                description: "A shelter for the night".into(),
                ..ServiceDoc::default()
            },
            ServiceDoc {
                name: "Night shelter".into(),
                description: "Beds for the night".into(),
                ..ServiceDoc::default()
            },
        ],
        Needs::default(),
    );
    assert_eq!(top(&ix, "shelter"), vec![1, 0]);
}

#[test]
fn every_match_is_explained() {
    let ix = directory();
    let q = Query::parse(&ix, "бесплатный стоматолог");
    let why = q.explain(&ix, 0);
    assert!(
        why.iter()
            .any(|w| w.matched == "dental" && w.kind == MatchKind::Need),
        "{why:?}"
    );
    assert!(why.iter().all(|w| !w.fields.is_empty()));
}

#[test]
fn empty_and_stop_only_queries_match_nothing() {
    let ix = directory();
    assert!(Query::parse(&ix, "").is_empty());
    assert!(Query::parse(&ix, "for the with").is_empty());
    assert!(top(&ix, "zzzzqqq").is_empty());
}

proptest::proptest! {
    /// A query in any script, of any shape, parses, searches and explains
    /// without a panic, and every score it gives is a finite positive number.
    #[test]
    fn any_query_is_answered_without_a_panic(q in "\\PC{0,120}") {
        let ix = directory();
        let parsed = Query::parse(&ix, &q);
        for hit in parsed.search(&ix, 0.2) {
            proptest::prop_assert!(hit.score.is_finite() && hit.score > 0.0);
            let _ = parsed.explain(&ix, hit.doc);
        }
    }

    /// Mixed scripts, keyboard-layout slips and need words, glued at random.
    #[test]
    fn need_words_in_any_mix_are_answered(words in proptest::collection::vec(
        proptest::sample::select(vec![
            "бесплатный", "стоматолог", "ctvmz", "no", "insurance", "обідів", "їжа",
            "free", "dentsit", "ЛГБТ", "123", "—", "'", "ʼ", "ё", "x",
        ]),
        0..12,
    )) {
        let ix = directory();
        let q = words.join(" ");
        let parsed = Query::parse(&ix, &q);
        let _ = parsed.search(&ix, 0.0);
    }
}

/// A directory where some words are in nearly every service and some in a few,
/// as in a national one: what pruning is for.
fn skewed_directory(seed: u64) -> ServiceIndex {
    let common = ["support", "help", "services", "people", "community", "free"];
    let rare = [
        "pantry",
        "dental",
        "shelter",
        "dementia",
        "notary",
        "tax",
        "eviction",
        "wheelchair",
    ];
    let mut s = seed | 1;
    let mut rnd = move |n: usize| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % n as u64) as usize
    };
    let docs: Vec<ServiceDoc> = (0..300)
        .map(|_| {
            let mut words: Vec<&str> = (0..1 + rnd(4)).map(|_| common[rnd(common.len())]).collect();
            if rnd(5) == 0 {
                words.push(rare[rnd(rare.len())]);
            }
            ServiceDoc {
                name: words[..words.len().min(2)].join(" "),
                description: words.join(" "),
                ..ServiceDoc::default()
            }
        })
        .collect();
    ServiceIndex::build(&docs, Needs::default())
}

proptest::proptest! {
    /// Pruning changes nothing: the services kept and their scores are those of
    /// scoring everything (a zero share prunes nothing) and then cutting.
    #[test]
    fn pruned_scoring_equals_scoring_everything(
        seed in 0u64..1000,
        words in proptest::collection::vec(
            proptest::sample::select(vec![
                "support", "help", "services", "people", "community", "free", "pantry",
                "dental", "shelter", "dementia", "notary", "tax", "eviction", "wheelchair",
            ]),
            1..5,
        ),
        share in 0.05f32..0.9,
    ) {
        let ix = skewed_directory(seed);
        let q = Query::parse(&ix, &words.join(" "));
        let mut pruned = q.score(&ix, share, |_| true);
        let all = q.score(&ix, 0.0, |_| true);
        let best = all.iter().map(|s| s.score).fold(0.0f32, f32::max);
        let mut cut: Vec<Scored> = all.into_iter().filter(|s| s.score >= best * share).collect();
        pruned.sort_by_key(|s| s.doc);
        cut.sort_by_key(|s| s.doc);
        proptest::prop_assert_eq!(pruned, cut);
    }
}
