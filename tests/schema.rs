//! The two backends' schemas, as the migrations leave them, are the same: tables,
//! column names, primary keys, unique constraints, indexes (name, table, columns,
//! uniqueness) and triggers. The migrations are written twice (`migrations/sqlite`,
//! `migrations/postgres`); this is what keeps them in step.
//!
//! Also here: the test fixtures never leave a database behind, even when a test
//! panics.

#[macro_use]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::{pg_schema_exists, spawn_app_with, AppSettings, Backend, Data, TestDb};
use medmap::store::Store;

/// One backend's schema, in terms both can state.
#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    /// Table -> its column names.
    columns: BTreeMap<String, BTreeSet<String>>,
    /// Table -> the columns of its primary key, in key order.
    primary_keys: BTreeMap<String, Vec<String>>,
    /// `(table, columns)` of every UNIQUE constraint (besides the primary key).
    unique: BTreeSet<(String, Vec<String>)>,
    /// Index name -> `(table, columns, unique)` of the indexes made with CREATE INDEX.
    indexes: BTreeMap<String, (String, Vec<String>, bool)>,
    /// `(trigger, table)`.
    triggers: BTreeSet<(String, String)>,
}

/// The bookkeeping table of sqlx's migrator: the same name on both, not ours.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

async fn sqlite_schema(pool: &sqlx::SqlitePool) -> Schema {
    let mut s = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> $1",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(pool)
    .await
    .expect("tables");
    for t in tables {
        let cols: Vec<(String, i64)> =
            sqlx::query_as("SELECT name, pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(&t)
                .fetch_all(pool)
                .await
                .expect("columns");
        let mut pk: Vec<(i64, String)> = cols
            .iter()
            .filter(|c| c.1 > 0)
            .map(|c| (c.1, c.0.clone()))
            .collect();
        pk.sort();
        if !pk.is_empty() {
            s.primary_keys
                .insert(t.clone(), pk.into_iter().map(|c| c.1).collect());
        }
        s.columns
            .insert(t.clone(), cols.into_iter().map(|c| c.0).collect());
        // origin: 'c' CREATE INDEX, 'u' UNIQUE constraint, 'pk' PRIMARY KEY.
        let indexes: Vec<(String, bool, String)> =
            sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                .bind(&t)
                .fetch_all(pool)
                .await
                .expect("indexes");
        for (name, unique, origin) in indexes {
            let cols: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&name)
                    .fetch_all(pool)
                    .await
                    .expect("index columns");
            match origin.as_str() {
                "c" => {
                    s.indexes.insert(name, (t.clone(), cols, unique));
                }
                "u" => {
                    s.unique.insert((t.clone(), cols));
                }
                _ => {} // the primary key, read above
            }
        }
    }
    let triggers: Vec<(String, String)> =
        sqlx::query_as("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(pool)
            .await
            .expect("triggers");
    s.triggers = triggers.into_iter().collect();
    s
}

async fn postgres_schema(pool: &sqlx::PgPool) -> Schema {
    let mut s = Schema::default();
    let cols: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name <> $1",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(pool)
    .await
    .expect("columns");
    for (t, c) in cols {
        s.columns.entry(t).or_default().insert(c);
    }
    // Every index with its columns in index order, and whether a constraint made it.
    let indexes: Vec<(String, String, bool, bool, bool, Vec<String>)> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indisprimary, \
                EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid), \
                ARRAY(SELECT a.attname::text \
                      FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                      ORDER BY k.ord) \
         FROM pg_index ix \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND t.relname <> $1",
    )
    .bind(MIGRATIONS_TABLE)
    .fetch_all(pool)
    .await
    .expect("indexes");
    for (t, name, unique, primary, by_constraint, cols) in indexes {
        if primary {
            s.primary_keys.insert(t, cols);
        } else if by_constraint {
            s.unique.insert((t, cols));
        } else {
            s.indexes.insert(name, (t, cols, unique));
        }
    }
    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT trigger_name::text, event_object_table::text \
         FROM information_schema.triggers WHERE trigger_schema = current_schema()",
    )
    .fetch_all(pool)
    .await
    .expect("triggers");
    s.triggers = triggers.into_iter().collect();
    s
}

async fn schema_of(store: &Store) -> Schema {
    match store {
        Store::Sqlite(pool) => sqlite_schema(pool).await,
        Store::Postgres(pool) => postgres_schema(pool).await,
    }
}

/// Known, intended differences. An entry names what differs and why it must.
const ALLOWED_DIFFERENCES: &[(&str, &str)] = &[
    // PostgreSQL only: replicas need `seq` drawn in commit order (an advisory lock
    // before numbering) and a NOTIFY to wake them; SQLite is one process with one
    // writer, so its rowid order is commit order and nobody listens.
    ("trigger", "change_log_stamp"),
    ("trigger", "change_log_notify"),
];

