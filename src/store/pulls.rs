//! Store methods for pull feeds (`feed_pulls`, migration 0011): registration, the
//! due list the scheduler reads, the lease that keeps two fetches of one pull (two
//! replicas, or the scheduler and a "fetch now") apart, and the state each fetch
//! leaves behind for the publisher to read.

use serde::Serialize;

use super::{dispatch, now, Result, Store};

/// One registered pull and its state, as the publisher and the operator see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PullRow {
    pub id: i64,
    pub key_id: i64,
    pub publisher_id: i64,
    pub url: String,
    pub every_secs: i64,
    /// `snapshot`, `delta`, or none (the file's own, else snapshot).
    pub mode: Option<String>,
    pub created_at: i64,
    pub next_at: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    #[serde(skip)]
    pub content_sha256: Option<String>,
    pub last_attempt_at: Option<i64>,
    pub last_success_at: Option<i64>,
    /// `applied`, `partial`, `rejected` (the file was read but refused: see the
    /// report), `not_modified` (304, or the same bytes as last time), `error` (the
    /// fetch failed: see `last_error`).
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    /// Failed fetches in a row; the back-off grows with it.
    pub failures: i64,
    /// The push this pull last applied or refused (`GET /api/v1/feeds/{id}`).
    pub last_push_id: Option<i64>,
    /// The key is revoked: the pull is kept but no longer fetched.
    pub key_revoked: bool,
}

/// What one fetch leaves behind.
#[derive(Debug, Clone, Default)]
pub struct PullResult {
    pub attempt_at: i64,
    pub next_at: i64,
    pub status: String,
    pub error: Option<String>,
    pub failures: i64,
    /// New validators and content hash, when a file was read; `None` keeps the old.
    pub validators: Option<(Option<String>, Option<String>, String)>,
    pub success: bool,
    pub push_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    key_id: i64,
    publisher_id: i64,
    url: String,
    every_secs: i64,
    mode: Option<String>,
    created_at: i64,
    next_at: i64,
    etag: Option<String>,
    last_modified: Option<String>,
    content_sha256: Option<String>,
    last_attempt_at: Option<i64>,
    last_success_at: Option<i64>,
    last_status: Option<String>,
    last_error: Option<String>,
    failures: i64,
    last_push_id: Option<i64>,
    revoked_at: Option<i64>,
}

const SELECT: &str = "SELECT p.id, p.key_id, p.publisher_id, p.url, p.every_secs, p.mode, p.created_at, p.next_at, p.etag, p.last_modified, p.content_sha256, p.last_attempt_at, p.last_success_at, p.last_status, p.last_error, p.failures, p.last_push_id, k.revoked_at FROM feed_pulls p JOIN api_keys k ON k.id = p.key_id";

fn row(r: Row) -> PullRow {
    PullRow {
        id: r.id,
        key_id: r.key_id,
        publisher_id: r.publisher_id,
        url: r.url,
        every_secs: r.every_secs,
        mode: r.mode,
        created_at: r.created_at,
        next_at: r.next_at,
        etag: r.etag,
        last_modified: r.last_modified,
        content_sha256: r.content_sha256,
        last_attempt_at: r.last_attempt_at,
        last_success_at: r.last_success_at,
        last_status: r.last_status,
        last_error: r.last_error,
        failures: r.failures,
        last_push_id: r.last_push_id,
        key_revoked: r.revoked_at.is_some(),
    }
}

impl Store {
    /// The publisher of an active key, by key id (`None`: unknown or revoked).
    pub async fn active_key_publisher(&self, key_id: i64) -> Result<Option<i64>> {
        dispatch!(self, pool => {
            let r: Option<(i64,)> = sqlx::query_as("SELECT publisher_id FROM api_keys WHERE id = $1 AND revoked_at IS NULL")
                .bind(key_id)
                .fetch_optional(pool)
                .await?;
            Ok(r.map(|r| r.0))
        })
    }

