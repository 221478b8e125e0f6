//! A real Meilisearch for the mirror's tests, started on a free port in a temp
//! dir and stopped when dropped. The binary is `$MEILI_BIN`, `meilisearch` on
//! the PATH, or the one built for these machines beside the project
//! (`../shared/tools/bin/meilisearch`); without one, the tests say plainly
//! that they were skipped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MASTER_KEY: &str = "medmap-test-master-key-0123456789";

pub struct Meili {
    child: Child,
    _dir: tempfile::TempDir,
    pub url: String,
}

impl Drop for Meili {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MEILI_BIN").map(PathBuf::from) {
        return p.is_file().then_some(p);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("meilisearch"))
            .find(|p| p.is_file())
    });
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    on_path.or_else(|| {
        [
            manifest.join("../shared/tools/bin/meilisearch"),
            PathBuf::from("/work/shared/tools/bin/meilisearch"),
        ]
        .into_iter()
        .find(|p| p.is_file())
    })
}

/// A running Meilisearch, or `None` (with a message saying the test is skipped).
pub fn start(test: &str) -> Option<Meili> {
    let Some(bin) = binary() else {
        eprintln!(
            "SKIPPED {test}: no Meilisearch binary (set MEILI_BIN, put meilisearch on the PATH, \
             or build ../shared/tools/bin/meilisearch)"
        );
        return None;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(&bin)
        .args(["--http-addr", &format!("127.0.0.1:{port}")])
        .args(["--master-key", MASTER_KEY])
        .arg("--no-analytics")
        .args(["--env", "development"])
        .arg("--db-path")
        .arg(dir.path().join("data.ms"))
        .arg("--dump-dir")
        .arg(dir.path().join("dumps"))
        .arg("--snapshot-dir")
        .arg(dir.path().join("snapshots"))
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start meilisearch");
    let m = Meili {
        child,
        _dir: dir,
        url: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(m);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("Meilisearch did not listen on {} within 60 s", m.url);
}

impl Meili {
    /// Every document of `index` (all fields), by a plain HTTP read.
    pub async fn documents(&self, index: &str) -> Vec<serde_json::Value> {
        let body: serde_json::Value = reqwest::Client::new()
            .get(format!(
                "{}/indexes/{index}/documents?limit=100000",
                self.url
            ))
            .bearer_auth(MASTER_KEY)
            .send()
            .await
            .expect("documents")
            .json()
            .await
            .expect("json");
        body["results"].as_array().cloned().unwrap_or_default()
    }

    /// The hits of a search in `index`.
    pub async fn search(&self, index: &str, body: serde_json::Value) -> Vec<serde_json::Value> {
        let r: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/indexes/{index}/search", self.url))
            .bearer_auth(MASTER_KEY)
            .json(&body)
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("json");
        r["hits"].as_array().cloned().unwrap_or_default()
    }
}
