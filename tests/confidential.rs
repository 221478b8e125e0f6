//! Confidential services and locations (`src/privacy.rs`), end to end on SQLite and
//! PostgreSQL: a domestic-violence shelter imported from HSDS JSON
//! (`tests/fixtures/hsds_confidential`) is found by search, but its street, postcode,
//! coordinates, location phones, directions and map link appear in no answer of the
//! HSDS API, the facilities API, the pages, the short lists or the exports; its
//! public contact is shown instead, a radius search around the real place still
//! finds it at a coarse distance, and its pages carry a quick-exit button that
//! ordinary pages do not.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::{Backend, Data, Settings, TestApp, TestDb};
use medmap::hsds::export::{self, Format};
use medmap::import;
use medmap::snapshot::Snapshot;
use serde_json::{json, Value};

const SHELTER_SERVICE: &str = "5f1c0c0e-7d7a-4c55-9d52-5a1e0f000001";
const PANTRY_SERVICE: &str = "5f1c0c0e-7d7a-4c55-9d52-5a1e0f000002";
const ORGANIZATION: &str = "5f1c0c0e-7d7a-4c55-9d52-5a1e0f0000a0";
/// Linked only to the confidential service: withheld by the rule.
const RESIDENCE: &str = "5f1c0c0e-7d7a-4c55-9d52-5a1e0f0000d1";
/// Marked confidential itself (and used by the pantry too).
const OFFICE: &str = "5f1c0c0e-7d7a-4c55-9d52-5a1e0f0000d2";
/// The pantry's ordinary place.
const HALL: &str = "5f1c0c0e-7d7a-4c55-9d52-5a1e0f0000d3";
const RESIDENCE_LINK: &str = "5f1c0c0e-7d7a-4c55-9d52-5a1e0f0000c1";
const OFFICE_LINK: &str = "5f1c0c0e-7d7a-4c55-9d52-5a1e0f0000c2";
const PANTRY_AT_OFFICE_LINK: &str = "5f1c0c0e-7d7a-4c55-9d52-5a1e0f0000c4";
/// The shelter's helpline (`x_public_contact`).
const HELPLINE: &str = "1-800-555-0142";
/// The residence's real position.
const REAL_POINT: (f64, f64) = (37.56789, -122.32345);

/// What must never leave: streets, postcodes, the coordinates' digits, the location
/// phones, the directions and the map link of both withheld places.
const SECRETS: [&str; 13] = [
    "Hidden Willow",
    "94077",
    "37.5678",
    "122.3234",
    "650-555-0199",
    "5550199",
    "blue gate",
    "maps.example.org",
    "Quiet Court",
    "94088",
    "37.5123",
    "122.2765",
    "650-555-0177",
];

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hsds_confidential")
}

/// A server of `backend` over the fixture only.
async fn app(backend: Backend) -> TestApp {
    let db = TestDb::new(backend).await;
    let (reports, _) = import::import_source(&db.store, "hsds-json", &fixture(), 0)
        .await
        .expect("import fixture");
    for r in &reports {
        assert!(r.rejected.is_empty(), "{r}");
    }
    TestApp::start(db, Data::None, Settings::default()).await
}

fn assert_no_secret(what: &str, body: &str) {
    for s in SECRETS {
        assert!(
            !body.contains(s),
            "{what} leaks {s:?}:\n{}",
            &body[..body.len().min(4000)]
        );
    }
}

/// The facility id (medmap's) of an HSDS location.
fn facility_id(app: &TestApp, location: &str) -> i64 {
    app.snapshot()
        .facilities
        .iter()
        .find(|f| f.uuid == location)
        .map(|f| f.id)
        .unwrap_or_else(|| panic!("location {location} imported"))
}

