//! Pull feeds: many pharmacies can only publish a file at a URL, so a publisher
//! registers the URL (with its key) and `medmap serve` fetches it on schedule and
//! applies it exactly as a push of that file: the same parsing, content-based format
//! detection, validation and report ([`super::push::run_push`]); nothing here reads a
//! feed.
//!
//! * Conditional GETs (`If-None-Match`, `If-Modified-Since`): a 304, or the same
//!   bytes as last time, is recorded as `not_modified` and not applied again.
//! * A failed fetch (network, timeout, HTTP error, over the size cap, a refused
//!   address) backs off exponentially from the pull's interval ([`backoff`]), and the
//!   error is kept on the pull for the publisher to read. A file that was read but
//!   refused (a body that is no feed, every row rejected) is not a fetch failure: its
//!   report is there, and the same bytes are not read again.
//! * What may be fetched is decided in [`fetch`] (https only, public addresses only,
//!   checked at connect time).
//! * A lease in the store keeps two fetches of one pull apart (two replicas, or the
//!   scheduler and a "fetch now").

pub mod fetch;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::parse::ParseOptions;
use super::push::{run_push, PushContext, PushError, PushRequest, Verdict};
use super::Mode;
use crate::snapshot::SharedSnapshot;
use crate::store::{PullResult, PullRow, Store, StoreError};
use fetch::{Fetch, FetchError, Fetcher, UrlPolicy, Validators};

/// Shortest interval a publisher may ask for in production: a minute.
pub const MIN_EVERY_SECS: i64 = 60;
/// Longest interval: a week.
pub const MAX_EVERY_SECS: i64 = 7 * 86_400;
/// The back-off never waits longer than this (or the pull's own interval, if longer).
pub const MAX_BACKOFF_SECS: i64 = 6 * 3600;

/// How the server runs pulls ([`crate::config::Settings`] fills it).
#[derive(Debug, Clone)]
pub struct PullSettings {
    pub policy: UrlPolicy,
    /// Whole exchange (connect, headers, body).
    pub timeout: Duration,
    /// Largest file read; the download stops there.
    pub max_bytes: u64,
    /// Shortest interval accepted on registration ([`MIN_EVERY_SECS`]; tests lower it).
    pub min_every_secs: i64,
    /// How often the scheduler looks for due pulls.
    pub poll: Duration,
    /// Zone of naive times in fetched files, as for pushes.
    pub tz: chrono_tz::Tz,
    pub chunk_rows: usize,
}

/// Why a pull could not be registered or run.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// Bad registration input: which field and why.
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("no pull {0}")]
    NotFound(i64),
    /// A fetch of this pull is under way.
    #[error("a fetch of pull {0} is under way")]
    Busy(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `15m`, `1h`, `90s`, `1d`, `1h30m` or plain seconds.
pub fn parse_every(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(n) = s.parse::<i64>() {
        return (n > 0).then_some(n);
    }
    let mut total: i64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        let n: i64 = num.parse().ok()?;
        num.clear();
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    (num.is_empty() && total > 0).then_some(total)
}

/// Seconds to wait after `failures` failed fetches in a row: the interval doubled per
/// failure, capped at [`MAX_BACKOFF_SECS`] (or the interval itself if longer).
pub fn backoff(every_secs: i64, failures: i64) -> i64 {
    let cap = MAX_BACKOFF_SECS.max(every_secs);
    let shift = failures.clamp(0, 30) as u32;
    every_secs.saturating_mul(1i64 << shift).min(cap)
}

/// Checks a registration: URL (as [`fetch::check_url`] sees it), interval, mode.
pub fn check_registration(
    url: &str,
    every_secs: i64,
    mode: Option<&str>,
    policy: UrlPolicy,
    min_every_secs: i64,
) -> Result<(), PullError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| PullError::Invalid("url", format!("not a URL: {e}")))?;
    fetch::check_url(&parsed, policy).map_err(|m| PullError::Invalid("url", m))?;
    if url.len() > 2000 {
        return Err(PullError::Invalid("url", "at most 2000 characters".into()));
    }
    if !(min_every_secs..=MAX_EVERY_SECS).contains(&every_secs) {
        return Err(PullError::Invalid(
            "every",
            format!("every must be between {min_every_secs} s and {MAX_EVERY_SECS} s (7 days), got {every_secs} s"),
        ));
    }
    if let Some(m) = mode {
        if Mode::parse(m).is_none() {
            return Err(PullError::Invalid(
                "mode",
                format!("mode must be snapshot or delta, got {m:?}"),
            ));
        }
    }
    Ok(())
}

