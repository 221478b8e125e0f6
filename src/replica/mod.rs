//! Keeping a replica's snapshot in step with the others on one PostgreSQL: every
//! write appends to the change log in its own transaction ([`crate::store::changes`])
//! and a trigger NOTIFYs `medmap_changes`; this follower LISTENs, and on every
//! wake-up (or every [`FollowSettings::poll`] without one) reads the log after its
//! position and applies it:
//!
//! - stock changes read the touched facilities' lines only and swap them in
//!   copy-on-write ([`Snapshot::with_facility_stock`]), coalesced per batch;
//! - special times are re-read and laid over the hours (as a local rota push does);
//! - key changes need nothing (keys are read from the database per push);
//! - catalog and directory changes (and anything unknown) reload the snapshot whole
//!   in the background while the old one keeps answering, then apply again every
//!   entry after the position the reload started from.
//!
//! Why LISTEN/NOTIFY rather than logical decoding: it needs no replication slot
//! (a slot left behind by a dead replica makes PostgreSQL keep WAL until the disk
//! fills), no `wal_level=logical` or superuser, works through PgBouncer in session
//! mode, and sqlx supports it. What NOTIFY lacks (it is lost while a listener is
//! away) the log provides: the follower always reads by position, so a missed
//! notification only delays a change by one poll, never loses it.
//!
//! When the database is unreachable the follower keeps the last snapshot, marks
//! the database down (`/readyz`, `/metrics`), retries with backoff and, once back,
//! reconnects the listener and catches up from its position: no restart. A
//! position older than the log's retention ([`Store::prune_change_log`]) means
//! entries are gone: then it reloads whole.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use sqlx::postgres::PgListener;

use crate::snapshot::{SharedSnapshot, Snapshot, SpecialTimes};
use crate::store::{Change, ChangeKind, Result, Store, StoreError};

pub mod warm;

pub use warm::{WarmReport, WarmStart};

/// The channel the change-log trigger notifies on.
pub const CHANNEL: &str = "medmap_changes";

/// Changes read per query.
const BATCH: i64 = 1_000;

/// How long a reconnection attempt or the first read of a catch-up may take before
/// the database counts as unreachable.
const PROBE: Duration = Duration::from_secs(3);

/// How the follower paces itself.
#[derive(Debug, Clone)]
pub struct FollowSettings {
    /// The longest wait without a notification before the log is read anyway.
    pub poll: Duration,
    /// How long log entries are kept (`--change-log-retention-hours`).
    pub retention_secs: i64,
    /// How often this replica prunes the log.
    pub prune_every: Duration,
    /// A catalog or directory import writes in several transactions: wait this long
    /// after the first such change before reloading, so one reload covers them.
    pub reload_settle: Duration,
    /// Where this replica keeps its warm-start file (`--state-dir`); `None`: every
    /// start loads the snapshot whole from the database.
    pub state_dir: Option<PathBuf>,
    /// How often the warm-start file is moved up to the log's head, so a replica
    /// that crashes has only this much to catch up from the database at its next
    /// start.
    pub warm_every: Duration,
}

impl Default for FollowSettings {
    fn default() -> Self {
        FollowSettings {
            poll: Duration::from_secs(2),
            retention_secs: crate::config::defaults::CHANGE_LOG_RETENTION_HOURS * 3_600,
            prune_every: Duration::from_secs(600),
            reload_settle: Duration::from_millis(300),
            state_dir: None,
            warm_every: Duration::from_secs(300),
        }
    }
}

/// The position a snapshot about to be loaded starts from: the log's head read
/// BEFORE the load, so anything committed during the load is applied again after.
/// `None` on SQLite (one process: nothing to follow).
pub async fn start_position(store: &Store) -> Result<Option<i64>> {
    match store {
        Store::Postgres(_) => Ok(Some(store.change_window().await?.head)),
        Store::Sqlite(_) => Ok(None),
    }
}

