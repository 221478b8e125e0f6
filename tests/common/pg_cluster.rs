//! A throwaway PostgreSQL cluster a test runs itself (initdb + pg_ctl under a temp
//! dir, on a free port), so it can stop and start the database under a running
//! server: outage tests never touch the shared PostgreSQL. The binaries are found
//! as `scripts/with-postgres` finds them (Debian's `/usr/lib/postgresql/*/bin`,
//! else `PATH`); when there are none, [`PgCluster::start`] says so and returns
//! `None`, and the test reports itself skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    /// Run as the `postgres` user (initdb refuses to run as root).
    as_postgres: bool,
}

fn bindir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(d) = dirs.pop() {
        return Some(d);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find(|d| d.join("initdb").exists() && d.join("pg_ctl").exists())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl PgCluster {
    /// A new cluster, started; `None` (with a line on stderr) when PostgreSQL's
    /// server binaries are not installed.
    pub fn start() -> Option<PgCluster> {
        let Some(bin) = bindir() else {
            eprintln!("SKIPPED: no initdb/pg_ctl found (/usr/lib/postgresql/*/bin or PATH)");
            return None;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            assert!(ok, "chown of the cluster dir to postgres");
        }
        let port = super::child::free_port();
        let c = PgCluster {
            dir,
            bin,
            port,
            as_postgres,
        };
        let data = c.data();
        c.run(
            "initdb",
            &[
                "-D",
                data.to_str().expect("utf-8"),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        c.start_again();
        Some(c)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let out = cmd.args(args).output().expect("postgres tool runs");
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the (stopped) server on the same port and waits until it accepts.
    pub fn start_again(&self) {
        let data = self.data();
        let log = self.dir.path().join("server.log");
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8"),
                "-l",
                log.to_str().expect("utf-8"),
                "-w",
                "-t",
                "60",
                "start",
                "-o",
                &opts,
            ],
        );
    }

    /// Stops the server (fast shutdown: clients are disconnected) and waits.
    pub fn stop(&self) {
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8"),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data();
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let _ = cmd
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}
