//! `medmap stats`: what the store holds and, when a server answers at `--url`,
//! what the live process holds (see the module above for why it asks `/metrics`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{megabytes, thousands, when};
use crate::config::defaults;
use crate::store::{AdminCounts, Store, StoreCounts};

#[derive(Debug, Clone, clap::Args)]
pub struct StatsArgs {
    /// The running server asked for the live figures (snapshot, memory, build).
    #[arg(long, env = "MEDMAP_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Only what the store holds; ask no server.
    #[arg(long)]
    pub no_server: bool,
    /// Freshness window of the stale-publisher count (the server's `--fresh-hours`).
    #[arg(long, env = "MEDMAP_FRESH_HOURS", default_value_t = defaults::FRESH_HOURS)]
    pub fresh_hours: i64,
    /// Newest pushes listed.
    #[arg(long, default_value_t = 5)]
    pub last: i64,
    /// One JSON document instead of the text.
    #[arg(long)]
    pub json: bool,
}

/// Everything `medmap stats` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    pub backend: &'static str,
    pub schema_version: i64,
    pub counts: StoreCounts,
    #[serde(flatten)]
    pub admin: AdminCounts,
    pub publishers: usize,
    pub publishers_stale: usize,
    pub fresh_hours: i64,
    pub bundled_import_at: Option<String>,
    /// `None` with `--no-server`.
    pub server: Option<Server>,
}

/// The live process at `url`, or why it did not answer.
#[derive(Debug, Clone, Serialize)]
pub struct Server {
    pub url: String,
    pub error: Option<String>,
    pub version: Option<String>,
    pub commit: Option<String>,
    pub schema_version: Option<i64>,
    pub snapshot_built_at: Option<String>,
    pub snapshot_age_seconds: Option<f64>,
    pub snapshot_facilities: Option<f64>,
    pub snapshot_stock_lines: Option<f64>,
    pub resident_memory_bytes: Option<f64>,
    pub started_at: Option<f64>,
    pub publishers_stale: Option<f64>,
}

pub async fn run(db: &str, args: StatsArgs) -> anyhow::Result<()> {
    let store = Store::connect(db).await?;
    let stats = collect(&store, &args).await;
    store.close().await;
    let stats = stats?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        print!("{}", render(&stats, Utc::now()));
    }
    Ok(())
}

pub async fn collect(store: &Store, args: &StatsArgs) -> anyhow::Result<Stats> {
    let publishers = store
        .publishers_status(args.fresh_hours.saturating_mul(3600))
        .await?;
    let server = if args.no_server {
        None
    } else {
        Some(ask_server(&args.url).await)
    };
    Ok(Stats {
        backend: store.backend(),
        schema_version: store.schema_version().await?,
        counts: store.counts().await?,
        admin: store.admin_counts(args.last).await?,
        publishers: publishers.len(),
        publishers_stale: publishers.iter().filter(|p| p.is_stale()).count(),
        fresh_hours: args.fresh_hours,
        bundled_import_at: store.meta_get("bundled_import").await?,
        server,
    })
}

/// `/metrics` and `/api/v1/version` of the server at `url`; a server that does not
/// answer gives a [`Server`] with only `error` set.
pub async fn ask_server(url: &str) -> Server {
    let base = url.trim_end_matches('/').to_string();
    let mut s = Server {
        url: base.clone(),
        error: None,
        version: None,
        commit: None,
        schema_version: None,
        snapshot_built_at: None,
        snapshot_age_seconds: None,
        snapshot_facilities: None,
        snapshot_stock_lines: None,
        resident_memory_bytes: None,
        started_at: None,
        publishers_stale: None,
    };
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            s.error = Some(e.to_string());
            return s;
        }
    };
    let metrics = async {
        let r = client.get(format!("{base}/metrics")).send().await?;
        r.error_for_status()?.text().await
    }
    .await;
    match metrics {
        Ok(text) => {
            let m = samples(&text);
            s.snapshot_age_seconds = m.get("medmap_snapshot_age_seconds").copied();
            s.snapshot_facilities = m.get("medmap_snapshot_facilities").copied();
            s.snapshot_stock_lines = m.get("medmap_snapshot_stock_lines").copied();
            s.resident_memory_bytes = m.get("process_resident_memory_bytes").copied();
            s.started_at = m.get("process_start_time_seconds").copied();
            s.publishers_stale = m.get("medmap_publishers_stale").copied();
        }
        Err(e) => {
            s.error = Some(format!("{e}"));
            return s;
        }
    }
    let version = async {
        let r = client.get(format!("{base}/api/v1/version")).send().await?;
        r.error_for_status()?.json::<serde_json::Value>().await
    }
    .await;
    if let Ok(v) = version {
        let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        s.version = text("version");
        s.commit = text("commit");
        s.schema_version = v.get("schema_version").and_then(|x| x.as_i64());
        s.snapshot_built_at = v
            .pointer("/data/snapshot_built_at")
            .and_then(|x| x.as_str())
            .map(str::to_string);
    }
    s
}

