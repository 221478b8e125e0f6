//! The PostgreSQL side of a push transaction. Pushes are serialized across server
//! processes by an advisory lock; `stock` has no foreign keys here, so the
//! facilities, products and publisher a push touches are locked FOR KEY SHARE
//! instead. Lines are COPYed, straight into `stock` for facilities that had no line
//! before (or, in snapshot mode, a few, deleted first), else into a staging table
//! followed by one upsert; the per-push state that choice needs is [`PgPush`].

use std::collections::HashMap;

use sqlx::{Postgres, Transaction};

use super::{PushHeader, PushSummary};
use crate::store::{LineRef, Result};

/// PostgreSQL per-push state.
#[derive(Default)]
pub(super) struct PgPush {
    /// Snapshot mode: every old line of a facility the push lists goes.
    snapshot: bool,
    /// Facility → its lines are COPYed straight into `stock` (`true`), or go through
    /// the staging table and the upsert (`false`). Direct when the facility had no
    /// line before the push, or (snapshot mode) at most [`PG_CLEAR_MAX`] lines, which
    /// were deleted up front: a push never carries the same line twice (duplicates are
    /// rejected), so nothing can conflict.
    direct: HashMap<i64, bool>,
    /// Snapshot mode: the old lines deleted up front; those the push did not write
    /// again are reported removed by `finish`.
    cleared: Vec<(i64, i64)>,
    staged: bool,
}

/// Snapshot mode, PostgreSQL: a facility with at most this many lines before the push
/// (a pharmacy's first real push over demo or imported stock) has them deleted and
/// its new lines COPYed straight in. With more, the staged upsert wins: it updates
/// rows in place (HOT), where delete + insert would leave a dead version and a new
/// index entry per line. Counting stops here, so the test costs a few index entries
/// per facility.
const PG_CLEAR_MAX: i64 = 64;

/// One constant serializes pushes across server processes on PostgreSQL (the
/// in-process lock in `feeds::push` does it within one), so the "facility had no
/// line before" test of the direct COPY cannot race another push.
const PG_PUSH_LOCK: i64 = 0x6d65_646d_6170_0006;

/// The PostgreSQL start of a push, before the shared prologue: the cross-process
/// push lock, the publisher locked against deletion, and the per-push state.
pub(super) async fn pg_begin(
    tx: &mut Transaction<'static, Postgres>,
    h: &PushHeader<'_>,
) -> Result<PgPush> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PG_PUSH_LOCK)
        .execute(&mut **tx)
        .await?;
    // stock has no foreign keys on PostgreSQL (migration 0005): the
    // referenced rows are locked against deletion until commit instead.
    sqlx::query("SELECT 1 FROM publishers WHERE id = $1 FOR KEY SHARE")
        .bind(h.publisher_id)
        .execute(&mut **tx)
        .await?;
    let st = PgPush {
        snapshot: h.mode == "snapshot",
        ..PgPush::default()
    };
    Ok(st)
}

/// `finish` on PostgreSQL, before the shared epilogue: in snapshot mode the listed
/// facilities' lines this push did not write go (added to `removed`).
pub(super) async fn pg_finish(
    tx: &mut Transaction<'static, Postgres>,
    st: &PgPush,
    s: &PushSummary<'_>,
    push_id: i64,
    removed: &mut Vec<(i64, i64)>,
) -> Result<()> {
    if s.snapshot_mode {
        // Facilities written straight in hold only this push's lines; the
        // rest keep what the push did not write, which goes now.
        let rest: Vec<i64> = s
            .facilities
            .iter()
            .copied()
            .filter(|f| st.direct.get(f) != Some(&true))
            .collect();
        if !rest.is_empty() {
            let rows: Vec<(i64, i64)> = sqlx::query_as("DELETE FROM stock WHERE facility_id = ANY($1) AND push_id IS DISTINCT FROM $2 RETURNING facility_id, product_id")
                .bind(&rest)
                .bind(push_id)
                .fetch_all(&mut **tx)
                .await?;
            removed.extend(rows);
        }
        if !st.cleared.is_empty() {
            let (f, p): (Vec<i64>, Vec<i64>) = st.cleared.iter().copied().unzip();
            let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT t.f, t.p FROM unnest($1::bigint[], $2::bigint[]) AS t(f, p) WHERE NOT EXISTS (SELECT 1 FROM stock s WHERE s.facility_id = t.f AND s.product_id = t.p)")
                .bind(&f)
                .bind(&p)
                .fetch_all(&mut **tx)
                .await?;
            removed.extend(rows);
        }
    }
    Ok(())
}

/// The text-format COPY field for an optional value (`\N` is NULL).
fn copy_opt<T: std::fmt::Display>(out: &mut String, v: Option<T>) {
    use std::fmt::Write;
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("\\N"),
    }
}

