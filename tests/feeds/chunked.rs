//! The streamed push: a server that parses, validates and writes in chunks of
//! [`CHUNK`] rows, so small bodies cross many chunk borders. A push larger than a
//! chunk applies whole and is live in the snapshot; a strict push whose only error is
//! in its last chunk, and a body that turns out malformed after several chunks were
//! written, leave the previous state exactly; duplicates are found across chunk
//! borders; an Idempotency-Key replay applies nothing twice; deleting a facility
//! still removes its lines without per-row foreign keys.

use std::collections::HashSet;

use super::*;

/// Rows per chunk of the test server.
const CHUNK: usize = 300;

static CHUNKED: SharedApps = SharedApps::new(|backend| {
    Box::pin(spawn_app_with(
        feeds_app(backend).server(|s| s.feed_chunk_rows = CHUNK),
    ))
});

/// `(facility, product, price_minor)` of the feed lines of `facilities`.
async fn priced_lines(store: &Store, facilities: &[i64]) -> Vec<(i64, i64, Option<i64>)> {
    let mut v: Vec<(i64, i64, Option<i64>)> = store
        .load_stock()
        .await
        .expect("stock")
        .into_iter()
        .filter(|l| l.source.starts_with("feed:") && facilities.contains(&l.facility_id))
        .map(|l| (l.facility_id, l.product_id, l.price_minor))
        .collect();
    v.sort_unstable();
    v
}

/// `(facility, product)` of every line (any source) of `facilities`.
async fn keys_of(store: &Store, facilities: &[i64]) -> Vec<(i64, i64)> {
    store
        .load_stock()
        .await
        .expect("stock")
        .into_iter()
        .map(|l| (l.facility_id, l.product_id))
        .filter(|k| facilities.contains(&k.0))
        .collect()
}

/// A CSV of every facility × product with price `base + row` kopiyky.
fn grid(facilities: &[i64], products: &[i64], base: i64) -> (String, usize) {
    let mut s = String::from("facility,product_id,quantity,price\n");
    let mut n = 0;
    for f in facilities {
        for p in products {
            let minor = base + n as i64;
            s.push_str(&format!("{f},{p},3,{}.{:02}\n", minor / 100, minor % 100));
            n += 1;
        }
    }
    (s, n)
}

/// The price of a line in the server's snapshot (`None`: no such line).
fn snapshot_price(app: &TestApp, f: i64, p: i64) -> Option<Option<i64>> {
    let snap = app.snapshot();
    snap.stock
        .line(snap.product_index[&p], snap.facility_index[&f])
        .map(|l| l.price_minor.map(i64::from))
}

/// A publisher of its own over 10 pharmacies of its own, after a first push of
/// 10 × 200 lines (many chunks).
struct Pushed {
    key: String,
    facilities: Vec<i64>,
    products: Vec<i64>,
    /// The facilities' lines before the push (demo stock).
    old: Vec<(i64, i64)>,
    /// The first push's report and rows.
    v: Value,
    n: usize,
    /// The feed lines after it.
    first: Vec<(i64, i64, Option<i64>)>,
}

async fn first_push(app: &TestApp, publisher: &str) -> Pushed {
    let fx = fixture(app);
    let facilities: Vec<i64> = own_pharmacies(app, &fx, 10).iter().map(|p| p.0).collect();
    let products: Vec<i64> = fx.products.iter().copied().take(200).collect();
    let scope: Vec<(i64, Option<String>)> = facilities.iter().map(|f| (*f, None)).collect();
    let key = app.make_key(publisher, &scope).await;
    let old = keys_of(app.store(), &facilities).await;
    let (body, n) = grid(&facilities, &products, 1_000);
    assert!(n > 5 * CHUNK, "{n} rows cross chunk borders");
    let (code, v) = app.push(&key, "", body, &[]).await;
    assert_eq!(code, 200, "{v:#}");
    let first = priced_lines(app.store(), &facilities).await;
    Pushed {
        key,
        facilities,
        products,
        old,
        v,
        n,
        first,
    }
}

shared_app_test! { CHUNKED;
    /// A push of many chunks applies whole and is live. The facilities had a few
    /// (demo) lines: those the push does not carry are removed and reported (on
    /// PostgreSQL they are deleted up front and the new lines COPYed straight in).
    async fn a_push_of_many_chunks_applies_whole_and_is_live(app) {
        let Pushed { facilities, products, old, v, n, first, .. } = first_push(app, "Chunky").await;
        let written: HashSet<(i64, i64)> = facilities
            .iter()
            .flat_map(|f| products.iter().map(move |p| (*f, *p)))
            .collect();
        let dropped: Vec<(i64, i64)> = old
            .iter()
            .copied()
            .filter(|k| !written.contains(k))
            .collect();
        assert!(
            !dropped.is_empty(),
            "the fixture pharmacies have lines to lose"
        );
        assert_eq!(v["status"], "applied");
        assert_eq!(v["rows_read"], n as u64);
        assert_eq!(v["rows_accepted"], n as u64);
        assert_eq!(v["lines_removed"], dropped.len() as u64);
        assert_eq!(first.len(), n);
        let now: HashSet<(i64, i64)> = keys_of(app.store(), &facilities).await.into_iter().collect();
        assert_eq!(now, written, "exactly the pushed lines");
        for (f, p) in &dropped {
            assert!(
                snapshot_price(app, *f, *p).is_none(),
                "dropped line gone from the snapshot"
            );
        }
        // Live: the snapshot has the lines of the first and the last chunk.
        for (f, p, price) in [first[0], first[n - 1]] {
            assert_eq!(
                snapshot_price(app, f, p).expect("line in the snapshot"),
                price
            );
        }
    }
}

