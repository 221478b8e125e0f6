//! One store test suite, run against both backends: SQLite in a temp dir and the real
//! PostgreSQL (a fresh schema per run, dropped after).

mod common;

use common::{small_data_dir, TestDb};
use medmap::import::{self, Quiet};

async fn import_is_idempotent_and_complete(db: TestDb) {
    let data = small_data_dir();
    let (reports, merge) = import::import_bundled(&db.store, data.path(), &Quiet)
        .await
        .expect("import");
    let first = db.store.counts().await.expect("counts");
    assert!(first.substances > 100, "{first:?}");
    assert!(first.products > 100, "{first:?}");
    assert!(first.facilities > 250, "{first:?}");
    assert!(first.services > 10, "{first:?}");
    assert!(first.stock_lines > 100, "{first:?}");
    assert!(merge.merged_across_registers > 0);
    assert!(reports
        .iter()
        .any(|r| r.source == "ru_grls" && r.imported > 0));

    // Brands of three registers point at one ibuprofen.
    let subs = db.store.load_substances().await.expect("subs");
    let ibu: Vec<_> = subs
        .iter()
        .filter(|s| s.name_en.as_deref() == Some("ibuprofen"))
        .collect();
    assert_eq!(ibu.len(), 1, "ibuprofen is one substance");
    let ibu_id = ibu[0].id;
    let products = db.store.load_products().await.expect("products");
    let links = db.store.load_product_substances().await.expect("links");
    for brand in ["Нурофен®", "НУРОФЄН®", "ADVIL"] {
        let p = products
            .iter()
            .find(|p| p.name == brand)
            .unwrap_or_else(|| panic!("{brand} imported"));
        assert!(links.contains(&(p.id, ibu_id)), "{brand} → ibuprofen");
    }
    let para: Vec<_> = subs
        .iter()
        .filter(|s| s.name_en.as_deref() == Some("paracetamol"))
        .collect();
    assert_eq!(para.len(), 1);
    let tylenol_like = db.store.load_names().await.expect("names");
    assert!(
        tylenol_like
            .iter()
            .any(|(k, id, n, _)| k == "substance" && *id == para[0].id && n == "ACETAMINOPHEN"),
        "acetaminophen is a name of paracetamol"
    );

    // Re-running changes nothing.
    import::import_bundled(&db.store, data.path(), &Quiet)
        .await
        .expect("re-import");
    let second = db.store.counts().await.expect("counts");
    assert_eq!(first.substances, second.substances);
    assert_eq!(first.products, second.products);
    assert_eq!(first.names, second.names);
    assert_eq!(first.facilities, second.facilities);
    assert_eq!(first.services, second.services);
    assert_eq!(first.stock_lines, second.stock_lines);

    // Demo stock is marked as such.
    let stock = db.store.load_stock().await.expect("stock");
    assert!(stock.iter().all(|l| l.source == "demo"));
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_import_is_idempotent_and_complete() {
    import_is_idempotent_and_complete(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn postgres_import_is_idempotent_and_complete() {
    import_is_idempotent_and_complete(TestDb::postgres().await).await;
}

async fn meta_roundtrip(db: TestDb) {
    assert_eq!(db.store.meta_get("k").await.expect("get"), None);
    db.store.meta_set("k", "v1").await.expect("set");
    db.store.meta_set("k", "v2").await.expect("set");
    assert_eq!(
        db.store.meta_get("k").await.expect("get").as_deref(),
        Some("v2")
    );
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_meta_roundtrip() {
    meta_roundtrip(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn postgres_meta_roundtrip() {
    meta_roundtrip(TestDb::postgres().await).await;
}
