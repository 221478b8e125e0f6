//! The OpenAPI descriptions: `/api/v1/openapi.json` (medmap's own, generated from the
//! handlers) and `/api/v1/hsds/openapi.json` (the official HSDS 3.0 one) together
//! describe every route of the API router and nothing else; the document is well
//! formed OpenAPI 3.1 with the bounds `params.rs` enforces; the HSDS description's
//! `$ref`s all resolve on medmap itself; and real answers match the schemas.
//! (scripts/api-fuzz runs schemathesis against both documents on top of this.)

#[macro_use]
mod common;

use std::collections::BTreeSet;

use common::{spawn_app, TestApp};
use medmap::http::openapi::{document, routes_description};
use serde_json::{json, Value};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// `(METHOD, path)` of every operation of a description.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

fn published() -> Value {
    document().expect("the description builds").clone()
}

fn hsds() -> Value {
    medmap::http::api::hsds::openapi_document().expect("the HSDS description")
}

/// The router's routes, as `routes!` registered them (path and method from each
/// handler's attribute: the same values axum routes by).
fn router_routes() -> (Value, BTreeSet<(String, String)>) {
    let raw = serde_json::to_value(routes_description()).expect("serializes");
    let ops = operations(&raw);
    (raw, ops)
}

#[test]
fn every_route_is_described_once_and_nothing_else() {
    let (raw, routes) = router_routes();
    assert!(routes.len() >= 30, "{} routes", routes.len());
    let mine = operations(&published());
    let theirs: BTreeSet<(String, String)> = operations(&hsds())
        .into_iter()
        .map(|(m, p)| (m, format!("/hsds{}", p)))
        .collect();
    let mut missing = Vec::new();
    for (m, p) in &routes {
        let tags = &raw["paths"][p][m.to_lowercase()]["tags"];
        let is_hsds = tags
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "hsds"));
        let found = if is_hsds {
            // `/hsds` (no slash) is the same document root as `/hsds/`.
            let p = if p == "/hsds" { "/hsds/" } else { p.as_str() };
            theirs.contains(&(m.clone(), p.to_string()))
        } else {
            mine.contains(&(m.clone(), p.clone()))
        };
        if !found {
            missing.push(format!("{m} {p}"));
        }
    }
    assert!(missing.is_empty(), "routes not described: {missing:?}");
    let routed: BTreeSet<_> = routes.iter().cloned().collect();
    let phantom: Vec<_> = mine
        .iter()
        .chain(&theirs)
        .filter(|o| !routed.contains(o))
        .collect();
    assert!(phantom.is_empty(), "described but not routed: {phantom:?}");
}

/// Routes can only be added through `routes!` (which needs a described handler):
/// a plain `.route(` in the API router, or a second router under `/api/v1`, would
/// slip past the description, so the sources are checked for either.
#[test]
fn the_api_router_has_no_undescribed_registration() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let api = std::fs::read_to_string(root.join("api/mod.rs")).expect("api/mod.rs");
    for (n, line) in api.lines().enumerate() {
        let code = line.trim_start();
        assert!(
            code.starts_with("//") || !(code.contains(".route(") || code.contains(".nest(")),
            "api/mod.rs:{}: routes must go through routes!(...): {code}",
            n + 1
        );
    }
    let http = std::fs::read_to_string(root.join("mod.rs")).expect("http/mod.rs");
    let nests: Vec<&str> = http.lines().filter(|l| l.contains("\"/api")).collect();
    assert_eq!(
        nests,
        vec!["        .nest(\"/api/v1\", api::router(&state).into())"],
        "only api::router(&state) serves /api/v1"
    );
}

