//! The name-search evaluation on a small sample of the bundled registers: the same
//! code as `medmap eval names`, run as a test so ranking regressions fail CI.

mod common;

use common::{small_data_dir, TestDb};
use medmap::import::{self, Quiet};
use medmap::snapshot::Snapshot;

#[tokio::test]
async fn eval_names_on_a_small_sample() {
    let db = TestDb::sqlite().await;
    let data = small_data_dir();
    import::import_bundled(&db.store, data.path(), &Quiet)
        .await
        .expect("import");
    let snap = Snapshot::load(&db.store).await.expect("snapshot");
    let truth = "query\texpected\tcategory\nibuprofen\tibuprofen\texact\nibuprophen\tibuprofen\ttypo\nибупрофен\tibuprofen\ttranslit\nшигзкщаут\tibuprofen\tlayout\nнурофен\tibuprofen\tbrand\nadvil\tibuprofen\tbrand\nacetaminophen\tparacetamol\tus_name\nparacetamol 500 mg\tparacetamol\tmultiword\n";
    let (ours, _, unresolved) = medmap::eval::run_on(&snap, truth, 7, 20, false);
    println!("{}", ours.table());
    assert!(unresolved.is_empty(), "{unresolved:?}");
    let exact = ours.category("exact").expect("exact category");
    let exact_misses: Vec<_> = ours
        .misses
        .iter()
        .filter(|m| m.category == "exact")
        .collect();
    // Register names that differ only after many words (vaccine descriptions of 170
    // characters) can tie; everything else typed exactly must come first.
    assert!(
        exact.recall1() >= 0.95,
        "exact names first: {exact_misses:?}"
    );
    assert_eq!(
        exact.recall5(),
        1.0,
        "exact names in the top 5: {exact_misses:?}"
    );
    for cat in [
        "hand:exact",
        "hand:typo",
        "hand:translit",
        "hand:layout",
        "hand:brand",
        "hand:us_name",
        "hand:multiword",
    ] {
        let c = ours
            .category(cat)
            .unwrap_or_else(|| panic!("{cat} evaluated"));
        assert_eq!(c.recall5(), 1.0, "{cat}: {:?}", ours.misses);
    }
    assert!(
        ours.overall.recall5() >= 0.9,
        "overall recall@5 {}",
        ours.overall.recall5()
    );
}