/// Starts following on a PostgreSQL store; the snapshot in `cell` must have been
/// loaded from `position` ([`start_position`]). On SQLite (one process, nothing to
/// follow) only prunes the log, which it writes too (one SQL text for both).
pub fn spawn(
    store: Store,
    cell: SharedSnapshot,
    position: Option<i64>,
    settings: FollowSettings,
    warm: Option<WarmStart>,
) {
    let (Store::Postgres(pool), Some(position)) = (store.clone(), position) else {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(settings.prune_every).await;
                if let Err(e) = store.prune_change_log(settings.retention_secs).await {
                    tracing::warn!(error = %e, "cannot prune the change log");
                }
            }
        });
        return;
    };
    cell.sync.set_position(position);
    cell.sync.set_following(true);
    tokio::spawn(async move {
        let mut f = Follower {
            store,
            cell,
            settings,
            warm,
        };
        f.run(pool).await;
    });
}

struct Follower {
    store: Store,
    cell: SharedSnapshot,
    settings: FollowSettings,
    warm: Option<WarmStart>,
}

impl Follower {
    async fn run(&mut self, pool: sqlx::PgPool) {
        let mut listener: Option<PgListener> = None;
        let mut backoff = Duration::from_millis(200);
        let mut last_prune = tokio::time::Instant::now();
        let mut last_warm = tokio::time::Instant::now();
        loop {
            if listener.is_none() {
                listener = tokio::time::timeout(PROBE, listen(&pool))
                    .await
                    .ok()
                    .flatten();
            }
            match self.catch_up().await {
                Ok(()) => {
                    if !self.cell.sync.db_up() {
                        tracing::info!(
                            position = self.cell.sync.position(),
                            "database reachable again; caught up"
                        );
                    }
                    self.cell.sync.set_db_up(true);
                    self.cell.sync.mark_synced();
                    backoff = Duration::from_millis(200);
                }
                // The server is stopping and closed its store: nothing left to follow.
                Err(StoreError::Db(sqlx::Error::PoolClosed)) => return,
                Err(e) => {
                    if self.cell.sync.db_up() {
                        tracing::warn!(error = %e, "cannot read the change log; serving the last snapshot");
                    }
                    self.cell.sync.set_db_up(false);
                    listener = None;
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            }
            if last_prune.elapsed() >= self.settings.prune_every {
                last_prune = tokio::time::Instant::now();
                match self
                    .store
                    .prune_change_log(self.settings.retention_secs)
                    .await
                {
                    Ok(n) if n > 0 => tracing::info!(entries = n, "change log pruned"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot prune the change log"),
                }
            }
            if let Some(w) = self.warm.as_ref() {
                if last_warm.elapsed() >= self.settings.warm_every {
                    last_warm = tokio::time::Instant::now();
                    let (w, store) = (w.clone(), self.store.clone());
                    tokio::spawn(async move { w.advance(&store).await });
                }
            }
            // Wait for a wake-up; the log is read after it whatever it says.
            match listener.as_mut() {
                Some(l) => match tokio::time::timeout(self.settings.poll, l.try_recv()).await {
                    // A notification, or a quiet spell: read the log.
                    Ok(Ok(Some(_))) | Err(_) => {}
                    // The connection dropped (notifications may be lost): read the
                    // log; `try_recv` reconnects on its next call.
                    Ok(Ok(None)) => tracing::info!("change listener reconnecting"),
                    Ok(Err(sqlx::Error::PoolClosed)) => return,
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "change listener failed");
                        listener = None;
                    }
                },
                None => tokio::time::sleep(self.settings.poll.min(backoff)).await,
            }
        }
    }

    /// Applies every change after the position, batch by batch, up to the head.
    async fn catch_up(&mut self) -> Result<()> {
        // A short probe first: while the database is away, the pool would wait its
        // whole acquire timeout before failing.
        let window = tokio::time::timeout(PROBE, self.store.change_window())
            .await
            .map_err(|_| StoreError::Db(sqlx::Error::PoolTimedOut))??;
        if self.cell.sync.position() < window.pruned_through {
            tracing::warn!(
                position = self.cell.sync.position(),
                pruned_through = window.pruned_through,
                "missed changes are past the log's retention; reloading whole"
            );
            self.reload().await?;
        }
        loop {
            let batch = self
                .store
                .changes_after(self.cell.sync.position(), BATCH)
                .await?;
            let Some(last) = batch.last().map(|c| c.seq) else {
                return Ok(());
            };
            let full = batch.len() as i64 == BATCH;
            if batch.iter().any(needs_reload) {
                tokio::time::sleep(self.settings.reload_settle).await;
                self.reload().await?;
                continue;
            }
            self.apply(&batch).await?;
            self.cell.sync.set_position(last);
            if !full {
                return Ok(());
            }
        }
    }

