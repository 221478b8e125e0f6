//! Several replicas on one PostgreSQL: two real servers on the same fresh schema, a
//! push or an import on A seen on B through the change log (LISTEN/NOTIFY), a
//! replica started late, the log's retention, and an outage of a PostgreSQL the
//! test runs itself (stopped and started under running servers).
//!
//! Visibility is waited for with a bound (10 s) and never asserted as a timing: the
//! lag figures come from `benches/replicas.rs`.

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use common::pg_cluster::PgCluster;
use common::{spawn_app_with, AppSettings, Backend, Data, Settings, TestApp, TestDb};
use serde_json::Value;

/// How long a change may take to show on another replica before the test fails.
const BOUND: Duration = Duration::from_secs(10);

/// A second server (no data import) on `a`'s schema.
async fn replica_of(a: &TestApp) -> TestApp {
    TestApp::start(a.db().replica().await, Data::None, Settings::default()).await
}

/// A pharmacy `(id, lat, lon)` and products of the small data set.
fn pharmacy_and_products(app: &TestApp, nth: usize) -> ((i64, f64, f64), Vec<i64>) {
    let snap = app.snapshot();
    let pharmacies: Vec<(i64, f64, f64)> = snap
        .facilities
        .iter()
        .filter(|f| f.kind == medmap::model::FacilityKind::Pharmacy)
        .filter_map(|f| Some((f.id, f.lat?, f.lon?)))
        .collect();
    let mut products: Vec<i64> = snap.catalog.products.keys().copied().collect();
    products.sort_unstable();
    products.truncate(50);
    assert!(pharmacies.len() > nth && products.len() >= 2);
    (pharmacies[nth], products)
}

