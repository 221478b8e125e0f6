//! What an operator asks of the store (`medmap stats`): counts by kind and source,
//! the latest pushes, the database's size. Read-only, and cheap enough to run
//! beside a serving replica (a count over `stock` is the dearest part).

use serde::Serialize;

use super::{dispatch, Result, Store};

/// One feed push as the operator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PushRow {
    pub publisher: String,
    pub received_at: i64,
    pub status: String,
    pub format: String,
    pub mode: String,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
}

/// Everything `medmap stats` reads from the store.
#[derive(Debug, Clone, Serialize)]
pub struct AdminCounts {
    pub facilities_by_kind: Vec<(String, i64)>,
    /// Stock lines by where they came from: `feeds` (a publisher's push) or the
    /// source of an import (`demo` for generated stock).
    pub stock_by_source: Vec<(String, i64)>,
    pub keys_active: i64,
    pub pushes_total: i64,
    pub last_pushes: Vec<PushRow>,
    /// Bytes the database takes: SQLite's pages (the WAL aside), or the total
    /// relation size of the tables in PostgreSQL's current schema.
    pub database_bytes: Option<i64>,
}

impl Store {
    /// Counts, the `last` newest pushes and the database size.
    pub async fn admin_counts(&self, last: i64) -> Result<AdminCounts> {
        let size_sql = match self {
            Store::Sqlite(_) => {
                "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
            }
            Store::Postgres(_) => {
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
            }
        };
        dispatch!(self, pool => {
            let facilities_by_kind: Vec<(String, i64)> =
                sqlx::query_as("SELECT kind, COUNT(*) FROM facilities GROUP BY kind ORDER BY kind")
                    .fetch_all(pool)
                    .await?;
            let stock_by_source: Vec<(String, i64)> = sqlx::query_as(
                "SELECT CASE WHEN publisher_id IS NULL THEN source ELSE 'feeds' END AS src, COUNT(*) FROM stock GROUP BY src ORDER BY src",
            )
            .fetch_all(pool)
            .await?;
            let (keys_active, pushes_total): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL), (SELECT COUNT(*) FROM feed_pushes)",
            )
            .fetch_one(pool)
            .await?;
            let last_pushes = sqlx::query_as::<_, (String, i64, String, String, String, i64, i64)>(
                "SELECT p.name, x.received_at, x.status, x.format, x.mode, x.rows_accepted, x.rows_rejected FROM feed_pushes x JOIN publishers p ON p.id = x.publisher_id ORDER BY x.received_at DESC, x.id DESC LIMIT $1",
            )
            .bind(last)
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|(publisher, received_at, status, format, mode, rows_accepted, rows_rejected)| PushRow {
                publisher,
                received_at,
                status,
                format,
                mode,
                rows_accepted,
                rows_rejected,
            })
            .collect();
            let database_bytes: Option<(i64,)> = sqlx::query_as(size_sql).fetch_optional(pool).await?;
            Ok(AdminCounts {
                facilities_by_kind,
                stock_by_source,
                keys_active,
                pushes_total,
                last_pushes,
                database_bytes: database_bytes.map(|b| b.0),
            })
        })
    }
}
