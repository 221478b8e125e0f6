//! The write side of one push as an open transaction: [`Store::begin_push`] records
//! the push (and claims its Idempotency-Key), [`PushTx::write_chunk`] writes its lines
//! chunk by chunk as they are parsed and validated, [`PushTx::finish`] removes what a
//! snapshot push no longer carries, stores the report and commits.
//!
//! Everything happens in ONE transaction on both backends, so a push that fails, is
//! rejected late (strict mode, an error in its last chunk) or is killed mid-way
//! (client gone, process SIGKILLed) rolls back whole: the stock table only ever holds
//! the state before or after a whole push, while memory holds one chunk at a time.
//!
//! The API and what both backends share live here: the push's header and summary,
//! the transaction handle, and the SQL written once for both (the push row and its
//! Idempotency-Key, delta removals, new codes, the report and the commit, as
//! macros). What differs per database has its own file: `sqlite` (multi-row upserts
//! under SQLite's bind limit, one writer at a time) and `postgres` (a cross-process
//! lock, COPY straight into `stock` or through a staging table, FOR KEY SHARE
//! instead of foreign keys), so each backend's write path reads in one place.

mod postgres;
mod sqlite;

use std::collections::HashSet;

use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};

use super::changes::{append_change, ChangeKind, ChangePayload};
use super::feeds::LineRef;
use super::{chunk_rows, Result, Store};
use postgres::{pg_begin, pg_finish, pg_lock_existing, pg_write, PgPush};
use sqlite::{sqlite_existing, sqlite_finish, sqlite_upsert};

/// What a push records about itself before its rows are read.
#[derive(Debug, Clone, Copy)]
pub struct PushHeader<'a> {
    pub publisher_id: i64,
    /// `stock.source` of the lines written (`feed:<publisher>`).
    pub source: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub received_at: i64,
    pub mode: &'a str,
}

/// What is known once every row is through: the totals and the report.
#[derive(Debug, Clone)]
pub struct PushSummary<'a> {
    /// Snapshot mode: the listed facilities' lines this push did not write go.
    pub snapshot_mode: bool,
    pub facilities: &'a [i64],
    /// `(system, code, product_id)` learnt from the push.
    pub new_codes: &'a [(String, String, i64)],
    pub format: &'a str,
    pub status: &'a str,
    pub rows_read: i64,
    pub rows_accepted: i64,
    pub rows_rejected: i64,
    /// Report JSON; the stored copy gets `id` and `lines_removed` filled in.
    pub report: serde_json::Value,
}

/// A committed push: its id, the lines that existed before and are gone now, the
/// stored report, and its position in the change log.
pub type Committed = (i64, Vec<(i64, i64)>, serde_json::Value, i64);

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>, PgPush),
}

/// An open push transaction. Dropping it without [`PushTx::finish`] rolls back.
pub struct PushTx {
    tx: Tx,
    push_id: i64,
    publisher_id: i64,
    source: String,
    /// Lines deleted so far (delta removals) that existed before.
    removed: Vec<(i64, i64)>,
    /// Facilities and products seen to exist in this transaction (and, on
    /// PostgreSQL, locked against deletion until it ends).
    facilities: HashSet<i64>,
    products: HashSet<i64>,
}