/// The unlabelled samples of a Prometheus text exposition (`name value`): all
/// `stats` reads are plain gauges, so labelled series, comments and anything
/// unparsable are skipped.
pub fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let name = parts.next()?;
            if name.contains('{') {
                return None;
            }
            let value = parts.next()?.parse::<f64>().ok()?;
            Some((name.to_string(), value))
        })
        .collect()
}

/// The text `medmap stats` prints.
pub fn render(s: &Stats, now: DateTime<Utc>) -> String {
    let mut o = String::new();
    let c = &s.counts;
    let a = &s.admin;
    let list = |pairs: &[(String, i64)]| {
        pairs
            .iter()
            .map(|(k, n)| format!("{k} {}", thousands(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(o, "store ({}, schema {})", s.backend, s.schema_version);
    let _ = writeln!(
        o,
        "  facilities        {}: {}",
        thousands(c.facilities),
        list(&a.facilities_by_kind)
    );
    let _ = writeln!(
        o,
        "  medications       {} products, {} substances, {} names",
        thousands(c.products),
        thousands(c.substances),
        thousands(c.names)
    );
    let _ = writeln!(
        o,
        "  services          {} (organizations {})",
        thousands(c.services),
        thousands(c.organizations)
    );
    let by_source = if a.stock_by_source.is_empty() {
        String::new()
    } else {
        format!(": {}", list(&a.stock_by_source))
    };
    let _ = writeln!(
        o,
        "  stock lines       {}{by_source}",
        thousands(c.stock_lines)
    );
    let _ = writeln!(
        o,
        "  publishers        {} ({} stale: a facility without a line checked within {} h); keys active {}; pushes {}",
        s.publishers,
        s.publishers_stale,
        s.fresh_hours,
        thousands(a.keys_active),
        thousands(a.pushes_total)
    );
    let bundled = s
        .bundled_import_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp());
    let _ = writeln!(o, "  bundled import    {}", when(bundled, now));
    if let Some(b) = a.database_bytes {
        let _ = writeln!(o, "  database size     {}", megabytes(b as f64));
    }
    if !a.last_pushes.is_empty() {
        let _ = writeln!(o, "last pushes");
        for p in &a.last_pushes {
            let _ = writeln!(
                o,
                "  {}  {}  {}: {} accepted, {} rejected ({}, {})",
                when(Some(p.received_at), now),
                p.publisher,
                p.status,
                thousands(p.rows_accepted),
                thousands(p.rows_rejected),
                if p.format.is_empty() { "-" } else { &p.format },
                p.mode
            );
        }
    }
    if let Some(sv) = &s.server {
        match &sv.error {
            Some(e) => {
                let _ = writeln!(
                    o,
                    "server {}: not answering ({e}); live figures left out",
                    sv.url
                );
            }
            None => {
                let _ = writeln!(o, "server {}", sv.url);
                if let Some(v) = &sv.version {
                    let _ = writeln!(
                        o,
                        "  build             {v} (commit {}), schema {}",
                        sv.commit.as_deref().unwrap_or("?"),
                        sv.schema_version.map_or("?".into(), |v| v.to_string())
                    );
                }
                match sv.snapshot_age_seconds {
                    Some(age) => {
                        let _ = writeln!(
                            o,
                            "  snapshot          built {} ago: {} facilities, {} stock lines",
                            super::ago(chrono::TimeDelta::seconds(age as i64))
                                .trim_end_matches(" ago"),
                            thousands(sv.snapshot_facilities.unwrap_or(0.0) as i64),
                            thousands(sv.snapshot_stock_lines.unwrap_or(0.0) as i64)
                        );
                    }
                    None => {
                        let _ = writeln!(o, "  snapshot          not built yet (starting)");
                    }
                }
                if let Some(rss) = sv.resident_memory_bytes {
                    let _ = writeln!(o, "  memory            {} resident", megabytes(rss));
                }
                if let Some(t) = sv.started_at {
                    let _ = writeln!(o, "  started           {}", when(Some(t as i64), now));
                }
                if let Some(n) = sv.publishers_stale {
                    let _ = writeln!(o, "  stale publishers  {n}");
                }
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_samples_only() {
        let m = samples(
            "# HELP x y\n# TYPE medmap_snapshot_age_seconds gauge\nmedmap_snapshot_age_seconds 12.5\n\
             medmap_http_requests_total{route=\"/\",status=\"200\"} 3\nprocess_resident_memory_bytes 1.5e8\nbroken\n",
        );
        assert_eq!(m.get("medmap_snapshot_age_seconds"), Some(&12.5));
        assert_eq!(m.get("process_resident_memory_bytes"), Some(&1.5e8));
        assert_eq!(m.len(), 2);
    }
}
