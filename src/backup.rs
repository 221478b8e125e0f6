//! `medmap backup` and `medmap restore`: a consistent copy of a live SQLite store
//! without stopping the server, and putting such a copy back.
//!
//! **Why SQLite's online backup API and not `VACUUM INTO`.** Both give a consistent
//! snapshot from one read transaction, and in WAL mode neither blocks the server's
//! writers. The backup API copies pages as they are (memcpy, no re-encoding), so it
//! costs I/O only, while `VACUUM INTO` rebuilds every table and index row by row, a
//! CPU-bound pass of several seconds per GB on the same cores the server answers on.
//! The backup API also works from a second process, through the raw handle sqlx
//! exposes (`lock_handle`), with no extra SQLite driver. It is run in one step
//! (`sqlite3_backup_step(-1)`): stepping in slices would restart whenever the server
//! commits in between, and a busy server could starve it.
//!
//! PostgreSQL is backed up with `pg_dump` and restored with `pg_restore`
//! (docs/operations.md, Backups); both commands here say so.
//!
//! **Restore** never writes into the store in place: the file is copied beside the
//! store, checked there (`PRAGMA integrity_check`, the migrations table, a schema this
//! binary knows), and renamed over the store, so the store is either the old one or
//! the new one. It refuses while any process has the store open: a running `serve`
//! keeps a connection open for its whole life ([`hold_open`]) that blocks the
//! exclusive lock restore takes, because a server over a replaced file would go on
//! serving and writing the old one.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection, SqliteConnection};

use crate::store::Store;

/// The migrations this binary applies to SQLite: a file may be restored if it has
/// applied a prefix of them, unchanged (an older store is migrated at the next start).
static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Why a backup or restore did not happen. Nothing is changed when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} is PostgreSQL: back it up with pg_dump and restore with pg_restore (docs/operations.md, \"Backups\")")]
    Postgres(String),
    #[error("unsupported database URL {0:?}: use sqlite://FILE")]
    BadUrl(String),
    #[error("{0}: no such file")]
    Missing(PathBuf),
    #[error("{path} is not a medmap store: {reason}")]
    NotAStore { path: PathBuf, reason: String },
    #[error("{path} is in use by another process (a running `medmap serve` holds it open): stop the server (e.g. `systemctl stop medmap`), restore, then start it again")]
    InUse { path: PathBuf },
    #[error("{0} is left without its database and would be replayed into the restored one: remove it (and the -shm beside it) if no process uses it, then restore again")]
    StrayWal(PathBuf),
    #[error("{0} is the store itself: write the backup to another file")]
    SameFile(PathBuf),
    #[error("SQLite backup of {path} failed: {message}")]
    Sqlite { path: PathBuf, message: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

type Result<T, E = BackupError> = std::result::Result<T, E>;

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let context = context.into();
    move |source| BackupError::Io { context, source }
}

/// What a checked store file holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StoreFile {
    pub bytes: u64,
    pub schema_version: i64,
    pub facilities: i64,
    pub products: i64,
    pub stock_lines: i64,
    pub publishers: i64,
}

/// What `backup` or `restore` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub path: PathBuf,
    pub elapsed_ms: u64,
    pub file: StoreFile,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.file;
        write!(
            f,
            "{}: {:.1} MB, schema {}, {} facilities, {} products, {} stock lines, {} publishers; integrity ok; {:.1} s",
            self.path.display(),
            s.bytes as f64 / 1e6,
            s.schema_version,
            s.facilities,
            s.products,
            s.stock_lines,
            s.publishers,
            self.elapsed_ms as f64 / 1000.0
        )
    }
}

/// The file of a `sqlite://` URL, or why not.
pub fn sqlite_path(db_url: &str) -> Result<PathBuf> {
    if db_url.starts_with("postgres://") || db_url.starts_with("postgresql://") {
        return Err(BackupError::Postgres(redact(db_url)));
    }
    let path = db_url
        .strip_prefix("sqlite://")
        .or_else(|| db_url.strip_prefix("sqlite:"))
        .ok_or_else(|| BackupError::BadUrl(db_url.to_string()))?;
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() || path == ":memory:" {
        return Err(BackupError::BadUrl(db_url.to_string()));
    }
    Ok(PathBuf::from(path))
}