/// The push row and its Idempotency-Key: `Some(push id)`, or `None` if the key is
/// taken. The same SQL on both backends; a macro because sqlx's query results share
/// no trait for `rows_affected`.
macro_rules! prologue {
    ($tx:ident, $h:ident) => {{
        let (push_id,): (i64,) = sqlx::query_as("INSERT INTO feed_pushes (publisher_id, received_at, mode, format, status, rows_read, rows_accepted, rows_rejected, facilities, report) VALUES ($1, $2, $3, '', 'applying', 0, 0, 0, 0, '{}') RETURNING id")
            .bind($h.publisher_id)
            .bind($h.received_at)
            .bind($h.mode)
            .fetch_one(&mut *$tx)
            .await?;
        let mut taken = false;
        if let Some(k) = $h.idempotency_key {
            let done = sqlx::query("INSERT INTO feed_idempotency (publisher_id, key, push_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                .bind($h.publisher_id)
                .bind(k)
                .bind(push_id)
                .bind(chrono::Utc::now().timestamp())
                .execute(&mut *$tx)
                .await?;
            taken = done.rows_affected() == 0;
        }
        (!taken).then_some(push_id)
    }};
}

/// Delta removals: deletes the lines, returning those that existed.
macro_rules! delete_lines {
    ($conn:expr, $removals:expr, $out:expr) => {{
        for chunk in $removals.chunks(chunk_rows(2)) {
            let mut qb =
                QueryBuilder::new("DELETE FROM stock WHERE (facility_id, product_id) IN (");
            qb.push_values(chunk, |mut b, (f, p)| {
                b.push_bind(*f).push_bind(*p);
            });
            qb.push(") RETURNING facility_id, product_id");
            let rows: Vec<(i64, i64)> = qb.build_query_as().fetch_all($conn).await?;
            $out.extend(rows);
        }
    }};
}

/// New product codes, the final report, the change-log entry and the commit;
/// evaluates to `(report, seq)`.
macro_rules! epilogue {
    ($tx:expr, $push_id:expr, $publisher_id:expr, $touched:expr, $s:ident, $removed:ident) => {{
        for chunk in $s.new_codes.chunks(chunk_rows(3)) {
            let mut qb = QueryBuilder::new("INSERT INTO product_codes (system, code, product_id) ");
            qb.push_values(chunk, |mut b, (sys, c, p)| {
                b.push_bind(sys.as_str()).push_bind(c.as_str()).push_bind(*p);
            });
            qb.push(" ON CONFLICT DO NOTHING");
            qb.build().execute(&mut *$tx).await?;
        }
        $removed.sort_unstable();
        $removed.dedup();
        let mut report = $s.report;
        report["id"] = $push_id.into();
        report["lines_removed"] = ($removed.len() as u64).into();
        sqlx::query("UPDATE feed_pushes SET format = $1, status = $2, rows_read = $3, rows_accepted = $4, rows_rejected = $5, facilities = $6, report = $7 WHERE id = $8")
            .bind($s.format)
            .bind($s.status)
            .bind($s.rows_read)
            .bind($s.rows_accepted)
            .bind($s.rows_rejected)
            .bind($s.facilities.len() as i64)
            .bind(report.to_string())
            .bind($push_id)
            .execute(&mut *$tx)
            .await?;
        let mut facilities: Vec<i64> = $touched.into_iter().collect();
        facilities.extend($s.facilities.iter().copied());
        facilities.extend($removed.iter().map(|r| r.0));
        let payload = ChangePayload {
            publisher_id: Some($publisher_id),
            push_id: Some($push_id),
            ..ChangePayload::facilities(facilities)
        };
        let seq = append_change!($tx, ChangeKind::Stock, payload);
        $tx.commit().await?;
        (report, seq)
    }};
}

impl Store {
    /// Opens the push transaction: the push row (totals filled in by
    /// [`PushTx::finish`]) and the Idempotency-Key. `None` when the key was used
    /// before: nothing is written and the caller returns the first report.
    pub async fn begin_push(&self, h: &PushHeader<'_>) -> Result<Option<PushTx>> {
        let (tx, push_id) = match self {
            Store::Sqlite(pool) => {
                let mut tx = pool.begin().await?;
                match prologue!(tx, h) {
                    Some(id) => (Tx::Sqlite(tx), id),
                    None => {
                        tx.rollback().await?;
                        return Ok(None);
                    }
                }
            }
            Store::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let st = pg_begin(&mut tx, h).await?;
                match prologue!(tx, h) {
                    Some(id) => (Tx::Postgres(tx, st), id),
                    None => {
                        tx.rollback().await?;
                        return Ok(None);
                    }
                }
            }
        };
        Ok(Some(PushTx {
            tx,
            push_id,
            publisher_id: h.publisher_id,
            source: h.source.to_string(),
            removed: Vec::new(),
            facilities: HashSet::new(),
            products: HashSet::new(),
        }))
    }
}

