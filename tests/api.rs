//! The HTTP API against a real server on a random port, over real databases. Every
//! test only reads, so all share one app per backend.

#[macro_use]
mod common;

use common::{spawn_app_with, AppSettings, SharedApps, TestApp};
use serde_json::Value;

static APP: SharedApps =
    SharedApps::new(|backend| Box::pin(spawn_app_with(AppSettings::new(backend))));

/// The id of the substance ibuprofen, as the search finds it.
async fn ibuprofen_id(app: &TestApp) -> String {
    let (s, b) = app
        .get_json("/api/v1/medications/search?q=ibuprofen&limit=5")
        .await;
    assert_eq!(s, 200, "{b}");
    b["items"][0]["id"].as_str().expect("id").to_string()
}

fn items(b: &Value) -> &Vec<Value> {
    b["items"].as_array().expect("items")
}

shared_app_test! { APP;
    async fn healthz_answers_ok(app) {
        let (s, b) = app.get_json("/healthz").await;
        assert_eq!((s, b["status"].as_str()), (200, Some("ok")));
    }
}

shared_app_test! { APP;
    /// What is running, on which schema and data: the build's version and commit,
    /// the newest migration (0010 or later), the backend, and the data's stamps.
    async fn version_names_build_schema_and_data(app) {
        let (s, b) = app.get_json("/api/v1/version").await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["version"], env!("CARGO_PKG_VERSION"));
        assert!(b["commit"].as_str().is_some_and(|c| !c.is_empty()), "{b}");
        assert!(b["schema_version"].as_i64().is_some_and(|v| v >= 10), "{b}");
        let backend = match app.backend() {
            common::Backend::Sqlite => "sqlite",
            common::Backend::Postgres => "postgres",
        };
        assert_eq!(b["backend"], backend);
        assert!(b["data"]["snapshot_built_at"].is_string(), "{b}");
        assert!(b["data"]["catalog_format"].is_string(), "{b}");
    }
}

shared_app_test! { APP;
    /// An INN: the substance first, exactly matched, with its brands one field away.
    async fn an_inn_finds_its_substance_first_with_its_brands(app) {
        let (s, b) = app
            .get_json("/api/v1/medications/search?q=ibuprofen&limit=5")
            .await;
        assert_eq!(s, 200, "{b}");
        let first = &b["items"][0];
        assert_eq!(first["kind"], "substance", "{b}");
        assert_eq!(first["match"], "exact");
        assert_eq!(first["name"], "ibuprofen");
        assert!(
            first["brands"].as_array().is_some_and(|v| !v.is_empty()),
            "{first}"
        );
        assert!(first["id"].as_str().is_some(), "{first}");
    }
}

shared_app_test! { APP;
    /// A Russian brand: the product with its active ingredient.
    async fn a_russian_brand_resolves_to_its_substance(app) {
        let ibu_id = ibuprofen_id(app).await;
        let (s, b) = app
            .get_json("/api/v1/medications/search?q=%D0%BD%D1%83%D1%80%D0%BE%D1%84%D0%B5%D0%BD&lang=ru")
            .await;
        assert_eq!(s, 200);
        let item = items(&b)
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
    }
}

shared_app_test! { APP;
    /// A US brand name resolves to the same substance.
    async fn a_us_brand_resolves_to_the_same_substance(app) {
        let ibu_id = ibuprofen_id(app).await;
        let (_, b) = app.get_json("/api/v1/medications/search?q=advil").await;
        assert!(
            items(&b).iter().any(|i| i["ingredients"]
                .as_array()
                .is_some_and(|v| v.iter().any(|x| x["id"] == ibu_id.as_str()))),
            "{b}"
        );
    }
}

shared_app_test! { APP;
    async fn suggest_offers_one_to_ten_names(app) {
        let (s, b) = app.get_json("/api/v1/medications/suggest?q=ibup").await;
        assert_eq!(s, 200);
        let n = items(&b).len();
        assert!((1..=10).contains(&n), "{b}");
    }
}

shared_app_test! { APP;
    async fn a_substance_lists_its_names(app) {
        let ibu_id = ibuprofen_id(app).await;
        let (s, b) = app.get_json(&format!("/api/v1/medications/{ibu_id}")).await;
        assert_eq!(s, 200);
        assert!(b["names"].as_array().expect("names").len() >= 2, "{b}");
    }
}

shared_app_test! { APP;
    /// Bad input: clear 400s and 404s with a message, never 500.
    async fn bad_medication_and_facility_input_is_a_clear_400_or_404(app) {
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
            let (s, b) = app.get_json(path).await;
            assert_eq!(s, want, "{path}: {b}");
            assert!(
                b["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{path}: {b}"
            );
        }
    }
}

