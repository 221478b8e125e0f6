//! Every price carries its own currency: a pharmacy whose publisher prices in UAH
//! that is sent one line in GBP shows that line in GBP in the facility's stock
//! (API and page) and in availability, and the other line in UAH.

mod common;

use common::{small_data_dir, spawn_app, TestDb};
use serde_json::Value;

async fn get_json(base: &str, path: &str) -> Value {
    let r = reqwest::get(format!("{base}{path}")).await.expect("answer");
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.expect("json")
}

async fn mixed_currencies(db: TestDb) {
    let data = small_data_dir();
    let (run, base) = spawn_app(db.store.clone(), Some(data.path().to_path_buf())).await;
    let snap = run.state.snap().expect("snapshot");
    let (facility, lat, lon) = snap
        .facilities
        .iter()
        .filter(|f| f.kind == medmap::model::FacilityKind::Pharmacy)
        .find_map(|f| Some((f.id, f.lat?, f.lon?)))
        .expect("a pharmacy with a position");
    let mut groups: Vec<i64> = snap.catalog.products.keys().copied().collect();
    groups.sort_unstable();
    let (gbp, uah) = (groups[3], groups[4]);
    drop(snap);
    let k = medmap::feeds::keys::generate();
    db.store
        .create_key(
            "Two currencies",
            Some("UAH"),
            &[(facility, None)],
            &k.hash,
            &k.prefix,
        )
        .await
        .expect("key");
    let csv = format!(
        "facility,product_id,quantity,price,currency\n{facility},{gbp},2,11.11,GBP\n{facility},{uah},3,22.22,\n"
    );
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/feeds/stock?mode=delta"))
        .bearer_auth(&k.secret)
        .body(csv)
        .send()
        .await
        .expect("push answered");
    assert_eq!(
        resp.status(),
        200,
        "{}",
        resp.text().await.unwrap_or_default()
    );

    let d = get_json(&base, &format!("/api/v1/facilities/{facility}")).await;
    let line = |group: i64| {
        d["stock"]["lines"]
            .as_array()
            .and_then(|a| a.iter().find(|l| l["product"]["id"] == format!("p{group}")))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(line(gbp)["price_minor"], 1111, "{d:#}");
    assert_eq!(line(gbp)["currency"], "GBP", "{d:#}");
    assert_eq!(line(uah)["price_minor"], 2222, "{d:#}");
    assert_eq!(line(uah)["currency"], "UAH", "{d:#}");
    // Mixed lines: no one currency for the whole summary.
    assert!(d["stock"]["currency"].is_null(), "{d:#}");

    for (group, want) in [(gbp, "GBP"), (uah, "UAH")] {
        let a = get_json(
            &base,
            &format!("/api/v1/availability?medication_id=p{group}&lat={lat}&lon={lon}&radius_km=1"),
        )
        .await;
        let offer = a["items"]
            .as_array()
            .and_then(|v| v.iter().find(|o| o["facility"]["id"] == facility))
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(offer["price"]["currency"], want, "{a:#}");
    }

    let page = reqwest::get(format!("{base}/facilities/{facility}?lang=en"))
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("£11.11"), "the GBP line in pounds");
    assert!(page.contains("22.22\u{a0}UAH"), "the UAH line in hryvnias");
    assert!(
        !page.contains("11.11\u{a0}UAH"),
        "never the GBP price as UAH"
    );
    run.task.abort();
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_every_price_carries_its_own_currency() {
    mixed_currencies(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_every_price_carries_its_own_currency() {
    mixed_currencies(TestDb::postgres().await).await;
}
