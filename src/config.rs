//! Configuration in one place: the `serve` flags (each also read from an environment
//! variable, so the same binary runs from a terminal, a systemd unit or a container
//! without wrapper scripts), their defaults, and the [`Settings`] the server runs
//! with. Flags become settings through one `From`, so a setting cannot be added to
//! the command line and forgotten on the way in, and tests build `Settings` directly.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Every default, once: the flags, `Settings::default()` and README's table read these.
pub mod defaults {
    use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
    use std::num::NonZeroU32;

    /// Where `serve` listens.
    pub const ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));
    /// The bundled data folder imported into an empty database.
    pub const DATA_DIR: &str = "data";
    /// A PostgreSQL replica's warm-start file goes here: the working directory, as
    /// for the default SQLite file (`/var/lib/medmap` under the systemd unit).
    pub const STATE_DIR: &str = ".";
    /// Minutes between moves of the warm-start file up to the log's head.
    pub const WARM_EVERY_MINS: u64 = 5;
    /// Stock lines checked within this many hours are "fresh".
    pub const FRESH_HOURS: i64 = 24;
    /// Stock lines older than this are hidden ("call to confirm" in between).
    pub const CUTOFF_HOURS: i64 = 72;
    /// Largest request body (a feed push): 50 MiB.
    pub const MAX_BODY_BYTES: usize = 50 * 1024 * 1024;
    /// Memory for memoised search/suggest answers, MiB.
    pub const SEARCH_CACHE_MB: u64 = 32;
    /// Memoised free-text → medication resolutions (availability's `q`).
    pub const LOOKUP_CACHE_ENTRIES: usize = 20_000;
    /// Feed pushes a minute per key: Tabletki chains send one file per branch.
    pub const FEED_RATE_PER_MIN: NonZeroU32 = NonZeroU32::new(600).unwrap();
    /// Feed pushes a key may send at once before the rate applies.
    pub const FEED_BURST: NonZeroU32 = NonZeroU32::new(100).unwrap();
    /// Time zone of feed timestamps written without one (`dd.mm.yyyy hh:mm:ss`), when
    /// the publisher has none of its own: the chains' exports are Ukrainian.
    pub const FEED_TIMEZONE: chrono_tz::Tz = chrono_tz::Europe::Kyiv;
    /// Rows a feed push is parsed, validated and written in at a time: large enough
    /// that per-chunk statements and look-ups are noise, small enough that a chunk is
    /// a few MB.
    pub const FEED_CHUNK_ROWS: usize = 50_000;
    /// Whole exchange of one pull-feed fetch (connect, headers, body), seconds.
    pub const PULL_TIMEOUT_SECS: u64 = 60;
    /// How often `serve` looks for due pull feeds.
    pub const PULL_POLL: std::time::Duration = std::time::Duration::from_secs(5);
    /// Change-log entries are kept this long (PostgreSQL replicas): a replica away
    /// for longer reloads whole when it comes back.
    pub const CHANGE_LOG_RETENTION_HOURS: i64 = 24;
    /// Seconds a client has to send a request's headers once it started (or, on a kept
    /// alive connection, once the previous answer went): what ends slowloris clients.
    pub const HEADER_TIMEOUT_SECS: u64 = 10;
    /// Seconds a request body may stall between two chunks before the request fails.
    pub const BODY_TIMEOUT_SECS: u64 = 30;
    /// Open connections at most; past it new ones wait in the kernel's backlog.
    pub const MAX_CONNECTIONS: usize = 4096;
    /// Requests being answered at once; past it requests are shed with 503.
    pub const MAX_IN_FLIGHT: usize = 512;
    /// Public read API requests a minute per client address (0: no limit).
    pub const CLIENT_RATE_PER_MIN: u32 = 1200;
    /// Public read API requests a client may send at once before the rate applies.
    pub const CLIENT_BURST: NonZeroU32 = NonZeroU32::new(200).unwrap();
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// `medmap serve` flags, as typed; [`Settings`] is what the server runs with.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MEDMAP_ADDR", default_value_t = defaults::ADDR)]
    pub addr: SocketAddr,
    /// Folder of bundled data imported into an empty database.
    #[arg(long, env = "MEDMAP_DATA_DIR", default_value = defaults::DATA_DIR)]
    pub data_dir: PathBuf,
    /// Stock lines checked within this many hours are "fresh".
    #[arg(long, env = "MEDMAP_FRESH_HOURS", default_value_t = defaults::FRESH_HOURS)]
    pub fresh_hours: i64,
    /// Stock lines older than this many hours are hidden ("call to confirm" in between).
    #[arg(
        long,
        alias = "cutoff-hours",
        env = "MEDMAP_STALE_CUTOFF_HOURS",
        default_value_t = defaults::CUTOFF_HOURS
    )]
    pub stale_cutoff_hours: i64,
    /// Largest accepted request body in bytes (feeds).
    #[arg(long, env = "MEDMAP_MAX_BODY_BYTES", default_value_t = defaults::MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Memory for memoised medication search/suggest answers, in MiB (0: off).
    #[arg(long, env = "MEDMAP_SEARCH_CACHE_MB", default_value_t = defaults::SEARCH_CACHE_MB)]
    pub search_cache_mb: u64,
    /// Free-text medication names remembered with the medication they resolved to
    /// (availability's `q`), per catalog generation (0: off).
    #[arg(long, env = "MEDMAP_LOOKUP_CACHE_ENTRIES", default_value_t = defaults::LOOKUP_CACHE_ENTRIES)]
    pub lookup_cache_entries: usize,
    /// Feed pushes a minute per key (429 with Retry-After past it).
    #[arg(long, env = "MEDMAP_FEED_RATE_PER_MIN", default_value_t = defaults::FEED_RATE_PER_MIN)]
    pub feed_rate_per_min: NonZeroU32,
    /// Feed pushes a key may send in a burst before the per-minute rate applies.
    #[arg(long, env = "MEDMAP_FEED_BURST", default_value_t = defaults::FEED_BURST)]
    pub feed_burst: NonZeroU32,
    /// Time zone of feed timestamps without one, for publishers without a zone of their own.
    #[arg(long, env = "MEDMAP_FEED_TIMEZONE", default_value_t = defaults::FEED_TIMEZONE)]
    pub feed_timezone: chrono_tz::Tz,
    /// Map tile URL template for the pages' map, e.g. `https://tile.example.org/{z}/{x}/{y}.png`.
    /// Unset: the map shows markers without tiles and the pages contact no other host.
    #[arg(long, env = "MEDMAP_TILE_URL")]
    pub tile_url: Option<String>,
    /// Let pull feeds fetch private, loopback and link-local addresses and plain http
    /// (local networks, tests). Off: only https to public addresses.
    #[arg(long, env = "MEDMAP_ALLOW_PRIVATE_URLS")]
    pub allow_private_urls: bool,
    /// Timeout of one pull-feed fetch, seconds (the file's size cap is --max-body-bytes).
    #[arg(long, env = "MEDMAP_PULL_TIMEOUT_SECS", default_value_t = defaults::PULL_TIMEOUT_SECS)]
    pub pull_timeout_secs: u64,
    /// PostgreSQL replicas: hours the change log keeps entries. A replica that was
    /// away longer reloads its snapshot whole; one away less catches up from the log.
    #[arg(long, env = "MEDMAP_CHANGE_LOG_RETENTION_HOURS", default_value_t = defaults::CHANGE_LOG_RETENTION_HOURS)]
    pub change_log_retention_hours: i64,
    /// PostgreSQL replicas: the directory of this replica's warm-start file (the
    /// rows of its snapshot and the change-log position they stand at), so a
    /// restart reads only the changes it missed instead of every table. Empty:
    /// none, every start reads every table.
    #[arg(long, env = "MEDMAP_STATE_DIR", default_value = defaults::STATE_DIR)]
    pub state_dir: PathBuf,
    /// PostgreSQL replicas: minutes between moves of the warm-start file up to the
    /// log's head (and at every graceful stop): what a crashed replica has at most
    /// to catch up from the database at its next start.
    #[arg(long, env = "MEDMAP_WARM_EVERY_MINS", default_value_t = defaults::WARM_EVERY_MINS)]
    pub warm_every_mins: u64,
    /// Seconds a client has to send a request's headers (slowloris defence).
    #[arg(long, env = "MEDMAP_HEADER_TIMEOUT_SECS", default_value_t = defaults::HEADER_TIMEOUT_SECS)]
    pub header_timeout_secs: u64,
    /// Seconds a request body may stall between two chunks.
    #[arg(long, env = "MEDMAP_BODY_TIMEOUT_SECS", default_value_t = defaults::BODY_TIMEOUT_SECS)]
    pub body_timeout_secs: u64,
    /// Open connections at most (further ones wait in the listen backlog).
    #[arg(long, env = "MEDMAP_MAX_CONNECTIONS", default_value_t = defaults::MAX_CONNECTIONS)]
    pub max_connections: usize,
    /// Requests answered at once; more are refused at once with 503 and Retry-After.
    /// `/healthz`, `/readyz` and `/metrics` are not counted.
    #[arg(long, env = "MEDMAP_MAX_IN_FLIGHT", default_value_t = defaults::MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
    /// Public read API requests a minute per client address (429 with Retry-After
    /// past it; 0 turns the limit off).
    #[arg(long, env = "MEDMAP_CLIENT_RATE_PER_MIN", default_value_t = defaults::CLIENT_RATE_PER_MIN)]
    pub client_rate_per_min: u32,
    /// Public read API requests a client may send in a burst.
    #[arg(long, env = "MEDMAP_CLIENT_BURST", default_value_t = defaults::CLIENT_BURST)]
    pub client_burst: NonZeroU32,
    /// Reverse proxies (addresses or CIDR ranges, comma-separated) whose
    /// `X-Forwarded-For` names the client; from anyone else the header is ignored.
    #[arg(long = "trusted-proxy", env = "MEDMAP_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// A trusted proxy: an address (`10.0.0.5`, `::1`) or a range (`10.0.0.0/8`).
