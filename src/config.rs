//! Configuration: every flag also reads an environment variable, so the same binary
//! runs from a terminal, a systemd unit or a container without wrapper scripts.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MEDMAP_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Folder of bundled data imported into an empty database.
    #[arg(long, env = "MEDMAP_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Stock lines checked within this many hours are "fresh".
    #[arg(long, env = "MEDMAP_FRESH_HOURS", default_value_t = 24)]
    pub fresh_hours: i64,
    /// Stock lines older than this many hours are hidden ("call to confirm" in between).
    #[arg(long, env = "MEDMAP_STALE_CUTOFF_HOURS", default_value_t = 72)]
    pub cutoff_hours: i64,
    /// Largest accepted request body in bytes (feeds).
    #[arg(long, env = "MEDMAP_MAX_BODY_BYTES", default_value_t = 50 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Memory for memoised medication search/suggest answers, in MiB (0: off).
    #[arg(long, env = "MEDMAP_SEARCH_CACHE_MB", default_value_t = 32)]
    pub search_cache_mb: u64,
    /// Map tile URL template for the pages' map, e.g. `https://tile.example.org/{z}/{x}/{y}.png`.
    /// Unset: the map shows markers without tiles and the pages contact no other host.
    #[arg(long, env = "MEDMAP_TILE_URL")]
    pub tile_url: Option<String>,
}

/// Logs go to stderr; never with query text and client address together (health
/// data): the trace layer logs method, path template, status and latency only.
pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
