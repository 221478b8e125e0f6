//! Appointment slots end to end on real SQLite and PostgreSQL: SMART Scheduling
//! Links publications served by an HTTP server the test runs (axum on a random
//! port), registered with a publisher key, polled by `medmap serve`, and answered
//! by `GET /api/v1/slots` and facility detail.
//!
//! The fixtures are written here from the specification's description of the
//! manifest and of the Location, Schedule and Slot resources (not copied from its
//! repository, which has no licence): a publication that changes between polls
//! (new slots, a booked slot, a removed location), a broken NDJSON line, a wrong
//! resourceType, a dangling reference, a manifest that times out and a file over
//! the size cap; and a bad publication leaves every other publication's slots as
//! they were.

#[macro_use]
mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::{spawn_app_with, AppSettings, Backend, SharedApps, TestApp};
use serde_json::{json, Value};

/// File cap of the test servers' fetches: small, so the oversized file is small too.
const CAP: u64 = 64 * 1024;

static APP: SharedApps = SharedApps::new(|backend| Box::pin(spawn_app_with(slot_app(backend))));

fn slot_app(backend: Backend) -> AppSettings {
    AppSettings::new(backend).fetching(CAP)
}

// ---------------------------------------------------------------------------------
// The publisher's server: a manifest and its NDJSON files.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Behaviour {
    /// The manifest answers after this long.
    Slow(Duration),
}

#[derive(Default)]
struct Site {
    /// `type` → NDJSON lines.
    files: Mutex<HashMap<String, String>>,
    transaction_time: Mutex<String>,
    behaviour: Mutex<Option<Behaviour>>,
    /// Query strings the manifest was asked with.
    queries: Mutex<Vec<String>>,
    not_modified: AtomicUsize,
}

impl Site {
    fn publish(&self, files: &[(&str, Vec<Value>)], extra: &[(&str, &str)]) {
        let mut f = self.files.lock().expect("lock");
        f.clear();
        for (ty, rows) in files {
            let mut text: String = rows.iter().map(|r| format!("{r}\n")).collect();
            for (t, line) in extra {
                if t == ty {
                    text.push_str(line);
                    text.push('\n');
                }
            }
            f.insert(ty.to_string(), text);
        }
        *self.transaction_time.lock().expect("lock") = chrono::Utc::now().to_rfc3339();
    }

    fn set_file(&self, ty: &str, body: String) {
        self.files
            .lock()
            .expect("lock")
            .insert(ty.to_string(), body);
        // A new export is a new manifest (its transactionTime moves on).
        *self.transaction_time.lock().expect("lock") =
            format!("{}+new", chrono::Utc::now().to_rfc3339());
    }

    fn behave(&self, b: Behaviour) {
        *self.behaviour.lock().expect("lock") = Some(b);
    }

    fn manifest(&self, base: &str) -> String {
        let files = self.files.lock().expect("lock");
        let mut types: Vec<&String> = files.keys().collect();
        types.sort();
        let output: Vec<Value> = types
            .iter()
            .map(|t| json!({"type": t, "url": format!("{base}/{t}.ndjson")}))
            .collect();
        json!({
            "transactionTime": *self.transaction_time.lock().expect("lock"),
            "request": format!("{base}/$bulk-publish"),
            "output": output,
            "error": [],
        })
        .to_string()
    }
}

type Sites = Arc<Mutex<HashMap<String, Arc<Site>>>>;

fn etag_of(body: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    format!("\"{:x}\"", h.finish())
}

