//! Store methods for feeds: publishers and their keys, facility scope and branch
//! codes, code look-ups for resolution, the one-transaction apply of a push, stored
//! reports, idempotency keys and publisher freshness.
//!
//! The apply is one transaction on both backends (see [`super::push_tx`]): a push
//! killed mid-way (client gone, process SIGKILLed) rolls back with the transaction, so
//! the stock table only ever holds the state before or after a whole push.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::QueryBuilder;

use super::changes::{append_change, ChangeKind, ChangePayload};
use super::push_tx::{PushHeader, PushSummary};
use super::{chunk_rows, dispatch, Result, Store, StoreError};

/// Lines per chunk when a whole in-memory push is applied: the size the HTTP path
/// streams with.
pub const APPLY_CHUNK: usize = 50_000;

/// A key as listed: never the key itself.
#[derive(Debug, Clone, Serialize)]
pub struct KeyRow {
    pub id: i64,
    pub publisher: String,
    pub prefix: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub facilities: i64,
}

/// What authentication finds for a key prefix.
#[derive(Debug, Clone)]
pub struct KeyCandidate {
    pub key_id: i64,
    pub publisher_id: i64,
    pub publisher: String,
    pub key_hash: String,
    pub revoked_at: Option<i64>,
}

/// A publisher's facts a push needs.
#[derive(Debug, Clone, Default)]
pub struct PublisherContext {
    pub id: i64,
    pub name: String,
    pub default_currency: String,
    pub timezone: String,
    pub max_age_days: i64,
    /// Facilities the publisher's keys may push for.
    pub scope: HashSet<i64>,
    /// The publisher's branch codes → facility.
    pub branches: HashMap<String, i64>,
}

/// A facility named for a new key: `[CODE=]REF`, REF a medmap id, a uuid or
/// `system:value`; CODE the publisher's own branch code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacilitySpec {
    pub branch_code: Option<String>,
    pub reference: String,
}

impl FacilitySpec {
    pub fn parse(s: &str) -> FacilitySpec {
        match s.split_once('=') {
            Some((c, r)) if !c.trim().is_empty() => FacilitySpec {
                branch_code: Some(c.trim().to_string()),
                reference: r.trim().to_string(),
            },
            _ => FacilitySpec {
                branch_code: None,
                reference: s.trim().to_string(),
            },
        }
    }
}

/// One line to write, with everything bound as is.
#[derive(Debug, Clone, Copy)]
pub struct LineRef<'a> {
    pub facility_id: i64,
    pub product_id: i64,
    pub status: &'a str,
    pub quantity: Option<f64>,
    pub price_minor: Option<i64>,
    pub reserve_minor: Option<i64>,
    pub currency: &'a str,
    pub checked_at: i64,
}

/// A whole push in memory, applied in one transaction by [`Store::apply_push`]: the
/// header and summary the streamed push hands over piecewise, with its lines between.
#[derive(Debug, Clone)]
pub struct PushWrite<'a> {
    pub header: PushHeader<'a>,
    pub lines: Vec<LineRef<'a>>,
    pub removals: &'a [(i64, i64)],
    pub summary: PushSummary<'a>,
}

/// What the apply did.
#[derive(Debug)]
pub enum PushOutcome {
    Applied {
        push_id: i64,
        /// Lines that existed before and are gone now.
        removed: Vec<(i64, i64)>,
        report: serde_json::Value,
    },
    /// The Idempotency-Key was used before: nothing applied; the first report.
    Replay(serde_json::Value),
}

/// One publisher's freshness.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublisherStatus {
    pub publisher: String,
    pub facilities: i64,
    pub last_push_at: Option<i64>,
    pub last_push_rows: Option<i64>,
    pub last_push_status: Option<String>,
    pub stock_lines: i64,
    /// Facilities in scope whose newest line is older than the freshness window, or
    /// that have no line at all.
    pub stale_facilities: i64,
    pub oldest_checked_at: Option<i64>,
}

impl PublisherStatus {
    /// The one staleness rule (the `/status` page, `medmap publishers list`, the
    /// `medmap_publishers_stale` gauge): some facility of the publisher has no line
    /// checked within the freshness window, so readers see "call to confirm" there.
    pub fn is_stale(&self) -> bool {
        self.stale_facilities > 0
    }
}

/// `publishers_status` row: name, facilities, last push at/rows/status, lines,
/// stale facilities, oldest line.
type StatusRow = (
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
);

use super::now;