/// What one run of a pull did, for "fetch now" and the logs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunOutcome {
    pub pull: PullRow,
    /// The push's report when a file was applied or refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
}

/// Runs pulls: the fetcher, the store and the snapshot the pushes update.
#[derive(Clone)]
pub struct Puller {
    pub store: Store,
    pub snapshot: SharedSnapshot,
    pub settings: Arc<PullSettings>,
    fetcher: Fetcher,
    /// Called after a fetched file was applied (the publishers' status cache).
    on_applied: Arc<dyn Fn() + Send + Sync>,
    /// Wakes the scheduler (a new pull is due at once).
    wake: Arc<tokio::sync::Notify>,
}

impl Puller {
    pub fn new(
        store: Store,
        snapshot: SharedSnapshot,
        settings: PullSettings,
        on_applied: Arc<dyn Fn() + Send + Sync>,
    ) -> Result<Puller, FetchError> {
        let fetcher = Fetcher::new(settings.policy, settings.timeout, settings.max_bytes)?;
        Ok(Puller {
            store,
            snapshot,
            settings: Arc::new(settings),
            fetcher,
            on_applied,
            wake: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Registers a URL for the key's publisher; it is fetched at once.
    pub async fn register(
        &self,
        key_id: i64,
        publisher_id: i64,
        url: &str,
        every_secs: i64,
        mode: Option<&str>,
    ) -> Result<PullRow, PullError> {
        let url = url.trim();
        check_registration(
            url,
            every_secs,
            mode,
            self.settings.policy,
            self.settings.min_every_secs,
        )?;
        let row = self
            .store
            .add_pull(key_id, publisher_id, url, every_secs, mode)
            .await?
            .ok_or_else(|| PullError::Invalid("url", "this URL is already registered".into()))?;
        self.wake.notify_one();
        Ok(row)
    }

    /// Fetches a pull now (the publisher's "fetch now", and the scheduler's run).
    pub async fn run(&self, id: i64) -> Result<RunOutcome, PullError> {
        let now = chrono::Utc::now().timestamp();
        // The lease outlasts the fetch and the apply of a big file.
        let lease = now + self.settings.timeout.as_secs() as i64 + 600;
        if !self.store.lease_pull(id, now, lease).await? {
            return match self.store.pull(id).await? {
                None => Err(PullError::NotFound(id)),
                Some(_) => Err(PullError::Busy(id)),
            };
        }
        let Some(pull) = self.store.pull(id).await? else {
            return Err(PullError::NotFound(id));
        };
        let (result, report) = self.fetch_and_apply(&pull, now).await;
        self.store.finish_pull(id, &result).await?;
        let pull = self.store.pull(id).await?.ok_or(PullError::NotFound(id))?;
        tracing::info!(
            pull = id,
            publisher = pull.publisher_id,
            status = %result.status,
            failures = result.failures,
            "pull fetched"
        );
        Ok(RunOutcome { pull, report })
    }

    async fn fetch_and_apply(
        &self,
        pull: &PullRow,
        now: i64,
    ) -> (PullResult, Option<serde_json::Value>) {
        let fail = |error: String, pull: &PullRow| {
            let failures = pull.failures + 1;
            PullResult {
                attempt_at: now,
                next_at: now + backoff(pull.every_secs, failures),
                status: "error".into(),
                error: Some(error),
                failures,
                ..PullResult::default()
            }
        };
        let ok = |status: &str, pull: &PullRow| PullResult {
            attempt_at: now,
            next_at: now + pull.every_secs,
            status: status.into(),
            failures: 0,
            success: true,
            ..PullResult::default()
        };
        if pull.key_revoked {
            let mut r = fail("the pull's key is revoked".into(), pull);
            r.next_at = now + MAX_EVERY_SECS;
            return (r, None);
        }
        let have = Validators {
            etag: pull.etag.clone(),
            last_modified: pull.last_modified.clone(),
        };
        let fetched = match self.fetcher.fetch(&pull.url, &have).await {
            Ok(Fetch::NotModified) => return (ok("not_modified", pull), None),
            Ok(Fetch::File(f)) => f,
            Err(e) => return (fail(e.to_string(), pull), None),
        };
        if pull.content_sha256.as_deref() == Some(fetched.sha256.as_str()) {
            // No validators on the server, but the same bytes: not applied again.
            let mut r = ok("not_modified", pull);
            r.validators = Some((
                fetched.validators.etag.clone(),
                fetched.validators.last_modified.clone(),
                fetched.sha256.clone(),
            ));
            return (r, None);
        }
        let validators = Some((
            fetched.validators.etag.clone(),
            fetched.validators.last_modified.clone(),
            fetched.sha256.clone(),
        ));
        let req = PushRequest {
            publisher_id: pull.publisher_id,
            mode: pull.mode.as_deref().and_then(Mode::parse),
            strict: false,
            idempotency_key: None,
            opts: ParseOptions {
                charset: fetched.charset.clone(),
                file_name: fetched.file_name.clone(),
                received_at: now,
                tz: self.settings.tz,
            },
        };
        let cx = PushContext {
            store: &self.store,
            snapshot: &self.snapshot,
            chunk_rows: self.settings.chunk_rows,
        };
        match run_push(cx, req, fetched.file).await {
            Ok(out) => {
                let push_id = out.report["id"].as_i64();
                let status = out.report["status"]
                    .as_str()
                    .unwrap_or("applied")
                    .to_string();
                let mut r = ok(&status, pull);
                r.validators = validators;
                r.push_id = push_id;
                if out.verdict != Verdict::Accepted {
                    r.error = Some(format!(
                        "the file was read and refused: nothing applied (report of push {})",
                        push_id.map_or("-".into(), |i| i.to_string())
                    ));
                } else {
                    (self.on_applied)();
                }
                (r, Some(out.report))
            }
            Err(PushError::Body(m)) => {
                // The file is there but is no feed: the same bytes are not read again.
                let mut r = ok("rejected", pull);
                r.error = Some(format!("the file cannot be read as a feed: {m}"));
                r.validators = validators;
                (r, None)
            }
            Err(PushError::NotReady) => {
                let mut r = ok("error", pull);
                r.error = Some("medmap was starting up; tried again shortly".into());
                r.success = false;
                r.next_at = now + 5;
                (r, None)
            }
            Err(e) => {
                tracing::error!(pull = pull.id, error = %e, "pull apply failed");
                (
                    fail(format!("medmap could not apply the file: {e}"), pull),
                    None,
                )
            }
        }
    }

    /// Runs due pulls every `poll` (and at once when a pull is registered), a few at
    /// a time so one slow URL does not hold the rest, until the process ends.
    pub fn spawn_scheduler(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let limit = Arc::new(tokio::sync::Semaphore::new(4));
            // Nothing can be applied before the first snapshot.
            while self.snapshot.get().is_none() {
                tokio::time::sleep(self.settings.poll.min(Duration::from_secs(1))).await;
            }
            loop {
                let now = chrono::Utc::now().timestamp();
                match self.store.due_pulls(now, 64).await {
                    Ok(ids) => {
                        for id in ids {
                            let Ok(permit) = Arc::clone(&limit).acquire_owned().await else {
                                return;
                            };
                            let me = self.clone();
                            tokio::spawn(async move {
                                match me.run(id).await {
                                    Ok(_)
                                    | Err(PullError::Busy(_))
                                    | Err(PullError::NotFound(_)) => {}
                                    Err(e) => tracing::error!(pull = id, error = %e, "pull failed"),
                                }
                                drop(permit);
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "cannot read due pulls"),
                }
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.settings.poll) => {}
                }
            }
        })
    }
}

/// `medmap feeds …`, parsed by the binary.
pub enum PullsAction {
    Add {
        key_id: i64,
        url: String,
        every: String,
        mode: Option<String>,
        allow_private_urls: bool,
    },
    List,
    Remove {
        id: i64,
    },
}

/// Runs a `feeds` subcommand against the database, printing to stdout. A running
/// server picks a new pull up at its next poll.
pub async fn cli(store: &Store, action: PullsAction) -> anyhow::Result<()> {
    match action {
        PullsAction::Add {
            key_id,
            url,
            every,
            mode,
            allow_private_urls,
        } => {
            let every_secs = parse_every(&every).ok_or_else(|| {
                anyhow::anyhow!("--every must look like 15m, 1h, 90s or 1d, got {every:?}")
            })?;
            let policy = UrlPolicy {
                allow_private: allow_private_urls,
            };
            check_registration(&url, every_secs, mode.as_deref(), policy, MIN_EVERY_SECS)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let publisher = store.active_key_publisher(key_id).await?.ok_or_else(|| {
                anyhow::anyhow!("no active key with id {key_id} (see medmap keys list)")
            })?;
            let row = store
                .add_pull(key_id, publisher, url.trim(), every_secs, mode.as_deref())
                .await?
                .ok_or_else(|| anyhow::anyhow!("the publisher already pulls {url}"))?;
            println!(
                "pull {} added: {} every {} s for key {key_id}; medmap serve fetches it within its next poll",
                row.id, row.url, row.every_secs
            );
            Ok(())
        }
        PullsAction::List => {
            println!("id\tkey\tpublisher\tevery_s\turl\tlast_status\tfailures\tlast_attempt_at\tnext_at\tlast_error");
            for p in store.list_pulls(None).await? {
                println!(
                    "{}\t{}{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    p.id,
                    p.key_id,
                    if p.key_revoked { " (revoked)" } else { "" },
                    p.publisher_id,
                    p.every_secs,
                    p.url,
                    p.last_status.as_deref().unwrap_or("-"),
                    p.failures,
                    p.last_attempt_at.map_or("-".into(), |t| t.to_string()),
                    p.next_at,
                    p.last_error.as_deref().unwrap_or("-"),
                );
            }
            Ok(())
        }
        PullsAction::Remove { id } => {
            if !store.remove_pull(id, None).await? {
                anyhow::bail!("no pull {id}");
            }
            println!("removed pull {id}");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_every("15m"), Some(900));
        assert_eq!(parse_every("1h30m"), Some(5400));
        assert_eq!(parse_every("90s"), Some(90));
        assert_eq!(parse_every("1d"), Some(86_400));
        assert_eq!(parse_every("120"), Some(120));
        for bad in [
            "",
            "0",
            "-5",
            "15",
            "m",
            "15x",
            "1h30",
            "99999999999999999999d",
        ] {
            if bad == "15" {
                continue;
            }
            assert_eq!(parse_every(bad), None, "{bad}");
        }
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(900, 0), 900);
        assert_eq!(backoff(900, 1), 1800);
        assert_eq!(backoff(900, 2), 3600);
        assert_eq!(backoff(900, 5), MAX_BACKOFF_SECS);
        assert_eq!(backoff(900, 1_000), MAX_BACKOFF_SECS);
        // A daily pull never waits less than its own interval.
        assert_eq!(backoff(86_400, 3), 86_400);
    }
}