/// Status and body of a GET, asserting 200 and no secret.
async fn clean_get(app: &TestApp, path: &str) -> String {
    let (status, body) = app.get_text(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert_no_secret(path, &body);
    body
}

backend_test! {
    /// Every answer, page and short list that shows the shelter: found, marked,
    /// with its helpline, and never its address, postcode, coordinates or phones.
    async fn no_answer_or_page_shows_a_confidential_place(backend) {
        let app = app(backend).await;
        let residence = facility_id(&app, RESIDENCE);
        let office = facility_id(&app, OFFICE);

        // Found by a text search, in the API list (plain, full, minimal, NDJSON).
        for q in ["", "&full=true", "&minimal=true", "&format=ndjson"] {
            let body = clean_get(&app, &format!("/api/v1/hsds/services?search=shelter{q}")).await;
            assert!(body.contains(SHELTER_SERVICE), "{q}: {body}");
        }
        let (_, list) = app.get_json("/api/v1/hsds/services?search=domestic%20violence").await;
        let item = &list["contents"][0];
        assert_eq!(item["id"], SHELTER_SERVICE, "{list}");
        assert_eq!(item["x_confidential"], true, "{item}");
        assert_eq!(item["x_public_contact"], HELPLINE, "{item}");
        // Every service, unfiltered.
        clean_get(&app, "/api/v1/hsds/services?per_page=1000").await;

        // The service by id: its places are there, marked and without position.
        let body = clean_get(&app, &format!("/api/v1/hsds/services/{SHELTER_SERVICE}")).await;
        let s: Value = serde_json::from_str(&body).expect("json");
        let locs: Vec<&Value> = s["service_at_locations"]
            .as_array()
            .expect("links")
            .iter()
            .map(|l| &l["location"])
            .collect();
        assert_eq!(locs.len(), 2, "{s}");
        for l in locs {
            assert_eq!(l["x_confidential"], true, "{l}");
            assert_eq!(l["x_public_contact"], HELPLINE, "{l}");
            assert!(l.get("latitude").is_none() && l.get("longitude").is_none(), "{l}");
            assert!(l["phones"].as_array().is_some_and(Vec::is_empty), "{l}");
            // The town stays: it is how people know the area.
            assert_eq!(l["addresses"][0]["city"], "San Mateo", "{l}");
        }
        assert!(body.contains(HELPLINE));
        // The ordinary service keeps its ordinary place whole.
        let pantry = clean_get(&app, &format!("/api/v1/hsds/services/{PANTRY_SERVICE}")).await;
        assert!(pantry.contains("100 Main Street") && pantry.contains("94401"), "{pantry}");

        // Services at locations: list (plain, full) and each by id.
        for q in ["search=shelter", "search=shelter&full=true", "search=pantry", "per_page=1000"] {
            let body = clean_get(&app, &format!("/api/v1/hsds/service_at_locations?{q}")).await;
            assert!(body.contains("San Mateo"), "{q}: {body}");
        }
        for link in [RESIDENCE_LINK, OFFICE_LINK, PANTRY_AT_OFFICE_LINK] {
            let body = clean_get(&app, &format!("/api/v1/hsds/service_at_locations/{link}")).await;
            assert!(body.contains("\"x_confidential\":true"), "{link}: {body}");
        }

        // Organizations: the one, nested fully, and the lists.
        for path in [
            format!("/api/v1/hsds/organizations/{ORGANIZATION}?full_service=true"),
            format!("/api/v1/hsds/organizations/{ORGANIZATION}"),
            "/api/v1/hsds/organizations?full=true".to_string(),
            "/api/v1/hsds/organizations?full_service=true".to_string(),
            "/api/v1/hsds/organizations?full_service=true&format=ndjson".to_string(),
        ] {
            let body = clean_get(&app, &path).await;
            assert!(body.contains(SHELTER_SERVICE) || !path.contains("full_service"), "{path}");
        }

        // Facilities: list, by name, detail, nearby.
        let body = clean_get(&app, "/api/v1/facilities?limit=200").await;
        assert!(body.contains("Safe Harbor residence"), "{body}");
        let (_, v) = app.get_json("/api/v1/facilities?q=safe%20harbor").await;
        let f = &v["items"][0];
        assert_eq!(f["id"], residence, "{v}");
        assert_eq!(f["confidential"], true, "{f}");
        assert_eq!(f["public_contact"], HELPLINE, "{f}");
        assert!(f.get("lat").is_none() && f.get("address").is_none_or(Value::is_null), "{f}");
        for id in [residence, office] {
            let body = clean_get(&app, &format!("/api/v1/facilities/{id}")).await;
            assert!(body.contains(HELPLINE), "{body}");
        }
        clean_get(&app, "/api/v1/facilities?lat=37.5&lon=-122.3&radius_km=50&limit=200").await;

        // Pages: the services search, the place, the hand-off list.
        for path in [
            "/services?q=shelter",
            "/services?q=shelter&near=San%20Mateo&radius_km=25",
            "/services?q=harbor&lang=uk",
            "/services?q=pantry",
        ] {
            let body = clean_get(&app, path).await;
            if !path.contains("pantry") {
                assert!(body.contains("Safe Harbor"), "{path}: {body}");
                assert!(body.contains(HELPLINE), "{path}: the helpline is shown");
            }
            // No pin for a withheld place: only the hall may have one.
            assert!(body.matches("data-lat=").count() <= 1, "{path}: {body}");
        }
        let body = clean_get(&app, "/services?q=shelter").await;
        assert!(body.contains("Address withheld for safety"), "{body}");
        assert!(!body.contains("data-lat="), "{body}");
        for id in [residence, office] {
            let body = clean_get(&app, &format!("/facilities/{id}")).await;
            assert!(body.contains("Address withheld for safety. Call 1-800-555-0142."), "{body}");
            let body = clean_get(&app, &format!("/facilities/{id}?lang=ru")).await;
            assert!(body.contains("Адрес скрыт в целях безопасности"), "{body}");
        }
        let hall = facility_id(&app, HALL);
        let body = clean_get(&app, &format!("/list?f={residence}&f={office}&f={hall}")).await;
        assert!(body.contains(HELPLINE) && body.contains("100 Main Street"), "{body}");
        assert!(body.contains("Address withheld for safety"), "{body}");

        // A short list of the service, as JSON and as text.
        let (status, made) = app
            .post_json("/api/v1/shortlists", &json!({"services": [SHELTER_SERVICE, PANTRY_SERVICE]}))
            .await;
        assert_eq!(status, 201, "{made}");
        let id = made["id"].as_str().expect("id");
        assert_no_secret("POST /shortlists", &made.to_string());
        clean_get(&app, &format!("/api/v1/shortlists/{id}")).await;
        let text = clean_get(&app, &format!("/api/v1/shortlists/{id}/text")).await;
        assert!(text.contains("Address withheld for safety. Call 1-800-555-0142."), "{text}");
    }
}

backend_test! {
    /// A radius search around the real place still finds the shelter (its coarse
    /// area is at most ~4 km away), at a distance in whole km that is not the real one.
    async fn a_radius_search_finds_it_by_its_coarse_area(backend) {
        let app = app(backend).await;
        let (lat, lon) = REAL_POINT;
        let (status, v) = app
            .get_json(&format!("/api/v1/hsds/services?lat={lat}&lon={lon}&radius_km=5"))
            .await;
        assert_eq!(status, 200, "{v}");
        let item = v["contents"]
            .as_array()
            .expect("contents")
            .iter()
            .find(|x| x["id"] == SHELTER_SERVICE)
            .unwrap_or_else(|| panic!("the shelter within 5 km of where it is: {v}"));
        let d = item["distance_km"].as_f64().expect("distance");
        // Standing at the door, the answer still does not say "0 km".
        assert!(d >= 1.0 && d.fract() == 0.0, "coarse distance {d}");
        assert_eq!(item["x_address_withheld"], true, "{item}");
        assert_no_secret("radius search", &v.to_string());

        let (_, v) = app
            .get_json(&format!("/api/v1/hsds/service_at_locations?lat={lat}&lon={lon}&radius_km=5"))
            .await;
        let sal = v["contents"]
            .as_array()
            .expect("contents")
            .iter()
            .find(|x| x["id"] == RESIDENCE_LINK)
            .unwrap_or_else(|| panic!("the residence link within 5 km: {v}"));
        let d = sal["distance_km"].as_f64().expect("distance");
        assert!(d >= 1.0 && d.fract() == 0.0, "coarse distance {d}");

        let (_, v) = app
            .get_json(&format!("/api/v1/facilities?lat={lat}&lon={lon}&radius_km=5"))
            .await;
        let residence = facility_id(&app, RESIDENCE);
        let f = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|x| x["id"] == residence)
            .unwrap_or_else(|| panic!("the residence nearby: {v}"));
        let m = f["distance_m"].as_f64().expect("distance");
        assert!(m >= 1000.0 && m % 1000.0 == 0.0, "coarse distance {m} m");
        assert!(f.get("lat").is_none(), "{f}");
        // The ordinary hall keeps its position and its metre distance.
        let hall = facility_id(&app, HALL);
        let h = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|x| x["id"] == hall)
            .unwrap_or_else(|| panic!("the hall nearby: {v}"));
        assert!(h["lat"].as_f64().is_some(), "{h}");

        // The page shows the coarse distance too, and draws no pin for it.
        let body = clean_get(&app, "/services?q=shelter&near=San%20Mateo&radius_km=25").await;
        assert!(body.contains("Safe Harbor"), "{body}");
        assert!(!body.contains("data-lat="), "{body}");

        // In the snapshot itself, the place is only its grid cell's centre.
        let snap = app.snapshot();
        let f = snap.facility(residence).expect("residence");
        assert!(f.confidential && f.address.is_none() && f.postcode.is_none() && f.phones.is_empty());
        let (a, b) = (f.lat.expect("lat"), f.lon.expect("lon"));
        assert_eq!((a, b), medmap::privacy::coarse_point(lat, lon));
        assert!((a - lat).abs() > 1e-4 || (b - lon).abs() > 1e-4, "{a},{b}");
    }
}

