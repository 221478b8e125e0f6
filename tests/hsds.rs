//! The HSDS 3.0 directory end to end, on SQLite and PostgreSQL: import of every
//! directory source, the read API validated against the official JSON schemas
//! (formats on: uuid, date-time, uri, email), multilingual search with filters, bad
//! parameters, short lists, and export -> import -> export round trips in JSON and
//! CSV. The API tests share one app per backend over every directory source.

#[macro_use]
mod common;

use std::path::{Path, PathBuf};

use common::{data_dir, Data, Settings, SharedApps, TestApp, TestDb};
use medmap::hsds::export::{self, Format};
use medmap::import::{self, ImportReport};
use medmap::model::SourceRef;
use medmap::snapshot::Snapshot;
use medmap::store::Store;
use serde_json::{json, Value};

/// Every directory source imported first, then a server with no bundled data.
static APP: SharedApps = SharedApps::new(|backend| {
    Box::pin(async move {
        let db = TestDb::new(backend).await;
        import_directory(&db.store).await;
        TestApp::start(db, Data::None, Settings::default()).await
    })
});

/// The HSDS example service: its published id is kept.
const COUNSELLING: &str = "ac148810-d857-441c-9679-408f346de14b";
const SERVICES: &str = "/api/v1/hsds/services";

/// An Ohana service, by the stable UUIDv5 its source reference gets.
fn meals_on_wheels() -> String {
    SourceRef::new("ohana", "svc/8").uuid().to_string()
}

fn schema_dir() -> PathBuf {
    data_dir().join("hsds").join("schema")
}

/// A validator for one of the official schemas; relative `$ref`s resolve to the
/// sibling files, and formats are asserted, not just annotated.
fn validator(file: &str) -> jsonschema::Validator {
    let path = schema_dir().join(file);
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("schema file"))
            .expect("schema JSON");
    schema["$id"] = json!(format!("file://{}", path.display()));
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

/// The paged-list schema: the standard's `Page` plus `contents` of `items_schema`.
fn page_validator(items_schema: &str) -> jsonschema::Validator {
    let openapi: Value = serde_json::from_str(
        &std::fs::read_to_string(schema_dir().join("openapi.json")).expect("openapi"),
    )
    .expect("openapi JSON");
    let page = &openapi["components"]["schemas"]["Page"];
    let schema = json!({
        "$id": format!("file://{}/page.json", schema_dir().display()),
        "allOf": [page],
        "required": ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"],
        "properties": {"contents": {"type": "array", "items": {"$ref": items_schema}}},
    });
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("page schema compiles")
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} fails the HSDS schema: {errors:#?}"
    );
}

/// Every directory source the bundled data has, as `medmap import` runs them; checks
/// that they gave more than 100 records.
async fn import_directory(store: &Store) -> Vec<ImportReport> {
    let d = data_dir();
    let mut all = Vec::new();
    for (source, path) in [
        ("ohana", d.join("facilities/us_san_mateo_ohana_sample")),
        (
            "osm",
            d.join("facilities/osm_helsinki_health_social.geojson"),
        ),
        ("hsds-json", d.join("hsds/examples")),
        ("hsds-csv", d.join("hsds/examples/csv")),
    ] {
        let (reports, _) = import::import_source(store, source, &path, 0)
            .await
            .unwrap_or_else(|e| panic!("import {source}: {e}"));
        all.extend(reports);
    }
    let read: u64 = all.iter().map(|r| r.imported).sum();
    assert!(read > 100, "{all:#?}");
    all
}

