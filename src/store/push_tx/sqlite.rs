//! The SQLite side of a push transaction. SQLite has one writer at a time, so the
//! write transaction itself keeps the facilities and products it has seen from
//! going; lines are written by multi-row upserts ([`SQLITE_CHUNK`] rows a
//! statement, under SQLite's bind limit) whose SQL text is built once, and whose
//! next statement's arguments are encoded while the current one runs.

use sqlx::{QueryBuilder, Sqlite, Transaction};

use super::PushSummary;
use crate::store::{chunk_rows, push_list, LineRef, Result};

/// Rows per multi-row SQLite upsert: 8 binds a row stays under SQLite's 32,766
/// variables.
const SQLITE_CHUNK: usize = 4_000;

/// `finish` on SQLite, before the shared epilogue: the lines that changed publisher
/// get the new one, and in snapshot mode the listed facilities' lines this push did
/// not write go (added to `removed`).
pub(super) async fn sqlite_finish(
    tx: &mut Transaction<'static, Sqlite>,
    s: &PushSummary<'_>,
    push_id: i64,
    publisher_id: i64,
    removed: &mut Vec<(i64, i64)>,
) -> Result<()> {
    // Lines this push took over from another publisher (see sqlite_upsert).
    for chunk in s.facilities.chunks(chunk_rows(1)) {
        let mut qb = QueryBuilder::new("UPDATE stock SET publisher_id = ");
        qb.push_bind(publisher_id);
        qb.push(" WHERE push_id = ");
        qb.push_bind(push_id);
        qb.push(" AND publisher_id IS NOT ");
        qb.push_bind(publisher_id);
        qb.push(" AND facility_id IN ");
        push_list(&mut qb, chunk.iter().copied());
        qb.build().execute(&mut **tx).await?;
    }
    if s.snapshot_mode {
        for chunk in s.facilities.chunks(chunk_rows(1)) {
            let mut qb = QueryBuilder::new("DELETE FROM stock WHERE push_id IS NOT ");
            qb.push_bind(push_id);
            qb.push(" AND facility_id IN ");
            push_list(&mut qb, chunk.iter().copied());
            qb.push(" RETURNING facility_id, product_id");
            let rows: Vec<(i64, i64)> = qb.build_query_as().fetch_all(&mut **tx).await?;
            removed.extend(rows);
        }
    }
    Ok(())
}

/// The multi-row upsert of `rows` lines. The per-push constants (source, publisher,
/// push) come first and are bound once per statement, not once per row: 8 binds a row
/// instead of 11.
fn sqlite_upsert_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(600 + rows * 26);
    sql.push_str("INSERT INTO stock (facility_id, product_id, status, quantity, price_minor, currency, checked_at, price_reserve_minor, source, publisher_id, push_id) SELECT column1, column2, column3, column4, column5, column6, column7, column8, ?, ?, ? FROM (VALUES ");
    for i in 0..rows {
        sql.push_str(if i == 0 {
            "(?,?,?,?,?,?,?,?)"
        } else {
            ",(?,?,?,?,?,?,?,?)"
        });
    }
    // `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint.
    // publisher_id is not in the SET list: SQLite rewrites the entries of every index on
    // a column the SET names, even to the same value, and a replacing push would pay
    // that for each line; `finish` sets it on the few lines that change publisher.
    sql.push_str(") WHERE true ON CONFLICT (facility_id, product_id) DO UPDATE SET status = excluded.status, quantity = excluded.quantity, price_minor = excluded.price_minor, currency = excluded.currency, checked_at = excluded.checked_at, source = excluded.source, price_reserve_minor = excluded.price_reserve_minor, push_id = excluded.push_id");
    sql
}

/// One statement of [`sqlite_upsert_sql`] with its arguments.
fn upsert_query<'q>(
    sql: &'q str,
    chunk: &[&LineRef<'q>],
    source: &'q str,
    publisher_id: i64,
    push_id: i64,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    let mut q = sqlx::query(sql)
        .bind(source)
        .bind(publisher_id)
        .bind(push_id);
    for l in chunk {
        q = q
            .bind(l.facility_id)
            .bind(l.product_id)
            .bind(l.status)
            .bind(l.quantity)
            .bind(l.price_minor)
            .bind(l.currency)
            .bind(l.checked_at)
            .bind(l.reserve_minor);
    }
    q
}

/// Upserts the lines, [`SQLITE_CHUNK`] a statement. The full chunks share one SQL text,
/// built once per process, so sqlx reuses its prepared statement. The
/// arguments of the next statement are encoded on this thread while SQLite's worker
/// thread runs the current one: with the two overlapped, encoding (about a third of
/// the time) is off the critical path.
pub(super) async fn sqlite_upsert<'q>(
    tx: &mut Transaction<'static, Sqlite>,
    lines: &[&LineRef<'q>],
    source: &'q str,
    publisher_id: i64,
    push_id: i64,
) -> Result<()> {
    // The SQL of a full chunk is the same for every push, built once; the tail
    // chunk's per call.
    static FULL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| sqlite_upsert_sql(SQLITE_CHUNK));
    let tail = sqlite_upsert_sql(lines.len() % SQLITE_CHUNK);
    let bind = |chunk: &[&LineRef<'q>]| {
        let sql = if chunk.len() == SQLITE_CHUNK {
            FULL.as_str()
        } else {
            tail.as_str()
        };
        upsert_query(sql, chunk, source, publisher_id, push_id)
    };
    let mut chunks = lines.chunks(SQLITE_CHUNK);
    let Some(first) = chunks.next() else {
        return Ok(());
    };
    let mut current = bind(first);
    for chunk in chunks {
        let (done, next) = tokio::join!(current.execute(&mut **tx), async { bind(chunk) });
        done?;
        current = next;
    }
    current.execute(&mut **tx).await?;
    Ok(())
}

/// The ids among `ids` with a row in `table` (one of ours, never input). The write
/// transaction already holds SQLite's one write lock, so they stay until the commit.
pub(super) async fn sqlite_existing(
    tx: &mut Transaction<'static, Sqlite>,
    table: &str,
    ids: &[i64],
) -> Result<Vec<i64>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(900) {
        let mut qb = QueryBuilder::new(format!("SELECT id FROM {table} WHERE id IN "));
        push_list(&mut qb, chunk.iter().copied());
        let rows: Vec<(i64,)> = qb.build_query_as().fetch_all(&mut **tx).await?;
        out.extend(rows.into_iter().map(|r| r.0));
    }
    Ok(out)
}
