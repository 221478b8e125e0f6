//! Stock feeds end to end against a real server on real SQLite and PostgreSQL:
//! keys and scope, per-row reports, strict mode, idempotency, snapshot and delta,
//! learned product codes, limits (401/403/413/429), freshness status, visibility in
//! availability within a second, and SIGKILL during apply leaving the previous state.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{small_data_dir, TestDb};
use medmap::feeds::keys;
use medmap::http::Settings;
use medmap::serve::Running;
use medmap::store::Store;
use serde_json::Value;

/// Body cap of the test servers: small, so the 413 test sends little.
const TEST_MAX_BODY: usize = 4 * 1024 * 1024;

#[path = "feeds/chunked.rs"]
mod chunked;

async fn start(store: Store, data: PathBuf) -> (Running, String) {
    let settings = Settings {
        max_body_bytes: TEST_MAX_BODY,
        ..Settings::default()
    };
    start_with(store, data, settings).await
}

async fn start_with(store: Store, data: PathBuf, settings: Settings) -> (Running, String) {
    let settings = Settings {
        addr: "127.0.0.1:0".parse().expect("addr"),
        data_dir: Some(data),
        ..settings
    };
    let running = medmap::serve::start(store, settings)
        .await
        .expect("server starts");
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                break;
            }
        }
        assert!(Instant::now() < deadline, "server not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (running, base)
}

/// Creates a key for `publisher` over `facilities` (`(id, branch code)`).
async fn make_key(store: &Store, publisher: &str, facilities: &[(i64, Option<String>)]) -> String {
    let k = keys::generate();
    store
        .create_key(publisher, Some("UAH"), facilities, &k.hash, &k.prefix)
        .await
        .expect("key");
    k.secret
}

struct Fixture {
    pharmacies: Vec<(i64, f64, f64)>,
    /// `(product id, registration number)` of products that have one.
    registered: Vec<(i64, String)>,
    products: Vec<i64>,
}