/// A URL without its password, for messages.
fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// `medmap backup --out FILE`: copies the store at `db_url` into `out` while it is
/// served and written to. `out` is replaced only once the copy is complete and checked.
pub async fn backup(db_url: &str, out: &Path) -> Result<Outcome> {
    let started = Instant::now();
    let src_path = sqlite_path(db_url)?;
    if !src_path.is_file() {
        return Err(BackupError::Missing(src_path));
    }
    if same_file(&src_path, out) {
        return Err(BackupError::SameFile(out.to_path_buf()));
    }
    let tmp = Partial::beside(out, "backup")?;
    let mut src = open(&src_path, false).await?;
    let mut dst = open(tmp.path(), true).await?;
    copy_all(&mut src, &mut dst, &src_path).await?;
    src.close().await?;
    // One self-contained file: no WAL beside it to lose when it is copied away.
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(&mut dst)
        .await?;
    let file = inspect(&mut dst, tmp.path()).await?;
    dst.close().await?;
    tmp.commit(out)?;
    Ok(Outcome {
        path: out.to_path_buf(),
        elapsed_ms: started.elapsed().as_millis() as u64,
        file,
    })
}

/// `medmap restore FILE`: checks `file` and puts it in place of the store at
/// `db_url` in one rename; refuses while another process has the store open.
pub async fn restore(db_url: &str, file: &Path) -> Result<Outcome> {
    let started = Instant::now();
    let target = sqlite_path(db_url)?;
    if !file.is_file() {
        return Err(BackupError::Missing(file.to_path_buf()));
    }
    if sidecar(file, "-wal").exists() {
        return Err(BackupError::NotAStore {
            path: file.to_path_buf(),
            reason: "it has a -wal file beside it, so it is a live store rather than a backup; \
                     take a copy with `medmap backup --db sqlite://FILE --out COPY`"
                .into(),
        });
    }
    let tmp = Partial::beside(&target, "restore")?;
    std::fs::copy(file, tmp.path()).map_err(io(format!(
        "copying {} to {}",
        file.display(),
        tmp.path().display()
    )))?;
    let checked = check_copy(tmp.path(), file).await?;
    let lock = if target.exists() {
        Some(lock_exclusive(&target).await?)
    } else if sidecar(&target, "-wal").exists() {
        // A WAL without its database would be replayed into the restored file.
        return Err(BackupError::StrayWal(sidecar(&target, "-wal")));
    } else {
        None
    };
    tmp.commit(&target)?;
    if let Some(c) = lock {
        // Closes the old file's handle; nothing of the old store is read or written.
        let _ = c.close().await;
    }
    Ok(Outcome {
        path: target,
        elapsed_ms: started.elapsed().as_millis() as u64,
        file: checked,
    })
}

/// Checks the copy at `path` of the operator's `shown` file and leaves it one
/// self-contained file (journal mode DELETE). Whatever SQLite cannot open or read
/// is not a store.
async fn check_copy(path: &Path, shown: &Path) -> Result<StoreFile> {
    let not = |reason: String| BackupError::NotAStore {
        path: shown.to_path_buf(),
        reason,
    };
    let mut conn = open(path, false)
        .await
        .map_err(|e| not(format!("SQLite cannot read it ({e})")))?;
    let checked = inspect(&mut conn, path).await.map_err(|e| match e {
        // Name the file the operator gave, not our temporary copy.
        BackupError::NotAStore { reason, .. } => not(reason),
        e => e,
    })?;
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(checked)
}

/// A connection to the store at `store`'s file kept open (and read once, which in
/// WAL mode holds a shared lock on the file until it closes), so `restore` sees
/// that a server is running even when its pool has closed every idle connection.
/// `None` on PostgreSQL.
pub async fn hold_open(store: &Store) -> Result<Option<SqliteConnection>> {
    let Store::Sqlite(pool) = store else {
        return Ok(None);
    };
    let opts = pool.connect_options();
    let mut conn = SqliteConnection::connect_with(&opts).await?;
    sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations")
        .execute(&mut conn)
        .await?;
    Ok(Some(conn))
}

/// A connection that runs no migrations and sets no journal mode: neither may
/// change a store the server or the operator still relies on.
async fn open(path: &Path, create: bool) -> Result<SqliteConnection> {
    let conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(create)
        .busy_timeout(Duration::from_secs(10))
        .connect()
        .await?;
    Ok(conn)
}

