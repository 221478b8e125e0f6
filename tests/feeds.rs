//! Stock feeds end to end against a real server on real SQLite and PostgreSQL:
//! keys and scope, per-row reports, strict mode, idempotency, snapshot and delta,
//! learned product codes, limits (401/403/413/429), freshness status, visibility in
//! availability within a second, and SIGKILL during apply leaving the previous state.
//!
//! The tests share one app per backend: each makes its own publisher over pharmacies
//! no other test writes to ([`TestApp::claim`]), and looks only at their lines.

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use common::{small_data_dir, spawn_app_with, AppSettings, Backend, SharedApps, TestApp};
use medmap::store::Store;
use serde_json::Value;

/// Body cap of the test servers: small, so the 413 test sends little.
const TEST_MAX_BODY: usize = 4 * 1024 * 1024;

static APP: SharedApps = SharedApps::new(|backend| Box::pin(spawn_app_with(feeds_app(backend))));

fn feeds_app(backend: Backend) -> AppSettings {
    AppSettings::new(backend).server(|s| s.max_body_bytes = TEST_MAX_BODY)
}

#[path = "feeds/chunked.rs"]
mod chunked;
#[path = "feeds/formats.rs"]
mod formats;

struct Fixture {
    pharmacies: Vec<(i64, f64, f64)>,
    /// `(product id, registration number)` of products that have one.
    registered: Vec<(i64, String)>,
    products: Vec<i64>,
}

fn fixture(app: &TestApp) -> Fixture {
    let snap = app.snapshot();
    let pharmacies: Vec<(i64, f64, f64)> = snap
        .facilities
        .iter()
        .filter(|f| f.kind == medmap::model::FacilityKind::Pharmacy)
        .filter_map(|f| Some((f.id, f.lat?, f.lon?)))
        .collect();
    let mut groups: Vec<&medmap::catalog::ProductInfo> = snap.catalog.products.values().collect();
    groups.sort_by_key(|g| g.id);
    // Register numbers carried by exactly one single-member group, so the code
    // resolves to that very product.
    let mut reg_count: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for g in &groups {
        for r in &g.registration_numbers {
            *reg_count.entry(r.as_str()).or_default() += g.members.len();
        }
    }
    let registered: Vec<(i64, String)> = groups
        .iter()
        .filter(|g| g.members.len() == 1 && g.registration_numbers.len() == 1)
        .filter(|g| reg_count.get(g.registration_numbers[0].as_str()) == Some(&1))
        .filter_map(|g| {
            let r = g.registration_numbers.first()?;
            r.starts_with("UA/").then(|| (g.id, r.clone()))
        })
        .take(10)
        .collect();
    let products = groups.iter().map(|g| g.id).take(400).collect();
    assert!(pharmacies.len() >= 5, "small data has pharmacies");
    assert!(registered.len() >= 3, "small data has UA register numbers");
    Fixture {
        pharmacies,
        registered,
        products,
    }
}

/// `n` pharmacies `(id, lat, lon)` no other test of `app` writes to.
fn own_pharmacies(app: &TestApp, fx: &Fixture, n: usize) -> Vec<(i64, f64, f64)> {
    let range = app.claim(n);
    assert!(
        range.end <= fx.pharmacies.len(),
        "the small data has {} pharmacies; the tests claimed {}",
        fx.pharmacies.len(),
        range.end
    );
    fx.pharmacies[range].to_vec()
}

fn report(v: &Value) -> &Value {
    if v.get("error").is_some() {
        &v["error"]["details"]["report"]
    } else {
        v
    }
}

