//! Feed benchmark (issue 6): `cargo bench --bench feeds`.
//!
//! 1. In-process parse + validate + index update of a CSV push where product names
//!    repeat across pharmacies (each distinct name resolved once through a real
//!    `NameIndex`), then the copy-on-write `StockIndex::apply`; criterion measures
//!    200k rows, and one timed 1M-row pass reports rows/s and peak RSS.
//!    A second timed pass runs the server's streamed path: the parser on its own
//!    thread handing 50k-row chunks to validation, only compact index lines kept.
//! 2. Durable apply of 1M stock lines in one transaction into SQLite (a temp file)
//!    and PostgreSQL (`MEDMAP_TEST_PG`, default 127.0.0.1:5432/test, own schema;
//!    skipped if unreachable), through the same chunked writes as a push (50k lines
//!    a chunk), first into an empty stock and then replacing it; beside peers on a
//!    bare table in the same run (SQLite one-transaction multi-row upsert; PostgreSQL
//!    plain COPY and COPY into staging + `INSERT … ON CONFLICT`), with ratios.
//! 3. The server's own path on both databases: `feeds::push::run_push`, the function
//!    the HTTP handler calls, over a spooled 1M-row CSV (parse on its own thread,
//!    resolve, validate, chunked writes in one transaction, commit, snapshot swap),
//!    first push and replacing push.
//!
//! `FEED_ROWS=n` changes the timed pass size; `FEED_CRITERION=0` skips criterion.
//! The 1M-row push over HTTP with the server's peak RSS is `benches/feed_push_rss.sh`.
//!
//! Measured 2026-11-26 (session 4) on the 2-core machine, load average ~2, ours /
//! peer in the same run: parse+validate+index ~1M rows/s whole, 1.38-1.66M streamed;
//! SQLite first push 627-660k, replacing 521-575k rows/s (bare-table upsert peer
//! 679-735k first, 682-691k replacing: ratios 0.90-0.92 and 0.75-0.84); PostgreSQL
//! first push 336-399k, replacing 232-238k rows/s (COPY+upsert peer 280-283k first,
//! 159-169k replacing: ratios 1.19-1.42 and 1.41-1.46; plain COPY 609-723k).

use std::collections::HashMap;
use std::hint::black_box;
use std::str::FromStr;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use medmap::feeds::parse::{
    parse_bytes, parse_file_chunked, Chunk, ParseOptions, Parsed, ProductRef,
};
use medmap::feeds::validate::{
    validate, FacilityRes, ProductRes, Resolved, Rules, ValidLine, Validator,
};
use medmap::model::{Facility, FacilityKind, Lang, Product, SourceRef};
use medmap::store::{LineRef, PushHeader, PushSummary, PushWrite, Store};
use medmap_indexers::names::{ConceptInput, ConceptKind, Lang as IxLang, NameIndex, NameInput};
use medmap_indexers::stock::{StockIndex, StockLine as IxLine};

/// The bare-table peers the durable apply is measured against.
#[path = "feed_bench/peers.rs"]
mod peers;
use peers::{peer_rows, pg_peers, sqlite_peer};

const STEMS: [&str; 20] = [
    "Парацетамол",
    "Ібупрофен",
    "Аспірин",
    "Нурофен",
    "Цитрамон",
    "Амоксицилін",
    "Лоратадин",
    "Омепразол",
    "Метформін",
    "Аторвастатин",
    "Амлодипін",
    "Лізиноприл",
    "Диклофенак",
    "Німесулід",
    "But-Spa",
    "Мезим",
    "Фестал",
    "Смекта",
    "Ношпа",
    "Корвалол",
];

/// Product name `i`: a stem plus a strength and pack, as chains write them.
fn product_name(i: usize) -> String {
    format!(
        "{} табл. {} мг №{}",
        STEMS[i % STEMS.len()],
        50 + (i / STEMS.len()) * 5,
        10 + i % 3 * 10
    )
}

fn name_index(n_products: usize) -> NameIndex {
    NameIndex::build(
        (0..n_products)
            .map(|i| ConceptInput {
                id: i as i64 + 1,
                kind: ConceptKind::Product,
                names: vec![NameInput::new(product_name(i), IxLang::Uk)],
                ingredients: Vec::new(),
                popularity: 1.0,
            })
            .collect(),
    )
}

