//! `medmap publishers list`: every publisher's freshness, by the `/status` page's
//! rule, for an operator at a shell or a script (`--json`).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::defaults;
use crate::store::{PublisherStatus, Store};

#[derive(Debug, Clone, clap::Args)]
pub struct ListArgs {
    /// A facility with no stock line checked within this many hours makes its
    /// publisher stale (the server's `--fresh-hours`).
    #[arg(long, env = "MEDMAP_FRESH_HOURS", default_value_t = defaults::FRESH_HOURS)]
    pub fresh_hours: i64,
    /// Only the stale publishers.
    #[arg(long)]
    pub stale: bool,
    /// One JSON array instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// One publisher as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct PublisherLine {
    pub publisher: String,
    pub facilities: i64,
    pub stock_lines: i64,
    pub last_push_at: Option<DateTime<Utc>>,
    pub last_push_rows: Option<i64>,
    pub last_push_status: Option<String>,
    pub stale_facilities: i64,
    pub oldest_checked_at: Option<DateTime<Utc>>,
    pub stale: bool,
}

impl From<&PublisherStatus> for PublisherLine {
    fn from(p: &PublisherStatus) -> Self {
        let at = |t: Option<i64>| t.and_then(|s| DateTime::from_timestamp(s, 0));
        PublisherLine {
            publisher: p.publisher.clone(),
            facilities: p.facilities,
            stock_lines: p.stock_lines,
            last_push_at: at(p.last_push_at),
            last_push_rows: p.last_push_rows,
            last_push_status: p.last_push_status.clone(),
            stale_facilities: p.stale_facilities,
            oldest_checked_at: at(p.oldest_checked_at),
            stale: p.is_stale(),
        }
    }
}

pub async fn run(db: &str, args: ListArgs) -> anyhow::Result<()> {
    let store = Store::connect(db).await?;
    let rows = store
        .publishers_status(args.fresh_hours.saturating_mul(3600))
        .await;
    store.close().await;
    let rows: Vec<PublisherLine> = rows?
        .iter()
        .filter(|p| !args.stale || p.is_stale())
        .map(PublisherLine::from)
        .collect();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", table(&rows, args.fresh_hours, Utc::now()));
    }
    Ok(())
}

/// The publishers as an aligned table with a closing count.
pub fn table(rows: &[PublisherLine], fresh_hours: i64, now: DateTime<Utc>) -> String {
    use super::{thousands, when};
    let head = [
        "publisher",
        "facilities",
        "lines",
        "last push",
        "status",
        "stale facilities",
        "state",
    ];
    let body: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.publisher.clone(),
                thousands(r.facilities),
                thousands(r.stock_lines),
                when(r.last_push_at.map(|t| t.timestamp()), now),
                r.last_push_status.clone().unwrap_or_else(|| "-".into()),
                thousands(r.stale_facilities),
                if r.stale { "STALE" } else { "fresh" }.into(),
            ]
        })
        .collect();
    let mut width = head.map(|h| h.chars().count());
    for row in &body {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[&str], out: &mut String| {
        let parts: Vec<String> = cells
            .iter()
            .zip(width)
            .enumerate()
            .map(|(i, (c, w))| match i {
                // Counts right-aligned, text left.
                1 | 2 | 5 => format!("{c:>w$}"),
                _ => format!("{c:<w$}"),
            })
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&head, &mut out);
    for row in &body {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells, &mut out);
    }
    let stale = rows.iter().filter(|r| r.stale).count();
    out.push_str(&format!(
        "publishers: {}, stale: {stale} (a facility without a stock line checked within {fresh_hours} h)\n",
        rows.len()
    ));
    out
}