shared_app_test! { APP;
    async fn a_query_over_200_characters_is_refused(app) {
        let long = "a".repeat(201);
        let (s, _) = app
            .get_json(&format!("/api/v1/medications/search?q={long}"))
            .await;
        assert_eq!(s, 400);
    }
}

shared_app_test! { APP;
    /// Facilities near a point, nearest first, within the radius; each one by its id.
    async fn facilities_near_a_point_come_nearest_first_within_the_radius(app) {
        let (s, b) = app
            .get_json("/api/v1/facilities?lat=60.17&lon=24.94&radius_km=5&limit=50")
            .await;
        assert_eq!(s, 200, "{b}");
        let d: Vec<f64> = items(&b)
            .iter()
            .map(|i| i["distance_m"].as_f64().expect("distance"))
            .collect();
        assert!(!d.is_empty());
        assert!(
            d.windows(2).all(|w| w[0] <= w[1]) && d.iter().all(|x| *x <= 5000.0),
            "{d:?}"
        );
        let fid = b["items"][0]["id"].as_i64().expect("id");
        let (s, b) = app.get_json(&format!("/api/v1/facilities/{fid}")).await;
        assert_eq!(s, 200);
        assert_eq!(b["id"].as_i64(), Some(fid));
    }
}

shared_app_test! { APP;
    async fn the_kind_filter_returns_only_that_kind(app) {
        let (s, b) = app.get_json("/api/v1/facilities?kind=pharmacy&limit=3").await;
        assert_eq!(s, 200);
        assert!(items(&b).iter().all(|i| i["kind"] == "pharmacy"));
    }
}