/// `n` rows over `n_fac` pharmacies and `n_prod` products (each pharmacy lists
/// the same catalogue, as chains do): semicolon CSV with decimal commas.
fn csv(n: usize, n_fac: usize, n_prod: usize, now: i64) -> Vec<u8> {
    let mut s = String::with_capacity(n * 64);
    s.push_str("facility;name;quantity;price;price_reserve;checked_at\n");
    for r in 0..n {
        let f = r / n_prod % n_fac;
        let p = r % n_prod;
        s.push_str(&format!(
            "F{f};{};{},5;{},{:02};{},00;{now}\n",
            product_name(p),
            r % 17,
            20 + p % 300,
            r % 100,
            19 + p % 300
        ));
    }
    s.into_bytes()
}

/// Parse + resolve distinct references in memory + validate + index apply.
/// A validated line as the stock index holds it, mapped the way the server maps it
/// ([`medmap::snapshot::ix_line`]); the bench's ids are already dense indexes.
fn index_line(l: &ValidLine) -> (u32, IxLine) {
    (
        l.product_id as u32,
        medmap::snapshot::ix_line(
            l.facility_id as u32,
            l.status,
            l.quantity,
            l.price_minor,
            l.checked_at,
        ),
    )
}

fn pipeline(body: &[u8], names: &NameIndex, base: &StockIndex, now: i64) -> (usize, StockIndex) {
    let parsed: Parsed = parse_bytes(body, ParseOptions::default()).expect("parses");
    let facilities = parsed
        .facilities
        .iter()
        .map(|f| {
            f.trim_start_matches('F')
                .parse::<i64>()
                .map_or(FacilityRes::Unknown, FacilityRes::Ok)
        })
        .collect();
    let products = parsed
        .products
        .iter()
        .map(|p| match p.name.as_deref().map(|n| names.search(n, 5)) {
            Some(hits) if !hits.is_empty() => ProductRes::Ok {
                product_id: hits[0].id,
                new_codes: Vec::new(),
            },
            _ => ProductRes::UnknownCode("none".into()),
        })
        .collect();
    let res = Resolved {
        facilities,
        products,
    };
    let v = validate(&parsed, &res, &Rules::new(now));
    let ups: Vec<(u32, IxLine)> = v.lines.iter().map(index_line).collect();
    let idx = base.apply(&ups, &[]);
    (v.lines.len(), idx)
}