shared_app_test! { CHUNKED;
    /// A strict push whose only error is in its last chunk changes nothing.
    async fn a_strict_push_failing_in_its_last_chunk_changes_nothing(app) {
        let Pushed { key, facilities, products, first, .. } = first_push(app, "Chunky strict").await;
        let (mut body, n2) = grid(&facilities, &products, 5_000);
        body.push_str(&format!("{},{},1,-5\n", facilities[0], products[0]));
        let (code, v) = app.push(&key, "?strict=true", body, &[]).await;
        assert_eq!(code, 422, "{v:#}");
        let r = report(&v);
        assert_eq!(r["status"], "rejected");
        assert_eq!(r["rows_read"], n2 as u64 + 1);
        assert_eq!(r["rows_accepted"], 0);
        assert_eq!(
            reasons(&v),
            vec![(n2 as u64 + 2, "out_of_range".to_string())]
        );
        assert_eq!(
            priced_lines(app.store(), &facilities).await,
            first,
            "strict push rolled back whole"
        );
        let (f, p, price) = first[0];
        assert_eq!(
            snapshot_price(app, f, p).expect("line"),
            price,
            "snapshot untouched"
        );
    }
}

shared_app_test! { CHUNKED;
    /// A JSON array cut off after several chunks: 400, nothing applied.
    async fn a_body_malformed_after_several_chunks_changes_nothing(app) {
        let Pushed { key, facilities, products, first, .. } = first_push(app, "Chunky cut").await;
        let mut json = String::from("[");
        for (i, f) in facilities.iter().enumerate() {
            for p in &products {
                json.push_str(&format!(
                    "{{\"facility\":\"{f}\",\"product_id\":\"{p}\",\"quantity\":1,\"price\":\"{}.00\"}},",
                    7 + i
                ));
            }
        }
        json.push_str("{\"facility\":");
        let (code, v) = app.push(&key, "", json, &[]).await;
        assert_eq!(code, 400, "{v:#}");
        assert_eq!(
            priced_lines(app.store(), &facilities).await,
            first,
            "malformed body rolled back"
        );
    }
}

shared_app_test! { CHUNKED;
    /// Duplicates are found across chunk borders; the rest applies (non-strict), and
    /// a snapshot push that carries fewer lines for its facilities removes the
    /// others (facilities it does not list keep theirs). The same Idempotency-Key
    /// then gives the first report and applies nothing twice.
    async fn duplicates_are_found_across_chunk_borders_and_a_replay_applies_nothing(app) {
        let Pushed { key, facilities, products, n, .. } = first_push(app, "Chunky dups").await;
        let (kept_f, kept_p) = (&facilities[..5], &products[..150]);
        let (mut body, n3) = grid(kept_f, kept_p, 9_000);
        body.push_str(&format!("{},{},1,1.00\n", kept_f[0], kept_p[0]));
        let (code, v) = app
            .push(&key, "", body.clone(), &[("idempotency-key", "chunk-1")])
            .await;
        assert_eq!(code, 200, "{v:#}");
        assert_eq!(v["status"], "partial");
        assert_eq!(v["rows_accepted"], n3 as u64);
        assert_eq!(reasons(&v), vec![(n3 as u64 + 2, "duplicate".to_string())]);
        let gone = kept_f.len() * (products.len() - kept_p.len());
        assert_eq!(v["lines_removed"], gone as u64);
        let after = priced_lines(app.store(), &facilities).await;
        assert_eq!(after.len(), n - gone);
        assert!(
            snapshot_price(app, kept_f[0], products[products.len() - 1]).is_none(),
            "removed line gone from the snapshot"
        );
        assert_eq!(
            snapshot_price(app, kept_f[0], kept_p[0]).expect("line"),
            Some(9_000),
            "first occurrence kept"
        );

        let (code, again) = app
            .push(&key, "", body, &[("idempotency-key", "chunk-1")])
            .await;
        assert_eq!(code, 200, "{again:#}");
        assert_eq!(again["idempotent_replay"], true);
        assert_eq!(again["id"], v["id"]);
        assert_eq!(priced_lines(app.store(), &facilities).await, after);
    }
}

shared_app_test! { CHUNKED;
    /// stock has no per-row foreign keys (checked once per push instead); deleting a
    /// facility still takes its lines with it.
    async fn deleting_a_facility_removes_its_lines(app) {
        let Pushed { facilities, products, first, .. } = first_push(app, "Chunky gone").await;
        let gone = facilities[0];
        match app.store() {
            Store::Sqlite(pool) => sqlx::query("DELETE FROM facilities WHERE id = $1")
                .bind(gone)
                .execute(pool)
                .await
                .map(|_| ()),
            Store::Postgres(pool) => sqlx::query("DELETE FROM facilities WHERE id = $1")
                .bind(gone)
                .execute(pool)
                .await
                .map(|_| ()),
        }
        .expect("facility deleted");
        let left = priced_lines(app.store(), &facilities).await;
        assert!(left.iter().all(|l| l.0 != gone), "lines cascade");
        assert_eq!(left.len(), first.len() - products.len());
    }
}