fn reasons(v: &Value) -> Vec<(u64, String)> {
    report(v)["rejected"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["line"].as_u64().unwrap_or(0),
                        r["reason"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `(facility, product)` of the feed lines of `facilities`.
async fn fetch_lines(store: &Store, facilities: &[i64]) -> Vec<(i64, i64)> {
    let mut v: Vec<(i64, i64)> = store
        .load_stock()
        .await
        .expect("stock")
        .into_iter()
        .filter(|l| l.source.starts_with("feed:") && facilities.contains(&l.facility_id))
        .map(|l| (l.facility_id, l.product_id))
        .collect();
    v.sort_unstable();
    v
}

/// A publisher's first push: good rows and every kind of bad row. `key` covers f1
/// (branch code B1) and f2; `other` (another publisher) covers f3.
struct Mixed {
    publisher: String,
    key: String,
    other: String,
    f1: i64,
    f2: i64,
    /// The products of rows 2 (B1) and 3 (f2), pushed by register number, and the
    /// register number of the second.
    p_reg: i64,
    p_reg2: i64,
    reg2: String,
    /// A product pushed by id (row 4, quantity 0, at f2).
    p3: i64,
    csv: String,
    /// The push's report.
    v: Value,
}

async fn mixed_push(app: &TestApp, publisher: &str) -> Mixed {
    let fx = fixture(app);
    let ph = own_pharmacies(app, &fx, 3);
    let (f1, f2, f3) = (ph[0].0, ph[1].0, ph[2].0);
    let key = app
        .make_key(publisher, &[(f1, Some("B1".into())), (f2, None)])
        .await;
    let other = app
        .make_key(&format!("{publisher} (other chain)"), &[(f3, None)])
        .await;
    let (p_reg, reg) = fx.registered[0].clone();
    let (p_reg2, reg2) = fx.registered[1].clone();
    let p3 = fx.products[5];
    let now = chrono::Utc::now().timestamp();
    let csv = format!(
        "facility;register_id;product_id;name;code;quantity;price;price_reserve;checked_at\n\
         B1;{reg};;;CH-1;3,5;24,50;22,90;{now}\n\
         {f2};{reg2};;;;10;99.90;;\n\
         {f2};;{p3};;;0;;;\n\
         {f3};{reg};;;;1;10;;\n\
         B1;;;Зюзюкофенакс;;1;10;;\n\
         B1;{reg};;;;2;10;;\n\
         B1;;{p3};;;-1;10;;\n\
         B1;;{p3};;;1;0;;\n\
         B1;;{p3};;;1;10;;2099-01-01T00:00:00Z\n\
         NOPE;;{p3};;;1;10;;\n"
    );
    let (code, v) = app
        .push(&key, "", csv.clone(), &[("content-type", "text/csv")])
        .await;
    assert_eq!(code, 200, "{v:#}");
    Mixed {
        publisher: publisher.to_string(),
        key,
        other,
        f1,
        f2,
        p_reg,
        p_reg2,
        reg2,
        p3,
        csv,
        v,
    }
}

/// One publisher's row of the public `/api/v1/publishers/status`.
async fn publisher_status(app: &TestApp, publisher: &str) -> Value {
    let (code, s) = app.get_json("/api/v1/publishers/status").await;
    assert_eq!(code, 200, "{s}");
    s["publishers"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["publisher"] == publisher))
        .cloned()
        .expect("listed")
}

/// Sends only the request head of a push with `Content-Length: len`; returns the status.
async fn raw_413(app: &TestApp, key: &str, len: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.addr();
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /api/v1/feeds/stock HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\nContent-Length: {len}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.expect("write");
    let mut buf = vec![0u8; 1024];
    let n = s.read(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf[..n]);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------
// Keys and reports.

shared_app_test! { APP;
    /// 401: no key, a malformed one, an unknown one.
    async fn a_missing_malformed_or_unknown_key_is_401(app) {
        for k in ["", "nope", &format!("mmk_{}", "0".repeat(64))] {
            let (code, v) = app.push(k, "", "facility,name\n", &[]).await;
            assert_eq!(code, 401, "{k:?} {v}");
            assert_eq!(v["error"]["code"], "unauthorized");
        }
    }
}

shared_app_test! { APP;
    /// A push with good rows and every kind of bad row: the good ones apply, each bad
    /// one is reported by line with its reason.
    async fn a_partial_push_reports_each_bad_row_by_line_and_reason(app) {
        let m = mixed_push(app, "Аптека Добра").await;
        let v = &m.v;
        assert_eq!(v["status"], "partial");
        assert_eq!(v["rows_read"], 10);
        assert_eq!(v["rows_accepted"], 3);
        let got = reasons(v);
        for want in [
            (5, "forbidden_facility"),
            (7, "duplicate"),
            (8, "out_of_range"),
            (9, "out_of_range"),
            (10, "future_timestamp"),
            (11, "unknown_facility"),
        ] {
            assert!(
                got.contains(&(want.0, want.1.to_string())),
                "{want:?} in {got:?}"
            );
        }
        // A wrong year reads as days, with the time it named.
        let future = v["rejected"]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["line"] == 10))
            .map(|r| r["message"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        assert!(
            future.starts_with("checked_at 2099-01-01 00:00 UTC is ") && future.contains(" days ahead"),
            "{future}"
        );
        // A made-up name: no confident match, so rejected (with suggestions if any).
        assert!(
            got.iter()
                .any(|(l, r)| *l == 6 && (r == "unknown_product" || r == "ambiguous_product")),
            "{got:?}"
        );
        assert_eq!(v["checked_at_source"]["body"], 1);
        assert_eq!(v["checked_at_source"]["received"], 2);
        assert!(
            v["new_product_codes"].as_u64().unwrap_or(0) >= 1,
            "chain code learnt"
        );
    }
}

shared_app_test! { APP;
    /// The stored report, to its publisher only.
    async fn a_stored_report_is_shown_to_its_publisher_only(app) {
        let m = mixed_push(app, "Report owner").await;
        let push_id = m.v["id"].as_i64().expect("push id");
        let r: Value = app
            .client
            .get(app.url(&format!("/api/v1/feeds/{push_id}")))
            .bearer_auth(&m.key)
            .send()
            .await
            .expect("report")
            .json()
            .await
            .expect("json");
        assert_eq!(r["id"], push_id);
        assert_eq!(r["rows_accepted"], 3);
        let r = app
            .client
            .get(app.url(&format!("/api/v1/feeds/{push_id}")))
            .bearer_auth(&m.other)
            .send()
            .await
            .expect("report");
        assert_eq!(r.status(), 404);
    }
}

shared_app_test! { APP;
    /// The chain code of the first push is now known: a row by code alone resolves.
    async fn a_learnt_chain_code_resolves_a_row_by_code_alone(app) {
        let m = mixed_push(app, "Code learner").await;
        let (code, v) = app
            .push(
                &m.key,
                "?mode=delta",
                "facility,code,quantity,price\nB1,CH-1,7,25.00\n",
                &[],
            )
            .await;
        assert_eq!(code, 200, "{v:#}");
        assert_eq!(v["rows_accepted"], 1, "{v:#}");
    }
}

// ---------------------------------------------------------------------------------
// What a push changes.

shared_app_test! { APP;
    /// Strict: one forbidden row rejects the whole push with 403, other errors only
    /// with 422; nothing changes either way.
    async fn strict_push_applies_nothing_on_one_bad_row(app) {
        let m = mixed_push(app, "Strict").await;
        let mine = [m.f1, m.f2];
        let before = fetch_lines(app.store(), &mine).await;
        assert!(!before.is_empty(), "the first push applied");
        let (code, v) = app.push(&m.key, "?strict=true", m.csv.clone(), &[]).await;
        assert_eq!(code, 403, "{v:#}");
        assert_eq!(report(&v)["status"], "rejected");
        assert_eq!(fetch_lines(app.store(), &mine).await, before);
        let p3 = m.p3;
        let (code, _) = app
            .push(
                &m.key,
                "?strict=true",
                format!("facility,product_id,quantity\nB1,{p3},1\nB1,{p3},abc\n"),
                &[],
            )
            .await;
        assert_eq!(code, 422);
        assert_eq!(fetch_lines(app.store(), &mine).await, before);
    }
}

shared_app_test! { APP;
    /// Idempotency: the retry returns the first report and applies nothing twice.
    async fn a_retry_with_the_same_idempotency_key_replays_the_first_report(app) {
        let fx = fixture(app);
        let f = own_pharmacies(app, &fx, 1)[0].0;
        let key = app.make_key("Retrier", &[(f, None)]).await;
        let p3 = fx.products[5];
        let body = format!("facility,product_id,quantity,price\n{f},{p3},4,11.00\n");
        let h = [("idempotency-key", "abc-123")];
        let (c1, v1) = app.push(&key, "?mode=delta", body.clone(), &h).await;
        let lines = fetch_lines(app.store(), &[f]).await;
        let (c2, v2) = app.push(&key, "?mode=delta", body.clone(), &h).await;
        assert_eq!((c1, c2), (200, 200));
        assert_eq!(v1["id"], v2["id"]);
        assert_eq!(v2["idempotent_replay"], true);
        assert_eq!(fetch_lines(app.store(), &[f]).await, lines);
    }
}

shared_app_test! { APP;
    /// A delta push removes a line; a snapshot push replaces the lines of the
    /// facilities it lists (B1) and leaves the others' (f2).
    async fn delta_removes_a_line_and_a_snapshot_replaces_a_facilitys_lines(app) {
        let m = mixed_push(app, "Replacer").await;
        let (f1, f2, p3) = (m.f1, m.f2, m.p3);
        let (code, v) = app
            .push(
                &m.key,
                "?mode=delta",
                format!("facility,product_id,action\n{f2},{p3},remove\n"),
                &[],
            )
            .await;
        assert_eq!(code, 200, "{v:#}");
        assert_eq!(v["lines_removed"], 1);
        assert!(!fetch_lines(app.store(), &[f2]).await.contains(&(f2, p3)));
        let reg2 = &m.reg2;
        let (code, v) = app
            .push(&m.key, "", format!("facility,register_id,quantity\nB1,{reg2},5\n"), &[])
            .await;
        assert_eq!(code, 200, "{v:#}");
        assert!(
            v["lines_removed"].as_u64().unwrap_or(0) >= 1,
            "the register line of B1 went"
        );
        let lines = fetch_lines(app.store(), &[f1, f2]).await;
        assert!(lines.contains(&(f1, m.p_reg2)));
        assert!(!lines.contains(&(f1, m.p_reg)));
        assert!(lines.contains(&(f2, m.p_reg2)));
    }
}

shared_app_test! { APP;
    /// Every supported format goes through the same path: medmap JSON, and a
    /// Tabletki XML whose file name gives branch and time.
    async fn every_format_goes_through_the_same_path(app) {
        let m = mixed_push(app, "Formats").await;
        let (f2, p3) = (m.f2, m.p3);
        let (code, v) = app
            .push(
                &m.key,
                "",
                format!("[{{\"facility\":\"{f2}\",\"product_id\":{p3},\"quantity\":\"1,5\"}}]"),
                &[],
            )
            .await;
        assert_eq!(code, 200, "{v:#}");
        assert_eq!(v["format"], "medmap_json");
        let ts = chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Kyiv)
            .format("%Y%m%d%H%M%S")
            .to_string();
        // CH-1 is the code the first push taught.
        let xml = "<Offers><Offer Code=\"CH-1\" Name=\"x\" Price=\"24.50\" Quantity=\"3.500\" PriceReserve=\"22.90\"/></Offers>";
        let (code, v) = app
            .push(&m.key, &format!("?filename=Rest_B1_{ts}.xml"), xml, &[])
            .await;
        assert_eq!(code, 200, "{v:#}");
        assert_eq!(v["format"], "tabletki_xml");
        assert_eq!(v["checked_at_source"]["file_name"], 1);
    }
}

// ---------------------------------------------------------------------------------
// Limits.

shared_app_test! { APP;
    /// 413 over the cap: announced by Content-Length, or a chunked body that grows
    /// past it.
    async fn a_body_over_the_cap_is_413(app) {
        let fx = fixture(app);
        let f = own_pharmacies(app, &fx, 1)[0].0;
        let key = app.make_key("Too big", &[(f, None)]).await;
        // Headers only, over a raw socket: the server answers before reading a body,
        // so a client still writing one would see a broken pipe instead of the status.
        assert_eq!(raw_413(app, &key, TEST_MAX_BODY + 10).await, 413);
        // A chunked body (no Content-Length) that grows past the cap.
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..8).map(|_| Ok(vec![b'a'; TEST_MAX_BODY / 4])).collect();
        let r = app
            .client
            .post(app.url("/api/v1/feeds/stock"))
            .bearer_auth(&key)
            .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
                chunks,
            )))
            .send()
            .await;
        if let Ok(r) = r {
            assert_eq!(r.status(), 413);
        }
    }
}

