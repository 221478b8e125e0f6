//! The write side of one push as an open transaction: [`Store::begin_push`] records
//! the push (and claims its Idempotency-Key), [`PushTx::write_chunk`] writes its lines
//! chunk by chunk as they are parsed and validated, [`PushTx::finish`] removes what a
//! snapshot push no longer carries, stores the report and commits.
//!
//! Everything happens in ONE transaction on both backends, so a push that fails, is
//! rejected late (strict mode, an error in its last chunk) or is killed mid-way
//! (client gone, process SIGKILLed) rolls back whole: the stock table only ever holds
//! the state before or after a whole push, while memory holds one chunk at a time.

use std::collections::{HashMap, HashSet};

use sqlx::{Postgres, QueryBuilder, Sqlite, Transaction};

use super::feeds::LineRef;
use super::{chunk_rows, Result, Store};

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

/// A committed push: its id, the lines that existed before and are gone now, and the
/// stored report.
pub type Committed = (i64, Vec<(i64, i64)>, serde_json::Value);

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>, PgPush),
}

/// PostgreSQL per-push state.
#[derive(Default)]
struct PgPush {
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

/// Rows per multi-row SQLite upsert: 8 binds a row stays under SQLite's 32,766
/// variables.
const SQLITE_CHUNK: usize = 4_000;

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

/// New product codes, the final report and the commit.
macro_rules! epilogue {
    ($tx:expr, $push_id:expr, $s:ident, $removed:ident) => {{
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
        $tx.commit().await?;
        report
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
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(PG_PUSH_LOCK)
                    .execute(&mut *tx)
                    .await?;
                // stock has no foreign keys on PostgreSQL (migration 0005): the
                // referenced rows are locked against deletion until commit instead.
                sqlx::query("SELECT 1 FROM publishers WHERE id = $1 FOR KEY SHARE")
                    .bind(h.publisher_id)
                    .execute(&mut *tx)
                    .await?;
                let st = PgPush {
                    snapshot: h.mode == "snapshot",
                    ..PgPush::default()
                };
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
            ..
        } = self;
        let report = match tx {
            Tx::Sqlite(mut tx) => {
                // Lines this push took over from another publisher (see sqlite_upsert).
                for chunk in s.facilities.chunks(chunk_rows(1)) {
                    let mut qb = QueryBuilder::new("UPDATE stock SET publisher_id = ");
                    qb.push_bind(publisher_id);
                    qb.push(" WHERE push_id = ");
                    qb.push_bind(push_id);
                    qb.push(" AND publisher_id IS NOT ");
                    qb.push_bind(publisher_id);
                    qb.push(" AND facility_id IN ");
                    super::push_list(&mut qb, chunk.iter().copied());
                    qb.build().execute(&mut *tx).await?;
                }
                if s.snapshot_mode {
                    for chunk in s.facilities.chunks(chunk_rows(1)) {
                        let mut qb = QueryBuilder::new("DELETE FROM stock WHERE push_id IS NOT ");
                        qb.push_bind(push_id);
                        qb.push(" AND facility_id IN ");
                        super::push_list(&mut qb, chunk.iter().copied());
                        qb.push(" RETURNING facility_id, product_id");
                        let rows: Vec<(i64, i64)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                        removed.extend(rows);
                    }
                }
                epilogue!(tx, push_id, s, removed)
            }
            Tx::Postgres(mut tx, st) => {
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
                            .fetch_all(&mut *tx)
                            .await?;
                        removed.extend(rows);
                    }
                    if !st.cleared.is_empty() {
                        let (f, p): (Vec<i64>, Vec<i64>) = st.cleared.iter().copied().unzip();
                        let rows: Vec<(i64, i64)> = sqlx::query_as("SELECT t.f, t.p FROM unnest($1::bigint[], $2::bigint[]) AS t(f, p) WHERE NOT EXISTS (SELECT 1 FROM stock s WHERE s.facility_id = t.f AND s.product_id = t.p)")
                            .bind(&f)
                            .bind(&p)
                            .fetch_all(&mut *tx)
                            .await?;
                        removed.extend(rows);
                    }
                }
                epilogue!(tx, push_id, s, removed)
            }
        };
        Ok((push_id, removed, report))
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
async fn sqlite_upsert<'q>(
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
async fn pg_write(
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

/// The distinct ids of `ids` not in `seen`, sorted.
fn unseen(ids: impl Iterator<Item = i64>, seen: &HashSet<i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.filter(|i| !seen.contains(i)).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The ids among `ids` with a row in `table` (one of ours, never input). The write
/// transaction already holds SQLite's one write lock, so they stay until the commit.
async fn sqlite_existing(
    tx: &mut Transaction<'static, Sqlite>,
    table: &str,
    ids: &[i64],
) -> Result<Vec<i64>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(900) {
        let mut qb = QueryBuilder::new(format!("SELECT id FROM {table} WHERE id IN "));
        super::push_list(&mut qb, chunk.iter().copied());
        let rows: Vec<(i64,)> = qb.build_query_as().fetch_all(&mut **tx).await?;
        out.extend(rows.into_iter().map(|r| r.0));
    }
    Ok(out)
}

/// The ids among `ids` with a row in `table` (one of ours, never input), locked
/// against deletion until the transaction ends.
async fn pg_lock_existing(
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