/// Every file under `dir`, as text.
fn files_text(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_file() {
            out.push((
                p.display().to_string(),
                std::fs::read_to_string(&p).expect("text"),
            ));
        }
    }
    assert!(!out.is_empty(), "{} is empty", dir.display());
    out
}

backend_test! {
    /// Both exports withhold the places and keep the mark, so they import back
    /// confidential (and still without the secrets, which they never held).
    async fn exports_withhold_and_keep_the_mark(backend) {
        let app = app(backend).await;
        let out = tempfile::tempdir().expect("tmp");
        let (json_dir, csv_dir) = (out.path().join("json"), out.path().join("csv"));
        let snap = app.snapshot();
        export::write(&snap, Format::Json, &json_dir).expect("json export");
        export::write(&snap, Format::Csv, &csv_dir).expect("csv export");
        // The export as `medmap export hsds` makes it: from a snapshot loaded afresh.
        let again = out.path().join("json-loaded");
        let loaded = Snapshot::load(app.store()).await.expect("snapshot");
        export::write(&loaded, Format::Json, &again).expect("json export");
        for dir in [&json_dir, &csv_dir, &again] {
            for (path, text) in files_text(dir) {
                assert_no_secret(&path, &text);
            }
        }
        let services: Value = serde_json::from_str(
            &std::fs::read_to_string(json_dir.join("services.json")).expect("services.json"),
        )
        .expect("json");
        let shelter = services
            .as_array()
            .expect("array")
            .iter()
            .find(|s| s["id"] == SHELTER_SERVICE)
            .expect("exported");
        assert_eq!(shelter["x_confidential"], true);
        assert_eq!(shelter["x_public_contact"], HELPLINE);
        let csv = std::fs::read_to_string(csv_dir.join("services.csv")).expect("services.csv");
        assert!(csv.lines().next().is_some_and(|h| h.contains("x_confidential")), "{csv}");
        let csv = std::fs::read_to_string(csv_dir.join("locations.csv")).expect("locations.csv");
        assert!(csv.lines().next().is_some_and(|h| h.contains("x_confidential")), "{csv}");

        // Each imports back into a fresh database marked as it was.
        for (source, dir) in [("hsds-json", &json_dir), ("hsds-csv", &csv_dir)] {
            let db = TestDb::new(backend).await;
            let (reports, _) = import::import_source(&db.store, source, dir, 0)
                .await
                .expect("re-import");
            for r in &reports {
                assert!(r.rejected.is_empty(), "{source}: {r}");
            }
            let snap = Snapshot::load(&db.store).await.expect("snapshot");
            let s = snap
                .directory
                .service(SHELTER_SERVICE)
                .map(|i| &snap.directory.services[i])
                .expect("service");
            assert!(s.confidential, "{source}");
            assert_eq!(s.public_contact.as_deref(), Some(HELPLINE), "{source}");
            let pantry = snap
                .directory
                .service(PANTRY_SERVICE)
                .map(|i| &snap.directory.services[i])
                .expect("pantry");
            assert!(!pantry.confidential, "{source}");
            for loc in [RESIDENCE, OFFICE] {
                let f = snap
                    .facilities
                    .iter()
                    .find(|f| f.uuid == loc)
                    .expect("location");
                assert!(f.confidential, "{source} {loc}");
            }
            let hall = snap.facilities.iter().find(|f| f.uuid == HALL).expect("hall");
            assert!(!hall.confidential && hall.address.is_some(), "{source}");
        }
    }
}