shared_app_test! { APP;
    /// 429 with Retry-After once a key's burst is spent.
    async fn a_key_past_its_burst_gets_429_with_retry_after(app) {
        let fx = fixture(app);
        let f = own_pharmacies(app, &fx, 1)[0].0;
        let key = app.make_key("Busy", &[(f, None)]).await;
        let mut limited = None;
        // Past the burst (100): a bad `mode` answers 400 after the limiter, so the
        // loop is cheap.
        for _ in 0..1000 {
            let resp = app
                .client
                .post(app.url("/api/v1/feeds/stock?mode=bogus"))
                .bearer_auth(&key)
                .body("facility,name\n")
                .send()
                .await
                .expect("answer");
            if resp.status() == 429 {
                limited = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok());
                break;
            }
        }
        let secs = limited.expect("429 within 1000 pushes");
        assert!(secs >= 1);
    }
}

shared_app_test! { APP;
    /// Revoked keys are refused.
    async fn a_revoked_key_is_refused(app) {
        let fx = fixture(app);
        let f = own_pharmacies(app, &fx, 1)[0].0;
        let key = app.make_key("Revoked", &[(f, None)]).await;
        let (code, v) = app
            .push(&key, "", format!("facility,product_id,quantity\n{f},{},1\n", fx.products[0]), &[])
            .await;
        assert_eq!(code, 200, "the key works before: {v:#}");
        let n = app.store().revoke_key(&key[..16]).await.expect("revoke");
        assert_eq!(n, 1);
        let (code, _) = app.push(&key, "", "facility,name\n", &[]).await;
        assert_eq!(code, 401);
    }
}