/// The store locked against every other process: fails with [`BackupError::InUse`]
/// when any has it open. Folding the WAL back into the file (journal mode DELETE)
/// needs the exclusive lock, which exclusive locking mode then keeps until close.
async fn lock_exclusive(path: &Path) -> Result<SqliteConnection> {
    let in_use = || BackupError::InUse {
        path: path.to_path_buf(),
    };
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .locking_mode(SqliteLockingMode::Exclusive)
        // Time for a process that is just closing the store (a finished CLI command)
        // to let go; a running server never does, and is reported after this.
        .busy_timeout(Duration::from_secs(5))
        .connect()
        .await
        .map_err(|e| if is_busy(&e) { in_use() } else { e.into() })?;
    let step = async {
        sqlx::query("PRAGMA journal_mode = DELETE")
            .execute(&mut conn)
            .await?;
        sqlx::query("BEGIN EXCLUSIVE").execute(&mut conn).await?;
        sqlx::query("COMMIT").execute(&mut conn).await?;
        Ok::<_, sqlx::Error>(())
    }
    .await;
    match step {
        Ok(()) => Ok(conn),
        Err(e) if is_busy(&e) => Err(in_use()),
        Err(e) => Err(e.into()),
    }
}

fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code();
            let code = code.as_deref().unwrap_or("");
            // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
            code.parse::<i32>()
                .is_ok_and(|c| matches!(c & 0xff, ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED))
        }
        _ => false,
    }
}

/// `PRAGMA integrity_check`, the migrations table against this binary's, and what
/// the file holds.
async fn inspect(conn: &mut SqliteConnection, path: &Path) -> Result<StoreFile> {
    let not = |reason: String| BackupError::NotAStore {
        path: path.to_path_buf(),
        reason,
    };
    let check: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| not(format!("SQLite cannot read it ({e})")))?;
    if check.len() != 1 || check[0].0 != "ok" {
        let first: Vec<&str> = check.iter().take(3).map(|r| r.0.as_str()).collect();
        return Err(not(format!("integrity_check: {}", first.join("; "))));
    }
    let applied: Vec<(i64, Vec<u8>, bool)> =
        sqlx::query_as("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| not(format!("no migrations table ({e})")))?;
    if applied.is_empty() {
        return Err(not("its migrations table is empty".into()));
    }
    let newest_known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    for (version, checksum, success) in &applied {
        let Some(m) = MIGRATOR.iter().find(|m| m.version == *version) else {
            return Err(not(format!(
                "it has migration {version}, newer than this medmap's newest ({newest_known}): restore it with the medmap that made it"
            )));
        };
        if !success {
            return Err(not(format!("its migration {version} did not complete")));
        }
        if m.checksum.as_ref() != checksum.as_slice() {
            return Err(not(format!(
                "its migration {version} differs from this medmap's"
            )));
        }
    }
    let schema_version = applied.iter().map(|a| a.0).max().unwrap_or(0);
    let (facilities, products, stock_lines, publishers): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM facilities), (SELECT COUNT(*) FROM products), (SELECT COUNT(*) FROM stock), (SELECT COUNT(*) FROM publishers)",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| not(format!("its tables are not medmap's ({e})")))?;
    let (pages, page_size): (i64, i64) =
        sqlx::query_as("SELECT page_count, page_size FROM pragma_page_count(), pragma_page_size()")
            .fetch_one(&mut *conn)
            .await?;
    Ok(StoreFile {
        bytes: (pages * page_size).max(0) as u64,
        schema_version,
        facilities,
        products,
        stock_lines,
        publishers,
    })
}

/// Copies every page of `src` into `dst` in one backup step (one read transaction
/// on `src`: a consistent snapshot, whatever the server commits meanwhile).
async fn copy_all(
    src: &mut SqliteConnection,
    dst: &mut SqliteConnection,
    path: &Path,
) -> Result<()> {
    let mut s = src.lock_handle().await?;
    let mut d = dst.lock_handle().await?;
    let sp = s.as_raw_handle().as_ptr();
    let dp = d.as_raw_handle().as_ptr();
    // SAFETY: both handles are open connections, locked for this task (sqlx's worker
    // threads cannot touch them until `s` and `d` drop, after the call returns).
    let run = || unsafe { backup_pages(sp, dp) };
    let r = match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
        _ => run(),
    };
    r.map_err(|message| BackupError::Sqlite {
        path: path.to_path_buf(),
        message,
    })
}

