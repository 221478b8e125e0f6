//! The facilities of our users' home cities, bundled: every Ukrainian pharmacy of the
//! NSZU reimbursement programme ("Доступні ліки"), the primary-care practices of Lviv,
//! Ivano-Frankivsk and Kyiv, and Tartu's pharmacies with their hours. Imported as the
//! bundled data is, on both databases: counts per city, the reimbursement flag and
//! its availability filter, re-imports that update instead of duplicating, zones from
//! coordinates, and demo stock from the Ukrainian register in UAH.

#[macro_use]
mod common;

use common::{data_dir, spawn_app_with, AppSettings, TestApp};
use medmap::import;
use medmap::model::FacilityKind;
use medmap_indexers::places::haversine_m;
use serde_json::Value;

const PHARMACIES: &str = "facilities/ua_pharmacies_nszu_2019.geojson";
const PRIMARY_CARE: &str = "facilities/ua_primary_care_lviv_ivano-frankivsk_kyiv_nszu_2020.geojson";
const TARTU: &str = "facilities/ee_tartu_pharmacies_osm_2020.geojson";

const LVIV: (f64, f64) = (49.8397, 24.0297);
const IVANO_FRANKIVSK: (f64, f64) = (48.9226, 24.7111);
const KYIV: (f64, f64) = (50.4501, 30.5234);
const TARTU_CENTRE: (f64, f64) = (58.3780, 26.7290);

async fn import(app: &TestApp, file: &str) -> (u64, u64) {
    let (reports, _) = import::import_source(app.store(), "osm", &data_dir().join(file), 0)
        .await
        .unwrap_or_else(|e| panic!("import {file}: {e}"));
    let read = reports.iter().map(|r| r.read).sum();
    let imported = reports.iter().map(|r| r.imported).sum();
    (read, imported)
}

/// The nearest 200 facilities of `kind` (the API's largest page).
async fn facilities(app: &TestApp, at: (f64, f64), radius_km: f64, kind: &str) -> Vec<Value> {
    let (s, b) = app
        .get_json(&format!(
            "/api/v1/facilities?lat={}&lon={}&radius_km={radius_km}&kind={kind}&limit=200",
            at.0, at.1
        ))
        .await;
    assert_eq!(s, 200, "{b}");
    b["items"].as_array().expect("items").clone()
}

/// Offers of `q` (analogs included) within 15 km of `at`, with `extra` parameters.
async fn offers(app: &TestApp, q: &str, at: (f64, f64), extra: &str) -> Vec<Value> {
    let (s, b) = app
        .get_json(&format!(
            "/api/v1/availability?q={q}&lat={}&lon={}&radius_km=15&limit=100&analogs=true{extra}",
            at.0, at.1
        ))
        .await;
    assert_eq!(s, 200, "{b}");
    b["items"].as_array().expect("items").clone()
}

/// How many facilities of `kind` the snapshot has within `radius_km`.
fn count_near(app: &TestApp, at: (f64, f64), radius_km: f64, kind: FacilityKind) -> usize {
    app.snapshot()
        .facilities
        .iter()
        .filter(|f| f.kind == kind)
        .filter(|f| match (f.lat, f.lon) {
            (Some(la), Some(lo)) => haversine_m(at.0, at.1, la, lo) <= radius_km * 1000.0,
            _ => false,
        })
        .count()
}