/// Waits (up to `bound`) until `app` shows `want` for the line; returns how long.
async fn wait_price(
    app: &TestApp,
    at: (i64, f64, f64),
    pid: i64,
    want: Option<i64>,
    bound: Duration,
) -> Duration {
    let t = Instant::now();
    loop {
        let got = app.shown_price(at, pid).await;
        if got == want {
            return t.elapsed();
        }
        assert!(
            t.elapsed() < bound,
            "replica at {} still shows {got:?} for p{pid} after {bound:?}, want {want:?}",
            app.base
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn csv_line(fid: i64, pid: i64, price_minor: i64) -> String {
    format!(
        "facility,product_id,quantity,price\n{fid},{pid},5,{}.{:02}\n",
        price_minor / 100,
        price_minor % 100
    )
}

/// A delta push to A shows on B; a snapshot push to A that drops the line drops it
/// on B too; both replicas agree with the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_push_to_one_replica_shows_on_the_other() {
    let a = spawn_app_with(AppSettings::new(Backend::Postgres)).await;
    let b = replica_of(&a).await;
    let (at, products) = pharmacy_and_products(&a, 2);
    let (p1, p2) = (products[0], products[1]);
    let key = a.make_key("Replicated", &[(at.0, None)]).await;

    assert_eq!(b.shown_price(at, p1).await, None);
    let (code, v) = a
        .push(&key, "?mode=delta", csv_line(at.0, p1, 1234), &[])
        .await;
    assert_eq!(code, 200, "{v:#}");
    assert_eq!(
        a.shown_price(at, p1).await,
        Some(1234),
        "A shows its own push at once"
    );
    wait_price(&b, at, p1, Some(1234), BOUND).await;

    // Snapshot mode: the facility now carries p2 only; p1 goes on both.
    let (code, v) = a
        .push(&key, "?mode=snapshot", csv_line(at.0, p2, 777), &[])
        .await;
    assert_eq!(code, 200, "{v:#}");
    wait_price(&b, at, p2, Some(777), BOUND).await;
    wait_price(&b, at, p1, None, BOUND).await;

    // A push to B shows on A the same way (the followers are symmetric).
    let (code, v) = b
        .push(&key, "?mode=delta", csv_line(at.0, p1, 4321), &[])
        .await;
    assert_eq!(code, 200, "{v:#}");
    wait_price(&a, at, p1, Some(4321), BOUND).await;
    assert_eq!(b.shown_price(at, p2).await, Some(777));

    // The log names the push, its publisher and facility.
    let changes = a.store().changes_after(0, 1_000).await.expect("log");
    let stock: Vec<_> = changes
        .iter()
        .filter(|c| c.kind == medmap::store::ChangeKind::Stock && c.payload.push_id.is_some())
        .collect();
    assert_eq!(stock.len(), 3, "{changes:#?}");
    assert!(stock
        .iter()
        .all(|c| c.payload.facilities.as_deref() == Some(&[at.0][..])));
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
}

/// A directory import through A's store (an OSM file, as `medmap import` runs it)
/// reloads B's snapshot in the background: the new pharmacy is searchable on B.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_import_on_one_replica_shows_on_the_other() {
    let a = spawn_app_with(AppSettings::new(Backend::Postgres)).await;
    let b = replica_of(&a).await;
    let before = b.snapshot().facilities.len();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("replica.geojson");
    std::fs::write(
        &file,
        serde_json::json!({
            "type": "FeatureCollection",
            "features": [{
                "type": "Feature",
                "id": "node/990000001",
                "geometry": { "type": "Point", "coordinates": [26.7001, 58.3702] },
                "properties": {
                    "amenity": "pharmacy",
                    "healthcare": "pharmacy",
                    "name": "Quokkaveski Apteek",
                    "addr:city": "Tartu",
                    "addr:country": "EE"
                }
            }]
        })
        .to_string(),
    )
    .expect("write");
    medmap::import::import_osm(a.store(), &file)
        .await
        .expect("import");
    let t = Instant::now();
    loop {
        let (code, r) = b
            .get_json("/api/v1/facilities?q=quokkaveski&lat=58.37&lon=26.70&radius_km=5")
            .await;
        assert_eq!(code, 200, "{r:#}");
        if r.to_string().contains("Quokkaveski Apteek") {
            break;
        }
        assert!(
            t.elapsed() < BOUND,
            "B never showed the imported pharmacy: {r:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.snapshot().facilities.len(), before + 1);
}

/// A replica started after changes loads them, records the log's head as its
/// position, and follows from there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_started_late_catches_up_and_follows() {
    let a = spawn_app_with(AppSettings::new(Backend::Postgres)).await;
    let (at, products) = pharmacy_and_products(&a, 4);
    let key = a.make_key("Late", &[(at.0, None)]).await;
    for (i, pid) in products.iter().take(3).enumerate() {
        let (code, v) = a
            .push(
                &key,
                "?mode=delta",
                csv_line(at.0, *pid, 100 + i as i64),
                &[],
            )
            .await;
        assert_eq!(code, 200, "{v:#}");
    }
    let b = replica_of(&a).await;
    for (i, pid) in products.iter().take(3).enumerate() {
        assert_eq!(b.shown_price(at, *pid).await, Some(100 + i as i64));
    }
    let head = a.store().change_window().await.expect("window").head;
    let (_, ready) = b.get_json("/readyz").await;
    assert!(
        ready["replica"]["change_log_position"].as_i64() >= Some(head),
        "{ready:#}"
    );
    let (code, v) = a
        .push(&key, "?mode=delta", csv_line(at.0, products[0], 999), &[])
        .await;
    assert_eq!(code, 200, "{v:#}");
    wait_price(&b, at, products[0], Some(999), BOUND).await;
}

/// A replica with a warm-start file under `state`.
async fn warm_replica_of(a: &TestApp, state: &std::path::Path) -> TestApp {
    let settings = Settings {
        follow: medmap::replica::FollowSettings {
            state_dir: Some(state.to_path_buf()),
            ..medmap::replica::FollowSettings::default()
        },
        ..Settings::default()
    };
    TestApp::start(a.db().replica().await, Data::None, settings).await
}

/// A stock line's price changed in the table without a change-log entry: what a
/// replica that read every table shows, and one that read only the changes it
/// missed does not.
async fn change_behind_the_log(a: &TestApp, fid: i64, pid: i64, price_minor: i64) {
    let medmap::store::Store::Postgres(pool) = a.store() else {
        panic!("a PostgreSQL store");
    };
    let n =
        sqlx::query("UPDATE stock SET price_minor = $1 WHERE facility_id = $2 AND product_id = $3")
            .bind(price_minor)
            .bind(fid)
            .bind(pid)
            .execute(pool)
            .await
            .expect("update")
            .rows_affected();
    assert_eq!(n, 1);
}

/// A replica that went away without a graceful stop (as in a crash) starts again
/// from its warm-start file: it reads only the changes it missed (a delta and a
/// snapshot push, which drops a line) and the stock of the one facility they
/// touched, not every table; one away past the log's retention loads whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restarted_replica_catches_up_from_its_warm_start_file() {
    let a = spawn_app_with(AppSettings::new(Backend::Postgres)).await;
    let state = tempfile::tempdir().expect("state dir");
    let (at, products) = pharmacy_and_products(&a, 5);
    let (other, _) = pharmacy_and_products(&a, 6);
    let key = a.make_key("Warm", &[(at.0, None), (other.0, None)]).await;
    let push = |fid: i64, mode: &'static str, lines: Vec<(i64, i64)>| {
        let mut body = String::from("facility,product_id,quantity,price\n");
        for (pid, price) in lines {
            body.push_str(&format!(
                "{fid},{pid},5,{}.{:02}\n",
                price / 100,
                price % 100
            ));
        }
        let (a, key) = (&a, key.clone());
        async move {
            let (code, v) = a.push(&key, mode, body, &[]).await;
            assert_eq!(code, 200, "{v:#}");
        }
    };
    push(other.0, "?mode=delta", vec![(products[9], 700)]).await;

    // The first start reads every table and writes the file.
    let b = warm_replica_of(&a, state.path()).await;
    let (_, r) = b.get_json("/readyz").await;
    assert_eq!(r["replica"]["started"]["from"], "tables", "{r:#}");
    assert_eq!(b.shown_price(other, products[9]).await, Some(700));
    let files: Vec<_> = std::fs::read_dir(state.path())
        .expect("state dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files.len() == 1 && files[0].starts_with("replica-") && files[0].ends_with(".snapshot"),
        "{files:?}"
    );
    drop(b);

    // While it is away: two pushes through A, and a change no log entry tells of.
    push(
        at.0,
        "?mode=delta",
        vec![(products[0], 100), (products[1], 101), (products[2], 102)],
    )
    .await;
    push(
        at.0,
        "?mode=snapshot",
        vec![(products[0], 200), (products[1], 201)],
    )
    .await;
    change_behind_the_log(&a, other.0, products[9], 4242).await;

    let b = warm_replica_of(&a, state.path()).await;
    let (_, r) = b.get_json("/readyz").await;
    let started = &r["replica"]["started"];
    assert_eq!(started["from"], "warm_file", "{r:#}");
    assert_eq!(started["facilities_reread"], 1, "{r:#}");
    assert!(started["changes"].as_u64() >= Some(2), "{r:#}");
    assert_eq!(b.shown_price(at, products[0]).await, Some(200));
    assert_eq!(b.shown_price(at, products[1]).await, Some(201));
    assert_eq!(
        b.shown_price(at, products[2]).await,
        None,
        "dropped by the snapshot push"
    );
    // The untouched facility's stock came from the file, not the table.
    assert_eq!(b.shown_price(other, products[9]).await, Some(700));
    // And it follows from where it caught up.
    push(at.0, "?mode=delta", vec![(products[3], 303)]).await;
    wait_price(&b, at, products[3], Some(303), BOUND).await;
    drop(b);

    // Away past the log's retention: the entries it missed are gone, so it loads
    // every table (and so sees the change behind the log).
    push(at.0, "?mode=delta", vec![(products[4], 404)]).await;
    push(at.0, "?mode=delta", vec![(products[5], 505)]).await;
    a.store().prune_change_log(-10).await.expect("prune");
    let b = warm_replica_of(&a, state.path()).await;
    let (_, r) = b.get_json("/readyz").await;
    assert_eq!(r["replica"]["started"]["from"], "tables", "{r:#}");
    assert_eq!(b.shown_price(at, products[5]).await, Some(505));
    assert_eq!(b.shown_price(other, products[9]).await, Some(4242));
}

