//! Headless Chromium driven over WebDriver (chromedriver on a free port, started per
//! test), with a trap for third-party requests.
//!
//! The trap: Chromium runs with `--proxy-server` pointing at a recorder on loopback.
//! Chromium sends loopback requests (our server) directly and every other request
//! through the proxy, so anything in the recorder's log is a request that would have
//! left the machine. The recorder answers 403 and forwards nothing.
//! `the_trap_sees_a_third_party_request` proves the trap catches one.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{json, Value};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Records the first line of every request sent to it and refuses them all.
pub struct Trap {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl Trap {
    pub fn start() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind trap");
        let port = listener.local_addr().expect("trap addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || refuse(stream, &log));
            }
        });
        Trap { port, seen }
    }

    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// The trapped requests a page could have caused: all but Chromium's own
    /// housekeeping, which no flag fully silences (clock sync, component updates,
    /// sign-in, autofill, the default search engine's preconnect). The list names
    /// exact hosts, so a page loading anything from another Google or DuckDuckGo
    /// host (fonts.googleapis.com, say) is still caught.
    pub fn page_requests(&self) -> Vec<String> {
        const CHROMIUM_OWN: [&str; 7] = [
            "clients2.google.com",
            "update.googleapis.com",
            "accounts.google.com",
            "content-autofill.googleapis.com",
            "start.duckduckgo.com",
            "optimizationguide-pa.googleapis.com",
            "safebrowsingohttpgateway.googleapis.com",
        ];
        self.requests()
            .into_iter()
            .filter(|line| {
                let target = line.split_whitespace().nth(1).unwrap_or("");
                let host = target
                    .split_once("://")
                    .map_or(target, |(_, rest)| rest)
                    .split(['/', ':'])
                    .next()
                    .unwrap_or("");
                !CHROMIUM_OWN.contains(&host)
            })
            .collect()
    }
}

fn refuse(mut stream: TcpStream, log: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut line = String::new();
    if let Ok(clone) = stream.try_clone() {
        let _ = BufReader::new(clone).read_line(&mut line);
    }
    if let Ok(mut v) = log.lock() {
        v.push(line.trim().to_string());
    }
    let _ = stream
        .write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A browser session: chromedriver, a fresh profile, the trap.
pub struct Browser {
    pub client: Client,
    pub trap: Trap,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose preferred language is `lang`.
    pub async fn start(lang: &str) -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "browser tests need Debian's chromium and chromium-driver (.ci/run installs them)"
        );
        let trap = Trap::start();
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-default-apps".into(),
            "--disable-extensions".into(),
            "--disable-domain-reliability".into(),
            "--disable-client-side-phishing-detection".into(),
            "--no-pings".into(),
            "--disable-features=NetworkTimeServiceQuerying,AutofillServerCommunication,OptimizationHints,MediaRouter".into(),
            "--window-size=1280,900".into(),
            format!("--lang={lang}"),
            format!("--user-data-dir={}", profile.path().display()),
            // Everything that is not loopback goes to the trap.
            format!("--proxy-server=http://127.0.0.1:{}", trap.port),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args, "prefs": {
                "intl.accept_languages": lang,
                "net.network_prediction_options": 2,
                "signin.allowed": false,
            } }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            // Plain HTTP to chromedriver on loopback: no TLS stack needed.
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(c) => break c,
                Err(e) => {
                    assert!(Instant::now() < deadline, "chromedriver did not start: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        Browser {
            client,
            trap,
            driver,
            _profile: profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("goto");
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect("script")
    }

    /// Polls a JS expression until it is truthy.
    pub async fn until(&self, what: &str, expr: &str) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let v = self.js(&format!("return !!({expr});")).await;
            if v == Value::Bool(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} ({expr})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// Every URL the current page loaded (itself and its resources).
    pub async fn loaded_urls(&self) -> Vec<String> {
        let v = self
            .js("return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name));")
            .await;
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|u| u.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts that nothing left the machine: the trap saw no request, and every URL
    /// the page loaded is on loopback.
    pub async fn assert_local_only(&self) {
        let trapped = self.trap.page_requests();
        assert!(trapped.is_empty(), "requests to other hosts: {trapped:?}");
        for u in self.loaded_urls().await {
            let host = u
                .split_once("://")
                .map(|(_, rest)| rest.split(['/', ':', '?', '#']).next().unwrap_or(""))
                .unwrap_or("");
            assert!(
                host == "127.0.0.1" || host == "localhost" || u.starts_with("data:"),
                "the page loaded {u}"
            );
        }
    }

    /// Saves a screenshot as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Runs axe-core on the current page; returns the serious and critical violations.
    pub async fn axe(&self) -> Vec<Value> {
        let src = std::fs::read_to_string(axe_path()).unwrap_or_else(|e| {
            panic!(
                "axe-core not found at {} ({e}); run `npm ci --prefix tests/browser` (.ci/run does)",
                axe_path().display()
            )
        });
        self.js(&format!("{src}\nreturn true;")).await;
        let v = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact,
                      help: v.help, targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))))
                   .catch(e => done([{ id: 'axe-failed', impact: 'critical', help: String(e) }]));",
                vec![],
            )
            .await
            .expect("axe.run");
        v.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|x| matches!(x["impact"].as_str(), Some("serious" | "critical")))
            .collect()
    }

    pub async fn quit(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// axe-core's browser build, installed from npm into `tests/browser/node_modules`.
pub fn axe_path() -> PathBuf {
    std::env::var_os("AXE_CORE_JS").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/browser/node_modules/axe-core/axe.min.js")
        },
        PathBuf::from,
    )
}
