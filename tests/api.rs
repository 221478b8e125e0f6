//! The HTTP API against a real server on a random port, over real databases.

mod common;

use common::{small_data_dir, spawn_app, TestDb};
use serde_json::Value;

async fn get(base: &str, path: &str) -> (u16, Value) {
    let r = reqwest::get(format!("{base}{path}"))
        .await
        .expect("request");
    let status = r.status().as_u16();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

async fn api_contract(db: TestDb) {
    let data = small_data_dir();
    let (_app, base) = spawn_app(db.store.clone(), Some(data.path().to_path_buf())).await;

    let (s, b) = get(&base, "/healthz").await;
    assert_eq!((s, b["status"].as_str()), (200, Some("ok")));

    // An INN: the substance first, exactly matched, with its brands one field away.
    let (s, b) = get(&base, "/api/v1/medications/search?q=ibuprofen&limit=5").await;
    assert_eq!(s, 200, "{b}");
    let first = &b["items"][0];
    assert_eq!(first["kind"], "substance", "{b}");
    assert_eq!(first["match"], "exact");
    assert_eq!(first["name"], "ibuprofen");
    assert!(
        first["brands"].as_array().is_some_and(|v| !v.is_empty()),
        "{first}"
    );
    let ibu_id = first["id"].as_str().expect("id").to_string();

    // A Russian brand: the product with its active ingredient.
    let (s, b) = get(
        &base,
        "/api/v1/medications/search?q=%D0%BD%D1%83%D1%80%D0%BE%D1%84%D0%B5%D0%BD&lang=ru",
    )
    .await;
    assert_eq!(s, 200);
    let item = b["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["kind"] == "product")
        .expect("a product");
    assert!(
        item["ingredients"]
            .as_array()
            .expect("ingredients")
            .iter()
            .any(|i| i["id"] == ibu_id.as_str()),
        "{item}"
    );

    // A US brand name resolves to the same substance.
    let (_, b) = get(&base, "/api/v1/medications/search?q=advil").await;
    assert!(
        b["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["ingredients"]
                .as_array()
                .is_some_and(|v| v.iter().any(|x| x["id"] == ibu_id.as_str()))),
        "{b}"
    );

    let (s, b) = get(&base, "/api/v1/medications/suggest?q=ibup").await;
    assert_eq!(s, 200);
    let n = b["items"].as_array().expect("items").len();
    assert!((1..=10).contains(&n), "{b}");

    let (s, b) = get(&base, &format!("/api/v1/medications/{ibu_id}")).await;
    assert_eq!(s, 200);
    assert!(b["names"].as_array().expect("names").len() >= 2, "{b}");

    // Bad input: clear 400s and 404s, never 500.
    for (path, want) in [
        ("/api/v1/medications/search?q=", 400),
        ("/api/v1/medications/search", 400),
        ("/api/v1/medications/search?q=%zz", 400),
        ("/api/v1/medications/search?q=%C3%28", 400),
        ("/api/v1/medications/search?q=a%00b", 400),
        ("/api/v1/medications/search?q=ibuprofen&limit=0", 400),
        ("/api/v1/medications/search?q=ibuprofen&limit=abc", 400),
        ("/api/v1/medications/search?q=ibuprofen&lang=xx", 400),
        ("/api/v1/medications/x1", 400),
        ("/api/v1/medications/s999999999", 404),
        ("/api/v1/facilities?lat=91&lon=0", 400),
        ("/api/v1/facilities?lat=51&lon=0&radius_km=500", 400),
        ("/api/v1/facilities?lat=51", 400),
        ("/api/v1/facilities?kind=spaceport", 400),
        ("/api/v1/facilities/abc", 400),
        ("/api/v1/facilities/999999999", 404),
        ("/nope", 404),
    ] {
        let (s, b) = get(&base, path).await;
        assert_eq!(s, want, "{path}: {b}");
        assert!(
            b["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}: {b}"
        );
    }
    let long = "a".repeat(201);
    let (s, _) = get(&base, &format!("/api/v1/medications/search?q={long}")).await;
    assert_eq!(s, 400);

    // Facilities near a point, nearest first, within the radius.
    let (s, b) = get(
        &base,
        "/api/v1/facilities?lat=60.17&lon=24.94&radius_km=5&limit=50",
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let d: Vec<f64> = b["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["distance_m"].as_f64().expect("distance"))
        .collect();
    assert!(!d.is_empty());
    assert!(
        d.windows(2).all(|w| w[0] <= w[1]) && d.iter().all(|x| *x <= 5000.0),
        "{d:?}"
    );
    let fid = b["items"][0]["id"].as_i64().expect("id");
    let (s, b) = get(&base, &format!("/api/v1/facilities/{fid}")).await;
    assert_eq!(s, 200);
    assert_eq!(b["id"].as_i64(), Some(fid));

    let (s, b) = get(&base, "/api/v1/facilities?kind=pharmacy&limit=3").await;
    assert_eq!(s, 200);
    assert!(b["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|i| i["kind"] == "pharmacy"));

    // Availability: a pharmacy's own demo stock is found from its own location.
    let (_, b) = get(&base, "/api/v1/facilities?kind=pharmacy&limit=200").await;
    let mut checked = 0;
    for ph in b["items"].as_array().expect("items") {
        let (fid, lat, lon) = (
            ph["id"].as_i64().expect("id"),
            ph["lat"].as_f64(),
            ph["lon"].as_f64(),
        );
        let (Some(lat), Some(lon)) = (lat, lon) else {
            continue;
        };
        let (s, d) = get(&base, &format!("/api/v1/facilities/{fid}")).await;
        assert_eq!(s, 200);
        let Some(line) = d["stock"]["lines"]
            .as_array()
            .and_then(|l| l.iter().find(|x| x["status"] != "out"))
        else {
            continue;
        };
        assert_eq!(d["stock"]["source"], "demo");
        let pid = line["product"]["id"].as_str().expect("product id");
        let (s, a) = get(
            &base,
            &format!(
                "/api/v1/availability?medication_id={pid}&lat={lat}&lon={lon}&radius_km=2&limit=50"
            ),
        )
        .await;
        assert_eq!(s, 200, "{a}");
        let items = a["items"].as_array().expect("items");
        let here = items
            .iter()
            .find(|i| i["facility"]["id"].as_i64() == Some(fid))
            .unwrap_or_else(|| panic!("facility {fid} offers {pid}: {a}"));
        assert_eq!(here["source"], "demo");
        assert!(here["distance_m"].as_f64().expect("distance") < 1.0);
        assert!(here["freshness"] == "fresh" || here["freshness"] == "call_to_confirm");
        assert!(here["price"]["currency"].is_string());
        let dists: Vec<f64> = items
            .iter()
            .map(|i| i["distance_m"].as_f64().expect("d"))
            .collect();
        assert!(dists.windows(2).all(|w| w[0] <= w[1]), "{dists:?}");
        let (s, a) = get(&base, &format!("/api/v1/availability?medication_id={pid}&lat={lat}&lon={lon}&radius_km=50&sort=price")).await;
        assert_eq!(s, 200);
        let prices: Vec<u64> = a["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|i| i["price"]["minor"].as_u64())
            .collect();
        assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");
        checked += 1;
        if checked == 3 {
            break;
        }
    }
    assert_eq!(checked, 3, "found pharmacies with demo stock");
    for (path, want) in [
        ("/api/v1/availability?q=ibuprofen", 400),
        (
            "/api/v1/availability?q=ibuprofen&lat=51&lon=0&sort=cheap",
            400,
        ),
        (
            "/api/v1/availability?q=ibuprofen&lat=51&lon=0&radius_km=201",
            400,
        ),
        (
            "/api/v1/availability?medication_id=p999999999&lat=51&lon=0",
            404,
        ),
        ("/api/v1/availability?lat=51&lon=0", 400),
        (
            "/api/v1/availability?q=ibuprofen&lat=51&lon=0&open_now=maybe",
            400,
        ),
    ] {
        let (s, b) = get(&base, path).await;
        assert_eq!(s, want, "{path}: {b}");
    }
    let (s, _) = get(
        &base,
        "/api/v1/availability?q=ibuprofen&lat=51.5&lon=-0.12&open_now=true&analogs=true",
    )
    .await;
    assert_eq!(s, 200);

    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(text.contains("medmap_http_requests_total"), "{text}");
    assert!(text.contains("medmap_snapshot_age_seconds"), "{text}");
    db.drop_db().await;
}

#[tokio::test]
async fn sqlite_api_contract() {
    api_contract(TestDb::sqlite().await).await;
}

#[tokio::test]
async fn postgres_api_contract() {
    api_contract(TestDb::postgres().await).await;
}
