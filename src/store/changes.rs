//! The change log: one row per committed write that changes what a snapshot shows,
//! read by position.
//!
//! Why a log and not only notifications: PostgreSQL's NOTIFY is lost while a
//! listener is disconnected, so a replica (or an outside follower such as a search
//! mirror) that was away could not tell what it missed. The log is the truth, kept
//! for a retention window ([`Store::prune_change_log`]); NOTIFY (sent by a trigger,
//! see `migrations/postgres/0012_change_log.sql`) only wakes followers up early.
//!
//! Every writer appends its row with [`append_change!`] as the LAST statement
//! before its COMMIT, inside the same transaction: the row exists if and only if
//! the write does, and on PostgreSQL the trigger's lock that makes `seq` grow in
//! commit order is held only for the commit.
//!
//! A follower keeps the `seq` of the last change it applied and asks for
//! [`Store::changes_after`] it; if its position is below
//! [`ChangeWindow::pruned_through`], entries it needs are gone and it must reload
//! whole.

use serde::{Deserialize, Serialize};

use super::{dispatch, now, Result, Store};

/// What kind of data a change touched; a follower decides from it what to re-read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Stock lines of the facilities in the payload (a feed push, a pull, demo stock).
    Stock,
    /// Substances, products, names: the medication catalog.
    Catalog,
    /// Facilities, organizations, services, taxonomy, schedules (directory imports).
    Directory,
    /// A publisher's keys or facility scope.
    Keys,
    /// Duty shifts and closures (special times) of the facilities in the payload.
    SpecialHours,
    /// Written by a newer medmap this one does not know: a follower reloads whole.
    #[serde(other)]
    Unknown,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Stock => "stock",
            ChangeKind::Catalog => "catalog",
            ChangeKind::Directory => "directory",
            ChangeKind::Keys => "keys",
            ChangeKind::SpecialHours => "special_hours",
            ChangeKind::Unknown => "unknown",
        }
    }

    fn parse(s: &str) -> ChangeKind {
        serde_json::from_value(serde_json::Value::String(s.to_string()))
            .unwrap_or(ChangeKind::Unknown)
    }
}

/// Enough to know what changed without reading the write itself: small, so the log
/// stays cheap to read by position.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePayload {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher_id: Option<i64>,
    /// The feed push that made a stock change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_id: Option<i64>,
    /// The facilities whose rows changed (sorted). `None` means "not listed": the
    /// follower re-reads everything of this kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilities: Option<Vec<i64>>,
    /// The table an import wrote (`facilities`, `services`, `products`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// `stock.source` or `special_hours.source` written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl ChangePayload {
    pub fn facilities(mut ids: Vec<i64>) -> ChangePayload {
        ids.sort_unstable();
        ids.dedup();
        ChangePayload {
            facilities: Some(ids),
            ..ChangePayload::default()
        }
    }

    pub fn table(table: &str) -> ChangePayload {
        ChangePayload {
            table: Some(table.to_string()),
            ..ChangePayload::default()
        }
    }

    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

/// One committed change, as a follower reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Position in the log: grows in commit order.
    pub seq: i64,
    pub kind: ChangeKind,
    pub payload: ChangePayload,
    /// Which process wrote it (`host:pid`), for operators reading the log.
    pub origin: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// Where the log stands: followers compare their position with these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChangeWindow {
    /// The newest `seq` (0 when nothing was ever logged).
    pub head: i64,
    /// Entries up to this `seq` may have been pruned: a follower whose position is
    /// below it has missed changes it can no longer read and reloads whole.
    pub pruned_through: i64,
}

/// The one append, for both backends (the PostgreSQL trigger fills `seq`).
pub(crate) const CHANGE_INSERT: &str =
    "INSERT INTO change_log (kind, payload, origin, created_at) VALUES ($1, $2, $3, $4) RETURNING seq";

const PRUNED_KEY: &str = "change_log_pruned_through";

