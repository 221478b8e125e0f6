//! Pull feeds end to end on real SQLite and PostgreSQL: a publisher registers a URL
//! with its key, `medmap serve` fetches it from an HTTP server the test runs (axum on
//! a random port) and applies it through the push path. Changing, unchanged (304 and
//! same bytes), failing (500: back-off, error kept, recovery), slow (timeout) and
//! oversized files (with and without Content-Length), the scheduler on its own, the
//! publisher's view, and the refusal of private addresses without
//! `--allow-private-urls`.

#[macro_use]
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::{spawn_app_with, AppSettings, Backend, SharedApps, TestApp};
use serde_json::{json, Value};

/// File cap of the test servers' pulls: small, so the oversized file is small too.
const PULL_CAP: u64 = 64 * 1024;

static APP: SharedApps = SharedApps::new(|backend| Box::pin(spawn_app_with(pull_app(backend))));

fn pull_app(backend: Backend) -> AppSettings {
    AppSettings::new(backend).fetching(PULL_CAP)
}

// ---------------------------------------------------------------------------------
// The publisher's file server.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Behaviour {
    /// 200 with the body; ETag and 304 on If-None-Match when `etag`.
    Serve {
        etag: bool,
    },
    Fail(u16),
    /// Answers after this long.
    Slow(Duration),
    /// The body as a stream without Content-Length.
    Stream,
}

struct Feed {
    body: Mutex<Vec<u8>>,
    behaviour: Mutex<Behaviour>,
    hits: AtomicUsize,
    not_modified: AtomicUsize,
}

impl Feed {
    fn set(&self, body: impl Into<Vec<u8>>) {
        *self.body.lock().expect("lock") = body.into();
    }

    fn behave(&self, b: Behaviour) {
        *self.behaviour.lock().expect("lock") = b;
    }
}

fn etag_of(body: &[u8]) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    format!("\"{:x}\"", h.finish())
}

async fn serve_feed(State(feed): State<Arc<Feed>>, headers: HeaderMap) -> Response {
    feed.hits.fetch_add(1, Ordering::SeqCst);
    let behaviour = *feed.behaviour.lock().expect("lock");
    let body = feed.body.lock().expect("lock").clone();
    match behaviour {
        Behaviour::Fail(code) => (
            StatusCode::from_u16(code).expect("status"),
            "the export is broken today",
        )
            .into_response(),
        Behaviour::Slow(d) => {
            tokio::time::sleep(d).await;
            body.into_response()
        }
        Behaviour::Stream => {
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                body.chunks(8192).map(|c| Ok(c.to_vec())).collect();
            axum::body::Body::from_stream(futures_util::stream::iter(chunks)).into_response()
        }
        Behaviour::Serve { etag } => {
            let tag = etag_of(&body);
            if etag
                && headers
                    .get("if-none-match")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v == tag)
            {
                feed.not_modified.fetch_add(1, Ordering::SeqCst);
                return StatusCode::NOT_MODIFIED.into_response();
            }
            let mut r = ([("content-type", "text/csv; charset=utf-8")], body).into_response();
            if etag {
                r.headers_mut()
                    .insert("etag", tag.parse().expect("etag header"));
            }
            r
        }
    }
}

/// A file server on a random port; `(base URL, the feed's handle)`.
async fn file_server() -> (String, Arc<Feed>) {
    let feed = Arc::new(Feed {
        body: Mutex::new(Vec::new()),
        behaviour: Mutex::new(Behaviour::Serve { etag: true }),
        hits: AtomicUsize::new(0),
        not_modified: AtomicUsize::new(0),
    });
    let app = axum::Router::new()
        .route("/stock.csv", axum::routing::get(serve_feed))
        .route(
            "/moved",
            axum::routing::get(|| async {
                (StatusCode::FOUND, [("location", "/stock.csv")]).into_response()
            }),
        )
        .with_state(Arc::clone(&feed));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), feed)
}

// ---------------------------------------------------------------------------------
// Helpers.