backend_test! {
    /// The store keeps the mark and the real data (the operator loaded it); only
    /// what is served is withheld.
    async fn the_store_keeps_the_mark_and_the_snapshot_withholds(backend) {
        let db = TestDb::new(backend).await;
        import::import_source(&db.store, "hsds-json", &fixture(), 0)
            .await
            .expect("import");
        let rows = db.store.load_facilities().await.expect("facilities");
        let office = rows.iter().find(|f| f.uuid == OFFICE).expect("office");
        assert!(office.confidential, "marked itself");
        assert_eq!(office.address.as_deref(), Some("42 Quiet Court"));
        let residence = rows.iter().find(|f| f.uuid == RESIDENCE).expect("residence");
        assert!(!residence.confidential, "not marked itself: withheld by the rule");
        let dir = db.store.load_directory().await.expect("directory");
        let s = dir.services.iter().find(|s| s.uuid == SHELTER_SERVICE).expect("service");
        assert!(s.confidential);
        assert_eq!(s.public_contact.as_deref(), Some(HELPLINE));
        // Re-importing changes nothing.
        import::import_source(&db.store, "hsds-json", &fixture(), 0)
            .await
            .expect("import again");
        let snap = Snapshot::load(&db.store).await.expect("snapshot");
        for loc in [RESIDENCE, OFFICE] {
            let f = snap.facilities.iter().find(|f| f.uuid == loc).expect("loc");
            assert!(f.confidential && f.address.is_none() && f.phones.is_empty(), "{loc}");
            assert_eq!(f.public_contact.as_deref(), Some(HELPLINE), "{loc}");
        }
    }
}