    /// Applies a batch of incremental changes (no reload among them).
    async fn apply(&self, batch: &[Change]) -> Result<()> {
        let mut facilities: BTreeSet<i64> = BTreeSet::new();
        let mut special = false;
        for c in batch {
            match c.kind {
                ChangeKind::Stock => {
                    if !self.cell.sync.take_local(c.seq) {
                        facilities.extend(c.payload.facilities.iter().flatten().copied());
                    }
                }
                ChangeKind::SpecialHours => special = true,
                ChangeKind::Keys => {}
                ChangeKind::Catalog | ChangeKind::Directory | ChangeKind::Unknown => {}
            }
        }
        if !facilities.is_empty() {
            let ids: Vec<i64> = facilities.into_iter().collect();
            // The writer lock first, then the read: a local push is then either
            // wholly before the read (its rows are read) or wholly after it (its
            // delta lands on top), never lost in between.
            let writer = self.cell.writer().await;
            let rows = self.store.load_stock_of(&ids).await?;
            let t = std::time::Instant::now();
            tokio::task::spawn_blocking(move || {
                if let Some(cur) = writer.current() {
                    writer.replace(cur.with_facility_stock(&ids, &rows));
                }
            })
            .await
            .map_err(|e| StoreError::Corrupt(format!("applying a remote push failed: {e}")))?;
            tracing::debug!(
                elapsed_us = t.elapsed().as_micros() as u64,
                "remote stock applied"
            );
        }
        if special {
            let writer = self.cell.writer().await;
            let all = self.store.load_special_hours().await?;
            if let Some(cur) = writer.current() {
                let times = SpecialTimes::build(all, &cur.facility_index);
                let changed: Vec<u32> =
                    cur.special.facilities().chain(times.facilities()).collect();
                writer.apply_special(times, &changed);
            }
        }
        Ok(())
    }

    /// Loads a new snapshot while the old one answers, swaps it in, and moves the
    /// position back to where the load began: what committed during the load is
    /// applied again on top (every change applies idempotently).
    async fn reload(&self) -> Result<()> {
        let from = self.store.change_window().await?.head;
        let t = std::time::Instant::now();
        let fresh = load_whole(&self.store, None, self.warm.clone(), from).await?;
        let writer = self.cell.writer().await;
        writer.replace(fresh);
        self.cell.sync.forget_local();
        self.cell.sync.set_position(from);
        drop(writer);
        tracing::info!(
            position = from,
            elapsed_ms = t.elapsed().as_millis() as u64,
            "snapshot reloaded after catalog or directory changes"
        );
        Ok(())
    }
}

/// The snapshot loaded from every table, standing at `position`; the rows read are
/// also written to the warm-start file (when there is one) for the next start.
pub async fn load_whole(
    store: &Store,
    seed: Option<crate::snapshot::Seed>,
    warm: Option<WarmStart>,
    position: i64,
) -> Result<Snapshot> {
    Snapshot::load_with(store, seed, move |rows| {
        if let Some(w) = warm {
            if let Err(e) = w.save(position, rows) {
                tracing::warn!(path = %w.path().display(), error = %e, "cannot write the warm-start file");
            }
        }
    })
    .await
}

/// Whether a change is beyond incremental application.
fn needs_reload(c: &Change) -> bool {
    match c.kind {
        ChangeKind::Catalog | ChangeKind::Directory | ChangeKind::Unknown => true,
        ChangeKind::Stock => c.payload.facilities.is_none(),
        ChangeKind::Keys | ChangeKind::SpecialHours => false,
    }
}

/// A listener on [`CHANNEL`], or `None` while the database is unreachable (the
/// follower then polls and tries again).
async fn listen(pool: &sqlx::PgPool) -> Option<PgListener> {
    let mut l = match PgListener::connect_with(pool).await {
        Ok(l) => l,
        Err(e) => {
            tracing::debug!(error = %e, "cannot open the change listener yet");
            return None;
        }
    };
    match l.listen(CHANNEL).await {
        Ok(()) => Some(l),
        Err(e) => {
            tracing::debug!(error = %e, "cannot LISTEN yet");
            None
        }
    }
}