/// This process as the log names it.
pub(crate) fn origin() -> &'static str {
    static ORIGIN: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ORIGIN.get_or_init(|| {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        format!("{host}:{}", std::process::id())
    })
}

/// Appends one change inside the open transaction `$tx` (a `Transaction` of either
/// backend) and evaluates to its `seq`. Call it last, right before the commit (see
/// the module doc).
macro_rules! append_change {
    ($tx:expr, $kind:expr, $payload:expr) => {{
        let (seq,): (i64,) = sqlx::query_as($crate::store::changes::CHANGE_INSERT)
            .bind($kind.as_str())
            .bind($payload.to_json())
            .bind($crate::store::changes::origin())
            .bind($crate::store::now())
            .fetch_one(&mut *$tx)
            .await?;
        seq
    }};
}
pub(crate) use append_change;

type ChangeRow = (i64, String, String, String, i64);

impl Store {
    /// Up to `limit` changes after position `after`, oldest first.
    pub async fn changes_after(&self, after: i64, limit: i64) -> Result<Vec<Change>> {
        let rows: Vec<ChangeRow> = dispatch!(self, pool => sqlx::query_as(
            "SELECT seq, kind, payload, origin, created_at FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(seq, kind, payload, origin, created_at)| Change {
                seq,
                kind: ChangeKind::parse(&kind),
                // A payload this version cannot read lists nothing: the follower
                // then re-reads everything of the kind, which is always correct.
                payload: serde_json::from_str(&payload).unwrap_or_default(),
                origin,
                created_at,
            })
            .collect())
    }

    /// The log's head and how far it was pruned, read together.
    pub async fn change_window(&self) -> Result<ChangeWindow> {
        dispatch!(self, pool => {
            let (head, pruned): (Option<i64>, Option<String>) = sqlx::query_as(
                "SELECT (SELECT MAX(seq) FROM change_log), (SELECT value FROM meta WHERE key = $1)",
            )
            .bind(PRUNED_KEY)
            .fetch_one(pool)
            .await?;
            let pruned_through = pruned.and_then(|v| v.parse().ok()).unwrap_or(0);
            Ok(ChangeWindow {
                head: head.unwrap_or(0).max(pruned_through),
                pruned_through,
            })
        })
    }

    /// Deletes entries older than `keep_secs`, always keeping the newest one (so the
    /// head survives a quiet spell), and records how far it pruned. Safe to run from
    /// every replica at once. Returns the entries deleted.
    pub async fn prune_change_log(&self, keep_secs: i64) -> Result<u64> {
        let cutoff = now() - keep_secs;
        dispatch!(self, pool => {
            let mut tx = pool.begin().await?;
            let (upto,): (Option<i64>,) = sqlx::query_as(
                "SELECT MAX(seq) FROM change_log WHERE created_at < $1 AND seq < (SELECT MAX(seq) FROM change_log)",
            )
            .bind(cutoff)
            .fetch_one(&mut *tx)
            .await?;
            let Some(upto) = upto else {
                tx.rollback().await?;
                return Ok(0);
            };
            let n = sqlx::query("DELETE FROM change_log WHERE seq <= $1")
                .bind(upto)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            let old: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
                .bind(PRUNED_KEY)
                .fetch_optional(&mut *tx)
                .await?;
            let old = old.and_then(|(v,)| v.parse::<i64>().ok()).unwrap_or(0);
            sqlx::query(super::META_UPSERT)
                .bind(PRUNED_KEY)
                .bind(upto.max(old).to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(n)
        })
    }

    /// The stock lines of `facilities` as stored now: what a replica reads to apply
    /// another replica's push (only the touched facilities, never the whole table).
    pub async fn load_stock_of(&self, facilities: &[i64]) -> Result<Vec<crate::model::StockRow>> {
        let mut out = Vec::new();
        for chunk in facilities.chunks(super::chunk_rows(1)) {
            out.extend(self.load_stock_where(chunk).await?);
        }
        Ok(out)
    }
}