/// Text-format COPY escaping for strings we write (status, currency, source).
fn copy_str(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// The first eight COPY columns of a line, tab-separated, no line end.
fn copy_line(buf: &mut String, l: &LineRef<'_>) {
    use std::fmt::Write;
    let _ = write!(buf, "{}\t{}\t", l.facility_id, l.product_id);
    copy_str(buf, l.status);
    buf.push('\t');
    copy_opt(buf, l.quantity);
    buf.push('\t');
    copy_opt(buf, l.price_minor);
    buf.push('\t');
    copy_str(buf, l.currency);
    let _ = write!(buf, "\t{}\t", l.checked_at);
    copy_opt(buf, l.reserve_minor);
}

const COPY_COLS: &str = "facility_id, product_id, status, quantity, price_minor, currency, checked_at, price_reserve_minor";

/// COPYs `lines` into `table`; `tail` (the per-push constant columns, with the line
/// end) follows each line.
async fn copy_into(
    tx: &mut Transaction<'static, Postgres>,
    table: &str,
    cols: &str,
    lines: &[&LineRef<'_>],
    tail: &str,
) -> Result<()> {
    let mut copy = tx
        .copy_in_raw(&format!("COPY {table} ({cols}) FROM STDIN"))
        .await?;
    let mut buf = String::with_capacity(1 << 20);
    for l in lines {
        copy_line(&mut buf, l);
        buf.push_str(tail);
        if buf.len() > (1 << 20) - 512 {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        copy.send(buf.as_bytes()).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// One chunk into PostgreSQL. Lines of facilities that had no line before the push
/// (or, in snapshot mode, a few, deleted first) are COPYed straight into stock; the
/// rest go through a staging table and one `INSERT … ON CONFLICT DO UPDATE`.
pub(super) async fn pg_write(
    tx: &mut Transaction<'static, Postgres>,
    st: &mut PgPush,
    lines: &[&LineRef<'_>],
    source: &str,
    publisher_id: i64,
    push_id: i64,
) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut fids: Vec<i64> = lines.iter().map(|l| l.facility_id).collect();
    fids.sort_unstable();
    fids.dedup();
    let first_seen: Vec<i64> = fids
        .iter()
        .copied()
        .filter(|f| !st.direct.contains_key(f))
        .collect();
    if !first_seen.is_empty() {
        // How many lines each had, counted up to PG_CLEAR_MAX + 1.
        let had: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>("SELECT f, (SELECT count(*) FROM (SELECT 1 FROM stock s WHERE s.facility_id = f LIMIT $2) AS x) FROM unnest($1::bigint[]) AS f")
            .bind(&first_seen)
            .bind(PG_CLEAR_MAX + 1)
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect();
        let mut clear = Vec::new();
        for f in first_seen {
            let n = had.get(&f).copied().unwrap_or(0);
            let direct = n == 0 || (st.snapshot && n <= PG_CLEAR_MAX);
            if direct && n > 0 {
                clear.push(f);
            }
            st.direct.insert(f, direct);
        }
        if !clear.is_empty() {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "DELETE FROM stock WHERE facility_id = ANY($1) RETURNING facility_id, product_id",
            )
            .bind(&clear)
            .fetch_all(&mut **tx)
            .await?;
            st.cleared.extend(rows);
        }
    }
    let (mut direct, mut staged) = (Vec::new(), Vec::new());
    for l in lines.iter().copied() {
        if st.direct.get(&l.facility_id) == Some(&true) {
            direct.push(l);
        } else {
            staged.push(l);
        }
    }
    if !direct.is_empty() {
        let mut tail = String::from("\t");
        copy_str(&mut tail, source);
        tail.push_str(&format!("\t{publisher_id}\t{push_id}\n"));
        copy_into(
            tx,
            "stock",
            &format!("{COPY_COLS}, source, publisher_id, push_id"),
            &direct,
            &tail,
        )
        .await?;
    }
    if !staged.is_empty() {
        if st.staged {
            sqlx::query("TRUNCATE stock_stage")
                .execute(&mut **tx)
                .await?;
        } else {
            sqlx::query("CREATE TEMP TABLE stock_stage (facility_id BIGINT, product_id BIGINT, status TEXT, quantity DOUBLE PRECISION, price_minor BIGINT, currency TEXT, checked_at BIGINT, price_reserve_minor BIGINT) ON COMMIT DROP")
                .execute(&mut **tx)
                .await?;
            st.staged = true;
        }
        copy_into(tx, "stock_stage", COPY_COLS, &staged, "\n").await?;
        sqlx::query("INSERT INTO stock (facility_id, product_id, status, quantity, price_minor, currency, checked_at, source, publisher_id, price_reserve_minor, push_id) SELECT s.facility_id, s.product_id, s.status, s.quantity, s.price_minor, s.currency, s.checked_at, $1, $2, s.price_reserve_minor, $3 FROM stock_stage s ON CONFLICT (facility_id, product_id) DO UPDATE SET status = excluded.status, quantity = excluded.quantity, price_minor = excluded.price_minor, currency = excluded.currency, checked_at = excluded.checked_at, source = excluded.source, publisher_id = excluded.publisher_id, price_reserve_minor = excluded.price_reserve_minor, push_id = excluded.push_id")
            .bind(source)
            .bind(publisher_id)
            .bind(push_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The ids among `ids` with a row in `table` (one of ours, never input), locked
/// against deletion until the transaction ends.
pub(super) async fn pg_lock_existing(
    tx: &mut Transaction<'static, Postgres>,
    table: &str,
    ids: &[i64],
) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(i64,)> = sqlx::query_as(&format!(
        "SELECT id FROM {table} WHERE id = ANY($1) FOR KEY SHARE"
    ))
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