/// Every JSON pointer `#/...` a document refers to, and whether it resolves.
fn unresolved_local_refs(doc: &Value) -> Vec<String> {
    fn walk(v: &Value, root: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                    if let Some(ptr) = r.strip_prefix('#') {
                        if root.pointer(ptr).is_none() {
                            out.push(r.to_string());
                        }
                    }
                }
                m.values().for_each(|x| walk(x, root, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, root, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, doc, &mut out);
    out
}

#[test]
fn the_document_is_well_formed_openapi_3_1() {
    let doc = published();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "medmap API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
    assert_eq!(
        doc["components"]["securitySchemes"]["publisher_key"]["scheme"],
        "bearer"
    );
    assert!(
        unresolved_local_refs(&doc).is_empty(),
        "{:?}",
        unresolved_local_refs(&doc)
    );
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(path.starts_with('/'), "{path}");
        let templated: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let what = format!("{m} {path}");
            let id = op["operationId"].as_str().expect("operationId").to_string();
            assert!(
                ids.insert(id.clone()),
                "{what}: operationId {id} is not unique"
            );
            assert!(
                op["summary"].is_string() || op["description"].is_string(),
                "{what}: no summary"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{what}: no tag"
            );
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let in_path: BTreeSet<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert_eq!(in_path, templated, "{what}: path parameters");
            for p in &params {
                assert!(
                    p["schema"].is_object(),
                    "{what}: {} has no schema",
                    p["name"]
                );
                assert!(
                    p["description"].is_string(),
                    "{what}: {} undocumented",
                    p["name"]
                );
                if p["in"] == "path" {
                    assert_eq!(p["required"], true, "{what}: path parameters are required");
                }
            }
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{what}: no success answer"
            );
            for (status, r) in responses {
                assert!(
                    r["description"].is_string(),
                    "{what} {status}: no description"
                );
                if (status.starts_with('4') && status != "408") || status.starts_with('5') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{what} {status}: errors answer ErrorBody"
                    );
                }
            }
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{what}: keyed without 401");
            }
        }
    }
    // The error shape is the type the error answers serialize.
    let err = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(err["required"], json!(["error"]));
    let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    for c in [
        "bad_request",
        "not_found",
        "unauthorized",
        "too_many_requests",
        "rejected",
    ] {
        assert!(codes.as_array().expect("enum").contains(&json!(c)), "{c}");
    }
}

/// The parameter `name` of `GET path` (or the given method).
fn param<'a>(doc: &'a Value, method: &str, path: &str, name: &str) -> &'a Value {
    doc["paths"][path][method]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .unwrap_or_else(|| panic!("{method} {path}: no parameter {name}"))
}

/// The schema of a parameter, through its `$ref` if it has one.
fn schema_of<'a>(doc: &'a Value, p: &'a Value) -> &'a Value {
    let s = &p["schema"];
    match s["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(ptr) => doc.pointer(ptr).expect("ref resolves"),
        None => s,
    }
}

