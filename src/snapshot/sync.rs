//! How current a replica's snapshot is: the change-log position it has applied,
//! when it last confirmed it was caught up, whether the database answers, and the
//! pushes this process applied itself (so the follower does not apply them twice).
//! Kept beside the snapshot because the writers that change one update the other
//! under the same lock.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;

use crate::replica::{WarmReport, WarmStart};

/// How a replica's first snapshot was made (`/readyz`): from the tables, or from
/// its warm-start file plus the changes it missed while away.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum Started {
    Tables,
    WarmFile(WarmReport),
}

/// Shared by the follower ([`crate::replica`]), local pushes and `/readyz`/`/metrics`.
#[derive(Debug)]
pub struct SyncState {
    /// Whether a follower keeps this snapshot in step with a shared database (a
    /// PostgreSQL replica); false on SQLite, where this process is the only writer.
    following: AtomicBool,
    /// The last change-log `seq` applied (everything up to it is in the snapshot).
    position: AtomicI64,
    /// Unix milliseconds when the follower last saw the snapshot caught up with the
    /// log's head: the snapshot's age a reader cares about during an outage.
    synced_at_ms: AtomicI64,
    /// Whether the last database round trip succeeded.
    db_up: AtomicBool,
    /// Change-log entries this process applied to the snapshot itself (its own
    /// pushes), not yet passed by the follower.
    local: Mutex<HashSet<i64>>,
    /// How the first snapshot was made.
    started: OnceLock<Started>,
    /// The warm-start file, moved forward once more at a graceful stop.
    warm: OnceLock<WarmStart>,
}

impl Default for SyncState {
    fn default() -> Self {
        SyncState {
            following: AtomicBool::new(false),
            position: AtomicI64::new(0),
            synced_at_ms: AtomicI64::new(chrono::Utc::now().timestamp_millis()),
            db_up: AtomicBool::new(true),
            local: Mutex::default(),
            started: OnceLock::new(),
            warm: OnceLock::new(),
        }
    }
}

impl SyncState {
    pub fn following(&self) -> bool {
        self.following.load(Ordering::Relaxed)
    }

    pub fn set_following(&self, on: bool) {
        self.following.store(on, Ordering::Relaxed);
    }

    pub fn position(&self) -> i64 {
        self.position.load(Ordering::Acquire)
    }

    pub(crate) fn set_position(&self, seq: i64) {
        self.position.store(seq, Ordering::Release);
    }

    pub fn db_up(&self) -> bool {
        self.db_up.load(Ordering::Relaxed)
    }

    pub(crate) fn set_db_up(&self, up: bool) {
        self.db_up.store(up, Ordering::Relaxed);
    }

    /// Marks the snapshot as caught up with the log now.
    pub(crate) fn mark_synced(&self) {
        self.synced_at_ms
            .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
    }

    /// Seconds since the snapshot was last known to be current.
    pub fn age_secs(&self) -> f64 {
        let ms = chrono::Utc::now().timestamp_millis() - self.synced_at_ms.load(Ordering::Relaxed);
        ms.max(0) as f64 / 1000.0
    }

    /// A push of this process, already in the snapshot.
    pub(crate) fn note_local(&self, seq: i64) {
        if !self.following() {
            return;
        }
        if let Ok(mut l) = self.local.lock() {
            l.insert(seq);
        }
    }

    /// Whether `seq` was applied locally (and forgets it: the follower passes each
    /// entry once).
    pub(crate) fn take_local(&self, seq: i64) -> bool {
        self.local
            .lock()
            .map(|mut l| l.remove(&seq))
            .unwrap_or(false)
    }

    /// After a full reload every entry past its position is applied again, local
    /// or not: the reloaded snapshot may predate some of this process's pushes.
    pub(crate) fn forget_local(&self) {
        if let Ok(mut l) = self.local.lock() {
            l.clear();
        }
    }

    pub fn started(&self) -> Option<&Started> {
        self.started.get()
    }

    pub(crate) fn set_started(&self, how: Started) {
        let _ = self.started.set(how);
    }

    pub fn warm(&self) -> Option<&WarmStart> {
        self.warm.get()
    }

    pub(crate) fn set_warm(&self, w: WarmStart) {
        let _ = self.warm.set(w);
    }
}
