//! `medmap` as a separate process, for tests of what an operator runs from a shell:
//! a `medmap serve` child on a free port, the CLI's other commands, and a whole
//! PostgreSQL database for a child that connects by URL.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_medmap")
}

/// A free TCP port on 127.0.0.1 (bound once, released for the child to take).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    l.local_addr().expect("addr").port()
}

/// `medmap --db URL ARGS…`, waited for; panics if it cannot be started.
pub fn medmap(db_url: &str, args: &[&str]) -> Output {
    Command::new(bin())
        .arg("--db")
        .arg(db_url)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("medmap runs")
}

/// A `medmap serve` child over `db_url`, killed and reaped when dropped (a failing
/// test leaves none behind).
pub struct ServeChild {
    child: std::process::Child,
    pub base: String,
}

impl ServeChild {
    /// Starts `medmap serve` importing `data_dir` into an empty database, and
    /// waits until `/readyz` answers 200.
    pub async fn start(db_url: &str, data_dir: &Path) -> ServeChild {
        let port = free_port();
        let child = Command::new(bin())
            .args([
                "--db",
                db_url,
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .arg("--data-dir")
            .arg(data_dir)
            .env("RUST_LOG", "warn")
            // A PostgreSQL replica's warm-start file, out of the working tree.
            .env(
                "MEDMAP_STATE_DIR",
                std::env::temp_dir().join("medmap-test-state"),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("medmap serve");
        let s = ServeChild {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        s.wait_ready().await;
        s
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a power cut or the OOM killer ends it (no shutdown hook runs),
    /// and waits for the exit; the value stays usable for [`ServeChild::base`].
    pub fn kill(&mut self) {
        // std's `Child::kill` is SIGKILL on Unix.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn wait_ready(&self) {
        let c = reqwest::Client::new();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(300) {
            if let Ok(r) = c.get(format!("{}/readyz", self.base)).send().await {
                if r.status() == 200 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("medmap serve not ready within 300 s");
    }

    /// SIGTERM, as systemd stops it, and waits for the exit (SIGKILL after 30 s).
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(30) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Not gone after 30 s (a loaded machine): killed and waited for, so a
        // caller never goes on while the server still holds the store.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A whole PostgreSQL database for a child process (it connects by URL, so it gets a
/// database rather than a schema); dropped, connections and all, with this value.
pub struct TempPgDatabase {
    name: String,
    pub url: String,
}

impl TempPgDatabase {
    pub async fn create(prefix: &str) -> TempPgDatabase {
        use sqlx::Connection;
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&super::pg_url())
            .await
            .expect("pg");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create db");
        conn.close().await.ok();
        let base = super::pg_url();
        let url = match base.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{name}"),
            None => panic!("pg url"),
        };
        TempPgDatabase { name, url }
    }
}

impl Drop for TempPgDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        super::block_on_own_thread(async move {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&super::pg_url()).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        });
    }
}
