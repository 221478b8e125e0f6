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

/// `(facility, product, price_minor)` of the feed lines in the store.
async fn priced_lines(store: &Store) -> Vec<(i64, i64, Option<i64>)> {
    let mut v: Vec<(i64, i64, Option<i64>)> = store
        .load_stock()
        .await
        .expect("stock")
        .into_iter()
        .filter(|l| l.source.starts_with("feed:"))
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

async fn chunked(db: TestDb) {
    let data = small_data_dir();
    let settings = Settings {
        max_body_bytes: TEST_MAX_BODY,
        feed_chunk_rows: CHUNK,
        ..Settings::default()
    };
    let (run, base) = start_with(db.store.clone(), data.path().to_path_buf(), settings).await;
    let store = db.store.clone();
    let fx = fixture(&run);
    let facilities: Vec<i64> = fx.pharmacies.iter().map(|p| p.0).take(10).collect();
    let products: Vec<i64> = fx.products.iter().copied().take(200).collect();
    let scope: Vec<(i64, Option<String>)> = facilities.iter().map(|f| (*f, None)).collect();
    let key = make_key(&store, "Chunky", &scope).await;

    // A push of many chunks applies whole. The facilities had a few (demo) lines: those
    // the push does not carry are removed and reported (on PostgreSQL they are
    // deleted up front and the new lines COPYed straight in).
    let written: HashSet<(i64, i64)> = facilities
        .iter()
        .flat_map(|f| products.iter().map(move |p| (*f, *p)))
        .collect();
    let old = keys_of(&store, &facilities).await;
    let dropped: Vec<(i64, i64)> = old
        .iter()
        .copied()
        .filter(|k| !written.contains(k))
        .collect();
    assert!(
        !dropped.is_empty(),
        "the fixture pharmacies have lines to lose"
    );
    let (body, n) = grid(&facilities, &products, 1_000);
    assert!(n > 5 * CHUNK, "{n} rows cross chunk borders");
    let (code, v) = push(&base, &key, "", body, &[]).await;
    assert_eq!(code, 200, "{v:#}");
    assert_eq!(v["status"], "applied");
    assert_eq!(v["rows_read"], n as u64);
    assert_eq!(v["rows_accepted"], n as u64);
    assert_eq!(v["lines_removed"], dropped.len() as u64);
    let first = priced_lines(&store).await;
    assert_eq!(first.len(), n);
    let now: HashSet<(i64, i64)> = keys_of(&store, &facilities).await.into_iter().collect();
    assert_eq!(now, written, "exactly the pushed lines");
    let snap = run.state.snap().expect("snapshot");
    for (f, p) in &dropped {
        assert!(
            snap.stock
                .line(snap.product_index[p], snap.facility_index[f])
                .is_none(),
            "dropped line gone from the snapshot"
        );
    }
    // Live: the snapshot has the lines of the first and the last chunk.
    let snap = run.state.snap().expect("snapshot");
    for (f, p, price) in [first[0], first[n - 1]] {
        let line = snap
            .stock
            .line(snap.product_index[&p], snap.facility_index[&f])
            .expect("line in the snapshot");
        assert_eq!(line.price_minor.map(i64::from), price);
    }

    // A strict push whose only error is in its last chunk changes nothing.
    let (mut body, n2) = grid(&facilities, &products, 5_000);
    body.push_str(&format!("{},{},1,-5\n", facilities[0], products[0]));
    let (code, v) = push(&base, &key, "?strict=true", body, &[]).await;
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
        priced_lines(&store).await,
        first,
        "strict push rolled back whole"
    );
    let snap = run.state.snap().expect("snapshot");
    let (f, p, price) = first[0];
    let line = snap
        .stock
        .line(snap.product_index[&p], snap.facility_index[&f])
        .expect("line");
    assert_eq!(line.price_minor.map(i64::from), price, "snapshot untouched");

    // A JSON array cut off after several chunks: 400, nothing applied.
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
    let (code, v) = push(&base, &key, "", json, &[]).await;
    assert_eq!(code, 400, "{v:#}");
    assert_eq!(
        priced_lines(&store).await,
        first,
        "malformed body rolled back"
    );

    // Duplicates are found across chunk borders; the rest applies (non-strict),
    // and a snapshot push that carries fewer lines for its facilities removes the
    // others (facilities it does not list keep theirs).
    let (kept_f, kept_p) = (&facilities[..5], &products[..150]);
    let (mut body, n3) = grid(kept_f, kept_p, 9_000);
    body.push_str(&format!("{},{},1,1.00\n", kept_f[0], kept_p[0]));
    let (code, v) = push(
        &base,
        &key,
        "",
        body.clone(),
        &[("idempotency-key", "chunk-1")],
    )
    .await;
    assert_eq!(code, 200, "{v:#}");
    assert_eq!(v["status"], "partial");
    assert_eq!(v["rows_accepted"], n3 as u64);
    assert_eq!(reasons(&v), vec![(n3 as u64 + 2, "duplicate".to_string())]);
    let gone = kept_f.len() * (products.len() - kept_p.len());
    assert_eq!(v["lines_removed"], gone as u64);
    let after = priced_lines(&store).await;
    assert_eq!(after.len(), n - gone);
    let snap = run.state.snap().expect("snapshot");
    let (f, p) = (kept_f[0], products[products.len() - 1]);
    assert!(
        snap.stock
            .line(snap.product_index[&p], snap.facility_index[&f])
            .is_none(),
        "removed line gone from the snapshot"
    );
    let (f, p) = (kept_f[0], kept_p[0]);
    let line = snap
        .stock
        .line(snap.product_index[&p], snap.facility_index[&f])
        .expect("line");
    assert_eq!(line.price_minor, Some(9_000), "first occurrence kept");

    // The same Idempotency-Key: the first report, nothing applied twice.
    let (code, again) = push(&base, &key, "", body, &[("idempotency-key", "chunk-1")]).await;
    assert_eq!(code, 200, "{again:#}");
    assert_eq!(again["idempotent_replay"], true);
    assert_eq!(again["id"], v["id"]);
    assert_eq!(priced_lines(&store).await, after);

    // stock has no per-row foreign keys (checked once per push instead); deleting a
    // facility still takes its lines with it.
    let gone = kept_f[0];
    match &store {
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
    let left = priced_lines(&store).await;
    assert!(left.iter().all(|l| l.0 != gone), "lines cascade");
    assert_eq!(left.len(), after.len() - kept_p.len());

    run.task.abort();
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_push_sqlite() {
    chunked(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_push_postgres() {
    chunked(TestDb::postgres().await).await;
}