backend_test! {
    async fn our_home_cities_have_their_pharmacies_and_practices(backend) {
        let app = spawn_app_with(AppSettings::new(backend)).await;
        let (read, imported) = import(&app, PHARMACIES).await;
        assert_eq!(read, 7451);
        assert!(imported >= 7400, "{imported} of {read}");
        let (_, clinics) = import(&app, PRIMARY_CARE).await;
        assert!(clinics >= 390, "{clinics}");
        let (_, tartu) = import(&app, TARTU).await;
        assert_eq!(tartu, 24);
        let before = app.store().counts().await.expect("counts").facilities;
        // Re-importing updates by the NSZU division id: nothing is duplicated.
        import(&app, PHARMACIES).await;
        assert_eq!(app.store().counts().await.expect("counts").facilities, before);
        import::import_demo_stock(app.store(), 42, chrono::Utc::now().timestamp())
            .await
            .expect("demo stock");
        app.rebuild_snapshot().await;

        for (city, at, at_least) in [("Lviv", LVIV, 200), ("Ivano-Frankivsk", IVANO_FRANKIVSK, 100), ("Kyiv", KYIV, 550)] {
            let n = count_near(&app, at, 25.0, FacilityKind::Pharmacy);
            assert!(n >= at_least, "{city}: {n}");
            let found = facilities(&app, at, 25.0, "pharmacy").await;
            assert!(
                found.iter().all(|f| f["reimbursement"] == serde_json::json!(["UA:affordable-medicines"])),
                "{city}: every pharmacy there is in the programme"
            );
            assert!(
                found.iter().all(|f| f["hours"]["timezone"].is_null() || f["hours"]["timezone"] == "Europe/Kyiv"),
                "{city}"
            );
            let clinics = count_near(&app, at, 25.0, FacilityKind::Clinic);
            assert!(clinics >= 30, "{city}: {clinics} practices");
        }
        let tartu = facilities(&app, TARTU_CENTRE, 10.0, "pharmacy").await;
        assert_eq!(tartu.len(), 24);
        let with_hours: Vec<&Value> = tartu.iter().filter(|f| f["hours"]["raw"].is_string()).collect();
        assert_eq!(with_hours.len(), 23);
        assert!(with_hours.iter().all(|f| f["hours"]["timezone"] == "Europe/Tallinn"), "{with_hours:?}");

        // Demo stock in Lviv: Ukrainian register products priced in UAH; only
        // programme pharmacies with reimbursed=true.
        let all = offers(&app, "ibuprofen", LVIV, "").await;
        assert!(!all.is_empty(), "ibuprofen in Lviv");
        assert!(all.iter().all(|o| o["price"]["currency"] == "UAH"), "{all:?}");
        let reimbursed = offers(&app, "ibuprofen", LVIV, "&reimbursed=true").await;
        assert!(!reimbursed.is_empty());
        assert!(
            reimbursed.iter().all(|o| o["facility"]["reimbursement"] == serde_json::json!(["UA:affordable-medicines"])),
            "{reimbursed:?}"
        );
        let (s, b) = app.get_json("/api/v1/availability?q=ibuprofen&lat=49.84&lon=24.03&reimbursed=maybe").await;
        assert_eq!(s, 400, "{b}");

        // "Open at 3 a.m." in Tartu: only the 24/7 pharmacy (Raekoja Apteek)
        // may answer; by day, the others do.
        let tartu_offers = |extra: &'static str| {
            let app = &app;
            async move {
                offers(app, "paracetamol", TARTU_CENTRE, extra)
                    .await
                    .iter()
                    .map(|o| o["facility"]["name"].as_str().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            }
        };
        let any_time = tartu_offers("").await;
        assert!(any_time.iter().any(|n| n != "Raekoja Apteek"), "{any_time:?}");
        let night = tartu_offers("&open_at=03:00").await;
        assert!(night.iter().all(|n| n == "Raekoja Apteek"), "{night:?}");
        // Monday 2026-12-07 12:00 in Tartu (10:00 UTC): the weekday pharmacies.
        let noon = tartu_offers("&open_at=2026-12-07T10:00:00Z").await;
        assert!(noon.iter().any(|n| n != "Raekoja Apteek"), "{noon:?}");
        let (s, b) = app.get_json("/api/v1/availability?q=ibuprofen&lat=58.38&lon=26.73&open_at=25:99").await;
        assert_eq!(s, 400, "{b}");
        assert!(b.to_string().contains("open_at"), "{b}");
    }
}