async fn serve(
    State((sites, port)): State<(Sites, u16)>,
    Path((name, file)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let Some(site) = sites.lock().expect("lock").get(&name).cloned() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let base = format!("http://127.0.0.1:{port}/{name}");
    if file == "$bulk-publish" {
        site.queries
            .lock()
            .expect("lock")
            .push(q.unwrap_or_default());
        let behaviour = *site.behaviour.lock().expect("lock");
        if let Some(Behaviour::Slow(d)) = behaviour {
            tokio::time::sleep(d).await;
        }
        let body = site.manifest(&base);
        let tag = etag_of(&body);
        if headers
            .get("if-none-match")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == tag)
        {
            site.not_modified.fetch_add(1, Ordering::SeqCst);
            return StatusCode::NOT_MODIFIED.into_response();
        }
        return (
            [
                ("content-type", "application/json".to_string()),
                ("etag", tag),
                ("cache-control", "max-age=1".to_string()),
            ],
            body,
        )
            .into_response();
    }
    let ty = file.trim_end_matches(".ndjson");
    let body = site.files.lock().expect("lock").get(ty).cloned();
    match body {
        Some(body) => ([("content-type", "application/fhir+ndjson")], body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A publishers' server on a random port; sites are added by name.
async fn server() -> (u16, Sites) {
    let sites: Sites = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let app = axum::Router::new()
        .route("/{name}/{file}", axum::routing::get(serve))
        .with_state((Arc::clone(&sites), port));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (port, sites)
}

fn site(port: u16, sites: &Sites, name: &str) -> (String, Arc<Site>) {
    let s = Arc::new(Site::default());
    sites
        .lock()
        .expect("lock")
        .insert(name.to_string(), Arc::clone(&s));
    (format!("http://127.0.0.1:{port}/{name}/$bulk-publish"), s)
}

// ---------------------------------------------------------------------------------
// Resources, as the specification shapes them.

const EXT: &str = "http://fhir-registry.smarthealthit.org/StructureDefinition";

fn location(id: &str, name: &str, lat: f64, lon: f64, ids: &[(&str, &str)]) -> Value {
    json!({
        "resourceType": "Location",
        "id": id,
        "name": name,
        "telecom": [{"system": "phone", "value": "+380 44 000 00 00"}, {"system": "url", "value": "https://clinic.example/"}],
        "address": {"line": ["1 Main Street"], "city": "Somewhere", "postalCode": "01001"},
        "position": {"latitude": lat, "longitude": lon},
        "identifier": ids.iter().map(|(s, v)| json!({"system": s, "value": v})).collect::<Vec<_>>(),
    })
}

fn schedule(id: &str, loc: &str, code: &str, display: &str) -> Value {
    json!({
        "resourceType": "Schedule",
        "id": id,
        "serviceType": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/service-type", "code": code, "display": display}]}],
        "actor": [{"reference": format!("Location/{loc}")}],
    })
}

/// A slot starting `mins` minutes from now, 20 minutes long.
fn slot(id: &str, sched: &str, mins: i64, status: &str) -> Value {
    let start = chrono::Utc::now() + chrono::Duration::minutes(mins);
    let start = start - chrono::Duration::seconds(start.timestamp() % 60);
    let end = start + chrono::Duration::minutes(20);
    json!({
        "resourceType": "Slot",
        "id": id,
        "schedule": {"reference": format!("Schedule/{sched}")},
        "status": status,
        "start": start.to_rfc3339(),
        "end": end.to_rfc3339(),
        "extension": [
            {"url": format!("{EXT}/booking-deep-link"), "valueUrl": format!("https://clinic.example/book/{id}")},
            {"url": format!("{EXT}/booking-phone"), "valueString": "+380 44 000 00 01"},
        ],
    })
}

// ---------------------------------------------------------------------------------
// Helpers.

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = app.client.request(method, app.url(path)).bearer_auth(key);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.expect("answered");
    let code = resp.status().as_u16();
    (code, resp.json().await.unwrap_or(Value::Null))
}

async fn register(app: &TestApp, key: &str, url: &str, every: &str) -> i64 {
    let (code, v) = send(
        app,
        reqwest::Method::POST,
        "/api/v1/slots/publications",
        key,
        Some(json!({"url": url, "every": every})),
    )
    .await;
    assert_eq!(code, 201, "{v:#}");
    v["publication"]["id"].as_i64().expect("id")
}

async fn state(app: &TestApp, key: &str, id: i64) -> Value {
    let (code, v) = send(
        app,
        reqwest::Method::GET,
        "/api/v1/slots/publications",
        key,
        None,
    )
    .await;
    assert_eq!(code, 200, "{v:#}");
    v["publications"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == id))
        .cloned()
        .expect("listed")
}

/// Waits (at most 30 s: the suite shares two cores) until the publication's state satisfies `done`.
async fn wait_for(
    app: &TestApp,
    key: &str,
    id: i64,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let t = Instant::now();
    loop {
        let p = state(app, key, id).await;
        if done(&p) {
            return p;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "{what}: {p:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// "Poll now", again while the scheduler holds the publication (409).
async fn poll_now(app: &TestApp, key: &str, id: i64) -> Value {
    let t = Instant::now();
    loop {
        let (code, v) = send(
            app,
            reqwest::Method::POST,
            &format!("/api/v1/slots/publications/{id}/poll"),
            key,
            None,
        )
        .await;
        if code == 409 && t.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        assert_eq!(code, 200, "{v:#}");
        return v;
    }
}

/// Two facilities with a position, each alone within 300 m (so a name match is
/// not ambiguous), not confidential: `(id, uuid, name, lat, lon)`.
fn facilities(app: &TestApp, n: usize) -> Vec<(i64, String, String, f64, f64)> {
    let snap = app.snapshot();
    let alone: Vec<(i64, String, String, f64, f64)> = snap
        .facilities
        .iter()
        .filter(|f| !f.confidential)
        .filter_map(|f| Some((f.id, f.uuid.clone(), f.name.clone(), f.lat?, f.lon?)))
        .filter(|f| snap.places.within(f.3, f.4, 300.0).len() == 1)
        .collect();
    let start = app.claim(n).start;
    assert!(
        start + n <= alone.len(),
        "the small data has facilities enough"
    );
    alone[start..start + n].to_vec()
}

/// The slots near a point that come from publication `id`.
async fn near(app: &TestApp, q: &str, id: i64) -> Vec<Value> {
    let (code, v) = app.get_json(&format!("/api/v1/slots?{q}&limit=200")).await;
    assert_eq!(code, 200, "{v:#}");
    v["slots"]
        .as_array()
        .expect("slots")
        .iter()
        .filter(|s| s["publication_id"] == id)
        .cloned()
        .collect()
}

fn ids(slots: &[Value]) -> Vec<String> {
    slots
        .iter()
        .map(|s| {
            s["booking_url"]
                .as_str()
                .unwrap_or_default()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// Tests.

shared_app_test! { APP;
    /// A clinic's publication read, matched and answered; then changed (a slot
    /// booked, one added, a location removed) and read again.
    async fn a_publication_changes_between_polls(app) {
        let fs = facilities(app, 2);
        let (f1, uuid1, _, lat1, lon1) = fs[0].clone();
        let (f2, _, name2, lat2, lon2) = fs[1].clone();
        let key = app.make_key("Slots: clinic", &[]).await;
        let (port, sites) = server().await;
        let (url, pubsite) = site(port, &sites, "clinic");
        let locations = vec![
            location("L1", "Vaccination point", lat1, lon1, &[("https://medmap.example/facility", &uuid1)]),
            location("L2", &name2, lat2 + 0.0003, lon2, &[("urn:other", "123")]),
            location("L3", "Nowhere Clinic", 0.5, -30.5, &[]),
        ];
        let schedules = vec![
            schedule("S1", "L1", "57", "Immunization"),
            schedule("S2", "L2", "gp", "GP appointment"),
            schedule("S3", "L3", "gp", "GP appointment"),
        ];
        let slots = vec![
            slot("a1", "S1", 120, "free"),
            slot("a2", "S1", 180, "free"),
            slot("a3", "S1", 60, "busy"),
            slot("a4", "S1", -200, "free"),
            slot("a5", "S1", 300, "free"),
            slot("b1", "S2", 120, "free"),
            slot("c1", "S3", 60, "free"),
        ];
        let bad = [
            ("Slot", "{\"resourceType\": \"Slot\", \"id\": \"broken"),
            ("Slot", r#"{"resourceType":"Location","id":"L9","name":"In the wrong file"}"#),
            ("Slot", r#"{"resourceType":"Slot","id":"d1","schedule":{"reference":"Schedule/NOPE"},"status":"free","start":"2099-01-01T09:00:00Z","end":"2099-01-01T09:20:00Z"}"#),
        ];
        pubsite.publish(&[("Location", locations.clone()), ("Schedule", schedules.clone()), ("Slot", slots.clone())], &bad);
        let id = register(app, &key, &url, "1h").await;
        let p = wait_for(app, &key, id, "first poll", |p| p["last_status"] == "partial").await;
        let r = &p["report"];
        assert_eq!(r["mode"], "full", "{r:#}");
        assert_eq!(r["rejected"], 3, "{r:#}");
        let reasons: Vec<&str> = r["problems"].as_array().expect("problems").iter().filter_map(|x| x["reason"].as_str()).collect();
        assert!(reasons.iter().any(|x| x.contains("not JSON")), "{reasons:?}");
        assert!(reasons.iter().any(|x| x.contains("resourceType \"Location\"")), "{reasons:?}");
        assert!(reasons.iter().any(|x| x.contains("Schedule/NOPE")), "{reasons:?}");
        assert_eq!(r["matched"], 2, "{r:#}");
        assert_eq!(r["unmatched"][0]["name"], "Nowhere Clinic", "{r:#}");
        assert_eq!(r["past_slots"], 1);
        assert_eq!(r["stored"]["slots"], 6, "{r:#}");
        assert_eq!(p["max_age_secs"], 1, "Cache-Control read");
        assert!(p["last_success_at"].is_i64());

        // Earliest first; at the same start, the nearer first (a1 at F1's point, b1 ~ farther).
        let q = format!("lat={lat1}&lon={lon1}&radius_km=200");
        let got = near(app, &q, id).await;
        let order = ids(&got);
        assert!(!order.contains(&"a3".to_string()) && !order.contains(&"a4".to_string()), "busy and past slots are not offered: {order:?}");
        assert!(!order.contains(&"c1".to_string()), "out of the radius: {order:?}");
        let a1 = order.iter().position(|x| x == "a1").expect("a1 offered");
        assert_eq!(a1, 0, "{order:?}");
        if let Some(b1) = order.iter().position(|x| x == "b1") {
            assert_eq!(b1, 1, "b1 starts with a1 and is farther: {order:?}");
        }
        let first = &got[0];
        assert_eq!(first["facility_id"], f1);
        assert_eq!(first["service_type"], "57");
        assert_eq!(first["booking_phone"], "+380 44 000 00 01");
        assert_eq!(first["may_be_out_of_date"], false);
        assert!(first["confirmed_at"].is_string() && first["distance_km"].is_number(), "{first:#}");
        let only57 = ids(&near(app, &format!("{q}&service_type=57"), id).await);
        assert_eq!(only57, vec!["a1", "a2", "a5"]);

        // Facility detail says the next free appointment.
        let (code, d) = app.get_json(&format!("/api/v1/facilities/{f1}")).await;
        assert_eq!(code, 200);
        assert!(d["next_slot"]["booking_url"].as_str().is_some_and(|u| u.ends_with("/a1")), "{:#}", d["next_slot"]);
        let (_, d2) = app.get_json(&format!("/api/v1/facilities/{f2}")).await;
        assert!(d2["next_slot"]["booking_url"].as_str().is_some_and(|u| u.ends_with("/b1")), "{:#}", d2["next_slot"]);

        // The pages: the facility's next free appointment, and the near-me page with
        // the publisher's booking link.
        let (code, html) = app.get_text(&format!("/facilities/{f1}")).await;
        assert_eq!(code, 200);
        assert!(html.contains("Next free appointment") && html.contains("https://clinic.example/book/a1"), "{html}");
        let (code, html) = app.get_text(&format!("/appointments?near={lat1},{lon1}&radius_km=50")).await;
        assert_eq!(code, 200);
        assert!(html.contains("https://clinic.example/book/a1"), "{html}");

        // Changed: a1 booked, a6 added, L2 (with its schedule and slot) removed, no bad lines.
        let mut slots2: Vec<Value> = slots.iter().filter(|s| s["id"] != "b1").cloned().collect();
        slots2[0] = slot("a1", "S1", 120, "busy");
        slots2.push(slot("a6", "S1", 90, "free"));
        pubsite.publish(&[
            ("Location", vec![locations[0].clone(), locations[2].clone()]),
            ("Schedule", vec![schedules[0].clone(), schedules[2].clone()]),
            ("Slot", slots2),
        ], &[]);
        let out = poll_now(app, &key, id).await;
        assert_eq!(out["publication"]["last_status"], "applied", "{out:#}");
        assert_eq!(out["report"]["rejected"], 0);
        assert_eq!(out["report"]["stored"]["locations"], 2);
        let order = ids(&near(app, &q, id).await);
        assert_eq!(order, vec!["a6", "a2", "a5"], "booked and removed slots are gone");
        let (_, d2) = app.get_json(&format!("/api/v1/facilities/{f2}")).await;
        assert!(d2["next_slot"].is_null(), "{:#}", d2["next_slot"]);
    }
}

shared_app_test! { APP;
    /// Between scheduled polls: `_since=` the manifest's transactionTime,
    /// If-None-Match answered 304, the stored slots kept.
    async fn scheduled_polls_are_incremental_and_conditional(app) {
        let fs = facilities(app, 1);
        let (_, uuid, _, lat, lon) = fs[0].clone();
        let key = app.make_key("Slots: incremental", &[]).await;
        let (port, sites) = server().await;
        let (url, pubsite) = site(port, &sites, "inc");
        pubsite.publish(&[
            ("Location", vec![location("L1", "Clinic", lat, lon, &[("x", &uuid)])]),
            ("Schedule", vec![schedule("S1", "L1", "gp", "GP")]),
            ("Slot", vec![slot("i1", "S1", 100, "free")]),
        ], &[]);
        let id = register(app, &key, &url, "1s").await;
        wait_for(app, &key, id, "first poll", |p| p["last_status"] == "applied").await;
        let t = Instant::now();
        while pubsite.not_modified.load(Ordering::SeqCst) == 0 || !pubsite.queries.lock().expect("lock").iter().any(|q| q.contains("_since=")) {
            assert!(t.elapsed() < Duration::from_secs(30), "no incremental, conditional poll: {:?}", pubsite.queries.lock().expect("lock"));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let got = ids(&near(app, &format!("lat={lat}&lon={lon}&radius_km=1"), id).await);
        assert_eq!(got, vec!["i1"]);
        let (code, _) = send(app, reqwest::Method::DELETE, &format!("/api/v1/slots/publications/{id}"), &key, None).await;
        assert_eq!(code, 204);
        assert!(near(app, &format!("lat={lat}&lon={lon}&radius_km=1"), id).await.is_empty(), "removed with its publication");
    }
}

shared_app_test! { APP;
    /// A manifest that times out and a file over the cap fail their own
    /// publication only (error kept, back-off, stored rows kept); another
    /// publisher's publication with the very same resource ids is untouched and
    /// still polled.
    async fn bad_publications_touch_nothing_else(app) {
        let fs = facilities(app, 1);
        let (fid, uuid, _, lat, lon) = fs[0].clone();
        let (port, sites) = server().await;
        let files = |start: i64| -> Vec<(&'static str, Vec<Value>)> {
            vec![
                ("Location", vec![location("L1", "Clinic", lat, lon, &[("x", &uuid)])]),
                ("Schedule", vec![schedule("S1", "L1", "gp", "GP")]),
                ("Slot", vec![slot("s1", "S1", start, "free"), slot("s2", "S1", start + 30, "free")]),
            ]
        };
        let good_key = app.make_key("Slots: good", &[]).await;
        let (good_url, good) = site(port, &sites, "good");
        good.publish(&files(600), &[]);
        let good_id = register(app, &good_key, &good_url, "1h").await;
        wait_for(app, &good_key, good_id, "good poll", |p| p["last_status"] == "applied").await;

        let slow_key = app.make_key("Slots: slow", &[]).await;
        let (slow_url, slow) = site(port, &sites, "slow");
        slow.publish(&files(500), &[]);
        slow.behave(Behaviour::Slow(Duration::from_secs(3)));
        let slow_id = register(app, &slow_key, &slow_url, "1h").await;

        let big_key = app.make_key("Slots: big", &[]).await;
        let (big_url, big) = site(port, &sites, "big");
        big.publish(&files(400), &[]);
        let big_id = register(app, &big_key, &big_url, "1h").await;
        wait_for(app, &big_key, big_id, "big: first good poll", |p| p["last_status"] == "applied").await;
        let mut huge = String::new();
        let mut n = 0;
        while huge.len() < 3 * CAP as usize {
            huge.push_str(&format!("{}\n", slot(&format!("h{n}"), "S1", 700 + n, "free")));
            n += 1;
        }
        big.set_file("Slot", huge);
        let out = poll_now(app, &big_key, big_id).await;
        assert_eq!(out["publication"]["last_status"], "error", "{out:#}");
        assert!(out["publication"]["last_error"].as_str().is_some_and(|e| e.contains(&format!("larger than {CAP} bytes"))), "{out:#}");
        assert_eq!(out["publication"]["failures"], 1);

        let p = wait_for(app, &slow_key, slow_id, "slow: timed out", |p| p["failures"] == 1).await;
        assert!(p["last_error"].as_str().is_some_and(|e| e.contains("timed out")), "{p:#}");
        assert!(p["next_at"].as_i64().unwrap_or(0) - p["last_attempt_at"].as_i64().unwrap_or(0) >= 7200, "backed off: {p:#}");

        // The good publisher's slots are as they were, and it still polls.
        let q = format!("lat={lat}&lon={lon}&radius_km=1");
        assert_eq!(ids(&near(app, &q, good_id).await), vec!["s1", "s2"]);
        assert_eq!(ids(&near(app, &q, big_id).await), vec!["s1", "s2"], "the big publication keeps its last good read");
        assert!(near(app, &q, slow_id).await.is_empty());
        good.publish(&files(200), &[]);
        let out = poll_now(app, &good_key, good_id).await;
        assert_eq!(out["publication"]["last_status"], "applied", "{out:#}");
        let got = near(app, &q, good_id).await;
        assert_eq!(got.len(), 2);
        assert_eq!(got[0]["facility_id"], fid);
        // Publishers see only their own publications.
        let (code, _) = send(app, reqwest::Method::POST, &format!("/api/v1/slots/publications/{good_id}/poll"), &big_key, None).await;
        assert_eq!(code, 404);
        let (code, _) = send(app, reqwest::Method::DELETE, &format!("/api/v1/slots/publications/{good_id}"), &big_key, None).await;
        assert_eq!(code, 404);
    }
}

shared_app_test! { APP;
    /// Parameters are checked at the edge: each refusal names its parameter.
    async fn bad_parameters_are_400s(app) {
        for (q, param) in [
            ("", "lat"),
            ("lat=50", "lon"),
            ("lat=91&lon=30", "lat"),
            ("lat=50&lon=30&radius_km=0", "radius_km"),
            ("lat=50&lon=30&radius_km=500", "radius_km"),
            ("lat=50&lon=30&from=yesterday", "from"),
            ("lat=50&lon=30&from=2026-03-02&to=2026-03-01", "to"),
            ("lat=50&lon=30&from=2026-01-01&to=2026-12-31", "to"),
            ("lat=50&lon=30&limit=0", "limit"),
            ("lat=50&lon=30&limit=abc", "limit"),
        ] {
            let (code, v) = app.get_json(&format!("/api/v1/slots?{q}")).await;
            assert_eq!(code, 400, "{q}: {v}");
            assert_eq!(v["error"]["details"]["param"], param, "{q}: {v}");
        }
        let key = app.make_key("Slots: registrations", &[]).await;
        for (body, param) in [
            (json!({"url": "ftp://example.org/x"}), "url"),
            (json!({"url": "https://example.org/x", "every": "soon"}), "every"),
            (json!({"url": "https://example.org/x", "every": 0}), "every"),
            (json!({"url": "https://example.org/x", "mode": "x"}), "body"),
        ] {
            let (code, v) = send(app, reqwest::Method::POST, "/api/v1/slots/publications", &key, Some(body.clone())).await;
            assert_eq!(code, 400, "{body}: {v}");
            assert_eq!(v["error"]["details"]["param"], param, "{body}: {v}");
        }
        let (code, _) = app.get_json("/api/v1/slots/publications").await;
        assert_eq!(code, 401);
    }
}