pub fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    let s = s.trim();
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{s:?} is neither an IP address nor a CIDR range"))
}

/// The per-client limit of the public read API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientRate {
    pub per_minute: NonZeroU32,
    pub burst: NonZeroU32,
}

/// What the server runs with: built from [`ServeArgs`] by `From`, or directly by
/// tests (`Settings { max_body_bytes: 4 << 20, ..Settings::default() }`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen (port 0: any free port, as tests do).
    pub addr: SocketAddr,
    /// Bundled data imported into an empty database before the first snapshot;
    /// `None` serves whatever the database holds.
    pub data_dir: Option<PathBuf>,
    pub fresh_secs: i64,
    pub cutoff_secs: i64,
    pub max_body_bytes: usize,
    /// Rows a feed push is parsed, validated and written in at a time: what bounds a
    /// push's memory (tests lower it to cross chunk borders with small bodies).
    pub feed_chunk_rows: usize,
    /// Byte budget of the search/suggest answer memo (0 turns it off).
    pub search_cache_bytes: u64,
    /// Entries of the free-text → medication memo (0 turns it off).
    pub lookup_cache_entries: usize,
    pub feed_rate_per_min: NonZeroU32,
    pub feed_burst: NonZeroU32,
    /// Zone of feed timestamps without one, unless the publisher has its own.
    pub feed_timezone: chrono_tz::Tz,
    /// Map tile URL template (`https://…/{z}/{x}/{y}.png`); `None` draws markers on a
    /// blank map, so no page ever asks a third party for anything by default.
    pub tile_url: Option<String>,
    /// Pull feeds: private addresses and plain http allowed (`--allow-private-urls`).
    pub allow_private_urls: bool,
    /// Pull feeds: timeout of one fetch.
    pub pull_timeout: std::time::Duration,
    /// Pull feeds: largest file read (the push cap, `--max-body-bytes`, by default).
    pub pull_max_bytes: u64,
    /// Pull feeds: shortest interval accepted (a minute; tests lower it).
    pub pull_min_every_secs: i64,
    /// Pull feeds: how often the scheduler looks for due pulls.
    pub pull_poll: std::time::Duration,
    /// PostgreSQL replicas: how the change-log follower paces itself and how long
    /// the log keeps entries.
    pub follow: crate::replica::FollowSettings,
    /// Time a client has to send a request's headers (slowloris defence).
    pub header_timeout: std::time::Duration,
    /// Longest stall between two chunks of a request body.
    pub body_timeout: std::time::Duration,
    /// Open connections at most.
    pub max_connections: usize,
    /// Requests answered at once before shedding with 503.
    pub max_in_flight: usize,
    /// Per-client limit of the public read API (`None`: off).
    pub client_rate: Option<ClientRate>,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            addr: defaults::ADDR,
            data_dir: None,
            fresh_secs: defaults::FRESH_HOURS * 3600,
            cutoff_secs: defaults::CUTOFF_HOURS * 3600,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            feed_chunk_rows: defaults::FEED_CHUNK_ROWS,
            search_cache_bytes: defaults::SEARCH_CACHE_MB * 1024 * 1024,
            lookup_cache_entries: defaults::LOOKUP_CACHE_ENTRIES,
            feed_rate_per_min: defaults::FEED_RATE_PER_MIN,
            feed_burst: defaults::FEED_BURST,
            feed_timezone: defaults::FEED_TIMEZONE,
            tile_url: None,
            allow_private_urls: false,
            pull_timeout: std::time::Duration::from_secs(defaults::PULL_TIMEOUT_SECS),
            pull_max_bytes: defaults::MAX_BODY_BYTES as u64,
            pull_min_every_secs: crate::feeds::pull::MIN_EVERY_SECS,
            pull_poll: defaults::PULL_POLL,
            follow: crate::replica::FollowSettings::default(),
            header_timeout: std::time::Duration::from_secs(defaults::HEADER_TIMEOUT_SECS),
            body_timeout: std::time::Duration::from_secs(defaults::BODY_TIMEOUT_SECS),
            max_connections: defaults::MAX_CONNECTIONS,
            max_in_flight: defaults::MAX_IN_FLIGHT,
            client_rate: NonZeroU32::new(defaults::CLIENT_RATE_PER_MIN).map(|per_minute| {
                ClientRate {
                    per_minute,
                    burst: defaults::CLIENT_BURST,
                }
            }),
            trusted_proxies: Vec::new(),
        }
    }
}