    /// Registers a URL for a key's publisher, due at once. `None` when the publisher
    /// already pulls this URL.
    pub async fn add_pull(
        &self,
        key_id: i64,
        publisher_id: i64,
        url: &str,
        every_secs: i64,
        mode: Option<&str>,
    ) -> Result<Option<PullRow>> {
        let t = now();
        let id = dispatch!(self, pool => {
            let r: Option<(i64,)> = sqlx::query_as("INSERT INTO feed_pulls (key_id, publisher_id, url, every_secs, mode, created_at, next_at) VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (publisher_id, url) DO NOTHING RETURNING id")
                .bind(key_id)
                .bind(publisher_id)
                .bind(url)
                .bind(every_secs)
                .bind(mode)
                .bind(t)
                .fetch_optional(pool)
                .await?;
            r.map(|r| r.0)
        });
        match id {
            Some(id) => self.pull(id).await,
            None => Ok(None),
        }
    }

    pub async fn pull(&self, id: i64) -> Result<Option<PullRow>> {
        let sql = format!("{SELECT} WHERE p.id = $1");
        dispatch!(self, pool => {
            let r: Option<Row> = sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?;
            Ok(r.map(row))
        })
    }

    /// A publisher's pulls, or every pull (`None`: the operator's list).
    pub async fn list_pulls(&self, publisher_id: Option<i64>) -> Result<Vec<PullRow>> {
        let sql = format!("{SELECT} WHERE ($1 IS NULL OR p.publisher_id = $1) ORDER BY p.id");
        dispatch!(self, pool => {
            let r: Vec<Row> = sqlx::query_as(&sql).bind(publisher_id).fetch_all(pool).await?;
            Ok(r.into_iter().map(row).collect())
        })
    }

    /// Removes a pull (only the publisher's own, when one is given); whether it was there.
    pub async fn remove_pull(&self, id: i64, publisher_id: Option<i64>) -> Result<bool> {
        dispatch!(self, pool => {
            let r = sqlx::query("DELETE FROM feed_pulls WHERE id = $1 AND ($2 IS NULL OR publisher_id = $2)")
                .bind(id)
                .bind(publisher_id)
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Pull ids due at `now` whose key is active and that no fetch holds, soonest first.
    pub async fn due_pulls(&self, now: i64, limit: i64) -> Result<Vec<i64>> {
        dispatch!(self, pool => {
            let r: Vec<(i64,)> = sqlx::query_as("SELECT p.id FROM feed_pulls p JOIN api_keys k ON k.id = p.key_id WHERE p.next_at <= $1 AND k.revoked_at IS NULL AND (p.lease_until IS NULL OR p.lease_until < $1) ORDER BY p.next_at LIMIT $2")
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            Ok(r.into_iter().map(|r| r.0).collect())
        })
    }

    /// Takes the pull for one fetch until `until` (unix seconds); `false` when another
    /// fetch holds it. One conditional UPDATE, so of two racing takers one wins.
    pub async fn lease_pull(&self, id: i64, now: i64, until: i64) -> Result<bool> {
        dispatch!(self, pool => {
            let r = sqlx::query("UPDATE feed_pulls SET lease_until = $1 WHERE id = $2 AND (lease_until IS NULL OR lease_until < $3)")
                .bind(until)
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Records a fetch's outcome and releases the lease.
    pub async fn finish_pull(&self, id: i64, r: &PullResult) -> Result<()> {
        let (etag, modified, sha) = match &r.validators {
            Some((e, m, s)) => (e.clone(), m.clone(), Some(s.clone())),
            None => (None, None, None),
        };
        let keep = r.validators.is_none();
        dispatch!(self, pool => {
            sqlx::query("UPDATE feed_pulls SET lease_until = NULL, last_attempt_at = $1, next_at = $2, last_status = $3, last_error = $4, failures = $5, \
                 etag = CASE WHEN $6 THEN etag ELSE $7 END, last_modified = CASE WHEN $6 THEN last_modified ELSE $8 END, content_sha256 = CASE WHEN $6 THEN content_sha256 ELSE $9 END, \
                 last_success_at = CASE WHEN $10 THEN $1 ELSE last_success_at END, last_push_id = COALESCE($11, last_push_id) WHERE id = $12")
                .bind(r.attempt_at)
                .bind(r.next_at)
                .bind(&r.status)
                .bind(&r.error)
                .bind(r.failures)
                .bind(keep)
                .bind(etag)
                .bind(modified)
                .bind(sha)
                .bind(r.success)
                .bind(r.push_id)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