/// Whether the page carries the quick-exit button.
fn has_quick_exit(body: &str) -> bool {
    body.contains("id=\"quick-exit\"")
}

backend_test! {
    /// The quick-exit button is on the pages about the shelter (its places, a
    /// search listing it, a hand-off list holding it) and on no other page; it is a
    /// plain link to a neutral site that our own script turns into a
    /// `location.replace` (and the Escape key).
    async fn the_quick_exit_is_on_the_shelters_pages_only(backend) {
        let app = app(backend).await;
        let (residence, office, hall) = (
            facility_id(&app, RESIDENCE),
            facility_id(&app, OFFICE),
            facility_id(&app, HALL),
        );
        for path in [
            format!("/facilities/{residence}"),
            format!("/facilities/{office}"),
            "/services?q=shelter".to_string(),
            "/services?q=shelter&lang=uk".to_string(),
            format!("/list?f={hall}&f={residence}"),
        ] {
            let (status, body) = app.get_text(&path).await;
            assert_eq!(status, 200, "{path}");
            assert!(has_quick_exit(&body), "{path} has no quick exit:\n{body}");
            assert!(
                body.contains(r#"href="https://www.google.com/" rel="noreferrer""#),
                "{path}: the button is a plain link that works without JavaScript"
            );
            assert!(body.contains(r#"<script src="/static/quick-exit.js" defer></script>"#), "{path}");
        }
        let (_, uk) = app.get_text("/services?q=shelter&lang=uk").await;
        assert!(uk.contains("Швидкий вихід"), "{uk}");
        let (_, ru) = app.get_text(&format!("/facilities/{residence}?lang=ru")).await;
        assert!(ru.contains("Быстрый выход"), "{ru}");
        let (_, en) = app.get_text(&format!("/facilities/{residence}")).await;
        assert!(en.contains(">Quick exit</a>"), "{en}");

        for path in [
            "/".to_string(),
            "/services".to_string(),
            format!("/facilities/{hall}"),
            format!("/list?f={hall}"),
            // The pantry near its hall only: no confidential place among the hits.
            "/services?q=pantry&near=37.5630,-122.3255&radius_km=1".to_string(),
            "/services?q=zzzzqqq".to_string(),
        ] {
            let (status, body) = app.get_text(&path).await;
            assert!(status == 200 || status == 404, "{path}: {status}");
            assert!(!has_quick_exit(&body), "{path} has a quick exit");
            assert!(!body.contains("quick-exit.js"), "{path}");
        }
        let (_, pantry) = app
            .get_text("/services?q=pantry&near=37.5630,-122.3255&radius_km=1")
            .await;
        assert!(pantry.contains("Harbor Food Pantry"), "{pantry}");

        // Our own script: replaces the history entry, listens for Escape.
        let js = app.get("/static/quick-exit.js").await;
        assert_eq!(js.status(), 200);
        let js = js.text().await.expect("js");
        assert!(js.contains("location.replace") && js.contains("'Escape'"), "{js}");
    }
}

backend_test! {
    /// The Ohana CSV's optional `confidential` (and `public_contact`) columns mark a
    /// service; its place, used by no public service, is withheld.
    async fn an_ohana_confidential_column_marks_a_service(backend) {
        let src = common::data_dir().join("facilities/us_san_mateo_ohana_sample");
        let dir = tempfile::tempdir().expect("tmp");
        for e in std::fs::read_dir(&src).expect("ohana").flatten() {
            let p = e.path();
            std::fs::copy(&p, dir.path().join(p.file_name().expect("name"))).expect("copy");
        }
        // services.csv gains the two columns; its first service is marked.
        let path = dir.path().join("services.csv");
        let mut rdr = csv::Reader::from_path(&path).expect("services.csv");
        let mut header: Vec<String> = rdr.headers().expect("header").iter().map(String::from).collect();
        let (id_col, loc_col) = (
            header.iter().position(|h| h == "id").expect("id"),
            header.iter().position(|h| h == "location_id").expect("location_id"),
        );
        header.push("confidential".into());
        header.push("public_contact".into());
        let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
        let marked = rows[0][id_col].to_string();
        let place = rows[0][loc_col].to_string();
        let mut w = csv::Writer::from_path(&path).expect("write");
        w.write_record(&header).expect("header");
        for (n, r) in rows.iter().enumerate() {
            let mut r: Vec<String> = r.iter().map(String::from).collect();
            r.push(if n == 0 { "yes".into() } else { String::new() });
            r.push(if n == 0 { "1-800-555-0142".into() } else { String::new() });
            w.write_record(&r).expect("row");
        }
        w.flush().expect("flush");
        drop(w);

        let db = TestDb::new(backend).await;
        import::import_source(&db.store, "ohana", dir.path(), 0)
            .await
            .expect("import");
        let rows = db.store.load_directory().await.expect("directory");
        let uuid = medmap::model::SourceRef::new("ohana", format!("svc/{marked}")).uuid().to_string();
        for s in &rows.services {
            assert_eq!(s.confidential, s.uuid == uuid, "{}", s.name);
        }
        let s = rows.services.iter().find(|s| s.uuid == uuid).expect("marked");
        assert_eq!(s.public_contact.as_deref(), Some(HELPLINE));
        // Its place is withheld when no public service shares it.
        let loc = medmap::model::SourceRef::new("ohana", format!("loc/{place}")).uuid().to_string();
        let place_id = db
            .store
            .load_facilities()
            .await
            .expect("facilities")
            .into_iter()
            .find(|f| f.uuid == loc)
            .expect("place")
            .id;
        let shared = rows
            .links
            .iter()
            .filter(|l| l.facility_id == place_id)
            .filter_map(|l| rows.services.iter().find(|s| s.id == l.service_id))
            .any(|s| !s.confidential);
        let snap = Snapshot::load(&db.store).await.expect("snapshot");
        let f = snap.facility(place_id).expect("place in the snapshot");
        assert_eq!(f.confidential, !shared);
        if !shared {
            assert!(f.address.is_none() && f.postcode.is_none() && f.phones.is_empty());
        }
    }
}

/// The Meilisearch mirror withholds what every answer withholds: the shelter
/// is there and found, with its helpline and without its street, postcode,
/// phones or a point (`_geo`) on either the service or its places.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meilisearch_mirror_withholds_the_place() {
    use medmap::meili::{docs, Mirror, Target};
    let Some(m) = common::meili::start("the_meilisearch_mirror_withholds_the_place") else {
        return;
    };
    let app = app(Backend::Sqlite).await;
    Mirror::new(Target::new(&m.url, Some(common::meili::MASTER_KEY)))
        .expect("client")
        .sync(&app.snapshot(), &|_, _, _| {})
        .await
        .expect("sync");
    for index in [docs::MEDICATIONS, docs::FACILITIES, docs::SERVICES] {
        let held = m.documents(index).await;
        assert_no_secret(index, &Value::Array(held).to_string());
    }
    let services = m.documents(docs::SERVICES).await;
    let shelter = services
        .iter()
        .find(|s| s["id"] == docs::meili_id(SHELTER_SERVICE))
        .expect("mirrored");
    assert_eq!(shelter["confidential"], true, "{shelter}");
    assert_eq!(shelter["public_contact"], HELPLINE, "{shelter}");
    assert!(shelter.get("_geo").is_none(), "{shelter}");
    for place in [RESIDENCE, OFFICE] {
        let facilities = m.documents(docs::FACILITIES).await;
        let f = facilities
            .iter()
            .find(|f| f["id"] == docs::meili_id(place))
            .expect("place mirrored");
        assert!(f.get("_geo").is_none() && f.get("address").is_none(), "{f}");
    }
    let name = shelter["name"].as_str().expect("name").to_string();
    let hits = m.search(docs::SERVICES, json!({ "q": name })).await;
    assert!(hits.iter().any(|h| h["id"] == shelter["id"]), "{hits:?}");
}