impl Store {
    /// Creates the publisher if needed and a new key for it; `key_hash`/`prefix` come
    /// from [`crate::feeds::keys`]. Adds the facilities to the publisher's scope.
    pub async fn create_key(
        &self,
        publisher: &str,
        currency: Option<&str>,
        facilities: &[(i64, Option<String>)],
        key_hash: &str,
        prefix: &str,
    ) -> Result<(i64, i64)> {
        let t = now();
        dispatch!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO publishers (name, default_currency, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
                .bind(publisher)
                .bind(currency.unwrap_or("UAH"))
                .bind(t)
                .execute(&mut *tx)
                .await?;
            if let Some(c) = currency {
                sqlx::query("UPDATE publishers SET default_currency = $1 WHERE name = $2")
                    .bind(c)
                    .bind(publisher)
                    .execute(&mut *tx)
                    .await?;
            }
            let (pid,): (i64,) = sqlx::query_as("SELECT id FROM publishers WHERE name = $1")
                .bind(publisher)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO publisher_settings (publisher_id) VALUES ($1) ON CONFLICT DO NOTHING")
                .bind(pid)
                .execute(&mut *tx)
                .await?;
            let (kid,): (i64,) = sqlx::query_as("INSERT INTO api_keys (publisher_id, key_hash, prefix, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(pid)
                .bind(key_hash)
                .bind(prefix)
                .bind(t)
                .fetch_one(&mut *tx)
                .await?;
            for (fid, code) in facilities {
                sqlx::query("INSERT INTO publisher_facilities (publisher_id, facility_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(pid)
                    .bind(*fid)
                    .execute(&mut *tx)
                    .await?;
                if let Some(code) = code {
                    sqlx::query("INSERT INTO publisher_branches (publisher_id, code, facility_id) VALUES ($1, $2, $3) ON CONFLICT (publisher_id, code) DO UPDATE SET facility_id = excluded.facility_id")
                        .bind(pid)
                        .bind(code)
                        .bind(*fid)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let payload = ChangePayload {
                publisher_id: Some(pid),
                ..ChangePayload::facilities(facilities.iter().map(|f| f.0).collect())
            };
            append_change!(tx, ChangeKind::Keys, payload);
            tx.commit().await?;
            Ok((pid, kid))
        })
    }

    pub async fn list_keys(&self) -> Result<Vec<KeyRow>> {
        dispatch!(self, pool => {
            let rows: Vec<(i64, String, String, i64, Option<i64>, i64)> = sqlx::query_as(
                "SELECT k.id, p.name, k.prefix, k.created_at, k.revoked_at, (SELECT COUNT(*) FROM publisher_facilities f WHERE f.publisher_id = p.id) FROM api_keys k JOIN publishers p ON p.id = k.publisher_id ORDER BY k.id",
            )
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, publisher, prefix, created_at, revoked_at, facilities)| KeyRow { id, publisher, prefix, created_at, revoked_at, facilities })
                .collect())
        })
    }

    /// Revokes by key id or prefix; returns how many keys were revoked.
    pub async fn revoke_key(&self, id_or_prefix: &str) -> Result<u64> {
        let id: i64 = id_or_prefix.parse().unwrap_or(-1);
        dispatch!(self, pool => {
            let mut tx = pool.begin().await?;
            let revoked: Vec<(i64,)> = sqlx::query_as("UPDATE api_keys SET revoked_at = $1 WHERE revoked_at IS NULL AND (id = $2 OR prefix = $3) RETURNING publisher_id")
                .bind(now())
                .bind(id)
                .bind(id_or_prefix)
                .fetch_all(&mut *tx)
                .await?;
            for (publisher,) in &revoked {
                let payload = ChangePayload { publisher_id: Some(*publisher), ..ChangePayload::default() };
                append_change!(tx, ChangeKind::Keys, payload);
            }
            tx.commit().await?;
            Ok(revoked.len() as u64)
        })
    }