fn names(b: &Value) -> Vec<String> {
    b["contents"]
        .as_array()
        .expect("contents")
        .iter()
        .map(|s| s["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn ids(b: &Value) -> Vec<String> {
    b["contents"]
        .as_array()
        .expect("contents")
        .iter()
        .map(|s| s["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Every service, in one page; with its total.
async fn all_services(app: &TestApp) -> (Value, u64) {
    let (s, all) = app.get_json(&format!("{SERVICES}?per_page=1000")).await;
    assert_eq!(s, 200, "{all}");
    let total = all["total_items"].as_u64().expect("total");
    (all, total)
}

// ---------------------------------------------------------------------------------
// The read API: every answer valid HSDS.

shared_app_test! { APP;
    async fn the_root_and_openapi_describe_the_api(app) {
        let (s, b) = app.get_json("/api/v1/hsds/").await;
        assert_eq!(s, 200);
        assert_eq!(b["version"], "3.0");
        assert!(b["profile"]
            .as_str()
            .is_some_and(|p| p.starts_with("https://")));
        let (s, b) = app.get_json("/api/v1/hsds/openapi.json").await;
        assert_eq!(s, 200);
        assert!(b["paths"]["/services"]["get"]["parameters"]
            .as_array()
            .is_some_and(|p| p.iter().any(|x| x["name"] == "open_at")));
    }
}

shared_app_test! { APP;
    /// Every service list (plain, full, minimal) and every service by id: valid HSDS.
    async fn every_service_and_service_list_is_valid_hsds(app) {
        let service = validator("service.json");
        let (all, total) = all_services(app).await;
        assert_valid(
            &page_validator("compiled/service_list.json"),
            &all,
            "services page",
        );
        // 23 Ohana, 1 HSDS example (JSON and CSV are the same service), the OSM social places.
        assert!(total >= 30, "{total}");
        assert_eq!(
            all["contents"].as_array().map(Vec::len),
            Some(total as usize)
        );
        for id in ids(&all) {
            let (s, b) = app.get_json(&format!("{SERVICES}/{id}")).await;
            assert_eq!(s, 200);
            assert_valid(&service, &b, &format!("service {id}"));
        }
        let (_, full) = app.get_json(&format!("{SERVICES}?full=true&per_page=5")).await;
        for s in full["contents"].as_array().expect("contents") {
            assert_valid(&service, s, "full service in a list");
        }
        let (_, minimal) = app
            .get_json(&format!("{SERVICES}?minimal=true&per_page=1000"))
            .await;
        assert_valid(
            &page_validator("compiled/service_list.json"),
            &minimal,
            "minimal",
        );
        assert_eq!(minimal["total_items"], all["total_items"]);
    }
}

shared_app_test! { APP;
    /// The HSDS example keeps its published ids; Ohana records get stable UUIDv5s.
    async fn published_ids_are_kept_and_ohana_records_get_stable_uuids(app) {
        let (s, ex) = app.get_json(&format!("{SERVICES}/{COUNSELLING}")).await;
        assert_eq!(s, 200);
        assert_eq!(ex["name"], "Community Counselling");
        assert_eq!(ex["minimum_age"], 12.0);
        assert!(
            ex["cost_options"].as_array().is_some_and(|c| !c.is_empty()),
            "{ex}"
        );
        assert!(
            ex["languages"].as_array().is_some_and(|c| !c.is_empty()),
            "{ex}"
        );
        assert!(
            ex["service_at_locations"][0]["location"]["addresses"][0]["state_province"].is_string(),
            "{ex}"
        );
        let (s, b) = app
            .get_json(&format!("{SERVICES}/{}", meals_on_wheels()))
            .await;
        assert_eq!(
            (s, b["name"].as_str()),
            (200, Some("Meals on Wheels - South County"))
        );
    }
}

shared_app_test! { APP;
    async fn every_service_at_location_is_valid_hsds(app) {
        let sal = validator("service_at_location.json");
        let list_item = validator("compiled/service_list.json");
        let (_, total) = all_services(app).await;
        let (s, b) = app
            .get_json("/api/v1/hsds/service_at_locations?per_page=1000")
            .await;
        assert_eq!(s, 200);
        assert_valid(
            &page_validator("compiled/service_at_location_list.json"),
            &b,
            "service_at_locations page",
        );
        assert!(
            b["total_items"].as_u64().is_some_and(|n| n >= total - 2),
            "{}",
            b["total_items"]
        );
        for id in ids(&b) {
            let (s, one) = app
                .get_json(&format!("/api/v1/hsds/service_at_locations/{id}"))
                .await;
            assert_eq!(s, 200);
            assert_valid(&sal, &one, &format!("service_at_location {id}"));
            assert_valid(&list_item, &one["service"], "its service");
        }
        let (_, b) = app
            .get_json("/api/v1/hsds/service_at_locations?full=true&per_page=3")
            .await;
        for x in b["contents"].as_array().expect("contents") {
            assert_valid(&sal, x, "full service_at_location");
        }
    }
}

shared_app_test! { APP;
    /// Every organization, with its services brief or full, is valid HSDS; they are
    /// found by name.
    async fn every_organization_is_valid_hsds_and_found_by_name(app) {
        let service = validator("service.json");
        let org = validator("organization.json");
        let list_item = validator("compiled/service_list.json");
        let (s, b) = app.get_json("/api/v1/hsds/organizations").await;
        assert_eq!(s, 200);
        assert_valid(
            &page_validator("compiled/organization_list.json"),
            &b,
            "organizations page",
        );
        assert!(b["total_items"].as_u64().is_some_and(|n| n >= 9), "{b}");
        for id in ids(&b) {
            for q in ["", "?full_service=true"] {
                let (s, one) = app
                    .get_json(&format!("/api/v1/hsds/organizations/{id}{q}"))
                    .await;
                assert_eq!(s, 200);
                assert_valid(&org, &one, &format!("organization {id}"));
                for sv in one["services"].as_array().expect("services") {
                    assert_valid(
                        if q.is_empty() { &list_item } else { &service },
                        sv,
                        "its service",
                    );
                }
            }
        }
        let (_, b) = app
            .get_json("/api/v1/hsds/organizations?search=salvation")
            .await;
        assert_eq!(names(&b), vec!["Salvation Army"], "{b}");
    }
}

shared_app_test! { APP;
    async fn taxonomies_and_their_terms_are_valid_hsds(app) {
        let term = validator("taxonomy_term.json");
        let taxonomy = validator("taxonomy.json");
        let (s, b) = app
            .get_json("/api/v1/hsds/taxonomy_terms?per_page=1000")
            .await;
        assert_eq!(s, 200);
        assert_valid(
            &page_validator("taxonomy_term.json"),
            &b,
            "taxonomy_terms page",
        );
        assert!(
            b["total_items"].as_u64().is_some_and(|n| n > 290),
            "{}",
            b["total_items"]
        );
        let first = ids(&b)[0].clone();
        let (s, one) = app
            .get_json(&format!("/api/v1/hsds/taxonomy_terms/{first}"))
            .await;
        assert_eq!(s, 200);
        assert_valid(&term, &one, "taxonomy term");
        let (s, b) = app.get_json("/api/v1/hsds/taxonomies").await;
        assert_eq!(s, 200);
        assert_valid(&page_validator("taxonomy.json"), &b, "taxonomies page");
        for id in ids(&b) {
            let (s, one) = app.get_json(&format!("/api/v1/hsds/taxonomies/{id}")).await;
            assert_eq!(s, 200);
            assert_valid(&taxonomy, &one, "taxonomy");
            let (_, terms) = app
                .get_json(&format!(
                    "/api/v1/hsds/taxonomy_terms?taxonomy_id={id}&per_page=1000"
                ))
                .await;
            assert!(terms["total_items"].as_u64().is_some_and(|n| n >= 1));
        }
    }
}

shared_app_test! { APP;
    async fn pages_follow_the_full_list_and_end_empty(app) {
        let (all, total) = all_services(app).await;
        let (_, p2) = app.get_json(&format!("{SERVICES}?per_page=10&page=2")).await;
        assert_eq!(p2["page_number"], 2);
        assert_eq!(p2["size"], 10);
        assert_eq!(p2["first_page"], false);
        assert_eq!(p2["total_pages"], json!(total.div_ceil(10)));
        assert_eq!(ids(&p2), ids(&all)[10..20].to_vec());
        let (_, past) = app
            .get_json(&format!("{SERVICES}?per_page=10&page=999"))
            .await;
        assert_eq!(
            (past["empty"].as_bool(), past["last_page"].as_bool()),
            (Some(true), Some(true))
        );
    }
}

shared_app_test! { APP;
    /// NDJSON: every result, one valid service per line, unpaged.
    async fn ndjson_streams_every_service_unpaged(app) {
        let list_item = validator("compiled/service_list.json");
        let (_, total) = all_services(app).await;
        let r = app.get(&format!("{SERVICES}?format=ndjson&per_page=1")).await;
        assert_eq!(r.headers()["content-type"], "application/x-ndjson");
        let text = r.text().await.expect("body");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        assert_eq!(lines.len() as u64, total);
        for l in &lines {
            assert_valid(&list_item, l, "ndjson line");
        }
    }
}

// ---------------------------------------------------------------------------------
// Search and filters.

shared_app_test! { APP;
    /// The same need in three languages, and misspelt, finds the same food services,
    /// the one named for it first.
    async fn the_same_need_in_three_languages_or_misspelt_finds_the_same_services(app) {
        let (_, food) = app.get_json(&format!("{SERVICES}?search=food")).await;
        let food_names = names(&food);
        assert_eq!(
            food_names.first().map(String::as_str),
            Some("Meals on Wheels - South County"),
            "{food_names:?}"
        );
        assert!(
            food_names.iter().any(|n| n == "Redwood City Corps"),
            "{food_names:?}"
        );
        let mut expected = ids(&food);
        expected.sort();
        for q in [
            "%D1%97%D0%B6%D0%B0",
            "%D0%B5%D0%B4%D0%B0",
            "foood",
            "eda",
            "%D1%97%D0%B6%D1%96",
        ] {
            let (s, b) = app.get_json(&format!("{SERVICES}?search={q}")).await;
            assert_eq!(s, 200);
            let mut got = ids(&b);
            got.sort();
            assert_eq!(got, expected, "search={q}: {:?}", names(&b));
        }
    }
}

shared_app_test! { APP;
    /// Typos, and a Russian phrase, for counselling; name matches first.
    async fn typos_and_a_russian_phrase_find_counselling_first(app) {
        for q in ["counseling", "counselling", "cunseling", "%D0%BA%D0%BE%D0%BD%D1%81%D1%83%D0%BB%D1%8C%D1%82%D0%B0%D1%86%D0%B8%D1%8F%20%D0%BF%D1%81%D0%B8%D1%85%D0%BE%D0%BB%D0%BE%D0%B3%D0%B0"] {
            let (_, b) = app.get_json(&format!("{SERVICES}?search={q}")).await;
            let n = names(&b);
            assert!(n.len() >= 2, "{q}: {n:?}");
            assert!(n[..2].contains(&"Senior Peer Counseling".to_string()) && n[..2].contains(&"Community Counselling".to_string()), "{q}: {n:?}");
        }
    }
}

shared_app_test! { APP;
    async fn a_search_matching_nothing_is_an_empty_page(app) {
        let (_, b) = app.get_json(&format!("{SERVICES}?search=zzzzqqq")).await;
        assert_eq!(b["empty"], true);
    }
}

shared_app_test! { APP;
    /// Near a point: only places within the radius, nearest first, with distance;
    /// a search narrows them; another city has its own.
    async fn near_a_point_only_places_within_the_radius_nearest_first(app) {
        let near = format!("{SERVICES}?lat=37.4855&lon=-122.2360&radius_km=5");
        let (_, b) = app.get_json(&near).await;
        let d: Vec<f64> = b["contents"]
            .as_array()
            .expect("contents")
            .iter()
            .map(|x| x["distance_km"].as_f64().expect("distance"))
            .collect();
        assert!(d.len() >= 5 && d.iter().all(|x| *x <= 5.0), "{d:?}");
        assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
        let (_, b) = app.get_json(&format!("{near}&search=library")).await;
        assert!(names(&b).contains(&"Main Library".to_string()), "{b}");
        let (_, far) = app
            .get_json(&format!("{SERVICES}?lat=60.17&lon=24.94&radius_km=5"))
            .await;
        assert!(
            far["total_items"].as_u64().is_some_and(|n| n >= 1),
            "Helsinki OSM services"
        );
        assert!(!names(&far).contains(&"Main Library".to_string()));
    }
}

shared_app_test! { APP;
    /// Age: a child is not offered the 55+ programmes.
    async fn a_child_is_not_offered_the_senior_programmes(app) {
        let (_, kid) = app.get_json(&format!("{SERVICES}?age=10&per_page=1000")).await;
        assert!(!names(&kid).contains(&"Senior Peer Counseling".to_string()));
        let (_, old) = app.get_json(&format!("{SERVICES}?age=70&per_page=1000")).await;
        assert!(names(&old).contains(&"Senior Peer Counseling".to_string()));
        assert!(
            !names(&old).contains(&"Community Counselling".to_string())
                || old["total_items"].as_u64() > kid["total_items"].as_u64()
        );
    }
}

shared_app_test! { APP;
    /// Language: by code or by name; Korean is spoken at one location only.
    async fn the_language_filter_takes_a_code_or_a_name(app) {
        let (_, ko) = app.get_json(&format!("{SERVICES}?language=ko")).await;
        assert_eq!(names(&ko), vec!["Sunnyvale Corps"], "{ko}");
        let (_, ko2) = app.get_json(&format!("{SERVICES}?language=Korean")).await;
        assert_eq!(ids(&ko2), ids(&ko));
        let (_, ru) = app
            .get_json(&format!("{SERVICES}?language=ru&per_page=100"))
            .await;
        assert!(names(&ru).contains(&"Passport Photos".to_string()), "{ru}");
    }
}

shared_app_test! { APP;
    /// Open at: the Example Location is open Wednesday 08:00-17:00 in San Francisco.
    async fn open_at_keeps_only_places_open_then(app) {
        let day = "2026-11-25T18:00:00Z"; // Wednesday 10:00 PST
        let night = "2026-11-26T07:00:00Z"; // Wednesday 23:00 PST
        let (s, open) = app
            .get_json(&format!("{SERVICES}?open_at={day}&per_page=100"))
            .await;
        assert_eq!(s, 200);
        assert!(
            names(&open).contains(&"Passport Photos".to_string()),
            "{open}"
        );
        assert!(open["contents"]
            .as_array()
            .expect("c")
            .iter()
            .all(|x| x["open_now"] == true));
        let (_, closed) = app
            .get_json(&format!("{SERVICES}?open_at={night}&per_page=100"))
            .await;
        assert!(
            !names(&closed).contains(&"Passport Photos".to_string()),
            "{closed}"
        );
        let (s, _) = app.get_json(&format!("{SERVICES}?open_at=now")).await;
        assert_eq!(s, 200);
    }
}

shared_app_test! { APP;
    /// The standard's filters: modified_after, taxonomy_term_id, organization_id,
    /// postcode and proximity.
    async fn the_standards_filters_select_what_they_name(app) {
        let (_, b) = app
            .get_json(&format!("{SERVICES}?modified_after=2023-01-01T00:00:00Z"))
            .await;
        assert_eq!(names(&b), vec!["Community Counselling"]);
        let (_, b) = app
            .get_json(&format!("{SERVICES}?modified_after=2024-01-01"))
            .await;
        assert_eq!(b["empty"], true);
        let ex_term = "3f7b145d-84af-42d7-8fae-eaca714b02b2";
        let (_, b) = app
            .get_json(&format!("{SERVICES}?taxonomy_term_id={ex_term}"))
            .await;
        assert!(
            names(&b).contains(&"Community Counselling".to_string()),
            "{b}"
        );
        assert!(b["total_items"].as_u64().is_some_and(|n| n < 5));
        let salvation = SourceRef::new("ohana", "org/4").uuid().to_string();
        let (_, b) = app
            .get_json(&format!("{SERVICES}?organization_id={salvation}&per_page=100"))
            .await;
        assert_eq!(b["total_items"], 4, "{}", names(&b).join(", "));
        let (_, b) = app
            .get_json("/api/v1/hsds/service_at_locations?postcode=94401&per_page=100")
            .await;
        assert_eq!(b["total_items"], 3, "{b}");
        let (_, b) = app
            .get_json("/api/v1/hsds/service_at_locations?postcode=94401&proximity=30000&per_page=100")
            .await;
        assert!(b["total_items"].as_u64().is_some_and(|n| n > 3), "{b}");
    }
}

shared_app_test! { APP;
    /// Filters combine: food near Redwood City, open to an adult.
    async fn filters_combine(app) {
        let (_, b) = app
            .get_json(&format!(
                "{SERVICES}?search=food&lat=37.4855&lon=-122.2360&radius_km=10&age=30"
            ))
            .await;
        assert!(names(&b).contains(&"Redwood City Corps".to_string()), "{b}");
        assert!(!names(&b).contains(&"Sunnyvale Corps".to_string()), "{b}");
        for x in b["contents"].as_array().expect("contents") {
            assert!(x["distance_km"].as_f64().is_some_and(|d| d <= 10.0), "{x}");
            assert!(x["minimum_age"].as_f64().is_none_or(|a| a <= 30.0), "{x}");
        }
    }
}

// ---------------------------------------------------------------------------------
// Ranked, multilingual search: sentences, other languages, why, facets, recovery.

/// The top `n` service names of a search.
async fn top(app: &TestApp, query: &str, n: usize) -> Vec<String> {
    let q = percent_encoding::utf8_percent_encode(query, percent_encoding::NON_ALPHANUMERIC);
    let (s, b) = app.get_json(&format!("{SERVICES}?search={q}")).await;
    assert_eq!(s, 200, "{query}: {b}");
    names(&b).into_iter().take(n).collect()
}

shared_app_test! { APP;
    /// Needs written as people write them, which an all-words search answered
    /// with nothing: the right service comes in the top three.
    async fn a_need_in_a_sentence_or_another_language_finds_its_service(app) {
        for (query, expected) in [
            ("dentist for people with no insurance", &["Project Smile", "San Mateo Free Medical Clinic"][..]),
            ("dementia day care", &["Rosener House Adult Day Services"]),
            ("LGBT seniors support", &["Senior Peer Counseling"]),
            ("loan to buy a used car", &["Economic Self-Sufficiency Program"]),
            ("large print books", &["Main Library", "Fair Oaks Branch", "Schaberg Branch", "Redwood Shores Branch", "Project Read"]),
            ("безкоштовна клініка", &["San Mateo Free Medical Clinic", "Project Smile"]),
            ("бесплатный стоматолог", &["Project Smile"]),
            ("доставка гарячих обідів літнім людям", &["Meals on Wheels - South County"]),
            ("meels on weels", &["Meals on Wheels - South County"]),
        ] {
            let got = top(app, query, 3).await;
            assert!(
                got.iter().any(|g| expected.contains(&g.as_str())),
                "{query}: expected one of {expected:?} in the top 3, got {got:?}"
            );
        }
    }
}

shared_app_test! { APP;
    /// Each hit says why it matched, and the answer says how the query was read.
    async fn hits_say_why_they_matched(app) {
        let q = percent_encoding::utf8_percent_encode("бесплатный стоматолог", percent_encoding::NON_ALPHANUMERIC);
        let (_, b) = app.get_json(&format!("{SERVICES}?search={q}&lang=uk")).await;
        assert!(names(&b).iter().take(3).any(|n| n == "Project Smile"), "{b}");
        let first = &b["contents"][0];
        let why = first["why"].as_array().expect("why");
        assert!(
            why.iter().any(|w| w["matched"] == "dental" && w["kind"] == "need"),
            "{first}"
        );
        assert!(why.iter().all(|w| w["fields"].as_array().is_some_and(|f| !f.is_empty())));
        assert!(first["needs"].as_array().is_some_and(|n| n.contains(&json!("dental"))), "{first}");
        assert!(first["relevance"].as_f64().is_some_and(|r| r > 0.0));
        let understood = b["understood_as"].as_array().expect("understood_as");
        assert!(understood.iter().any(|n| n["id"] == "dental"), "{b}");
        // Need labels come in the asked language.
        assert!(
            understood.iter().all(|n| n["name"].as_str().is_some_and(|x| !x.is_ascii())),
            "{b}"
        );
    }
}

shared_app_test! { APP;
    /// Facets count the results by category, need and open-now, and a need
    /// facet narrows the search to exactly its count.
    async fn facets_count_what_a_filter_would_show(app) {
        let (_, b) = app.get_json(&format!("{SERVICES}?search=library&per_page=100")).await;
        let total = b["total_items"].as_u64().expect("total");
        assert!(total >= 4, "{b}");
        let f = &b["facets"];
        let open = &f["open_now"];
        let sum = ["open", "closed", "unknown"]
            .iter()
            .map(|k| open[k].as_u64().expect("count"))
            .sum::<u64>();
        assert_eq!(sum, total, "{f}");
        let cats = f["categories"].as_array().expect("categories");
        assert!(!cats.is_empty() && cats.iter().all(|c| c["count"].as_u64() <= Some(total)), "{f}");
        let needs = f["needs"].as_array().expect("needs");
        let lib = needs.iter().find(|n| n["id"] == "library").expect("library need facet");
        let (_, narrowed) = app
            .get_json(&format!("{SERVICES}?search=library&need=library&per_page=100"))
            .await;
        assert_eq!(narrowed["total_items"], lib["count"], "{narrowed}");
        let cat = &cats[0];
        let (_, by_cat) = app
            .get_json(&format!(
                "{SERVICES}?search=library&taxonomy_term_id={}&per_page=100",
                cat["id"].as_str().expect("id")
            ))
            .await;
        assert_eq!(by_cat["total_items"], cat["count"], "{by_cat}");
    }
}

shared_app_test! { APP;
    /// When the filters leave nothing, the answer says which it relaxed and
    /// offers the nearest matches beyond them, with their distance.
    async fn empty_filtered_results_offer_the_nearest_matches_beyond(app) {
        // Helsinki: the dementia day care is in California.
        let q = percent_encoding::utf8_percent_encode("dementia day care", percent_encoding::NON_ALPHANUMERIC);
        let (s, b) = app
            .get_json(&format!("{SERVICES}?search={q}&lat=60.17&lon=24.94&radius_km=2&age=70"))
            .await;
        assert_eq!(s, 200);
        assert_eq!(b["total_items"], 0, "{b}");
        let beyond = &b["beyond_filters"];
        assert_eq!(beyond["relaxed"], json!(["radius_km", "age"]), "{b}");
        let first = &beyond["contents"][0];
        assert_eq!(first["name"], "Rosener House Adult Day Services", "{b}");
        assert!(first["distance_km"].as_f64().is_some_and(|d| d > 1000.0), "{first}");
        // With results, nothing is offered beyond.
        let (_, b) = app.get_json(&format!("{SERVICES}?search={q}")).await;
        assert!(b.get("beyond_filters").is_none(), "{b}");
    }
}

// ---------------------------------------------------------------------------------
// Bad input.

shared_app_test! { APP;
    async fn bad_parameters_are_a_400_bad_request_with_a_message(app) {
        for q in [
            "page=0",
            "per_page=5000",
            "per_page=abc",
            "lat=100&lon=0",
            "lat=50",
            "radius_km=5",
            "lat=50&lon=30&radius_km=-1",
            "open_at=tomorrow",
            "modified_after=now",
            "age=-3",
            "format=xml",
            "taxonomy_term_id=not-a-uuid",
            "organization_id=42",
            "proximity=100",
            "minimal=maybe",
            "search=%ZZ",
            "search=",
            "search=%20%20",
            "taxonomy_term_id=00000000-0000-4000-8000-000000000000",
            "taxonomy_id=00000000-0000-4000-8000-000000000000",
            "need=no-such-need",
            "postcode=94401&lat=37.5&lon=-122.3&radius_km=5",
            "lang=fr",
        ] {
            let (s, b) = app.get_json(&format!("{SERVICES}?{q}")).await;
            assert_eq!(s, 400, "{q}: {b}");
            assert_eq!(b["error"]["code"], "bad_request", "{q}: {b}");
            assert!(b["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()));
        }
    }
}

shared_app_test! { APP;
    async fn a_malformed_id_is_a_400_and_an_unknown_one_a_404(app) {
        let (s, b) = app.get_json(&format!("{SERVICES}/not-a-uuid")).await;
        assert_eq!((s, b["error"]["code"].as_str()), (400, Some("bad_request")));
        for path in [
            "services",
            "service_at_locations",
            "organizations",
            "taxonomy_terms",
            "taxonomies",
        ] {
            let (s, b) = app
                .get_json(&format!(
                    "/api/v1/hsds/{path}/00000000-0000-4000-8000-000000000000"
                ))
                .await;
            assert_eq!(
                (s, b["error"]["code"].as_str()),
                (404, Some("not_found")),
                "{path}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// Short lists: created from service ids only, read back as JSON and text, refused
// with client data in it, gone when expired.

shared_app_test! { APP;
    async fn a_shortlist_reads_back_as_json_and_as_text(app) {
        let meals = meals_on_wheels();
        let (s, list) = app
            .post_json("/api/v1/shortlists", &json!({"services": [meals, COUNSELLING]}))
            .await;
        assert_eq!(s, 201, "{list}");
        let id = list["id"].as_str().expect("id").to_string();
        assert_eq!(id.len(), 32, "128 random bits");
        let expires =
            chrono::DateTime::parse_from_rfc3339(list["expires_at"].as_str().expect("expiry"))
                .expect("date-time");
        let days = (expires.timestamp() - chrono::Utc::now().timestamp()) / 86_400;
        assert!((29..=30).contains(&days), "{days}");
        let (s, b) = app.get_json(&format!("/api/v1/shortlists/{id}")).await;
        assert_eq!(s, 200);
        let service = validator("service.json");
        let got: Vec<&str> = b["services"]
            .as_array()
            .expect("services")
            .iter()
            .map(|x| {
                assert_valid(&service, x, "short list service");
                x["id"].as_str().unwrap_or_default()
            })
            .collect();
        assert_eq!(got, vec![meals.as_str(), COUNSELLING]);
        let r = app.get(&format!("/api/v1/shortlists/{id}/text")).await;
        assert!(r.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/plain")));
        let text = r.text().await.expect("body");
        assert!(
            text.starts_with("1. Meals on Wheels - South County\n"),
            "{text}"
        );
        assert!(
            text.contains("2. Community Counselling") && text.contains("800 Middle Avenue"),
            "{text}"
        );
    }
}

shared_app_test! { APP;
    /// Client data, no or unknown services, a bad id, a too long life: 400; an
    /// unknown list: 404.
    async fn a_shortlist_with_client_data_or_bad_services_is_refused(app) {
        let meals = meals_on_wheels();
        for bad in [
            json!({"services": [meals], "client_name": "Ivan Petrenko"}),
            json!({"services": []}),
            json!({"services": ["00000000-0000-4000-8000-000000000000"]}),
            json!({"services": ["food"]}),
            json!({"services": [meals], "days": 365}),
        ] {
            let (s, _) = app.post_json("/api/v1/shortlists", &bad).await;
            assert_eq!(s, 400, "{bad}");
        }
        let (s, _) = app
            .get_json("/api/v1/shortlists/0123456789abcdef0123456789abcdef")
            .await;
        assert_eq!(s, 404);
        let (s, _) = app.get_json("/api/v1/shortlists/../../etc").await;
        assert!(s == 400 || s == 404, "{s}");
    }
}

shared_app_test! { APP;
    async fn an_expired_shortlist_is_gone(app) {
        let now = chrono::Utc::now().timestamp();
        app.store()
            .create_shortlist(&medmap::store::Shortlist {
                id: "ffffffffffffffffffffffffffffffff".into(),
                created_at: now - 31 * 86_400,
                expires_at: now - 86_400,
                services: vec![meals_on_wheels()],
            })
            .await
            .expect("store");
        let (s, b) = app
            .get_json("/api/v1/shortlists/ffffffffffffffffffffffffffffffff")
            .await;
        assert_eq!(s, 404, "expired: {b}");
    }
}

// ---------------------------------------------------------------------------------
// Export -> import -> export: nothing is lost or changed on the way.

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
}

/// Every CSV row, typed by the datapackage, validates against its table's schema.
fn assert_csv_valid(dir: &Path) -> usize {
    let package = read_json(&dir.join("datapackage.json"));
    let mut rows = 0;
    for r in package["resources"].as_array().expect("resources") {
        let (name, path) = (
            r["name"].as_str().expect("name"),
            r["path"].as_str().expect("path"),
        );
        let v = validator(&format!("{name}.json"));
        let required: Vec<String> = read_json(&schema_dir().join(format!("{name}.json")))
            ["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(String::from))
            .collect();
        let types: Vec<(String, String)> = r["schema"]["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().unwrap_or_default().into(),
                    f["type"].as_str().unwrap_or_default().into(),
                )
            })
            .collect();
        let mut rdr = csv::Reader::from_path(dir.join(path)).expect("csv");
        let header: Vec<String> = rdr
            .headers()
            .expect("header")
            .iter()
            .map(String::from)
            .collect();
        assert_eq!(
            header,
            types.iter().map(|t| t.0.clone()).collect::<Vec<_>>(),
            "{path} header"
        );
        for rec in rdr.records() {
            let rec = rec.expect("row");
            let mut o = serde_json::Map::new();
            for ((k, t), cell) in types.iter().zip(rec.iter()) {
                // An empty cell is an absent value, or the empty string where required.
                if cell.is_empty() {
                    if required.contains(k) {
                        o.insert(k.clone(), json!(""));
                    }
                    continue;
                }
                let value = match t.as_str() {
                    "number" | "integer" => json!(cell.parse::<f64>().expect("number cell")),
                    _ => json!(cell),
                };
                o.insert(k.clone(), value);
            }
            assert_valid(&v, &Value::Object(o), &format!("{path} row"));
            rows += 1;
        }
    }
    rows
}

/// Where two JSON values first differ, and how.
fn first_difference(x: &Value, y: &Value, at: &str) -> Option<String> {
    match (x, y) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter().find_map(|k| match (a.get(k), b.get(k)) {
                (Some(p), Some(q)) => first_difference(p, q, &format!("{at}.{k}")),
                (p, q) => Some(format!("{at}.{k}: {p:?} became {q:?}")),
            })
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}[{i}]"))),
        _ => (x != y).then(|| format!("{at}: {x} became {y}")),
    }
}

/// The shared app's directory exported as JSON and CSV into a temp dir:
/// `(dir, json, csv)`.
fn export_directory(snap: &Snapshot) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let out = tempfile::tempdir().expect("tmp");
    let (json1, csv1) = (out.path().join("json1"), out.path().join("csv1"));
    let sum = export::write(snap, Format::Json, &json1).expect("export json");
    assert!(sum.files["services.json"] >= 30, "{sum:?}");
    export::write(snap, Format::Csv, &csv1).expect("export csv");
    (out, json1, csv1)
}

async fn export_app(app: &TestApp) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let snap = Snapshot::load(app.store()).await.expect("snapshot");
    export_directory(&snap)
}

shared_app_test! { APP;
    /// The JSON export is valid HSDS, document by document.
    async fn the_json_export_is_valid_hsds(app) {
        let (_out, json1, _) = export_app(app).await;
        let service = validator("service.json");
        let org = validator("organization.json");
        for s in read_json(&json1.join("services.json"))
            .as_array()
            .expect("array")
        {
            assert_valid(&service, s, "exported service");
        }
        for o in read_json(&json1.join("organizations.json"))
            .as_array()
            .expect("array")
        {
            assert_valid(&org, o, "exported organization");
        }
        let loc = validator("location.json");
        for l in read_json(&json1.join("locations.json"))
            .as_array()
            .expect("array")
        {
            assert_valid(&loc, l, "exported location");
        }
        let term = validator("taxonomy_term.json");
        for t in read_json(&json1.join("taxonomy_terms.json"))
            .as_array()
            .expect("array")
        {
            assert_valid(&term, t, "exported term");
        }
    }
}

shared_app_test! { APP;
    /// What the standard's example says survives import and export as it was.
    async fn the_standards_example_survives_import_and_export(app) {
        let (_out, json1, _) = export_app(app).await;
        let original = read_json(&data_dir().join("hsds/examples/service_full.json"));
        let services = read_json(&json1.join("services.json"));
        let exported = services
            .as_array()
            .expect("array")
            .iter()
            .find(|s| s["id"] == original["id"])
            .expect("the example service is exported");
        for k in [
            "name",
            "alternate_name",
            "description",
            "url",
            "email",
            "status",
            "application_process",
            "fees_description",
            "eligibility_description",
            "minimum_age",
            "maximum_age",
            "last_modified",
        ] {
            // Text is kept as given, less surrounding white space.
            let trim = |v: &Value| v.as_str().map_or(v.clone(), |s| json!(s.trim()));
            assert_eq!(trim(&exported[k]), trim(&original[k]), "{k}");
        }
        assert_eq!(exported["organization_id"], original["organization"]["id"]);
        let pluck = |v: &Value, list: &str, k: &str| -> Vec<Value> {
            let mut out: Vec<Value> = v[list]
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| x[k].clone())
                .collect();
            out.sort_by_key(|x| x.to_string());
            out
        };
        assert_eq!(
            pluck(exported, "phones", "number"),
            pluck(&original, "phones", "number")
        );
        assert_eq!(
            pluck(exported, "languages", "name"),
            pluck(&original, "languages", "name")
        );
        assert_eq!(
            pluck(exported, "cost_options", "currency"),
            pluck(&original, "cost_options", "currency")
        );
        assert_eq!(
            exported["cost_options"][0]["amount"].as_f64(),
            original["cost_options"][0]["amount"].as_f64()
        );
        assert_eq!(
            pluck(exported, "service_at_locations", "id"),
            pluck(&original, "service_at_locations", "id")
        );
        let loc = |v: &Value| v["service_at_locations"][0]["location"].clone();
        // The example's coordinates (latitude 100) are off the globe: dropped, not kept.
        assert_eq!(loc(exported)["latitude"], Value::Null);
        for k in ["id", "name", "description"] {
            assert_eq!(loc(exported)[k], loc(&original)[k], "location {k}");
        }
        assert_eq!(
            loc(exported)["addresses"][0]["postal_code"],
            loc(&original)["addresses"][0]["postal_code"]
        );
        let terms = |v: &Value| -> Vec<Value> {
            v["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| a["taxonomy_term"]["id"].clone())
                .collect()
        };
        assert_eq!(terms(exported), terms(&original));
        // One schedule on two days comes back as one slot per day, same hours.
        // The CSV datapackage ties that schedule to the service at its location as well,
        // and the CSV import comes second: it is kept there.
        let slots: Vec<&Value> = exported["schedules"]
            .as_array()
            .into_iter()
            .chain(exported["service_at_locations"][0]["schedules"].as_array())
            .flatten()
            .collect();
        let mut days: Vec<&str> = slots.iter().filter_map(|s| s["byday"].as_str()).collect();
        days.sort();
        assert_eq!(days, vec!["FR", "TH"]);
        assert!(slots
            .iter()
            .all(|s| s["opens_at"] == original["schedules"][0]["opens_at"]));
    }
}

shared_app_test! { APP;
    async fn every_exported_csv_row_is_valid_hsds(app) {
        let (_out, _, csv1) = export_app(app).await;
        let rows = assert_csv_valid(&csv1);
        assert!(rows > 300, "{rows} CSV rows");
    }
}

/// Imports the export in `dir` (as `source`) into a fresh database of the app's
/// backend, exports it again, and compares every file with the first export.
async fn reimport_unchanged(app: &TestApp, source: &str) {
    let (out, json1, csv1) = export_app(app).await;
    let dir = if source == "hsds-json" { &json1 } else { &csv1 };
    let b = TestDb::new(app.backend()).await;
    let (reports, _) = import::import_source(&b.store, source, dir, 0)
        .await
        .expect("re-import");
    for r in &reports {
        assert!(r.rejected.is_empty(), "{source}: {r}");
    }
    let snap = Snapshot::load(&b.store).await.expect("snapshot");
    let json2 = out.path().join(format!("{source}-again"));
    export::write(&snap, Format::Json, &json2).expect("export again");
    for f in [
        "services.json",
        "organizations.json",
        "locations.json",
        "taxonomy_terms.json",
        "taxonomies.json",
    ] {
        let (x, y) = (read_json(&json1.join(f)), read_json(&json2.join(f)));
        assert_eq!(
            x.as_array().map(Vec::len),
            y.as_array().map(Vec::len),
            "{source} {f}: count"
        );
        if let Some(d) = first_difference(&x, &y, "$") {
            panic!("{source} {f} changed on the round trip: {d}");
        }
    }
}

shared_app_test! { APP;
    async fn a_json_export_imports_and_exports_again_unchanged(app) {
        reimport_unchanged(app, "hsds-json").await;
    }
}

shared_app_test! { APP;
    async fn a_csv_export_imports_and_exports_again_unchanged(app) {
        reimport_unchanged(app, "hsds-csv").await;
    }
}

backend_test! {
    /// A bad record is reported with its JSON path and not imported, in part or
    /// whole; the good records beside it are.
    async fn a_bad_record_is_reported_with_its_path_and_skipped(backend) {
        let db = TestDb::new(backend).await;
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(
            dir.path().join("feed.json"),
            json!([
                {"id": "6b2c8a34-0f4e-4c41-9d55-1a0f2f3e9c01", "name": "Food bank", "status": "active",
                 "service_at_locations": [{"id": "6b2c8a34-0f4e-4c41-9d55-1a0f2f3e9c02",
                   "location": {"id": "6b2c8a34-0f4e-4c41-9d55-1a0f2f3e9c03", "location_type": "physical", "name": "Hall", "latitude": 50.45, "longitude": 30.52}}]},
                {"id": "6b2c8a34-0f4e-4c41-9d55-1a0f2f3e9c04", "status": "active",
                 "service_at_locations": [{"location": {"id": "6b2c8a34-0f4e-4c41-9d55-1a0f2f3e9c05", "location_type": "physical", "name": "Never"}}]},
                42
            ])
            .to_string(),
        )
        .expect("write");
        let (reports, _) = import::import_source(&db.store, "hsds-json", dir.path(), 0)
            .await
            .expect("import");
        let rep = &reports[0];
        let reasons: Vec<&str> = rep.rejected.iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(
            reasons,
            vec![
                "feed.json$[1]: service without id or name",
                "feed.json$[2]: not a JSON object"
            ],
            "{rep}"
        );
        let snap = Snapshot::load(&db.store).await.expect("snapshot");
        assert_eq!(snap.directory.services.len(), 1);
        assert_eq!(snap.directory.services[0].name, "Food bank");
        assert!(
            !snap.facilities.iter().any(|f| f.name == "Never"),
            "the rejected service's location was imported"
        );
    }
}

backend_test! {
    /// A search asked again is answered from the memo (the same bytes, whatever
    /// the order of its parameters), a different page or language is not taken
    /// for it, and after the directory is rebuilt no older answer is served.
    async fn a_memoised_search_never_outlives_its_directory(backend) {
        let db = TestDb::new(backend).await;
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hsds_confidential");
        import::import_source(&db.store, "hsds-json", &fixture, 0)
            .await
            .expect("import fixture");
        let app = TestApp::start(db, Data::None, Settings::default()).await;
        let ask = |q: &'static str| {
            let app = &app;
            async move {
                let (s, body) = app.get_text(&format!("{SERVICES}?{q}")).await;
                assert_eq!(s, 200, "{q}: {body}");
                body
            }
        };
        let first = ask("search=food%20pantry&per_page=1").await;
        assert_eq!(ask("per_page=1&search=food%20pantry").await, first);
        let v: Value = serde_json::from_str(&first).expect("json");
        assert_eq!(names(&v), ["Harbor Food Pantry"], "{v}");
        let total = v["total_items"].as_u64().expect("total");
        assert_ne!(ask("search=food%20pantry&per_page=1&page=2").await, first);
        let uk = ask("search=food%20pantry&per_page=1&lang=uk").await;
        let uk: Value = serde_json::from_str(&uk).expect("json");
        assert_ne!(uk["facets"], v["facets"], "need labels in Ukrainian");

        // San Mateo's food services join the directory: the same search sees them.
        import::import_source(
            app.store(),
            "ohana",
            &data_dir().join("facilities/us_san_mateo_ohana_sample"),
            0,
        )
        .await
        .expect("import ohana");
        app.rebuild_snapshot().await;
        let after: Value =
            serde_json::from_str(&ask("search=food%20pantry&per_page=1").await).expect("json");
        assert!(
            after["total_items"].as_u64().expect("total") > total,
            "before {total}, after {after}"
        );
    }
}