// ---------------------------------------------------------------------------------
// Freshness and visibility.

shared_app_test! { APP;
    /// Freshness status is public; it is cached (it counts every line) but a push
    /// shows at once.
    async fn publisher_status_is_public_and_shows_a_push_at_once(app) {
        let m = mixed_push(app, "Fresh chain").await;
        let me = publisher_status(app, &m.publisher).await;
        assert_eq!(me["facilities"], 2);
        assert!(me["last_push_at"].as_i64().is_some());
        assert_eq!(me["stale_facilities"], 0);
        let lines_before = me["stock_lines"].as_i64().expect("lines");
        let (f2, p3) = (m.f2, m.p3);
        let (code, v) = app
            .push(
                &m.key,
                "?mode=delta",
                format!("facility,product_id,action\n{f2},{p3},remove\n"),
                &[],
            )
            .await;
        assert_eq!(code, 200, "{v:#}");
        assert_eq!(v["lines_removed"], 1, "{v:#}");
        let me = publisher_status(app, &m.publisher).await;
        assert_eq!(me["stock_lines"], lines_before - 1, "{me:#}");
    }
}

/// Accepted rows show in /api/v1/availability within a second of the response (on a
/// server of its own, so other tests' pushes do not add to the time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_in_availability_within_a_second() {
    let app = spawn_app_with(feeds_app(Backend::Sqlite)).await;
    let fx = fixture(&app);
    let (fid, lat, lon) = fx.pharmacies[3];
    let key = app.make_key("Live", &[(fid, None)]).await;
    let mut worst = Duration::ZERO;
    for (i, pid) in fx.products.iter().take(5).enumerate() {
        let price = 1_000 + i as i64 * 7;
        let (code, v) = app
            .push(
                &key,
                "?mode=delta",
                format!(
                    "facility,product_id,quantity,price\n{fid},{pid},5,{}.{:02}\n",
                    price / 100,
                    price % 100
                ),
                &[],
            )
            .await;
        assert_eq!(code, 200, "{v:#}");
        let t = Instant::now();
        loop {
            let (_, r) = app
                .get_json(&format!(
                    "/api/v1/availability?medication_id=p{pid}&lat={lat}&lon={lon}&radius_km=1&limit=100"
                ))
                .await;
            let seen = r["items"].as_array().is_some_and(|a| {
                a.iter()
                    .any(|o| o["facility"]["id"] == fid && o["price"]["minor"] == price)
            });
            if seen {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(1),
                "not visible within 1 s: {r}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        worst = worst.max(t.elapsed());
    }
    eprintln!("worst visibility after the push response: {worst:?}");
}

/// A `medmap serve` child killed with SIGKILL during a big push: after restart the
/// stock table holds exactly the state before the push, or the whole push — never
/// part of it.
async fn kill_during_apply(db_url: &str) {
    let data = small_data_dir();
    let bin = env!("CARGO_BIN_EXE_medmap");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        l.local_addr().expect("addr").port()
    };
    // The child logs "applying push" right before the apply transaction starts; a
    // reader thread forwards that moment so the kill lands inside the transaction.
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let spawn = || {
        let mut child = std::process::Command::new(bin)
            .args([
                "--db",
                db_url,
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--data-dir")
            .arg(data.path())
            .env("MEDMAP_MAX_BODY_BYTES", "200000000")
            .env("RUST_LOG", "warn,medmap::feeds=info")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("medmap serve");
        let err = child.stderr.take().expect("stderr");
        let tx = tx.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                if line.contains("applying push") {
                    let _ = tx.send(());
                }
            }
        });
        KillOnDrop(child)
    };
    let base = format!("http://127.0.0.1:{port}");
    let ready = || async {
        let c = reqwest::Client::new();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(300) {
            if let Ok(r) = c.get(format!("{base}/readyz")).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("server not ready");
    };
    let mut child = spawn();
    ready().await;
    let store = Store::connect(db_url).await.expect("store");
    let snap_facilities: Vec<i64> = {
        let fac: Vec<i64> = store
            .load_facilities()
            .await
            .expect("facilities")
            .into_iter()
            .filter(|f| f.kind == medmap::model::FacilityKind::Pharmacy)
            .map(|f| f.id)
            .take(200)
            .collect();
        fac
    };
    let products: Vec<i64> = store
        .load_products()
        .await
        .expect("products")
        .into_iter()
        .map(|p| p.id)
        .take(1500)
        .collect();
    let scope: Vec<(i64, Option<String>)> = snap_facilities.iter().map(|f| (*f, None)).collect();
    let key = common::make_key(&store, "Killed", &scope).await;
    // The previous state: one line per facility.
    let mut small = String::from("facility,product_id,quantity,price\n");
    for f in &snap_facilities {
        small.push_str(&format!("{f},{},1,10.00\n", products[0]));
    }
    let (code, v) = common::push_to(&reqwest::Client::new(), &base, &key, "", small, &[]).await;
    assert_eq!(code, 200, "{v:#}");
    let before = fetch_lines(&store, &snap_facilities).await;
    assert_eq!(before.len(), snap_facilities.len());
    // The big push: every facility × every product.
    let mut big = String::from("facility,product_id,quantity,price\n");
    for f in &snap_facilities {
        for p in &products {
            big.push_str(&format!("{f},{p},3,12.50\n"));
        }
    }
    let total = snap_facilities.len() * products.len();
    let mut outcomes = Vec::new();
    let mut apply_ms = None;
    for delay_ms in [0u64, 100, 400, u64::MAX] {
        let b = big.clone();
        let (base2, key2) = (base.clone(), key.clone());
        let task = tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base2}/api/v1/feeds/stock"))
                .bearer_auth(key2)
                .body(b)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        });
        let rx2 = rx.clone();
        let started = tokio::task::spawn_blocking(move || {
            rx2.lock()
                .map(|r| r.recv_timeout(Duration::from_secs(120)).is_ok())
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false);
        assert!(started, "the apply started");
        let t0 = Instant::now();
        let answered = if delay_ms == u64::MAX {
            // The last round lets the push finish: how long the transaction and
            // snapshot update take shows the kills above landed inside it.
            let code = task.await.unwrap_or(0);
            apply_ms = Some(t0.elapsed().as_millis());
            child.kill();
            code
        } else {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            child.kill();
            task.await.unwrap_or(0)
        };
        child = spawn();
        ready().await;
        let after = fetch_lines(&store, &snap_facilities).await;
        let whole = after.len() == total;
        assert!(
            after == before || whole,
            "killed at {delay_ms} ms: {} lines, neither the {} before nor the {total} after",
            after.len(),
            before.len()
        );
        outcomes.push((delay_ms, answered, if whole { "after" } else { "before" }));
        if whole {
            break;
        }
    }
    eprintln!(
        "kill outcomes (delay ms after the apply began, http status or 0, state): {outcomes:?}; an uninterrupted apply of {total} lines took {apply_ms:?} ms"
    );
    assert!(
        outcomes.iter().any(|o| o.1 == 0 && o.2 == "before"),
        "at least one kill inside the apply transaction left the previous state: {outcomes:?}"
    );
    child.kill();
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_apply_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("kill.db").display());
    kill_during_apply(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_apply_postgres() {
    let db = common::child::TempPgDatabase::create("medmap_kill").await;
    kill_during_apply(&db.url).await;
}

/// A `medmap serve` child, killed and reaped when dropped (a failing test leaves none).
struct KillOnDrop(std::process::Child);

impl KillOnDrop {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        self.kill();
    }
}