    /// Keys with this prefix (normally one); the caller compares hashes in constant time.
    pub async fn keys_by_prefix(&self, prefix: &str) -> Result<Vec<KeyCandidate>> {
        dispatch!(self, pool => {
            let rows: Vec<(i64, i64, String, String, Option<i64>)> = sqlx::query_as(
                "SELECT k.id, k.publisher_id, p.name, k.key_hash, k.revoked_at FROM api_keys k JOIN publishers p ON p.id = k.publisher_id WHERE k.prefix = $1",
            )
            .bind(prefix)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(key_id, publisher_id, publisher, key_hash, revoked_at)| KeyCandidate { key_id, publisher_id, publisher, key_hash, revoked_at })
                .collect())
        })
    }

    pub async fn publisher_context(&self, publisher_id: i64) -> Result<PublisherContext> {
        dispatch!(self, pool => {
            let row: Option<(String, String, Option<String>, Option<i64>)> = sqlx::query_as(
                "SELECT p.name, p.default_currency, s.timezone, s.max_age_days FROM publishers p LEFT JOIN publisher_settings s ON s.publisher_id = p.id WHERE p.id = $1",
            )
            .bind(publisher_id)
            .fetch_optional(pool)
            .await?;
            let Some((name, default_currency, tz, max_age)) = row else {
                return Err(StoreError::Corrupt(format!("publisher {publisher_id} is gone")));
            };
            let scope: Vec<(i64,)> = sqlx::query_as("SELECT facility_id FROM publisher_facilities WHERE publisher_id = $1")
                .bind(publisher_id)
                .fetch_all(pool)
                .await?;
            let branches: Vec<(String, i64)> = sqlx::query_as("SELECT code, facility_id FROM publisher_branches WHERE publisher_id = $1")
                .bind(publisher_id)
                .fetch_all(pool)
                .await?;
            Ok(PublisherContext {
                id: publisher_id,
                name,
                default_currency,
                timezone: tz.unwrap_or_else(|| "Europe/Kyiv".into()),
                max_age_days: max_age.unwrap_or(30),
                scope: scope.into_iter().map(|r| r.0).collect(),
                branches: branches.into_iter().collect(),
            })
        })
    }

    /// Resolves facility references that are not branch codes: a medmap id, a uuid,
    /// or `system:value` from `facility_ids`. Unknown ones are absent from the map.
    pub async fn resolve_facility_refs(&self, refs: &[&str]) -> Result<HashMap<String, i64>> {
        let mut out = HashMap::new();
        let mut ids = Vec::new();
        let mut uuids = Vec::new();
        let mut ext = Vec::new();
        for r in refs {
            if let Ok(id) = r.parse::<i64>() {
                ids.push((r.to_string(), id));
            } else if uuid::Uuid::parse_str(r).is_ok() {
                uuids.push(r.to_string());
            }
            if let Some((s, v)) = r.split_once(':') {
                ext.push((r.to_string(), s.to_string(), v.to_string()));
            }
        }
        dispatch!(self, pool => {
            for chunk in ids.chunks(chunk_rows(1)) {
                let mut qb = QueryBuilder::new("SELECT id FROM facilities WHERE id IN ");
                super::push_list(&mut qb, chunk.iter().map(|(_, id)| *id));
                let found: HashSet<i64> = qb.build_query_as::<(i64,)>().fetch_all(pool).await?.into_iter().map(|r| r.0).collect();
                for (r, id) in chunk {
                    if found.contains(id) {
                        out.insert(r.clone(), *id);
                    }
                }
            }
            for u in &uuids {
                let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM facilities WHERE uuid = $1").bind(u).fetch_optional(pool).await?;
                if let Some((id,)) = row {
                    out.insert(u.clone(), id);
                }
            }
            for (r, s, v) in &ext {
                let row: Option<(i64,)> = sqlx::query_as("SELECT facility_id FROM facility_ids WHERE system = $1 AND value = $2")
                    .bind(s)
                    .bind(v)
                    .fetch_optional(pool)
                    .await?;
                if let Some((id,)) = row {
                    out.insert(r.clone(), id);
                }
            }
            Ok(out)
        })
    }

    /// `code → product_id` for the given codes of one system.
    pub async fn lookup_codes(&self, system: &str, codes: &[&str]) -> Result<HashMap<String, i64>> {
        let mut out = HashMap::new();
        dispatch!(self, pool => {
            for chunk in codes.chunks(chunk_rows(1).min(900)) {
                let mut qb = QueryBuilder::new("SELECT code, product_id FROM product_codes WHERE system = ");
                qb.push_bind(system);
                qb.push(" AND code IN ");
                super::push_list(&mut qb, chunk.iter().copied());
                let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(pool).await?;
                out.extend(rows);
            }
            Ok(out)
        })
    }

    /// Product ids among `ids` that exist.
    pub async fn existing_products(&self, ids: &[i64]) -> Result<HashSet<i64>> {
        let mut out = HashSet::new();
        dispatch!(self, pool => {
            for chunk in ids.chunks(chunk_rows(1).min(900)) {
                let mut qb = QueryBuilder::new("SELECT id FROM products WHERE id IN ");
                super::push_list(&mut qb, chunk.iter().copied());
                let rows: Vec<(i64,)> = qb.build_query_as().fetch_all(pool).await?;
                out.extend(rows.into_iter().map(|r| r.0));
            }
            Ok(out)
        })
    }

    /// The stored report of an earlier push with this Idempotency-Key.
    pub async fn idempotent_report(
        &self,
        publisher_id: i64,
        key: &str,
    ) -> Result<Option<serde_json::Value>> {
        dispatch!(self, pool => {
            let row: Option<(String,)> = sqlx::query_as("SELECT p.report FROM feed_idempotency i JOIN feed_pushes p ON p.id = i.push_id WHERE i.publisher_id = $1 AND i.key = $2")
                .bind(publisher_id)
                .bind(key)
                .fetch_optional(pool)
                .await?;
            Ok(row.and_then(|(r,)| serde_json::from_str(&r).ok()))
        })
    }

    /// A push's report, only for its own publisher.
    pub async fn push_report(
        &self,
        push_id: i64,
        publisher_id: i64,
    ) -> Result<Option<serde_json::Value>> {
        dispatch!(self, pool => {
            let row: Option<(String,)> = sqlx::query_as("SELECT report FROM feed_pushes WHERE id = $1 AND publisher_id = $2")
                .bind(push_id)
                .bind(publisher_id)
                .fetch_optional(pool)
                .await?;
            Ok(row.and_then(|(r,)| serde_json::from_str(&r).ok()))
        })
    }

    /// Applies a whole in-memory push in one transaction (the HTTP path streams its
    /// chunks through [`Store::begin_push`] itself): the push row and its
    /// Idempotency-Key, the delta removals, the upserts, the snapshot removals, the new
    /// product codes, the final report. Returns [`PushOutcome::Replay`] with the first
    /// report when the key was used before.
    pub async fn apply_push(&self, w: PushWrite<'_>) -> Result<PushOutcome> {
        let Some(mut tx) = self.begin_push(&w.header).await? else {
            let key = w.header.idempotency_key.unwrap_or_default();
            let first = self.idempotent_report(w.header.publisher_id, key).await?;
            return Ok(PushOutcome::Replay(
                first.unwrap_or(serde_json::Value::Null),
            ));
        };
        tx.write_chunk(&[], w.removals).await?;
        for chunk in w.lines.chunks(APPLY_CHUNK) {
            tx.write_chunk(chunk, &[]).await?;
        }
        let (push_id, removed, report, _seq) = tx.finish(w.summary).await?;
        Ok(PushOutcome::Applied {
            push_id,
            removed,
            report,
        })
    }

    /// Freshness of every publisher: last accepted push, lines, stale facilities.
    pub async fn publishers_status(&self, fresh_secs: i64) -> Result<Vec<PublisherStatus>> {
        let cutoff = now() - fresh_secs;
        dispatch!(self, pool => {
            let rows: Vec<StatusRow> = sqlx::query_as(
                "SELECT p.name,
                    (SELECT COUNT(*) FROM publisher_facilities f WHERE f.publisher_id = p.id),
                    (SELECT MAX(received_at) FROM feed_pushes x WHERE x.publisher_id = p.id AND x.rows_accepted > 0),
                    (SELECT x.rows_accepted FROM feed_pushes x WHERE x.publisher_id = p.id AND x.rows_accepted > 0 ORDER BY x.received_at DESC, x.id DESC LIMIT 1),
                    (SELECT x.status FROM feed_pushes x WHERE x.publisher_id = p.id ORDER BY x.received_at DESC, x.id DESC LIMIT 1),
                    (SELECT COUNT(*) FROM stock s WHERE s.publisher_id = p.id),
                    (SELECT COUNT(*) FROM publisher_facilities f WHERE f.publisher_id = p.id
                        AND COALESCE((SELECT MAX(s.checked_at) FROM stock s WHERE s.facility_id = f.facility_id AND s.publisher_id = p.id), 0) < $1),
                    (SELECT MIN(s.checked_at) FROM stock s WHERE s.publisher_id = p.id)
                 FROM publishers p ORDER BY p.name",
            )
            .bind(cutoff)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(publisher, facilities, last_push_at, last_push_rows, last_push_status, stock_lines, stale_facilities, oldest_checked_at)| PublisherStatus {
                    publisher,
                    facilities,
                    last_push_at,
                    last_push_rows,
                    last_push_status,
                    stock_lines,
                    stale_facilities,
                    oldest_checked_at,
                })
                .collect())
        })
    }

    /// `(facility_id, product_id)` of a publisher's lines (tests, status).
    pub async fn publisher_stock_count(&self, publisher_id: i64) -> Result<i64> {
        dispatch!(self, pool => {
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM stock WHERE publisher_id = $1")
                .bind(publisher_id)
                .fetch_one(pool)
                .await?;
            Ok(n)
        })
    }
}