/// A publisher of its own over one pharmacy (branch code B1) and two products known
/// by register number: `(key, facility, lat, lon, [(product, register id)])`.
async fn publisher(app: &TestApp, name: &str) -> (String, i64, f64, f64, Vec<(i64, String)>) {
    let snap = app.snapshot();
    let pharmacies: Vec<(i64, f64, f64)> = snap
        .facilities
        .iter()
        .filter(|f| f.kind == medmap::model::FacilityKind::Pharmacy)
        .filter_map(|f| Some((f.id, f.lat?, f.lon?)))
        .collect();
    let i = app.claim(1).start;
    assert!(i < pharmacies.len(), "the small data has enough pharmacies");
    let (fid, lat, lon) = pharmacies[i];
    let mut groups: Vec<&medmap::catalog::ProductInfo> = snap.catalog.products.values().collect();
    groups.sort_by_key(|g| g.id);
    let mut reg_count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for g in &groups {
        for r in &g.registration_numbers {
            *reg_count.entry(r.as_str()).or_default() += g.members.len();
        }
    }
    let products: Vec<(i64, String)> = groups
        .iter()
        .filter(|g| g.members.len() == 1 && g.registration_numbers.len() == 1)
        .filter(|g| reg_count.get(g.registration_numbers[0].as_str()) == Some(&1))
        .filter(|g| g.registration_numbers[0].starts_with("UA/"))
        .map(|g| (g.id, g.registration_numbers[0].clone()))
        .take(2)
        .collect();
    assert_eq!(products.len(), 2, "small data has UA register numbers");
    let key = app.make_key(name, &[(fid, Some("B1".into()))]).await;
    (key, fid, lat, lon, products)
}

fn csv(products: &[(i64, String)], price: &str) -> String {
    let mut s = String::from("facility,register_id,quantity,price\n");
    for (_, reg) in products {
        s.push_str(&format!("B1,{reg},5,{price}\n"));
    }
    s
}

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

async fn register(app: &TestApp, key: &str, url: &str, every: &str) -> Value {
    let (code, v) = send(
        app,
        reqwest::Method::POST,
        "/api/v1/feeds/pulls",
        key,
        Some(json!({ "url": url, "every": every })),
    )
    .await;
    assert_eq!(code, 201, "{v:#}");
    v["pull"].clone()
}

async fn fetch_now(app: &TestApp, key: &str, id: i64) -> Value {
    let (code, v) = send(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/feeds/pulls/{id}/fetch"),
        key,
        None,
    )
    .await;
    assert_eq!(code, 200, "{v:#}");
    v
}

async fn pull_state(app: &TestApp, key: &str, id: i64) -> Value {
    let (code, v) = send(app, reqwest::Method::GET, "/api/v1/feeds/pulls", key, None).await;
    assert_eq!(code, 200, "{v:#}");
    v["pulls"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["id"] == id))
        .cloned()
        .expect("listed")
}