/// The bounds described are the ones `params.rs` and the handlers enforce.
#[test]
fn parameters_carry_the_bounds_the_edge_enforces() {
    let doc = published();
    let max_q = medmap::http::params::MAX_QUERY_CHARS;
    let max_r = medmap::http::params::MAX_RADIUS_KM;
    for (path, name) in [
        ("/medications/search", "q"),
        ("/medications/suggest", "q"),
        ("/places", "q"),
        ("/availability", "q"),
        ("/facilities", "q"),
    ] {
        let s = schema_of(&doc, param(&doc, "get", path, name));
        assert_eq!(s["maxLength"], json!(max_q), "{path} {name}");
    }
    for path in ["/availability", "/facilities"] {
        let r = schema_of(&doc, param(&doc, "get", path, "radius_km"));
        assert_eq!(r["maximum"].as_f64(), Some(max_r), "{path} radius_km");
        assert_eq!(
            r["exclusiveMinimum"].as_f64(),
            Some(0.0),
            "{path} radius_km"
        );
        let lat = schema_of(&doc, param(&doc, "get", path, "lat"));
        assert_eq!(
            (lat["minimum"].as_f64(), lat["maximum"].as_f64()),
            (Some(-90.0), Some(90.0))
        );
        let lon = schema_of(&doc, param(&doc, "get", path, "lon"));
        assert_eq!(
            (lon["minimum"].as_f64(), lon["maximum"].as_f64()),
            (Some(-180.0), Some(180.0))
        );
    }
    for (path, max) in [
        ("/medications/search", 50),
        ("/medications/suggest", 10),
        ("/availability", 100),
        ("/facilities", 200),
    ] {
        let l = schema_of(&doc, param(&doc, "get", path, "limit"));
        assert_eq!(
            (l["minimum"].as_i64(), l["maximum"].as_i64()),
            (Some(1), Some(max)),
            "{path}"
        );
    }
    let enum_of = |path: &str, name: &str| -> Value {
        schema_of(&doc, param(&doc, "get", path, name))["enum"].clone()
    };
    assert_eq!(
        enum_of("/availability", "sort"),
        json!(["distance", "price"])
    );
    assert_eq!(enum_of("/availability", "lang"), json!(["en", "uk", "ru"]));
    assert_eq!(
        enum_of("/facilities", "kind"),
        json!(["pharmacy", "clinic", "hospital", "dentist", "social"])
    );
    let mode = schema_of(&doc, param(&doc, "post", "/feeds/stock", "mode"));
    assert_eq!(mode["enum"], json!(["snapshot", "delta"]));
    let idem = schema_of(&doc, param(&doc, "post", "/feeds/stock", "Idempotency-Key"));
    assert_eq!(idem["maxLength"], 200);
    let body = &doc["paths"]["/feeds/stock"]["post"]["requestBody"]["content"];
    for ct in [
        "text/csv",
        "application/json",
        "application/xml",
        "application/zip",
    ] {
        assert!(body.get(ct).is_some(), "feed push takes {ct}");
    }
    let list = &doc["components"]["schemas"]["NewList"]["properties"];
    assert_eq!(
        (
            list["days"]["minimum"].as_i64(),
            list["days"]["maximum"].as_i64()
        ),
        (Some(1), Some(90))
    );
    assert_eq!(list["services"]["maxItems"], 50);
}

/// The HSDS description's schema references point at medmap, and each resolves
/// there, with the modular schemas' own relative references.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hsds_description_resolves_on_medmap() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api/v1/hsds/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let text = doc.to_string();
    assert!(
        !text.contains("\"$ref\":\"http"),
        "a $ref still points at the web"
    );
    assert!(unresolved_local_refs(&doc).is_empty());
    let mut todo: Vec<String> = Vec::new();
    collect_file_refs(&doc, "/api/v1/hsds/openapi.json", &mut todo);
    assert!(todo.len() >= 5, "{todo:?}");
    let mut seen = BTreeSet::new();
    while let Some(url) = todo.pop() {
        if !seen.insert(url.clone()) {
            continue;
        }
        let r = app.get(&url).await;
        assert_eq!(r.status(), 200, "{url}");
        let link = r
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            link.contains("creativecommons.org/licenses/by-sa/4.0"),
            "{url}: {link}"
        );
        let schema: Value = r.json().await.expect("JSON schema");
        collect_file_refs(&schema, &url, &mut todo);
    }
    assert!(seen.len() >= 15, "{seen:?}");
    let (status, raw) = app.get_json("/api/v1/hsds/schema/openapi.json").await;
    assert_eq!(status, 404, "{raw}");
}

/// The file part of every non-local `$ref` in `v`, resolved against `base`.
fn collect_file_refs(v: &Value, base: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                let file = r.split('#').next().unwrap_or("");
                if !file.is_empty() {
                    let dir = &base[..=base.rfind('/').expect("a path")];
                    out.push(format!("{dir}{file}"));
                }
            }
            m.values().for_each(|x| collect_file_refs(x, base, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_file_refs(x, base, out)),
        _ => {}
    }
}

