//! The persistent store: one API over SQLite (default, embedded) and PostgreSQL
//! (several replicas on one database).
//!
//! Each method writes its SQL once; the [`dispatch!`] macro compiles that body for
//! both pool types, so the backends cannot drift apart the way two hand-kept copies
//! would. Only the migrations differ per backend (`migrations/sqlite`,
//! `migrations/postgres`), because their DDL types differ.

mod admin;
mod catalog_cache;
pub(crate) mod changes;
mod directory;
mod feeds;
mod load;
mod pulls;
mod push_tx;
mod shortlists;
mod slots;
mod special_hours;
mod write;

pub(crate) use write::{unique_by, IdMap};

pub use admin::{AdminCounts, PushRow};
pub use changes::{Change, ChangeKind, ChangePayload, ChangeWindow};

pub use directory::{
    DirectoryRows, LinkRow, OrganizationRow, ScheduleFullRow, ServiceRow, TermRow,
};
pub use feeds::{
    FacilitySpec, KeyCandidate, KeyRow, LineRef, PublisherContext, PublisherStatus, PushOutcome,
    PushWrite,
};
pub use load::{FacilityRow, ProductRow, StoreCounts, SubstanceRow};
pub use pulls::{PullResult, PullRow};
pub use push_tx::{Committed, PushHeader, PushSummary, PushTx};
pub use shortlists::Shortlist;
pub use slots::{
    FoundSlot, PublicationContent, SlotLocationRow, SlotPollResult, SlotPublication, SlotQuery,
    SlotRow, SlotScheduleRow,
};
pub use special_hours::{Replace, SpecialRow};
pub use write::ImportTx;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// Everything the store can fail with; the HTTP layer maps it to 500/503 in one place.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://...")]
    BadUrl(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// The database cannot be reached (refused, reset, timed out, shutting down):
    /// a write should be retried later (503 with `Retry-After`), not reported as
    /// our bug.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Db(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) => true,
            // 08: connection exception; 57P01-03: admin shutdown, crash shutdown,
            // cannot connect now (starting up or in recovery).
            sqlx::Error::Database(d) => d
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A connection pool to one of the two backends.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same block against whichever pool the store holds. The block is
/// type-checked once per backend, so a query that one of them cannot run fails to
/// compile or fails in the shared test suite, not in production.
macro_rules! dispatch {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use dispatch;

/// The clock rows are stamped with (unix seconds).
pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Rows per multi-row INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535
/// bound parameters for the widest table, and large enough that per-statement
/// overhead disappears in bulk imports.
pub(crate) fn chunk_rows(columns: usize) -> usize {
    (30_000 / columns.max(1)).min(2_000)
}

/// Sets one `meta` key; also run inside catalog write transactions to renew the
/// catalog version (`catalog_cache`).
pub(crate) const META_UPSERT: &str = "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// Binds `items` as a parenthesised, comma-separated list: the `IN (…)` of the
/// chunked lookups, updates and deletes.
pub(crate) fn push_list<'args, DB, T>(
    qb: &mut sqlx::QueryBuilder<'args, DB>,
    items: impl IntoIterator<Item = T>,
) where
    DB: sqlx::Database,
    T: 'args + sqlx::Encode<'args, DB> + sqlx::Type<DB>,
{
    qb.push("(");
    let mut sep = qb.separated(", ");
    for it in items {
        sep.push_bind(it);
    }
    sep.push_unseparated(")");
}

impl Store {
    /// Opens (and for SQLite creates) the database and applies migrations.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            Self::connect_postgres(opts).await
        } else if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Self::connect_sqlite(path).await
        } else {
            Err(StoreError::BadUrl(url.to_string()))
        }
    }

    /// SQLite in WAL mode: readers never wait for the one writer, and `NORMAL`
    /// synchronous is durable across application crashes (only an OS crash can lose
    /// the last commits, never corrupt the file).
    pub async fn connect_sqlite(path: &str) -> Result<Store> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Store::Sqlite(pool))
    }

    /// PostgreSQL; `opts` may carry a `search_path` so tests get a schema of their own.
    pub async fn connect_postgres(opts: PgConnectOptions) -> Result<Store> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Store::Postgres(pool))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        dispatch!(self, pool => pool.close().await)
    }

    /// The newest migration applied: the schema version an operator compares
    /// between replicas and before an upgrade.
    pub async fn schema_version(&self) -> Result<i64> {
        dispatch!(self, pool => {
            let (v,): (Option<i64>,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?;
            Ok(v.unwrap_or(0))
        })
    }

    pub async fn meta_get(&self, key: &str) -> Result<Option<String>> {
        dispatch!(self, pool => {
            let v: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?;
            Ok(v.map(|v| v.0))
        })
    }

    pub async fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        dispatch!(self, pool => {
            sqlx::query(META_UPSERT)
                .bind(key)
                .bind(value)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