fn fixture(run: &Running) -> Fixture {
    let snap = run.state.snap().expect("snapshot");
    let pharmacies: Vec<(i64, f64, f64)> = snap
        .facilities
        .iter()
        .filter(|f| f.kind == medmap::model::FacilityKind::Pharmacy)
        .filter_map(|f| Some((f.id, f.lat?, f.lon?)))
        .take(40)
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

async fn push(
    base: &str,
    key: &str,
    query: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut r = reqwest::Client::new()
        .post(format!("{base}/api/v1/feeds/stock{query}"))
        .bearer_auth(key)
        .body(body);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let resp = r.send().await.expect("push answered");
    let code = resp.status().as_u16();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    (code, v)
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

async fn scenario(db: TestDb) {
    let data = small_data_dir();
    let store = db.store.clone();
    let (run, base) = start(store.clone(), data.path().to_path_buf()).await;
    let fx = fixture(&run);
    let (f1, f2, f3) = (fx.pharmacies[0].0, fx.pharmacies[1].0, fx.pharmacies[2].0);
    let key = make_key(
        &store,
        "Аптека Добра",
        &[(f1, Some("B1".into())), (f2, None)],
    )
    .await;
    let other = make_key(&store, "Other chain", &[(f3, None)]).await;
    let client = reqwest::Client::new();

    // 401: none, malformed, unknown.
    for k in ["", "nope", &format!("mmk_{}", "0".repeat(64))] {
        let (code, v) = push(&base, k, "", "facility,name\n", &[]).await;
        assert_eq!(code, 401, "{k:?} {v}");
        assert_eq!(v["error"]["code"], "unauthorized");
    }

    // A push with good rows and every kind of bad row.
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
    let (code, v) = push(
        &base,
        &key,
        "",
        csv.clone(),
        &[("content-type", "text/csv")],
    )
    .await;
    assert_eq!(code, 200, "{v:#}");
    assert_eq!(v["status"], "partial");
    assert_eq!(v["rows_read"], 10);
    assert_eq!(v["rows_accepted"], 3);
    let got = reasons(&v);
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
    let push_id = v["id"].as_i64().expect("push id");

    // The stored report, to its publisher only.
    let r: Value = client
        .get(format!("{base}/api/v1/feeds/{push_id}"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("report")
        .json()
        .await
        .expect("json");
    assert_eq!(r["id"], push_id);
    assert_eq!(r["rows_accepted"], 3);
    let r = client
        .get(format!("{base}/api/v1/feeds/{push_id}"))
        .bearer_auth(&other)
        .send()
        .await
        .expect("report");
    assert_eq!(r.status(), 404);

    // The chain code is now known: a row by code alone resolves.
    let (code, v) = push(
        &base,
        &key,
        "?mode=delta",
        "facility,code,quantity,price\nB1,CH-1,7,25.00\n",
        &[],
    )
    .await;
    assert_eq!(code, 200, "{v:#}");
    assert_eq!(v["rows_accepted"], 1, "{v:#}");

    // Strict: one forbidden row rejects the whole push with 403; nothing changes.
    let before = fetch_lines(&store).await;
    let (code, v) = push(&base, &key, "?strict=true", csv.clone(), &[]).await;
    assert_eq!(code, 403, "{v:#}");
    assert_eq!(report(&v)["status"], "rejected");
    assert_eq!(fetch_lines(&store).await, before);
    // Strict with other errors only: 422.
    let (code, _) = push(
        &base,
        &key,
        "?strict=true",
        format!("facility,product_id,quantity\nB1,{p3},1\nB1,{p3},abc\n"),
        &[],
    )
    .await;
    assert_eq!(code, 422);
    assert_eq!(fetch_lines(&store).await, before);

    // Idempotency: the retry returns the first report and applies nothing twice.
    let body = format!("facility,product_id,quantity,price\n{f2},{p3},4,11.00\n");
    let h = [("idempotency-key", "abc-123")];
    let (c1, v1) = push(&base, &key, "?mode=delta", body.clone(), &h).await;
    let (c2, v2) = push(&base, &key, "?mode=delta", body.clone(), &h).await;
    assert_eq!((c1, c2), (200, 200));
    assert_eq!(v1["id"], v2["id"]);
    assert_eq!(v2["idempotent_replay"], true);

    // Delta removal, then a snapshot that replaces B1's lines.
    let (code, v) = push(
        &base,
        &key,
        "?mode=delta",
        format!("facility,product_id,action\n{f2},{p3},remove\n"),
        &[],
    )
    .await;
    assert_eq!(code, 200, "{v:#}");
    assert_eq!(v["lines_removed"], 1);
    let (code, v) = push(
        &base,
        &key,
        "",
        format!("facility,register_id,quantity\nB1,{reg2},5\n"),
        &[],
    )
    .await;
    assert_eq!(code, 200, "{v:#}");
    assert!(
        v["lines_removed"].as_u64().unwrap_or(0) >= 1,
        "the register line of B1 went"
    );
    let lines = fetch_lines(&store).await;
    assert!(lines.contains(&(f1, p_reg2)));
    assert!(!lines.contains(&(f1, p_reg)));
    assert!(lines.contains(&(f2, p_reg2)));

    // Every supported format goes through the same path.
    let (code, v) = push(
        &base,
        &key,
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
    let xml = "<Offers><Offer Code=\"CH-1\" Name=\"x\" Price=\"24.50\" Quantity=\"3.500\" PriceReserve=\"22.90\"/></Offers>";
    let (code, v) = push(
        &base,
        &key,
        &format!("?filename=Rest_B1_{ts}.xml"),
        xml,
        &[],
    )
    .await;
    assert_eq!(code, 200, "{v:#}");
    assert_eq!(v["format"], "tabletki_xml");
    assert_eq!(v["checked_at_source"]["file_name"], 1);

    // 413 over the cap.
    // Headers only, over a raw socket: the server answers before reading a body,
    // so a client still writing one would see a broken pipe instead of the status.
    assert_eq!(raw_413(&base, &key, TEST_MAX_BODY + 10).await, 413);
    // A chunked body (no Content-Length) that grows past the cap.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..8).map(|_| Ok(vec![b'a'; TEST_MAX_BODY / 4])).collect();
    let r = reqwest::Client::new()
        .post(format!("{base}/api/v1/feeds/stock"))
        .bearer_auth(&key)
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
    }

    // Freshness status is public.
    let me = publisher_status(&client, &base, "Аптека Добра").await;
    assert_eq!(me["facilities"], 2);
    assert!(me["last_push_at"].as_i64().is_some());
    assert_eq!(me["stale_facilities"], 0);
    // The status is cached (it counts every line) but a push shows at once.
    let lines_before = me["stock_lines"].as_i64().expect("lines");
    let (code, v) = push(
        &base,
        &key,
        "?mode=delta",
        format!("facility,product_id,action\n{f2},{p3},remove\n"),
        &[],
    )
    .await;
    assert_eq!(code, 200, "{v:#}");
    assert_eq!(v["lines_removed"], 1, "{v:#}");
    let me = publisher_status(&client, &base, "Аптека Добра").await;
    assert_eq!(me["stock_lines"], lines_before - 1, "{me:#}");

    // Revoked keys are refused.
    let n = store.revoke_key(&key[..16]).await.expect("revoke");
    assert_eq!(n, 1);
    let (code, _) = push(&base, &key, "", "facility,name\n", &[]).await;
    assert_eq!(code, 401);

    run.task.abort();
    db.drop_db().await;
}

/// Sends only the request head of a push with `Content-Length: len`; returns the status.
/// One publisher's row of the public `/api/v1/publishers/status`.
async fn publisher_status(client: &reqwest::Client, base: &str, publisher: &str) -> Value {
    let s: Value = client
        .get(format!("{base}/api/v1/publishers/status"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    s["publishers"]
        .as_array()
        .and_then(|a| a.iter().find(|p| p["publisher"] == publisher))
        .cloned()
        .expect("listed")
}

async fn raw_413(base: &str, key: &str, len: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
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

async fn fetch_lines(store: &Store) -> Vec<(i64, i64)> {
    let mut v: Vec<(i64, i64)> = store
        .load_stock()
        .await
        .expect("stock")
        .into_iter()
        .filter(|l| l.source.starts_with("feed:"))
        .map(|l| (l.facility_id, l.product_id))
        .collect();
    v.sort_unstable();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_sqlite() {
    scenario(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_postgres() {
    scenario(TestDb::postgres().await).await;
}

/// 429 with Retry-After once a key's burst is spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_per_key() {
    let db = TestDb::sqlite().await;
    let data = small_data_dir();
    let (run, base) = start(db.store.clone(), data.path().to_path_buf()).await;
    let fx = fixture(&run);
    let key = make_key(&db.store, "Busy", &[(fx.pharmacies[0].0, None)]).await;
    let mut limited = None;
    // Past the burst (100): a bad `mode` answers 400 after the limiter, so the
    // loop is cheap.
    let client = reqwest::Client::new();
    for _ in 0..1000 {
        let resp = client
            .post(format!("{base}/api/v1/feeds/stock?mode=bogus"))
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
    run.task.abort();
    db.drop_db().await;
}

/// Accepted rows show in /api/v1/availability within a second of the response.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_in_availability_within_a_second() {
    let db = TestDb::sqlite().await;
    let data = small_data_dir();
    let (run, base) = start(db.store.clone(), data.path().to_path_buf()).await;
    let fx = fixture(&run);
    let (fid, lat, lon) = fx.pharmacies[3];
    let key = make_key(&db.store, "Live", &[(fid, None)]).await;
    let client = reqwest::Client::new();
    let mut worst = Duration::ZERO;
    for (i, pid) in fx.products.iter().take(5).enumerate() {
        let price = 1_000 + i as i64 * 7;
        let (code, v) = push(
            &base,
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
            let r: Value = client
                .get(format!(
                    "{base}/api/v1/availability?medication_id=p{pid}&lat={lat}&lon={lon}&radius_km=1&limit=100"
                ))
                .send()
                .await
                .expect("availability")
                .json()
                .await
                .unwrap_or(Value::Null);
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
    run.task.abort();
    db.drop_db().await;
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
        child
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
    let key = make_key(&store, "Killed", &scope).await;
    // The previous state: one line per facility.
    let mut small = String::from("facility,product_id,quantity,price\n");
    for f in &snap_facilities {
        small.push_str(&format!("{f},{},1,10.00\n", products[0]));
    }
    let (code, v) = push(&base, &key, "", small, &[]).await;
    assert_eq!(code, 200, "{v:#}");
    let before = fetch_lines(&store).await;
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
            let _ = child.kill();
            let _ = child.wait();
            code
        } else {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            let _ = child.kill();
            let _ = child.wait();
            task.await.unwrap_or(0)
        };
        child = spawn();
        ready().await;
        let after = fetch_lines(&store).await;
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
    let _ = child.kill();
    let _ = child.wait();
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
    use sqlx::Connection;
    let name = format!("medmap_kill_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&common::pg_url())
        .await
        .expect("pg");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create db");
    let base = common::pg_url();
    let url = match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => panic!("pg url"),
    };
    kill_during_apply(&url).await;
    let _ = sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await;
}
