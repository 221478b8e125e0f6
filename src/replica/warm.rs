//! A replica's warm start: the rows its snapshot was last built from, kept on its own
//! disk with the change-log position they stand at, so a restarted replica reads
//! that file and then only the changes it missed, instead of every table of the
//! shared database (tens of millions of stock lines at national scale, read and
//! decoded by a database that is serving the other replicas meanwhile).
//!
//! The file is written whole, beside itself and renamed into place (a crash leaves
//! the old file or the new one), whenever this replica loads its snapshot from the
//! tables (first start, a reload after catalog or directory changes), and moved
//! forward ([`WarmStart::advance`]) every few minutes and at a graceful stop: moving
//! forward reads the changes after its position and the stock of the facilities
//! they touched, never the whole store. A file that was written by another build, for
//! another database, ahead of the log (the database was restored from a backup), or
//! behind the log's retention, is not used: the snapshot is then loaded whole, as
//! is one whose gap holds a catalog or directory change (those rebuild anyway).
//!
//! Layout: stock lines, the bulk, in postcard; the rest (facilities, hours, the
//! directory) as one JSON document inside it, because those rows carry API
//! serialisation attributes (skipped and optional fields) that only a
//! self-describing format reads back as written.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::model::{FacilityKind, StockRow};
use crate::snapshot::{Rows, ScheduleRow};
use crate::store::{DirectoryRows, FacilityRow, Result, SpecialRow, Store};

/// Which build wrote a file: rows are read back only by the build that wrote them.
fn format() -> String {
    format!(
        "warm-1-{}-{}",
        crate::catalog::persist::FORMAT,
        env!("MEDMAP_COMMIT")
    )
}

/// Where a replica keeps its rows, and which database they belong to.
#[derive(Debug, Clone)]
pub struct WarmStart {
    path: PathBuf,
    identity: String,
}

/// What a warm start did, for `/readyz` and the log.
#[derive(Debug, Clone, Serialize)]
pub struct WarmReport {
    /// The position the file stood at.
    pub from_position: i64,
    /// The position after the missed changes.
    pub to_position: i64,
    /// Change-log entries applied on top of the file.
    pub changes: usize,
    /// Facilities whose stock was read again from the database.
    pub facilities_reread: usize,
}

/// The file as written (borrowing the rows) and as read (owning them).
#[derive(Serialize)]
struct FileOut<'a> {
    format: String,
    identity: &'a str,
    position: i64,
    written_at: i64,
    stock: &'a [StockRow],
    rest: Vec<u8>,
}

#[derive(Deserialize)]
struct FileIn {
    format: String,
    identity: String,
    position: i64,
    #[allow(dead_code)]
    written_at: i64,
    stock: Vec<StockRow>,
    rest: Vec<u8>,
}

#[derive(Serialize)]
struct RestOut<'a> {
    facilities: Vec<FacilityOut<'a>>,
    schedules: &'a [ScheduleRow],
    special: &'a [SpecialRow],
    directory: &'a DirectoryRows,
}

#[derive(Deserialize)]
struct RestIn {
    facilities: Vec<FacilityIn>,
    schedules: Vec<ScheduleRow>,
    special: Vec<SpecialRow>,
    directory: DirectoryRows,
}

/// Every field of a facility, position included: the API's own serialisation of
/// [`FacilityRow`] leaves out the coordinates of a place that must stay hidden.
#[derive(Serialize, Deserialize)]
#[serde(remote = "FacilityRow")]
struct FacilityDef {
    id: i64,
    uuid: String,
    source: String,
    source_id: String,
    kind: FacilityKind,
    name: String,
    address: Option<String>,
    city: Option<String>,
    postcode: Option<String>,
    country: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    opening_hours: Option<String>,
    timezone: Option<String>,
    phones: Vec<String>,
    website: Option<String>,
    email: Option<String>,
    description: Option<String>,
    organization_id: Option<i64>,
    languages: Vec<String>,
    region: Option<String>,
    confidential: bool,
    public_contact: Option<String>,
    reimbursement: Vec<String>,
}

struct FacilityOut<'a>(&'a FacilityRow);

impl Serialize for FacilityOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        FacilityDef::serialize(self.0, s)
    }
}

