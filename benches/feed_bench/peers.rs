//! The peers of the durable apply, on bare tables with only the primary key and the
//! same lines: SQLite one-transaction multi-row upsert; PostgreSQL plain COPY and COPY
//! into staging + `INSERT … ON CONFLICT`. What ours is compared with, in the same run.

use std::time::Instant;

/// The bench's lines as plain tuples, for the bare-table peers.
pub fn peer_rows(n_fac: usize, n_prod: usize, now: i64) -> Vec<(i64, i64, i64)> {
    let mut v = Vec::with_capacity(n_fac * n_prod);
    for f in 0..n_fac {
        for p in 0..n_prod {
            v.push((f as i64 + 1, p as i64 + 1, now));
        }
    }
    v
}

const BARE_COLS: &str = "facility_id, product_id, status, quantity, price_minor, currency, checked_at, source, publisher_id, price_reserve_minor";
const BARE_SET: &str = "ON CONFLICT (facility_id, product_id) DO UPDATE SET status = excluded.status, quantity = excluded.quantity, price_minor = excluded.price_minor, currency = excluded.currency, checked_at = excluded.checked_at, source = excluded.source, publisher_id = excluded.publisher_id, price_reserve_minor = excluded.price_reserve_minor";

/// Peer: a bare SQLite table (primary key only, same pragmas), one-transaction
/// multi-row upsert of the same lines with every value bound, run twice: into the
/// empty table, then over its own lines. Returns rows/s of each.
pub async fn sqlite_peer(path: &std::path::Path, rows: &[(i64, i64, i64)]) -> (f64, f64) {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::{Connection, QueryBuilder};
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let mut c = sqlx::SqliteConnection::connect_with(&opts)
        .await
        .expect("peer db");
    sqlx::query("CREATE TABLE bare (facility_id INTEGER NOT NULL, product_id INTEGER NOT NULL, status TEXT NOT NULL, quantity REAL, price_minor INTEGER, currency TEXT, checked_at INTEGER NOT NULL, source TEXT NOT NULL, publisher_id INTEGER, price_reserve_minor INTEGER, PRIMARY KEY (facility_id, product_id))")
        .execute(&mut c)
        .await
        .expect("bare table");
    let mut rates = [0.0; 2];
    for rate in &mut rates {
        let t = Instant::now();
        let mut tx = c.begin().await.expect("tx");
        for chunk in rows.chunks(3_000) {
            let mut qb = QueryBuilder::new(format!("INSERT INTO bare ({BARE_COLS}) "));
            qb.push_values(chunk, |mut b, (f, p, now)| {
                b.push_bind(*f)
                    .push_bind(*p)
                    .push_bind("in_stock")
                    .push_bind(3.5)
                    .push_bind(1000 + *p)
                    .push_bind("UAH")
                    .push_bind(*now)
                    .push_bind("feed:bench")
                    .push_bind(1i64)
                    .push_bind(990i64);
            });
            qb.push(format!(" {BARE_SET}"));
            qb.build().execute(&mut *tx).await.expect("peer upsert");
        }
        tx.commit().await.expect("commit");
        *rate = rows.len() as f64 / t.elapsed().as_secs_f64();
    }
    (rates[0], rates[1])
}

/// The lines as text COPY data.
fn copy_text(rows: &[(i64, i64, i64)]) -> Vec<u8> {
    use std::fmt::Write;
    let mut s = String::with_capacity(rows.len() * 48);
    for (f, p, now) in rows {
        let _ = writeln!(
            s,
            "{f}\t{p}\tin_stock\t3.5\t{}\tUAH\t{now}\tfeed:bench\t1\t990",
            1000 + p
        );
    }
    s.into_bytes()
}

/// Peers on PostgreSQL, on a bare table with only the primary key: plain COPY, and
/// COPY into a temp staging table plus one `INSERT … ON CONFLICT`, the latter into
/// the empty table and then again over its own lines. Returns rows/s of each.
pub async fn pg_peers(conn: &mut sqlx::PgConnection, rows: &[(i64, i64, i64)]) -> (f64, f64, f64) {
    use sqlx::Connection;
    let create = "CREATE TABLE bare (facility_id BIGINT NOT NULL, product_id BIGINT NOT NULL, status TEXT NOT NULL, quantity DOUBLE PRECISION, price_minor BIGINT, currency TEXT, checked_at BIGINT NOT NULL, source TEXT NOT NULL, publisher_id BIGINT, price_reserve_minor BIGINT, PRIMARY KEY (facility_id, product_id))";
    let data = copy_text(rows);
    async fn copy_into(tx: &mut sqlx::PgConnection, table: &str, data: &[u8]) {
        let mut copy = tx
            .copy_in_raw(&format!("COPY {table} ({BARE_COLS}) FROM STDIN"))
            .await
            .expect("copy");
        for part in data.chunks(1 << 20) {
            copy.send(part).await.expect("copy send");
        }
        copy.finish().await.expect("copy finish");
    }
    async fn timed_tx(conn: &mut sqlx::PgConnection, n: usize, sql: &[&str], data: &[u8]) -> f64 {
        let t = Instant::now();
        let mut tx = conn.begin().await.expect("tx");
        let mut statements = sql.iter();
        if let Some(first) = statements.next() {
            sqlx::query(first).execute(&mut *tx).await.expect("stage");
        }
        copy_into(
            &mut tx,
            if sql.is_empty() { "bare" } else { "bare_stage" },
            data,
        )
        .await;
        for q in statements {
            sqlx::query(q).execute(&mut *tx).await.expect("upsert");
        }
        tx.commit().await.expect("commit");
        n as f64 / t.elapsed().as_secs_f64()
    }
    sqlx::query(create).execute(&mut *conn).await.expect("bare");
    let copy = timed_tx(conn, rows.len(), &[], &data).await;
    sqlx::query("DROP TABLE bare")
        .execute(&mut *conn)
        .await
        .expect("drop");
    sqlx::query(create).execute(&mut *conn).await.expect("bare");
    let upsert =
        format!("INSERT INTO bare ({BARE_COLS}) SELECT {BARE_COLS} FROM bare_stage {BARE_SET}");
    let staged = [
        "CREATE TEMP TABLE bare_stage (LIKE bare) ON COMMIT DROP",
        upsert.as_str(),
    ];
    let first = timed_tx(conn, rows.len(), &staged, &data).await;
    let replacing = timed_tx(conn, rows.len(), &staged, &data).await;
    sqlx::query("DROP TABLE bare")
        .execute(&mut *conn)
        .await
        .expect("drop");
    (copy, first, replacing)
}