shared_app_test! { APP;
    /// Availability: a pharmacy's own demo stock is found from its own location,
    /// nearest first; sorted by price, cheapest first.
    async fn a_pharmacys_demo_stock_is_found_from_its_own_location(app) {
        let (_, b) = app
            .get_json("/api/v1/facilities?kind=pharmacy&limit=200")
            .await;
        let mut checked = 0;
        for ph in items(&b) {
            let (fid, lat, lon) = (
                ph["id"].as_i64().expect("id"),
                ph["lat"].as_f64(),
                ph["lon"].as_f64(),
            );
            let (Some(lat), Some(lon)) = (lat, lon) else {
                continue;
            };
            let (s, d) = app.get_json(&format!("/api/v1/facilities/{fid}")).await;
            assert_eq!(s, 200);
            let Some(line) = d["stock"]["lines"]
                .as_array()
                .and_then(|l| l.iter().find(|x| x["status"] != "out"))
            else {
                continue;
            };
            assert_eq!(d["stock"]["source"], "demo");
            let pid = line["product"]["id"].as_str().expect("product id");
            let (s, a) = app
                .get_json(&format!(
                    "/api/v1/availability?medication_id={pid}&lat={lat}&lon={lon}&radius_km=2&limit=50"
                ))
                .await;
            assert_eq!(s, 200, "{a}");
            let offers = items(&a);
            let here = offers
                .iter()
                .find(|i| i["facility"]["id"].as_i64() == Some(fid))
                .unwrap_or_else(|| panic!("facility {fid} offers {pid}: {a}"));
            assert_eq!(here["source"], "demo");
            assert!(here["distance_m"].as_f64().expect("distance") < 1.0);
            assert!(here["freshness"] == "fresh" || here["freshness"] == "call_to_confirm");
            assert!(here["price"]["currency"].is_string());
            let dists: Vec<f64> = offers
                .iter()
                .map(|i| i["distance_m"].as_f64().expect("d"))
                .collect();
            assert!(dists.windows(2).all(|w| w[0] <= w[1]), "{dists:?}");
            let (s, a) = app
                .get_json(&format!(
                    "/api/v1/availability?medication_id={pid}&lat={lat}&lon={lon}&radius_km=50&sort=price"
                ))
                .await;
            assert_eq!(s, 200);
            let prices: Vec<u64> = items(&a)
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
    }
}

shared_app_test! { APP;
    async fn bad_availability_input_is_a_400_or_404(app) {
        for (path, want) in [
            ("/api/v1/availability?q=ibuprofen", 400),
            ("/api/v1/availability?q=ibuprofen&lat=51&lon=0&sort=cheap", 400),
            ("/api/v1/availability?q=ibuprofen&lat=51&lon=0&radius_km=201", 400),
            ("/api/v1/availability?medication_id=p999999999&lat=51&lon=0", 404),
            ("/api/v1/availability?lat=51&lon=0", 400),
            ("/api/v1/availability?q=ibuprofen&lat=51&lon=0&open_now=maybe", 400),
        ] {
            let (s, b) = app.get_json(path).await;
            assert_eq!(s, want, "{path}: {b}");
        }
    }
}

shared_app_test! { APP;
    async fn availability_takes_open_now_and_analogs(app) {
        let (s, b) = app
            .get_json("/api/v1/availability?q=ibuprofen&lat=51.5&lon=-0.12&open_now=true&analogs=true")
            .await;
        assert_eq!(s, 200, "{b}");
    }
}

shared_app_test! { APP;
    async fn metrics_count_requests_and_show_the_snapshot_age(app) {
        // At least one request counted, whichever test ran first.
        let (s, _) = app.get_json("/api/v1/medications/suggest?q=para").await;
        assert_eq!(s, 200);
        let (s, text) = app.get_text("/metrics").await;
        assert_eq!(s, 200);
        assert!(text.contains("medmap_http_requests_total"), "{text}");
        assert!(text.contains("medmap_snapshot_age_seconds"), "{text}");
    }
}

/// `GET /api/v1/places` for `q` (percent-encoded by the caller) in `lang`.
async fn place(app: &TestApp, q: &str, lang: &str) -> (u16, Value) {
    app.get_json(&format!("/api/v1/places?q={q}&lang={lang}"))
        .await
}

shared_app_test! { APP;
    /// `near=` resolves towns anywhere, typed in Latin or Cyrillic letters, offline, and
    /// says which one it took: the examples, in three scripts.
    async fn towns_resolve_in_three_scripts_and_say_which_they_are(app) {
        for (typed, name, country) in [
            ("Lviv", "Lviv", "UA"),
            ("%D0%9B%D1%8C%D0%B2%D1%96%D0%B2", "Lviv", "UA"), // Львів
            ("%D0%9B%D1%8C%D0%B2%D0%BE%D0%B2", "Lviv", "UA"), // Львов
            ("Ivano-Frankivsk", "Ivano-Frankivsk", "UA"),
            ("Petrozavodsk", "Petrozavodsk", "RU"),
            ("%D0%9F%D0%B5%D1%80%D0%BD%D0%B8%D0%BA", "Pernik", "BG"), // Перник
            ("Kungsbacka", "Kungsbacka", "SE"),
            ("New%20York", "New York City", "US"),
        ] {
            let (s, b) = place(app, typed, "en").await;
            assert_eq!(s, 200, "{typed}: {b}");
            assert_eq!((b["name"].as_str(), b["country"].as_str()), (Some(name), Some(country)), "{typed}: {b}");
            assert_eq!(b["source"], "gazetteer", "{b}");
            assert!(b["lat"].as_f64().is_some() && b["lon"].as_f64().is_some(), "{b}");
        }
    }
}

shared_app_test! { APP;
    /// Of several towns of one name the larger is chosen (a Russian reader's
    /// village called Париж does not outweigh Paris) and the others are listed; the
    /// directory's own town comes first; coordinates and postcodes keep working.
    async fn ambiguous_names_choose_the_larger_town_and_list_the_others(app) {
        let (s, b) = place(app, "%D0%9F%D0%B0%D1%80%D0%B8%D0%B6", "ru").await; // Париж
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["country"], "FR", "{b}");
        let (_, b) = place(app, "Paris", "en").await;
        assert_eq!(b["country"], "FR", "{b}");
        assert!(
            b["others"].as_array().is_some_and(|o| o.iter().any(|t| t["country"] == "US")),
            "{b}"
        );
        // The bundled directory is about San Mateo, California.
        let (_, b) = place(app, "San%20Mateo", "en").await;
        assert_eq!((b["country"].as_str(), b["name"].as_str()), (Some("US"), Some("San Mateo")), "{b}");
        assert!((b["lat"].as_f64().unwrap_or(0.0) - 37.56).abs() < 0.2, "{b}");
        let (s, b) = place(app, "49.84,24.03", "en").await;
        assert_eq!((s, b["source"].as_str()), (200, Some("coordinates")), "{b}");
    }
}

shared_app_test! { APP;
    async fn an_unknown_place_is_a_404_and_no_place_a_400(app) {
        let (s, b) = place(app, "Qwertyuiopville", "en").await;
        assert_eq!(s, 404, "{b}");
        let (s, b) = app.get_json("/api/v1/places").await;
        assert_eq!(s, 400, "{b}");
        assert!(b.to_string().contains('q'), "{b}");
    }
}
