//! Limits on every public door, against a real server on a random port: slowloris
//! clients, load shedding, the per-client rate limit and its forwarded-for rule,
//! parameter and URI lengths, the security headers on every kind of answer, and CORS
//! for the public read API only.
//!
//! The limits sit in the HTTP layer, in front of either database: the tests that
//! need a server of their own run on SQLite only; the read-only ones run on both
//! through the shared app.

#[macro_use]
mod common;

use std::num::NonZeroU32;
use std::time::Duration;

use common::*;
use medmap::config::ClientRate;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

static APP: SharedApps =
    SharedApps::new(|backend| Box::pin(spawn_app_with(AppSettings::new(backend))));

/// Security headers every answer must carry, whoever produced it.
fn assert_secure(r: &reqwest::Response, what: &str) {
    let h = r.headers();
    let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let csp = get("content-security-policy");
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "{what}: csp {csp:?}"
    );
    assert!(!csp.contains("unsafe-inline"), "{what}: csp {csp:?}");
    assert!(
        csp.contains("default-src 'none'") || csp.contains("script-src 'self'"),
        "{what}: csp {csp:?}"
    );
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
}

shared_app_test! { APP;
    /// API answers, pages, static files, errors, 404s and 414s all carry the headers.
    async fn security_headers_are_on_every_answer(app) {
        let html = [("accept", "text/html")];
        for (path, headers, status) in [
            ("/api/v1/medications/search?q=ibuprofen", &[][..], 200),
            ("/api/v1/version", &[][..], 200),
            ("/api/v1/hsds/services", &[][..], 200),
            ("/", &html[..], 200),
            ("/services", &html[..], 200),
            ("/static/site.css", &[][..], 200),
            ("/static/app.js", &[][..], 200),
            ("/static/nothing.js", &[][..], 404),
            ("/api/v1/medications/search?q=", &[][..], 400),
            ("/api/v1/nothing", &[][..], 404),
            ("/no-such-page", &html[..], 404),
            ("/healthz", &[][..], 200),
            ("/metrics", &[][..], 200),
        ] {
            let r = app.get_with(path, headers).await;
            assert_eq!(r.status(), status, "{path}");
            assert_secure(&r, path);
        }
        let long = format!("/api/v1/version?x={}", "a".repeat(20_000));
        let r = app.get(&long).await;
        assert_eq!(r.status(), 414);
        assert_secure(&r, "414");
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["error"]["code"], "uri_too_long", "{body}");
        // Pages keep their own policy (it allows their scripts from this origin).
        let r = app.get_with("/", &html).await;
        let csp = r.headers()["content-security-policy"].to_str().unwrap_or("");
        assert!(csp.contains("script-src 'self'"), "{csp}");
    }
}

shared_app_test! { APP;
    /// A parameter past its bound is refused with a 400 that names it; the whole
    /// query string, too many parameters and an over-long name name `query string`.
    async fn over_long_parameters_are_refused_by_name(app) {
        let long = "a".repeat(medmap::http::params::MAX_VALUE_BYTES + 1);
        let cases = [
            (format!("/api/v1/medications/search?q={long}"), "q"),
            (format!("/api/v1/medications/suggest?q={long}"), "q"),
            (format!("/api/v1/availability?q=ibuprofen&near={long}"), "near"),
            (format!("/api/v1/facilities?lang={long}"), "lang"),
            (format!("/api/v1/hsds/services?search={long}"), "search"),
            (format!("/api/v1/places?q={long}"), "q"),
            (format!("/api/v1/facilities?{}=1", "k".repeat(100)), "query string"),
            (format!("/api/v1/facilities?{}", vec!["a=1"; 101].join("&")), "query string"),
            (
                format!("/api/v1/facilities?{}", "x=123456789&".repeat(800)),
                "query string",
            ),
        ];
        for (path, param) in cases {
            let (status, body) = app.get_json(&path).await;
            assert_eq!(status, 400, "{param}: {body}");
            assert_eq!(body["error"]["details"]["param"], param, "{body}");
        }
        // Pages parse with the same bounds and say so in the page.
        let r = app
            .get_with(&format!("/medications?q={long}"), &[("accept", "text/html")])
            .await;
        assert_eq!(r.status(), 400);
    }
}

shared_app_test! { APP;
    /// A browser on another site may read the public API (preflight answered), but
    /// gets no CORS permission for feed pushes, key administration or pages.
    async fn cors_is_for_the_public_read_api_only(app) {
        let preflight = |path: &str, method: &str| {
            app.client
                .request(reqwest::Method::OPTIONS, app.url(path))
                .header("origin", "https://elsewhere.example")
                .header("access-control-request-method", method)
                .send()
        };
        let r = preflight("/api/v1/medications/search?q=x", "GET").await.expect("preflight");
        assert!(r.status().is_success(), "{}", r.status());
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
        let methods = r.headers()["access-control-allow-methods"].to_str().unwrap_or("");
        assert!(methods.contains("GET") && !methods.contains("POST"), "{methods}");
        assert_secure(&r, "preflight");

        let r = app
            .get_with("/api/v1/hsds/services", &[("origin", "https://elsewhere.example")])
            .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["access-control-allow-origin"], "*");

        for (path, method) in [
            ("/api/v1/feeds/stock", "POST"),
            ("/api/v1/feeds/duty", "POST"),
            ("/api/v1/feeds/pulls", "POST"),
            ("/api/v1/shortlists", "POST"),
        ] {
            let r = preflight(path, method).await.expect("preflight");
            assert!(
                r.headers().get("access-control-allow-origin").is_none(),
                "{path}: {:?}",
                r.headers()
            );
        }
        let r = app
            .get_with("/", &[("origin", "https://elsewhere.example"), ("accept", "text/html")])
            .await;
        assert!(r.headers().get("access-control-allow-origin").is_none());
    }
}