/// A validator for the 200 answer of `GET path` as the served description says.
fn answer_validator(doc: &Value, path: &str, status: &str) -> jsonschema::Validator {
    let schema =
        &doc["paths"][path]["get"]["responses"][status]["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{path} {status}: no JSON schema");
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    jsonschema::options().build(&root).expect("schema compiles")
}

async fn assert_conforms(app: &TestApp, doc: &Value, template: &str, url: &str) -> Value {
    let (status, body) = app.get_json(url).await;
    let v = answer_validator(doc, template, &status.to_string());
    let errors: Vec<String> = v
        .iter_errors(&body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{url} ({status}): {errors:?}\n{body}");
    body
}

/// Real answers, successes and errors, match the served description's schemas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_match_the_served_description() {
    let app = spawn_app().await;
    let (status, doc) = app.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc, published());
    let found = assert_conforms(
        &app,
        &doc,
        "/medications/search",
        "/api/v1/medications/search?q=ibuprofen",
    )
    .await;
    let id = found["items"][0]["id"].as_str().expect("a hit").to_string();
    assert_conforms(
        &app,
        &doc,
        "/medications/suggest",
        "/api/v1/medications/suggest?q=ibu",
    )
    .await;
    assert_conforms(
        &app,
        &doc,
        "/medications/{id}",
        &format!("/api/v1/medications/{id}"),
    )
    .await;
    assert_conforms(
        &app,
        &doc,
        "/medications/{id}",
        "/api/v1/medications/p999999999",
    )
    .await;
    let list = assert_conforms(&app, &doc, "/facilities", "/api/v1/facilities?limit=5").await;
    let fid = list["items"][0]["id"].as_i64().expect("a facility");
    assert_conforms(
        &app,
        &doc,
        "/facilities/{id}",
        &format!("/api/v1/facilities/{fid}"),
    )
    .await;
    let lat = list["items"][0]["lat"].as_f64().unwrap_or(51.5);
    let lon = list["items"][0]["lon"].as_f64().unwrap_or(-0.1);
    assert_conforms(
        &app,
        &doc,
        "/availability",
        &format!("/api/v1/availability?q=ibuprofen&lat={lat}&lon={lon}&radius_km=200&analogs=true"),
    )
    .await;
    assert_conforms(
        &app,
        &doc,
        "/availability",
        "/api/v1/availability?q=x&lat=91&lon=0",
    )
    .await;
    assert_conforms(
        &app,
        &doc,
        "/publishers/status",
        "/api/v1/publishers/status",
    )
    .await;
    assert_conforms(&app, &doc, "/version", "/api/v1/version").await;
    assert_conforms(
        &app,
        &doc,
        "/places",
        &format!("/api/v1/places?q={lat},{lon}"),
    )
    .await;
    assert_conforms(&app, &doc, "/feeds/pulls", "/api/v1/feeds/pulls").await;
}

/// Regression (found by describing the answer): a facility's `stock` flattened its
/// counts, whose `lines` (a count) and the summary's own `lines` (the lines) made
/// one object with the key `lines` twice; parsers kept only the last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facility_answer_has_no_repeated_key() {
    let app = spawn_app().await;
    let (_, list) = app
        .get_json("/api/v1/facilities?kind=pharmacy&limit=1")
        .await;
    let id = list["items"][0]["id"].as_i64().expect("a pharmacy");
    let (status, raw) = app.get_text(&format!("/api/v1/facilities/{id}")).await;
    assert_eq!(status, 200);
    let stock = &raw[raw.find("\"stock\":").expect("stock")..];
    assert_eq!(stock.matches("\"lines\":").count(), 1, "{stock}");
    let v: Value = serde_json::from_str(&raw).expect("JSON");
    assert!(v["stock"]["lines"].is_array());
    assert!(v["stock"]["line_count"]
        .as_u64()
        .is_some_and(|n| n >= v["stock"]["available"].as_u64().unwrap_or(0)));
}