impl Settings {
    /// How `serve` runs pull feeds.
    pub fn pull_settings(&self) -> crate::feeds::pull::PullSettings {
        crate::feeds::pull::PullSettings {
            policy: crate::feeds::pull::fetch::UrlPolicy {
                allow_private: self.allow_private_urls,
            },
            timeout: self.pull_timeout,
            max_bytes: self.pull_max_bytes,
            min_every_secs: self.pull_min_every_secs,
            poll: self.pull_poll,
            tz: self.feed_timezone,
            chunk_rows: self.feed_chunk_rows,
        }
    }

    /// The freshness rules availability applies.
    pub fn stock_ages(&self) -> crate::availability::StockAges {
        crate::availability::StockAges {
            fresh_secs: self.fresh_secs,
            cutoff_secs: self.cutoff_secs,
        }
    }
}

impl From<ServeArgs> for Settings {
    fn from(a: ServeArgs) -> Self {
        Settings {
            addr: a.addr,
            data_dir: Some(a.data_dir),
            fresh_secs: a.fresh_hours.saturating_mul(3600),
            cutoff_secs: a.stale_cutoff_hours.saturating_mul(3600),
            max_body_bytes: a.max_body_bytes,
            feed_chunk_rows: defaults::FEED_CHUNK_ROWS,
            search_cache_bytes: a.search_cache_mb.saturating_mul(1024 * 1024),
            lookup_cache_entries: a.lookup_cache_entries,
            feed_rate_per_min: a.feed_rate_per_min,
            feed_burst: a.feed_burst,
            feed_timezone: a.feed_timezone,
            tile_url: a.tile_url.filter(|u| !u.trim().is_empty()),
            allow_private_urls: a.allow_private_urls,
            pull_timeout: std::time::Duration::from_secs(a.pull_timeout_secs.max(1)),
            pull_max_bytes: a.max_body_bytes as u64,
            pull_min_every_secs: crate::feeds::pull::MIN_EVERY_SECS,
            pull_poll: defaults::PULL_POLL,
            follow: crate::replica::FollowSettings {
                retention_secs: a.change_log_retention_hours.max(1).saturating_mul(3600),
                state_dir: (!a.state_dir.as_os_str().is_empty()).then_some(a.state_dir),
                warm_every: std::time::Duration::from_secs(a.warm_every_mins.max(1) * 60),
                ..crate::replica::FollowSettings::default()
            },
            header_timeout: std::time::Duration::from_secs(a.header_timeout_secs.max(1)),
            body_timeout: std::time::Duration::from_secs(a.body_timeout_secs.max(1)),
            max_connections: a.max_connections.max(1),
            max_in_flight: a.max_in_flight.max(1),
            client_rate: NonZeroU32::new(a.client_rate_per_min).map(|per_minute| ClientRate {
                per_minute,
                burst: a.client_burst,
            }),
            trusted_proxies: a.trusted_proxies,
        }
    }
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