#[derive(Deserialize)]
struct FacilityIn(#[serde(with = "FacilityDef")] FacilityRow);

/// Why a file could not be used (logged; the snapshot is then loaded whole).
#[derive(Debug, thiserror::Error)]
enum Unusable {
    #[error("no warm-start file yet")]
    Missing,
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    #[error("it does not decode: {0}")]
    Decode(String),
    #[error("it was written by another build")]
    OtherBuild,
    #[error("it belongs to another database ({0})")]
    OtherDatabase(String),
    #[error("its position {position} is past the log's retention (pruned through {pruned})")]
    PastRetention { position: i64, pruned: i64 },
    #[error(
        "its position {position} is ahead of the log's head {head} (was the database restored?)"
    )]
    AheadOfLog { position: i64, head: i64 },
    #[error("the catalog or the directory changed since it was written")]
    NeedsReload,
    #[error("database error: {0}")]
    Store(#[from] crate::store::StoreError),
}

impl WarmStart {
    /// The file for this database under `dir`; `None` on SQLite, where the one
    /// process reads its own file-backed store and there is nothing to catch up.
    pub async fn locate(store: &Store, dir: &Path) -> Result<Option<WarmStart>> {
        let Store::Postgres(pool) = store else {
            return Ok(None);
        };
        let opts = pool.connect_options();
        let (db, schema): (String, String) =
            sqlx::query_as("SELECT current_database(), COALESCE(current_schema(), '')")
                .fetch_one(pool)
                .await?;
        let identity = format!(
            "postgres://{}:{}/{db}?schema={schema}",
            opts.get_host(),
            opts.get_port()
        );
        let digest = hex::encode(sha2::Sha256::digest(identity.as_bytes()));
        Ok(Some(WarmStart {
            path: dir.join(format!("replica-{}.snapshot", &digest[..16])),
            identity,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The rows of the file brought up to the log's head, with what that took;
    /// `None` (logged) when the file cannot be used and the snapshot must be loaded
    /// whole.
    pub async fn restore(&self, store: &Store) -> Option<(Rows, WarmReport)> {
        let t = std::time::Instant::now();
        match self.caught_up(store).await {
            Ok(r) => {
                tracing::info!(
                    path = %self.path.display(),
                    from = r.1.from_position,
                    to = r.1.to_position,
                    changes = r.1.changes,
                    facilities_reread = r.1.facilities_reread,
                    elapsed_ms = t.elapsed().as_millis() as u64,
                    "warm start: rows read from the local file, missed changes applied"
                );
                Some(r)
            }
            Err(e) => {
                tracing::info!(path = %self.path.display(), reason = %e, "no warm start; loading the snapshot whole");
                None
            }
        }
    }

    /// Brings the file up to the log's head (a graceful stop, and every few
    /// minutes), so the next start has a small gap even after a crash.
    pub async fn advance(&self, store: &Store) {
        let (rows, report) = match self.caught_up(store).await {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!(reason = %e, "warm-start file not moved forward");
                return;
            }
        };
        if report.changes == 0 {
            return;
        }
        let me = self.clone();
        let to = report.to_position;
        match tokio::task::spawn_blocking(move || me.save(to, &rows)).await {
            Ok(Ok(())) => tracing::debug!(position = to, "warm-start file moved forward"),
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot write the warm-start file"),
            Err(e) => tracing::warn!(error = %e, "warm-start write failed"),
        }
    }

    /// Writes `rows`, standing at `position`, beside the file and renames it into
    /// place. Blocking: call it off the reactor.
    pub fn save(&self, position: i64, rows: &Rows) -> std::io::Result<()> {
        let t = std::time::Instant::now();
        let rest = serde_json::to_vec(&RestOut {
            facilities: rows.facilities.iter().map(FacilityOut).collect(),
            schedules: &rows.schedules,
            special: &rows.special,
            directory: &rows.directory,
        })
        .map_err(std::io::Error::other)?;
        let out = FileOut {
            format: format(),
            identity: &self.identity,
            position,
            written_at: chrono::Utc::now().timestamp(),
            stock: &rows.stock,
            rest,
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        {
            let mut w = std::io::BufWriter::new(tmp.as_file_mut());
            postcard::to_io(&out, &mut w).map_err(std::io::Error::other)?;
            w.flush()?;
        }
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        tracing::info!(
            path = %self.path.display(),
            position,
            stock_lines = rows.stock.len(),
            elapsed_ms = t.elapsed().as_millis() as u64,
            "warm-start file written"
        );
        Ok(())
    }

    /// Reads the file, checks it belongs here, and applies the changes after it.
    async fn caught_up(&self, store: &Store) -> std::result::Result<(Rows, WarmReport), Unusable> {
        let bytes = match tokio::fs::read(&self.path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unusable::Missing),
            Err(e) => return Err(e.into()),
        };
        let (position, mut rows) = tokio::task::spawn_blocking(move || decode(&bytes))
            .await
            .map_err(|e| Unusable::Decode(e.to_string()))??
            .checked(&self.identity)?;
        let window = store.change_window().await?;
        if position < window.pruned_through {
            return Err(Unusable::PastRetention {
                position,
                pruned: window.pruned_through,
            });
        }
        if position > window.head {
            return Err(Unusable::AheadOfLog {
                position,
                head: window.head,
            });
        }
        let gap = Gap::read(store, position).await?;
        if gap.reload {
            return Err(Unusable::NeedsReload);
        }
        let facilities: Vec<i64> = gap.facilities.iter().copied().collect();
        if !facilities.is_empty() {
            let fresh = store.load_stock_of(&facilities).await?;
            rows.stock
                .retain(|l| !gap.facilities.contains(&l.facility_id));
            rows.stock.extend(fresh);
            rows.stock
                .sort_unstable_by_key(|l| (l.facility_id, l.product_id));
        }
        if gap.special {
            rows.special = store.load_special_hours().await?;
        }
        Ok((
            rows,
            WarmReport {
                from_position: position,
                to_position: gap.to,
                changes: gap.changes,
                facilities_reread: facilities.len(),
            },
        ))
    }
}

/// A decoded file before its header is checked.
struct Decoded {
    identity: String,
    position: i64,
    rows: Rows,
}

impl Decoded {
    fn checked(self, identity: &str) -> std::result::Result<(i64, Rows), Unusable> {
        if self.identity != identity {
            return Err(Unusable::OtherDatabase(self.identity));
        }
        Ok((self.position, self.rows))
    }
}

fn decode(bytes: &[u8]) -> std::result::Result<Decoded, Unusable> {
    let file: FileIn = postcard::from_bytes(bytes).map_err(|e| Unusable::Decode(e.to_string()))?;
    if file.format != format() {
        return Err(Unusable::OtherBuild);
    }
    let rest: RestIn =
        serde_json::from_slice(&file.rest).map_err(|e| Unusable::Decode(e.to_string()))?;
    Ok(Decoded {
        identity: file.identity,
        position: file.position,
        rows: Rows {
            facilities: rest.facilities.into_iter().map(|f| f.0).collect(),
            stock: file.stock,
            schedules: rest.schedules,
            special: rest.special,
            directory: rest.directory,
        },
    })
}

/// What the change log holds after a position, summed up for a warm start.
struct Gap {
    /// The last entry read.
    to: i64,
    changes: usize,
    /// Facilities whose stock changed.
    facilities: BTreeSet<i64>,
    /// Whether special times changed.
    special: bool,
    /// Whether a change needs the snapshot loaded whole.
    reload: bool,
}

impl Gap {
    async fn read(store: &Store, from: i64) -> Result<Gap> {
        let mut gap = Gap {
            to: from,
            changes: 0,
            facilities: BTreeSet::new(),
            special: false,
            reload: false,
        };
        loop {
            let batch = store.changes_after(gap.to, super::BATCH).await?;
            let Some(last) = batch.last().map(|c| c.seq) else {
                return Ok(gap);
            };
            for c in &batch {
                if super::needs_reload(c) {
                    gap.reload = true;
                    return Ok(gap);
                }
                match c.kind {
                    crate::store::ChangeKind::Stock => gap
                        .facilities
                        .extend(c.payload.facilities.iter().flatten().copied()),
                    crate::store::ChangeKind::SpecialHours => gap.special = true,
                    _ => {}
                }
            }
            gap.changes += batch.len();
            gap.to = last;
            if (batch.len() as i64) < super::BATCH {
                return Ok(gap);
            }
        }
    }
}