/// The online backup API over two raw handles.
///
/// # Safety
/// `src` and `dst` are valid, open `sqlite3` handles that no other thread uses
/// during the call.
unsafe fn backup_pages(src: *mut ffi::sqlite3, dst: *mut ffi::sqlite3) -> Result<(), String> {
    let main = c"main";
    // SAFETY: valid handles (the caller's promise) and NUL-terminated names.
    let b = unsafe { ffi::sqlite3_backup_init(dst, main.as_ptr(), src, main.as_ptr()) };
    if b.is_null() {
        // SAFETY: `dst` is valid; the message belongs to it and is copied at once.
        return Err(unsafe { errmsg(dst) });
    }
    // A transient lock (a checkpoint, a writer's commit) answers BUSY: wait and retry,
    // for up to a minute.
    let deadline = Instant::now() + Duration::from_secs(60);
    let step = loop {
        // SAFETY: `b` is the live backup object made above.
        let rc = unsafe { ffi::sqlite3_backup_step(b, -1) };
        match rc {
            ffi::SQLITE_DONE => break Ok(()),
            ffi::SQLITE_OK => continue,
            ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50))
            }
            // SAFETY: a static string for any result code.
            rc => {
                break Err(unsafe { CStr::from_ptr(ffi::sqlite3_errstr(rc)) }
                    .to_string_lossy()
                    .into_owned())
            }
        }
    };
    // SAFETY: `b` is live and finished exactly once; it frees `b`.
    let rc = unsafe { ffi::sqlite3_backup_finish(b) };
    step?;
    if rc != ffi::SQLITE_OK {
        // SAFETY: as above.
        return Err(unsafe { errmsg(dst) });
    }
    Ok(())
}

/// # Safety
/// `db` is a valid handle.
unsafe fn errmsg(db: *mut ffi::sqlite3) -> String {
    // SAFETY: SQLite returns a NUL-terminated string owned by `db`, copied here.
    unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db)) }
        .to_string_lossy()
        .into_owned()
}

/// Whether `b` names the file `a` is (`b` may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| {
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        Some(dir.canonicalize().ok()?.join(p.file_name()?))
    };
    match (canon(a), canon(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// `FILE-wal`, `FILE-shm`, `FILE-journal`.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// A temporary file beside its destination (same directory, so the final rename is
/// atomic), removed with its side files unless committed.
struct Partial {
    path: PathBuf,
    done: bool,
}

impl Partial {
    fn beside(dest: &Path, what: &str) -> Result<Partial> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(BackupError::Missing(dir));
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "medmap.db".into());
        let path = dir.join(format!(".{name}.{what}-{}", std::process::id()));
        for p in [
            path.clone(),
            sidecar(&path, "-journal"),
            sidecar(&path, "-wal"),
        ] {
            let _ = std::fs::remove_file(p);
        }
        Ok(Partial { path, done: false })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// Makes the file durable and renames it to `dest` (replacing it), then makes
    /// the rename durable.
    fn commit(mut self, dest: &Path) -> Result<()> {
        let f = std::fs::File::open(&self.path)
            .map_err(io(format!("opening {}", self.path.display())))?;
        f.sync_all()
            .map_err(io(format!("syncing {}", self.path.display())))?;
        drop(f);
        std::fs::rename(&self.path, dest).map_err(io(format!(
            "renaming {} to {}",
            self.path.display(),
            dest.display()
        )))?;
        self.done = true;
        if let Some(dir) = dest.parent().filter(|p| !p.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.done {
            for p in [
                self.path.clone(),
                sidecar(&self.path, "-journal"),
                sidecar(&self.path, "-wal"),
                sidecar(&self.path, "-shm"),
            ] {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            sqlite_path("sqlite://medmap.db").unwrap(),
            PathBuf::from("medmap.db")
        );
        assert_eq!(
            sqlite_path("sqlite:///var/lib/medmap/medmap.db?mode=rwc").unwrap(),
            PathBuf::from("/var/lib/medmap/medmap.db")
        );
        let e = sqlite_path("postgres://u:secret@h/db")
            .unwrap_err()
            .to_string();
        assert!(e.contains("pg_dump") && !e.contains("secret"), "{e}");
        assert!(matches!(
            sqlite_path("mysql://x"),
            Err(BackupError::BadUrl(_))
        ));
        assert!(matches!(
            sqlite_path("sqlite::memory:"),
            Err(BackupError::BadUrl(_))
        ));
    }
}