/// 1,000 connections that send half a request or nothing at all do not stop a normal
/// client, and the server drops them once the header timeout passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_clients_do_not_stop_others() {
    let app = spawn_app_with(
        AppSettings::new(Backend::Sqlite).server(|s| s.header_timeout = Duration::from_secs(2)),
    )
    .await;
    let mut slow = Vec::new();
    for i in 0..1000 {
        let mut s = TcpStream::connect(app.addr()).await.expect("connect");
        if i % 2 == 0 {
            s.write_all(b"GET /api/v1/version HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .await
                .expect("partial headers");
        }
        slow.push(s);
    }
    let answered = tokio::time::timeout(Duration::from_secs(10), app.get("/api/v1/version")).await;
    let r = answered.expect("answered within 10 s while 1,000 slow connections are open");
    assert_eq!(r.status(), 200);

    // Every slow connection is closed by the server (an end of stream, or a 408
    // before it), well within a generous bound; none stays open for ever.
    let closed = async {
        for s in slow.iter_mut() {
            let mut buf = Vec::new();
            match s.read_to_end(&mut buf).await {
                Ok(_) => {
                    let text = String::from_utf8_lossy(&buf);
                    assert!(buf.is_empty() || text.starts_with("HTTP/1.1 408"), "{text}");
                }
                Err(e) => assert!(
                    matches!(e.kind(), std::io::ErrorKind::ConnectionReset),
                    "{e}"
                ),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), closed)
        .await
        .expect("the server closed every slow connection");
    let r = app.get("/api/v1/version").await;
    assert_eq!(r.status(), 200);
}

/// Past `max_in_flight`, requests are refused at once with 503 and Retry-After in
/// the API's error shape, not queued; health checks still answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_shed_with_503_and_retry_after() {
    let app =
        spawn_app_with(AppSettings::new(Backend::Sqlite).server(|s| s.max_in_flight = 1)).await;
    let mut shed = None;
    for round in 0..20 {
        let requests = (0..64).map(|i| {
            let url = app.url(&format!(
                "/api/v1/availability?q=ibuprofen&lat=50.45&lon=30.52&radius_km={}",
                1 + (round * 64 + i) % 150
            ));
            let client = app.client.clone();
            tokio::spawn(async move { client.get(url).send().await })
        });
        let answers = futures_util::future::join_all(requests).await;
        let health = app.get("/healthz").await;
        assert_eq!(health.status(), 200, "health checks are never shed");
        for a in answers {
            let r = a.expect("task").expect("answer");
            match r.status().as_u16() {
                200 => {}
                503 => {
                    let retry = r.headers().get("retry-after").cloned();
                    let body: serde_json::Value = r.json().await.expect("json");
                    shed = Some((retry, body));
                }
                other => panic!("unexpected {other}"),
            }
        }
        if shed.is_some() {
            break;
        }
    }
    let (retry, body) = shed.expect("64 parallel requests against a limit of 1 shed some");
    assert_eq!(retry.as_ref().and_then(|v| v.to_str().ok()), Some("1"));
    assert_eq!(body["error"]["code"], "overloaded", "{body}");
}

fn rate(per_minute: u32, burst: u32) -> Option<ClientRate> {
    Some(ClientRate {
        per_minute: NonZeroU32::new(per_minute).expect("rate"),
        burst: NonZeroU32::new(burst).expect("burst"),
    })
}

/// A client past its burst gets 429 with Retry-After on the public read API, while
/// pages and health checks are not counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_past_their_rate_get_429() {
    let app =
        spawn_app_with(AppSettings::new(Backend::Sqlite).server(|s| s.client_rate = rate(1, 5)))
            .await;
    for _ in 0..5 {
        assert_eq!(app.get("/api/v1/version").await.status(), 200);
    }
    let r = app.get("/api/v1/medications/search?q=ibuprofen").await;
    assert_eq!(r.status(), 429);
    assert_secure(&r, "429");
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_many_requests", "{body}");
    // X-Forwarded-For from an untrusted peer changes nothing.
    let r = app
        .get_with("/api/v1/version", &[("x-forwarded-for", "198.51.100.7")])
        .await;
    assert_eq!(r.status(), 429);
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert_eq!(
        app.get_with("/", &[("accept", "text/html")]).await.status(),
        200
    );
}

/// Behind a trusted proxy each forwarded client has its own bucket, and the proxy's
/// own requests are not limited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_honoured_from_a_trusted_proxy() {
    let app = spawn_app_with(AppSettings::new(Backend::Sqlite).server(|s| {
        s.client_rate = rate(1, 2);
        s.trusted_proxies = vec!["127.0.0.0/8".parse().expect("cidr")];
    }))
    .await;
    let app = &app;
    let as_client = |ip: &'static str| async move {
        app.get_with("/api/v1/version", &[("x-forwarded-for", ip)])
            .await
            .status()
    };
    assert_eq!(as_client("198.51.100.1").await, 200);
    assert_eq!(as_client("198.51.100.1").await, 200);
    assert_eq!(as_client("198.51.100.1").await, 429);
    // A forged left-most entry does not help: the proxy appended the real address.
    assert_eq!(as_client("203.0.113.5, 198.51.100.1").await, 429);
    assert_eq!(as_client("198.51.100.2").await, 200);
    for _ in 0..10 {
        assert_eq!(
            app.get("/api/v1/version").await.status(),
            200,
            "the proxy itself"
        );
    }
}