/// Waits (at most 30 s: the suite shares two cores) until the pull's state satisfies `done`.
async fn wait_for(
    app: &TestApp,
    key: &str,
    id: i64,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let t = Instant::now();
    loop {
        let p = pull_state(app, key, id).await;
        if done(&p) {
            return p;
        }
        assert!(t.elapsed() < Duration::from_secs(30), "{what}: {p:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn stock_lines(app: &TestApp, publisher: &str) -> i64 {
    let (code, s) = app.get_json("/api/v1/publishers/status").await;
    assert_eq!(code, 200, "{s}");
    s["publishers"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["publisher"] == publisher))
        .map_or(0, |p| p["stock_lines"].as_i64().unwrap_or(0))
}

// ---------------------------------------------------------------------------------
// Tests.

shared_app_test! { APP;
    /// Registered, fetched at once by the scheduler and applied (visible in
    /// availability); a changed file is applied again, an unchanged one is answered
    /// 304 and not applied again; a server without validators sending the same
    /// bytes is not applied again either; a redirect is followed.
    async fn changing_and_unchanged_files(app) {
        let (key, fid, lat, lon, products) = publisher(app, "Pull: changing").await;
        let (base, feed) = file_server().await;
        feed.set(csv(&products, "12.50"));
        let pull = register(app, &key, &format!("{base}/stock.csv"), "1h").await;
        let id = pull["id"].as_i64().expect("id");
        assert_eq!(pull["every_secs"], 3600);
        let p = wait_for(app, &key, id, "first fetch", |p| p["last_status"] == "applied").await;
        assert_eq!(p["failures"], 0);
        assert!(p["etag"].is_string(), "{p:#}");
        let first_push = p["last_push_id"].as_i64().expect("push id");
        // The report is the push's own, for the same publisher.
        let (code, report) = send(app, reqwest::Method::GET, &format!("/api/v1/feeds/{first_push}"), &key, None).await;
        assert_eq!(code, 200, "{report:#}");
        assert_eq!(report["rows_accepted"], 2);
        assert_eq!(report["format"], "medmap_csv");
        assert_eq!(app.shown_price((fid, lat, lon), products[0].0).await, Some(1250));

        // Changed: applied, the new price live.
        feed.set(csv(&products, "13.75"));
        let out = fetch_now(app, &key, id).await;
        assert_eq!(out["pull"]["last_status"], "applied", "{out:#}");
        assert_eq!(out["report"]["rows_accepted"], 2);
        let second_push = out["pull"]["last_push_id"].as_i64().expect("push id");
        assert_ne!(second_push, first_push);
        assert_eq!(app.shown_price((fid, lat, lon), products[0].0).await, Some(1375));

        // Unchanged: If-None-Match → 304, nothing applied.
        let before = feed.not_modified.load(Ordering::SeqCst);
        let out = fetch_now(app, &key, id).await;
        assert_eq!(out["pull"]["last_status"], "not_modified", "{out:#}");
        assert!(out.get("report").is_none());
        assert_eq!(out["pull"]["last_push_id"], second_push);
        assert_eq!(feed.not_modified.load(Ordering::SeqCst), before + 1);

        // No validators on the server: the same bytes are recognised and not applied.
        feed.behave(Behaviour::Serve { etag: false });
        let out = fetch_now(app, &key, id).await;
        assert_eq!(out["pull"]["last_status"], "not_modified", "{out:#}");
        assert_eq!(out["pull"]["last_push_id"], second_push);

        // A redirect to the same file (and a new price) is followed.
        feed.set(csv(&products, "14.00"));
        let moved = register(app, &key, &format!("{base}/moved"), "1h").await;
        let mid = moved["id"].as_i64().expect("id");
        let p = wait_for(app, &key, mid, "redirected fetch", |p| p["last_status"] == "applied").await;
        assert!(p["last_error"].is_null(), "{p:#}");
        assert_eq!(app.shown_price((fid, lat, lon), products[0].0).await, Some(1400));
    }
}

shared_app_test! { APP;
    /// A 500 backs off (interval doubled per failure, the error kept for the
    /// publisher), and the next good fetch recovers and resets the count.
    async fn failing_server_backs_off_and_recovers(app) {
        let (key, fid, lat, lon, products) = publisher(app, "Pull: failing").await;
        let (base, feed) = file_server().await;
        feed.behave(Behaviour::Fail(500));
        let pull = register(app, &key, &format!("{base}/stock.csv"), "60").await;
        let id = pull["id"].as_i64().expect("id");
        let p = wait_for(app, &key, id, "first failure", |p| p["failures"] == 1).await;
        assert_eq!(p["last_status"], "error");
        assert!(p["last_error"].as_str().is_some_and(|e| e.contains("HTTP 500")), "{p:#}");
        let wait = |p: &Value| p["next_at"].as_i64().unwrap_or(0) - p["last_attempt_at"].as_i64().unwrap_or(0);
        assert_eq!(wait(&p), 120, "first back-off: twice the interval");
        let out = fetch_now(app, &key, id).await;
        assert_eq!(out["pull"]["failures"], 2);
        assert_eq!(wait(&out["pull"]), 240, "second back-off doubles again");
        assert!(out["pull"]["last_success_at"].is_null());
        assert_eq!(stock_lines(app, "Pull: failing").await, 0, "nothing applied");

        feed.behave(Behaviour::Serve { etag: true });
        feed.set(csv(&products, "9.99"));
        let out = fetch_now(app, &key, id).await;
        assert_eq!(out["pull"]["last_status"], "applied", "{out:#}");
        assert_eq!(out["pull"]["failures"], 0);
        assert!(out["pull"]["last_error"].is_null());
        assert_eq!(wait(&out["pull"]), 60, "back to the interval");
        assert_eq!(app.shown_price((fid, lat, lon), products[0].0).await, Some(999));
    }
}

shared_app_test! { APP;
    /// A server slower than the timeout, and files over the cap (announced by
    /// Content-Length, or streamed without one and cut at the cap): errors kept,
    /// nothing applied.
    async fn slow_and_oversized_files(app) {
        let (key, _fid, _lat, _lon, products) = publisher(app, "Pull: limits").await;
        let (base, feed) = file_server().await;
        feed.set(csv(&products, "10.00"));
        feed.behave(Behaviour::Slow(Duration::from_secs(4)));
        let pull = register(app, &key, &format!("{base}/stock.csv"), "60").await;
        let id = pull["id"].as_i64().expect("id");
        let p = wait_for(app, &key, id, "timeout", |p| p["failures"] == 1).await;
        assert!(p["last_error"].as_str().is_some_and(|e| e.contains("timed out")), "{p:#}");

        // Over the cap: a valid CSV of ~200 KB.
        let mut big = csv(&products, "10.00");
        while big.len() < 200_000 {
            big.push_str(&format!("B1,{},5,10.00\n", products[1].1));
        }
        feed.set(big);
        feed.behave(Behaviour::Serve { etag: true });
        let out = fetch_now(app, &key, id).await;
        assert_eq!(out["pull"]["failures"], 2);
        let err = out["pull"]["last_error"].as_str().unwrap_or_default().to_string();
        assert!(err.contains(&format!("larger than {PULL_CAP} bytes")), "{err}");
        feed.behave(Behaviour::Stream);
        let out = fetch_now(app, &key, id).await;
        assert_eq!(out["pull"]["failures"], 3);
        let err = out["pull"]["last_error"].as_str().unwrap_or_default().to_string();
        assert!(err.contains(&format!("larger than {PULL_CAP} bytes")), "{err}");
        assert!(out["pull"]["last_push_id"].is_null(), "no push was made");
        assert_eq!(stock_lines(app, "Pull: limits").await, 0, "nothing applied");
    }
}

shared_app_test! { APP;
    /// The scheduler alone: a pull every second picks up a changed file without
    /// anyone asking.
    async fn scheduler_fetches_on_its_own(app) {
        let (key, fid, lat, lon, products) = publisher(app, "Pull: scheduled").await;
        let (base, feed) = file_server().await;
        feed.set(csv(&products, "20.00"));
        let pull = register(app, &key, &format!("{base}/stock.csv"), "1s").await;
        let id = pull["id"].as_i64().expect("id");
        wait_for(app, &key, id, "first scheduled fetch", |p| p["last_status"] == "applied").await;
        assert_eq!(app.shown_price((fid, lat, lon), products[0].0).await, Some(2000));
        feed.set(csv(&products, "21.00"));
        let t = Instant::now();
        while app.shown_price((fid, lat, lon), products[0].0).await != Some(2100) {
            assert!(t.elapsed() < Duration::from_secs(20), "the changed file was not fetched");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(feed.hits.load(Ordering::SeqCst) >= 2);
        // Removed: no more fetches.
        let (code, _) = send(app, reqwest::Method::DELETE, &format!("/api/v1/feeds/pulls/{id}"), &key, None).await;
        assert_eq!(code, 204);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let hits = feed.hits.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(feed.hits.load(Ordering::SeqCst), hits, "a removed pull is not fetched");
    }
}

shared_app_test! { APP;
    /// A publisher sees and touches only its own pulls; bad registrations are 400s
    /// naming the field; a URL is registered once per publisher.
    async fn publishers_see_only_their_pulls(app) {
        let (key, _, _, _, products) = publisher(app, "Pull: owner").await;
        let (other, _, _, _, _) = publisher(app, "Pull: stranger").await;
        let (base, feed) = file_server().await;
        feed.set(csv(&products, "1.00"));
        let url = format!("{base}/stock.csv");
        let pull = register(app, &key, &url, "15m").await;
        let id = pull["id"].as_i64().expect("id");
        let (code, v) = send(app, reqwest::Method::POST, "/api/v1/feeds/pulls", &key, Some(json!({"url": url}))).await;
        assert_eq!(code, 400, "registered twice: {v}");
        let (code, v) = send(app, reqwest::Method::GET, "/api/v1/feeds/pulls", &other, None).await;
        assert_eq!(code, 200);
        assert!(v["pulls"].as_array().is_some_and(|a| a.is_empty()), "{v}");
        for (method, path) in [
            (reqwest::Method::POST, format!("/api/v1/feeds/pulls/{id}/fetch")),
            (reqwest::Method::DELETE, format!("/api/v1/feeds/pulls/{id}")),
        ] {
            let (code, _) = send(app, method, &path, &other, None).await;
            assert_eq!(code, 404, "{path}");
        }
        let (code, _) = app.client.get(app.url("/api/v1/feeds/pulls")).send().await.map(|r| (r.status().as_u16(), ())).expect("answered");
        assert_eq!(code, 401);
        for (body, param) in [
            (json!({"url": "ftp://example.org/x"}), "url"),
            (json!({"url": "not a url"}), "url"),
            (json!({"url": "https://example.org/x", "every": "0s"}), "every"),
            (json!({"url": "https://example.org/x", "every": "soon"}), "every"),
            (json!({"url": "https://example.org/x", "every": 30_000_000}), "every"),
            (json!({"url": "https://example.org/x", "mode": "sometimes"}), "mode"),
            (json!({"url": "https://example.org/x", "cookie": "x"}), "body"),
        ] {
            let (code, v) = send(app, reqwest::Method::POST, "/api/v1/feeds/pulls", &key, Some(body.clone())).await;
            assert_eq!(code, 400, "{body}: {v}");
            assert_eq!(v["error"]["details"]["param"], param, "{body}: {v}");
        }
    }
}

backend_test! {
    /// Without --allow-private-urls: plain http and private IP literals are refused
    /// when registered; a host name that resolves to loopback is registered but
    /// refused when it is resolved for the connection, and the server never sees a
    /// request.
    async fn private_addresses_are_refused_without_the_flag(backend) {
        let app = spawn_app_with(AppSettings::new(backend).server(|s| {
            s.pull_poll = Duration::from_millis(100);
            s.pull_timeout = Duration::from_secs(2);
        }))
        .await;
        let (key, _, _, _, products) = publisher(&app, "Pull: private").await;
        let (base, feed) = file_server().await;
        feed.set(csv(&products, "1.00"));
        let port = base.rsplit(':').next().expect("port").to_string();
        for url in [
            format!("{base}/stock.csv"),
            format!("https://127.0.0.1:{port}/stock.csv"),
            format!("https://[::1]:{port}/stock.csv"),
            "https://169.254.169.254/latest/meta-data/".to_string(),
            "https://10.0.0.5/stock.csv".to_string(),
        ] {
            let (code, v) = send(&app, reqwest::Method::POST, "/api/v1/feeds/pulls", &key, Some(json!({"url": url}))).await;
            assert_eq!(code, 400, "{url}: {v}");
            let msg = v["error"]["message"].as_str().unwrap_or_default();
            assert!(msg.contains("https") || msg.contains("public"), "{url}: {msg}");
        }
        // A name is checked where it is resolved, at connect time.
        let pull = register(&app, &key, &format!("https://localhost:{port}/stock.csv"), "15m").await;
        let id = pull["id"].as_i64().expect("id");
        let p = wait_for(&app, &key, id, "refused fetch", |p| p["failures"] == 1).await;
        let err = p["last_error"].as_str().unwrap_or_default();
        assert!(err.contains("resolves to") && err.contains("--allow-private-urls"), "{err}");
        assert_eq!(feed.hits.load(Ordering::SeqCst), 0, "no request reached the server");
    }
}