/// Pruning keeps the newest entry and records how far it went, which is what
/// tells a follower that was away too long to reload whole.
#[tokio::test]
async fn pruning_keeps_the_head_and_records_the_gap() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = TestDb::new(backend).await;
        for i in 0..3 {
            common::make_key(&db.store, &format!("Pruned {i}"), &[]).await;
        }
        let before = db.store.change_window().await.expect("window");
        assert!(before.head >= 3 && before.pruned_through == 0, "{before:?}");
        // Nothing is older than a day: nothing goes.
        assert_eq!(db.store.prune_change_log(86_400).await.expect("prune"), 0);
        // Everything is older than -10 s: all but the newest go.
        let n = db.store.prune_change_log(-10).await.expect("prune");
        assert!(n >= 2, "{backend:?}: {n}");
        let after = db.store.change_window().await.expect("window");
        assert_eq!(after.head, before.head, "{backend:?}");
        assert!(after.pruned_through >= before.head - 1, "{after:?}");
        let left = db.store.changes_after(0, 100).await.expect("log");
        assert_eq!(left.len(), 1, "{backend:?}: {left:?}");
        assert_eq!(left[0].seq, before.head);
        assert_eq!(left[0].kind, medmap::store::ChangeKind::Keys);
    }
}

/// The database goes away under two running replicas: reads keep answering from
/// the snapshot, `/readyz` and `/metrics` say the database is unreachable and how
/// old the snapshot is, a push answers 503 with Retry-After; when the database is
/// back, writes work again and B catches up on A's push without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_ride_out_a_database_outage() {
    let Some(pg) = PgCluster::start() else {
        eprintln!("replicas_ride_out_a_database_outage: SKIPPED (no PostgreSQL binaries)");
        return;
    };
    let url = pg.url();
    let a = TestApp::start(
        TestDb::postgres_at(&url).await,
        Data::Small,
        Settings::default(),
    )
    .await;
    let b = TestApp::start(
        TestDb::postgres_at(&url).await,
        Data::None,
        Settings::default(),
    )
    .await;
    let (at, products) = pharmacy_and_products(&a, 1);
    let (p1, p2) = (products[0], products[1]);
    let key = a.make_key("Outage", &[(at.0, None)]).await;
    let (code, v) = a
        .push(&key, "?mode=delta", csv_line(at.0, p1, 1500), &[])
        .await;
    assert_eq!(code, 200, "{v:#}");
    wait_price(&b, at, p1, Some(1500), BOUND).await;

    pg.stop();

    // Reads answer from the last snapshot.
    assert_eq!(b.shown_price(at, p1).await, Some(1500));
    assert_eq!(a.shown_price(at, p1).await, Some(1500));
    // Both replicas notice, stay ready (degraded) and report the snapshot's age.
    for app in [&a, &b] {
        let t = Instant::now();
        let ready = loop {
            let (code, r) = app.get_json("/readyz").await;
            assert_eq!(code, 200, "{r:#}");
            if r["database"] == "unreachable" {
                break r;
            }
            assert!(t.elapsed() < Duration::from_secs(30), "{r:#}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(ready["status"], "degraded", "{ready:#}");
        assert!(
            ready["snapshot_age_seconds"].as_f64().is_some(),
            "{ready:#}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let (_, ready) = b.get_json("/readyz").await;
    assert!(
        ready["snapshot_age_seconds"].as_f64() >= Some(1.0),
        "{ready:#}"
    );
    let (code, metrics) = b.get_text("/metrics").await;
    assert_eq!(code, 200);
    assert!(metrics.contains("medmap_database_up 0"), "{metrics}");
    assert!(
        metrics.contains("medmap_snapshot_sync_age_seconds"),
        "{metrics}"
    );

    // A write cannot be made: 503 with Retry-After, not a 500.
    let r = a
        .client
        .post(a.url("/api/v1/feeds/stock?mode=delta"))
        .bearer_auth(&key)
        .body(csv_line(at.0, p2, 2500))
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "unavailable", "{body:#}");

    pg.start_again();

    // Writes resume by themselves (the pool reconnects)...
    let t = Instant::now();
    loop {
        let (code, v) = a
            .push(&key, "?mode=delta", csv_line(at.0, p2, 2500), &[])
            .await;
        if code == 200 {
            break;
        }
        assert_eq!(code, 503, "{v:#}");
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "writes never resumed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // ...and B, which could not hear about it, catches up and reports healthy.
    wait_price(&b, at, p2, Some(2500), Duration::from_secs(30)).await;
    let t = Instant::now();
    loop {
        let (_, r) = b.get_json("/readyz").await;
        if r["database"] == "reachable" && r["status"] == "ready" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "{r:#}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The notification channel is back too: a further push shows on B.
    let (code, v) = a
        .push(&key, "?mode=delta", csv_line(at.0, p1, 1600), &[])
        .await;
    assert_eq!(code, 200, "{v:#}");
    wait_price(&b, at, p1, Some(1600), BOUND).await;
    drop((a, b));
    drop(pg);
}
