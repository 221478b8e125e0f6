//! One store test suite, run against both backends: SQLite in a temp dir and the real
//! PostgreSQL (a fresh schema per run, dropped after).

#[macro_use]
mod common;

use common::{small_data_dir, TestDb};
use medmap::import::{self, Quiet};

backend_test! {
    /// The bundled import: complete, merged across registers, the same rows as the seed
    /// of the first snapshot, and idempotent.
    async fn import_is_idempotent_and_complete(backend) {
        let db = TestDb::new(backend).await;
        let data = small_data_dir();
        let (reports, merge, seed) = import::import_bundled_seeded(&db.store, data.path(), &Quiet)
            .await
            .expect("import");
        let first = db.store.counts().await.expect("counts");

        // The rows the first snapshot is built from on a cold start are exactly
        // what the tables hold.
        let seed = seed.expect("an empty database gives a seed");
        let sqlite = matches!(db.store, medmap::store::Store::Sqlite(_));
        let mut stored = medmap::catalog::CatalogRows {
            substances: db.store.load_substances().await.expect("subs"),
            products: db.store.load_products().await.expect("products"),
            links: db.store.load_product_substances().await.expect("links"),
            names: db.store.load_names().await.expect("names"),
        };
        let mut seeded = seed.catalog;
        assert_eq!(seeded.substances, stored.substances);
        assert_eq!(seeded.products, stored.products);
        assert_eq!(seeded.links, stored.links);
        if !sqlite {
            // Only SQLite promises insertion order for an unordered scan.
            seeded.names.sort();
            stored.names.sort();
        }
        assert_eq!(seeded.names, stored.names);
        let key = |l: &medmap::model::StockRow| {
            (
                l.facility_id,
                l.product_id,
                l.status.as_str(),
                l.quantity.map(f64::to_bits),
                l.price_minor,
                l.currency.clone(),
                l.checked_at,
                l.source.clone(),
            )
        };
        let mut a: Vec<_> = seed.stock.iter().map(key).collect();
        let mut b: Vec<_> = db
            .store
            .load_stock()
            .await
            .expect("stock")
            .iter()
            .map(key)
            .collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
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

        // Re-running changes nothing, and a database that was not empty gives no seed.
        let (_, _, again) = import::import_bundled_seeded(&db.store, data.path(), &Quiet)
            .await
            .expect("re-import");
        assert!(again.is_none());
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
    }
}

backend_test! {
    async fn meta_roundtrip(backend) {
        let db = TestDb::new(backend).await;
        assert_eq!(db.store.meta_get("k").await.expect("get"), None);
        db.store.meta_set("k", "v1").await.expect("set");
        db.store.meta_set("k", "v2").await.expect("set");
        assert_eq!(
            db.store.meta_get("k").await.expect("get").as_deref(),
            Some("v2")
        );
    }
}