impl PushTx {
    pub fn push_id(&self) -> i64 {
        self.push_id
    }

    /// Writes one chunk: the delta removals, then the lines (upserted, or on
    /// PostgreSQL COPYed straight in for facilities that had no line before). Lines
    /// whose facility or product no longer exists are skipped: stock has no per-row
    /// foreign-key checks; each distinct facility and product is checked (and on
    /// PostgreSQL locked, FOR KEY SHARE, as the RI checks did) once per push instead.
    pub async fn write_chunk(
        &mut self,
        lines: &[LineRef<'_>],
        removals: &[(i64, i64)],
    ) -> Result<()> {
        let (push_id, publisher_id) = (self.push_id, self.publisher_id);
        let new_f = unseen(lines.iter().map(|l| l.facility_id), &self.facilities);
        let new_p = unseen(lines.iter().map(|l| l.product_id), &self.products);
        match &mut self.tx {
            Tx::Sqlite(tx) => {
                delete_lines!(&mut **tx, removals, self.removed);
                self.facilities
                    .extend(sqlite_existing(tx, "facilities", &new_f).await?);
                self.products
                    .extend(sqlite_existing(tx, "products", &new_p).await?);
            }
            Tx::Postgres(tx, _) => {
                delete_lines!(&mut **tx, removals, self.removed);
                self.facilities
                    .extend(pg_lock_existing(tx, "facilities", &new_f).await?);
                self.products
                    .extend(pg_lock_existing(tx, "products", &new_p).await?);
            }
        }
        let ok: Vec<&LineRef<'_>> = lines
            .iter()
            .filter(|l| {
                self.facilities.contains(&l.facility_id) && self.products.contains(&l.product_id)
            })
            .collect();
        match &mut self.tx {
            Tx::Sqlite(tx) => sqlite_upsert(tx, &ok, &self.source, publisher_id, push_id).await,
            Tx::Postgres(tx, st) => {
                pg_write(tx, st, &ok, &self.source, publisher_id, push_id).await
            }
        }
    }

    /// Snapshot mode: deletes the listed facilities' lines this push did not write;
    /// then the new codes, the totals and report, and the commit. Returns the push
    /// id, the lines that are gone and the stored report.
    pub async fn finish(self, s: PushSummary<'_>) -> Result<Committed> {
        let PushTx {
            tx,
            push_id,
            publisher_id,
            mut removed,
            facilities,
            ..
        } = self;
        let (report, seq) = match tx {
            Tx::Sqlite(mut tx) => {
                sqlite_finish(&mut tx, &s, push_id, publisher_id, &mut removed).await?;
                epilogue!(tx, push_id, publisher_id, facilities, s, removed)
            }
            Tx::Postgres(mut tx, st) => {
                pg_finish(&mut tx, &st, &s, push_id, &mut removed).await?;
                epilogue!(tx, push_id, publisher_id, facilities, s, removed)
            }
        };
        Ok((push_id, removed, report, seq))
    }

    /// Rolls the whole push back (also what dropping it does).
    pub async fn rollback(self) -> Result<()> {
        match self.tx {
            Tx::Sqlite(tx) => tx.rollback().await?,
            Tx::Postgres(tx, _) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// The distinct ids of `ids` not in `seen`, sorted.
fn unseen(ids: impl Iterator<Item = i64>, seen: &HashSet<i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.filter(|i| !seen.contains(i)).collect();
    v.sort_unstable();
    v.dedup();
    v
}