/// Every difference between the two schemas, as `(kind, name)` with a description.
fn differences(lite: &Schema, pg: &Schema) -> Vec<((String, String), String)> {
    fn diff<K: Ord + Clone + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
        kind: &str,
        name: impl Fn(&K) -> String,
        a: &BTreeMap<K, V>,
        b: &BTreeMap<K, V>,
        out: &mut Vec<((String, String), String)>,
    ) {
        let keys: BTreeSet<&K> = a.keys().chain(b.keys()).collect();
        for k in keys {
            let (x, y) = (a.get(k), b.get(k));
            if x != y {
                out.push((
                    (kind.to_string(), name(k)),
                    format!("{kind} {k:?}: SQLite {x:?}, PostgreSQL {y:?}"),
                ));
            }
        }
    }
    let set = |s: &BTreeSet<(String, Vec<String>)>| -> BTreeMap<(String, Vec<String>), ()> {
        s.iter().map(|k| (k.clone(), ())).collect()
    };
    let trig = |s: &BTreeSet<(String, String)>| -> BTreeMap<(String, String), ()> {
        s.iter().map(|k| (k.clone(), ())).collect()
    };
    let mut out = Vec::new();
    diff(
        "table",
        |k: &String| k.clone(),
        &lite.columns,
        &pg.columns,
        &mut out,
    );
    diff(
        "primary key",
        |k: &String| k.clone(),
        &lite.primary_keys,
        &pg.primary_keys,
        &mut out,
    );
    diff(
        "unique",
        |k: &(String, Vec<String>)| format!("{}({})", k.0, k.1.join(",")),
        &set(&lite.unique),
        &set(&pg.unique),
        &mut out,
    );
    diff(
        "index",
        |k: &String| k.clone(),
        &lite.indexes,
        &pg.indexes,
        &mut out,
    );
    diff(
        "trigger",
        |k: &(String, String)| k.0.clone(),
        &trig(&lite.triggers),
        &trig(&pg.triggers),
        &mut out,
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_migrations_make_the_same_schema() {
    let (lite, pg) = (TestDb::sqlite().await, TestDb::postgres().await);
    let (a, b) = (schema_of(&lite.store).await, schema_of(&pg.store).await);
    // The introspection itself found what it should, on both.
    for s in [&a, &b] {
        assert!(s.columns.len() >= 20, "{:?}", s.columns.keys());
        assert!(s.columns["stock"].contains("push_id"), "{s:?}");
        assert_eq!(s.primary_keys["stock"], ["facility_id", "product_id"]);
        assert!(
            s.unique
                .contains(&("products".into(), vec!["source".into(), "source_id".into()])),
            "{:?}",
            s.unique
        );
        assert!(s.indexes.contains_key("stock_publisher"), "{:?}", s.indexes);
        assert!(
            s.triggers
                .contains(&("facilities_stock_cascade".into(), "facilities".into())),
            "{:?}",
            s.triggers
        );
    }
    let found: Vec<String> = differences(&a, &b)
        .into_iter()
        .filter(|(k, _)| !ALLOWED_DIFFERENCES.contains(&(k.0.as_str(), k.1.as_str())))
        .map(|(_, d)| d)
        .collect();
    assert!(
        found.is_empty(),
        "the migrations differ (fix one side, or allow the difference with a reason):\n{}",
        found.join("\n")
    );
}

// ---------------------------------------------------------------------------------
// The fixtures clean up after themselves.

backend_test! {
    /// A test that ends normally leaves neither its schema, nor its SQLite dir, nor
    /// its data folder.
    async fn a_dropped_app_leaves_no_database_and_no_temp_dir(backend) {
        let app = spawn_app_with(AppSettings::new(backend).data(Data::None)).await;
        let schema = app.db().pg_schema().map(String::from);
        let dir = app.db().sqlite_dir().map(PathBuf::from);
        if let Some(s) = &schema {
            assert!(pg_schema_exists(s).await);
        }
        drop(app);
        if let Some(s) = &schema {
            assert!(!pg_schema_exists(s).await, "schema {s} left behind");
        }
        if let Some(d) = &dir {
            assert!(!d.exists(), "{} left behind", d.display());
        }
    }
}

/// A test that panics while its app (PostgreSQL, small data set) runs on a
/// multi-threaded runtime leaves neither the schema nor the data folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_test_leaves_no_schema_and_no_temp_dir() {
    let (tx, rx) = std::sync::mpsc::channel();
    let task = tokio::spawn(async move {
        let app = spawn_app_with(AppSettings::new(Backend::Postgres)).await;
        let schema = app.db().pg_schema().expect("a schema").to_string();
        let data = app.data_dir().expect("a data folder").to_path_buf();
        assert!(pg_schema_exists(&schema).await);
        assert!(data.exists());
        tx.send((schema, data)).expect("send");
        // A request in flight while the test fails.
        let _pending = tokio::spawn(app.client.get(app.url("/api/v1/facilities?limit=1")).send());
        panic!("the test fails");
    });
    let err = task.await.expect_err("the test panicked");
    assert!(err.is_panic());
    let (schema, data) = rx.recv().expect("the app started");
    assert!(
        !pg_schema_exists(&schema).await,
        "schema {schema} left behind"
    );
    assert!(!data.exists(), "{} left behind", data.display());
}

/// The same on a current-thread runtime (`#[tokio::test]`'s default), where the
/// server cannot run while the clean-up blocks: the schema and the SQLite dir go.
#[test]
fn a_test_panicking_on_a_current_thread_runtime_leaves_no_database() {
    let seen = std::sync::Mutex::new(None);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(async {
                let app =
                    spawn_app_with(AppSettings::new(Backend::Postgres).data(Data::None)).await;
                let lite = TestDb::sqlite().await;
                *seen.lock().expect("lock") = Some((
                    app.db().pg_schema().expect("a schema").to_string(),
                    lite.sqlite_dir().expect("a dir").to_path_buf(),
                ));
                // A transaction holding a lock on one of the schema's tables.
                let Store::Postgres(pool) = app.store() else {
                    unreachable!()
                };
                let mut tx = pool.begin().await.expect("begin");
                sqlx::query("LOCK TABLE meta IN ACCESS EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await
                    .expect("lock");
                panic!("the test fails with the transaction open");
            })
    }));
    assert!(outcome.is_err(), "the test panicked");
    let (schema, dir) = seen.lock().expect("lock").take().expect("the app started");
    let exists = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(pg_schema_exists(&schema));
    assert!(!exists, "schema {schema} left behind");
    assert!(!dir.exists(), "{} left behind", dir.display());
}