/// The server's path: the parser on its own thread hands 50k-row chunks over a
/// one-slot channel; this thread resolves each chunk's new references, validates the
/// chunk and keeps only the compact index lines; one index apply at the end.
fn streamed(body: &[u8], names: &NameIndex, base: &StockIndex, now: i64) -> (usize, StockIndex) {
    let mut f = tempfile::tempfile().expect("spool");
    std::io::Write::write_all(&mut f, body).expect("spool");
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(1);
    let parser = std::thread::spawn(move || {
        parse_file_chunked(
            f,
            ParseOptions::default(),
            medmap::feeds::push::CHUNK_ROWS,
            Box::new(move |c| tx.send(c).is_ok()),
        )
    });
    let mut val = Validator::new(Rules::new(now), 0);
    let mut res = Resolved::default();
    let mut facilities: Vec<Box<str>> = Vec::new();
    let mut products: Vec<ProductRef> = Vec::new();
    let mut ups: Vec<(u32, IxLine)> = Vec::new();
    let (mut lines, mut removals) = (Vec::new(), Vec::new());
    for c in rx {
        let (f0, p0) = (facilities.len(), products.len());
        facilities.extend(c.new_facilities);
        products.extend(c.new_products);
        res.facilities.extend(facilities[f0..].iter().map(|f| {
            f.trim_start_matches('F')
                .parse::<i64>()
                .map_or(FacilityRes::Unknown, FacilityRes::Ok)
        }));
        res.products
            .extend(products[p0..].iter().map(|p: &ProductRef| {
                match p.name.as_deref().map(|n| names.search(n, 5)) {
                    Some(hits) if !hits.is_empty() => ProductRes::Ok {
                        product_id: hits[0].id,
                        new_codes: Vec::new(),
                    },
                    _ => ProductRes::UnknownCode("none".into()),
                }
            }));
        lines.clear();
        removals.clear();
        val.chunk(
            &c.rows,
            &facilities,
            &products,
            &res,
            &mut lines,
            &mut removals,
        );
        ups.extend(lines.iter().map(index_line));
    }
    parser.join().expect("parser thread").expect("parses");
    let idx = base.apply(&ups, &[]);
    (ups.len(), idx)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn facility(i: usize) -> Facility {
    Facility {
        country: Some("UA".into()),
        lat: Some(50.45 + i as f64 * 1e-3),
        lon: Some(30.52),
        ..Facility::new(
            SourceRef::new("bench", format!("F{i}")),
            FacilityKind::Pharmacy,
            format!("Аптека {i}"),
        )
    }
}

fn product(i: usize) -> Product {
    Product {
        src: SourceRef::new("bench", format!("P{i}")),
        name: product_name(i),
        name_latin: None,
        lang: Lang::Uk,
        form: None,
        strength: None,
        atc: None,
        registration_numbers: Vec::new(),
        otc: None,
        substance_keys: Vec::new(),
        names: Vec::new(),
    }
}

/// The bench's pharmacies, products and publisher, written into a store.
struct Setup {
    fac_ids: Vec<i64>,
    prod_ids: Vec<i64>,
    publisher_id: i64,
}

async fn setup(store: &Store, n_fac: usize, n_prod: usize) -> Setup {
    let facs = store
        .upsert_facilities(&(0..n_fac).map(facility).collect::<Vec<_>>())
        .await
        .expect("facilities");
    let prods = store
        .upsert_products(
            &(0..n_prod).map(product).collect::<Vec<_>>(),
            &HashMap::new(),
        )
        .await
        .expect("products");
    let fac_ids: Vec<i64> = (0..n_fac)
        .map(|i| facs[&SourceRef::new("bench", format!("F{i}"))])
        .collect();
    let prod_ids: Vec<i64> = (0..n_prod)
        .map(|i| prods[&SourceRef::new("bench", format!("P{i}"))])
        .collect();
    let scope: Vec<(i64, Option<String>)> = fac_ids.iter().map(|f| (*f, None)).collect();
    let k = medmap::feeds::keys::generate();
    let (publisher_id, _) = store
        .create_key("bench", Some("UAH"), &scope, &k.hash, &k.prefix)
        .await
        .expect("key");
    Setup {
        fac_ids,
        prod_ids,
        publisher_id,
    }
}

/// The server's own path, end to end: `feeds::push::run_push` (the function the HTTP
/// handler calls after spooling the body) over a spooled CSV naming facilities and
/// products by medmap id: parse on its own thread, resolve, validate, chunked writes
/// in one transaction, commit, and the copy-on-write swap of a live snapshot.
/// Returns rows/s of a first push and of a second one replacing it.
async fn server_path(store: &Store, s: &Setup, now: i64) -> (f64, f64) {
    use medmap::feeds::push::{run_push, PushContext, PushRequest, Verdict};
    let snapshot = medmap::snapshot::SnapshotCell::new();
    snapshot.set(
        medmap::snapshot::Snapshot::load(store)
            .await
            .expect("snapshot"),
    );
    let mut body = String::with_capacity(s.fac_ids.len() * s.prod_ids.len() * 40);
    body.push_str("facility,product_id,quantity,price,checked_at\n");
    for f in &s.fac_ids {
        for (j, p) in s.prod_ids.iter().enumerate() {
            body.push_str(&format!(
                "{f},{p},3,{}.{:02},{now}\n",
                10 + j % 300,
                j % 100
            ));
        }
    }
    let n = s.fac_ids.len() * s.prod_ids.len();
    let cx = PushContext {
        store,
        snapshot: &snapshot,
        chunk_rows: medmap::feeds::push::CHUNK_ROWS,
    };
    let mut rates = [0.0; 2];
    for rate in &mut rates {
        let mut file = tempfile::tempfile().expect("spool");
        std::io::Write::write_all(&mut file, body.as_bytes()).expect("spool");
        std::io::Seek::rewind(&mut file).expect("rewind");
        let req = PushRequest {
            publisher_id: s.publisher_id,
            mode: None,
            strict: false,
            idempotency_key: None,
            opts: ParseOptions {
                received_at: now,
                ..ParseOptions::default()
            },
        };
        let t = Instant::now();
        let out = run_push(cx, req, file).await.expect("push");
        *rate = n as f64 / t.elapsed().as_secs_f64();
        assert_eq!(out.verdict, Verdict::Accepted, "{}", out.report);
        assert_eq!(out.report["rows_accepted"], n as u64, "{}", out.report);
    }
    let lines = snapshot.get().map_or(0, |s| s.stock.len());
    assert!(lines >= n, "the snapshot holds the pushed lines ({lines})");
    println!(
        "  server path (run_push: parse + resolve + validate + write + snapshot swap): first push {:.0} rows/s, replacing push {:.0} rows/s ({n} lines, {} MB CSV)",
        rates[0],
        rates[1],
        body.len() / 1_000_000
    );
    (rates[0], rates[1])
}

/// One-transaction apply of `n_fac × n_prod` lines through the store alone (what the
/// peers do); returns rows/s of the first push and of a second one replacing it.
async fn durable(store: &Store, s: &Setup) -> (f64, f64) {
    let (fac_ids, prod_ids, pid) = (&s.fac_ids, &s.prod_ids, s.publisher_id);
    let now = chrono::Utc::now().timestamp();
    let mut lines = Vec::with_capacity(fac_ids.len() * prod_ids.len());
    for f in fac_ids {
        for (j, p) in prod_ids.iter().enumerate() {
            lines.push(LineRef {
                facility_id: *f,
                product_id: *p,
                status: "in_stock",
                quantity: Some(3.5),
                price_minor: Some(1000 + j as i64),
                reserve_minor: Some(990),
                currency: "UAH",
                checked_at: now,
            });
        }
    }
    let n = lines.len();
    let w = PushWrite {
        header: PushHeader {
            publisher_id: pid,
            source: "feed:bench",
            idempotency_key: None,
            received_at: now,
            mode: "snapshot",
        },
        lines,
        removals: &[],
        summary: PushSummary {
            snapshot_mode: true,
            facilities: fac_ids,
            new_codes: &[],
            format: "medmap_csv",
            status: "applied",
            rows_read: n as i64,
            rows_accepted: n as i64,
            rows_rejected: 0,
            report: serde_json::json!({}),
        },
    };
    let again = w.clone();
    let t = Instant::now();
    store.apply_push(w).await.expect("apply");
    let first = n as f64 / t.elapsed().as_secs_f64();
    // Again over existing lines: the snapshot push deletes and re-inserts them.
    let t = Instant::now();
    store.apply_push(again).await.expect("apply");
    let second = n as f64 / t.elapsed().as_secs_f64();
    println!("  first push {first:.0} rows/s, replacing push {second:.0} rows/s ({n} lines)");
    (first, second)
}

fn main() {
    let now = chrono::Utc::now().timestamp();
    let rows: usize = std::env::var("FEED_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let (n_fac, n_prod) = (2_000, 500);
    let names = name_index(n_prod);
    let base = StockIndex::build(std::iter::empty(), n_prod + 1);

    if std::env::var("FEED_CRITERION").as_deref() != Ok("0") {
        let body = csv(200_000, n_fac, n_prod, now);
        let mut c = Criterion::default().sample_size(10).configure_from_args();
        let mut g = c.benchmark_group("feeds");
        g.throughput(Throughput::Elements(200_000));
        g.bench_function("parse_validate_index_200k_csv", |b| {
            b.iter(|| black_box(pipeline(&body, &names, &base, now).0))
        });
        g.finish();
        c.final_summary();
    }

    let rss0 = peak_rss_kib();
    let body = csv(rows, n_fac, n_prod, now);
    let t = Instant::now();
    let (accepted, idx) = pipeline(&body, &names, &base, now);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "parse+validate+index: {rows} rows ({} MB CSV, {n_prod} distinct names) in {secs:.3} s = {:.0} rows/s; accepted {accepted}, index lines {}; peak RSS {} MiB (before {} MiB, body alone {} MiB)",
        body.len() / 1_000_000,
        rows as f64 / secs,
        idx.len(),
        peak_rss_kib() / 1024,
        rss0 / 1024,
        body.len() / (1 << 20),
    );
    drop(idx);
    let t = Instant::now();
    let (accepted, idx) = streamed(&body, &names, &base, now);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "parse+validate+index streamed (parser thread, 50k-row chunks, as the server): {rows} rows in {secs:.3} s = {:.0} rows/s; accepted {accepted}, index lines {}",
        rows as f64 / secs,
        idx.len(),
    );
    drop(idx);
    drop(body);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::connect_sqlite(dir.path().join("bench.db").to_str().expect("path"))
            .await
            .expect("sqlite");
        println!("durable apply, SQLite (WAL, synchronous=NORMAL), 2000 × 500 lines:");
        let (first, second) = durable(&store, &setup(&store, 2_000, 500).await).await;
        store.close().await;
        let store = Store::connect_sqlite(dir.path().join("server.db").to_str().expect("path"))
            .await
            .expect("sqlite");
        server_path(&store, &setup(&store, 2_000, 500).await, now).await;
        store.close().await;
        let (peer1, peer2) =
            sqlite_peer(&dir.path().join("peer.db"), &peer_rows(2_000, 500, now)).await;
        println!(
            "SQLITE ours first {first:.0} rows/s, replacing {second:.0}; bare-table one-transaction upsert first {peer1:.0}, replacing {peer2:.0}; ratio ours/peer first {:.2}, replacing {:.2}",
            first / peer1,
            second / peer2
        );

        let url = std::env::var("MEDMAP_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
        use sqlx::Connection;
        match sqlx::PgConnection::connect(&url).await {
            Ok(mut conn) => {
                let _ = sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await;
                let opts = sqlx::postgres::PgConnectOptions::from_str(&url)
                    .expect("pg url")
                    .options([("search_path", schema.as_str())]);
                let store = Store::connect_postgres(opts).await.expect("pg store");
                println!("durable apply, PostgreSQL (first push COPY straight into stock; replacing: COPY into staging + INSERT … ON CONFLICT, HOT updates), 2000 × 500 lines:");
                let (first, second) = durable(&store, &setup(&store, 2_000, 500).await).await;
                store.close().await;
                let server_schema = format!("{schema}_server");
                let _ = sqlx::query(&format!("CREATE SCHEMA {server_schema}"))
                    .execute(&mut conn)
                    .await;
                let server_store = Store::connect_postgres(
                    sqlx::postgres::PgConnectOptions::from_str(&url)
                        .expect("pg url")
                        .options([("search_path", server_schema.as_str())]),
                )
                .await
                .expect("pg store");
                server_path(&server_store, &setup(&server_store, 2_000, 500).await, now).await;
                server_store.close().await;
                let _ = sqlx::query(&format!("DROP SCHEMA {server_schema} CASCADE"))
                    .execute(&mut conn)
                    .await;
                let mut peer = sqlx::PgConnection::connect_with(
                    &sqlx::postgres::PgConnectOptions::from_str(&url)
                        .expect("pg url")
                        .options([("search_path", schema.as_str())]),
                )
                .await
                .expect("peer conn");
                let (copy, up1, up2) = pg_peers(&mut peer, &peer_rows(2_000, 500, now)).await;
                println!(
                    "POSTGRES ours first {first:.0} rows/s, replacing {second:.0}; bare table: plain COPY {copy:.0}, COPY+INSERT ON CONFLICT first {up1:.0}, replacing {up2:.0}; ratio first ours/COPY {:.2}, ours/COPY+upsert {:.2}; replacing ours/COPY+upsert {:.2}",
                    first / copy,
                    first / up1,
                    second / up2
                );
                let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut conn).await;
            }
            Err(e) => println!("PostgreSQL unreachable ({e}); skipped"),
        }
    });
}
