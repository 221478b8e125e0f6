//! Polling a publication: the manifest (conditional, `_since=` when incremental),
//! then each file it lists, each line checked ([`super::fhir`]), each Location
//! matched ([`super::matching`]), and the publication's rows replaced in one
//! transaction. The client is the pull feeds' ([`crate::feeds::pull::fetch`]): the
//! same URL rule, timeout and size cap.
//!
//! A failed fetch (manifest or any file) keeps every stored row and backs off as a
//! pull does; lines that fail are rows of the report and the rest is applied.

use std::collections::BTreeMap;
use std::io::{BufRead, Seek};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::fhir::{self, Resource};
use super::matching::{self, Match};
use super::{manifest, SlotError, FULL_EVERY_SECS};
use crate::feeds::pull::fetch::{Fetch, FetchError, Fetcher, Validators};
use crate::feeds::pull::{backoff, PullSettings, MAX_EVERY_SECS};
use crate::snapshot::SharedSnapshot;
use crate::store::{
    PublicationContent, SlotLocationRow, SlotPollResult, SlotPublication, SlotRow, SlotScheduleRow,
    Store,
};

/// Problems kept in a report; the counts go on past it.
const MAX_PROBLEMS: usize = 200;

/// One rejected line.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// `Location`, `Schedule` or `Slot`: the file's type.
    pub file: String,
    /// 1-based line number in that file.
    pub line: usize,
    pub reason: String,
}

/// A Location no facility was matched to.
#[derive(Debug, Clone, Serialize)]
pub struct Unmatched {
    pub location: String,
    pub name: String,
    pub reason: String,
}

/// What one poll read, kept on the publication for its publisher.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// `full` or `incremental` (`_since`).
    pub mode: String,
    pub lines: usize,
    pub accepted: Counts,
    pub rejected: usize,
    pub problems: Vec<Problem>,
    pub matched: usize,
    pub unmatched: Vec<Unmatched>,
    /// Slots that had already ended (not stored).
    pub past_slots: usize,
    /// Types the manifest lists that medmap does not read.
    pub skipped_types: Vec<String>,
    /// What the publication holds after the poll.
    pub stored: Counts,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub locations: usize,
    pub schedules: usize,
    pub slots: usize,
}

impl Report {
    fn problem(&mut self, file: &str, line: usize, reason: String) {
        self.rejected += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                file: file.to_string(),
                line,
                reason,
            });
        }
    }
}

/// A poll's outcome: the publication's state after it, and the report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PollOutcome {
    pub publication: SlotPublication,
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
}

/// Polls publications: the fetcher, the store, the snapshot the matches read.
#[derive(Clone)]
pub struct Poller {
    pub store: Store,
    pub snapshot: SharedSnapshot,
    pub settings: Arc<PullSettings>,
    fetcher: Fetcher,
    wake: Arc<tokio::sync::Notify>,
}

/// The resources of one poll, by type, in file order.
#[derive(Default)]
struct Read {
    locations: Vec<fhir::Location>,
    schedules: Vec<fhir::Schedule>,
    slots: Vec<fhir::Slot>,
}

impl Poller {
    pub fn new(
        store: Store,
        snapshot: SharedSnapshot,
        settings: PullSettings,
    ) -> Result<Poller, FetchError> {
        let fetcher = Fetcher::new(settings.policy, settings.timeout, settings.max_bytes)?;
        Ok(Poller {
            store,
            snapshot,
            settings: Arc::new(settings),
            fetcher,
            wake: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Registers a manifest URL for the key's publisher; it is polled at once.
    pub async fn register(
        &self,
        key_id: i64,
        publisher_id: i64,
        url: &str,
        every_secs: i64,
    ) -> Result<SlotPublication, SlotError> {
        let url = url.trim();
        super::check_registration(
            url,
            every_secs,
            self.settings.policy,
            self.settings.min_every_secs,
        )?;
        let row = self
            .store
            .add_slot_publication(key_id, publisher_id, url, every_secs)
            .await?
            .ok_or_else(|| SlotError::Invalid("url", "this URL is already registered".into()))?;
        self.wake.notify_one();
        Ok(row)
    }

    /// Polls a publication now; `full` reads everything (no `_since`).
    pub async fn run(&self, id: i64, full: bool) -> Result<PollOutcome, SlotError> {
        let now = chrono::Utc::now().timestamp();
        let lease = now + self.settings.timeout.as_secs() as i64 * 8 + 600;
        if !self.store.lease_slot_publication(id, now, lease).await? {
            return match self.store.slot_publication(id).await? {
                None => Err(SlotError::NotFound(id)),
                Some(_) => Err(SlotError::Busy(id)),
            };
        }
        let Some(p) = self.store.slot_publication(id).await? else {
            return Err(SlotError::NotFound(id));
        };
        let result = self.poll(&p, now, full).await;
        self.store.finish_slot_poll(id, &result).await?;
        let publication = self
            .store
            .slot_publication(id)
            .await?
            .ok_or(SlotError::NotFound(id))?;
        tracing::info!(
            publication = id,
            publisher = publication.publisher_id,
            status = %result.status,
            failures = result.failures,
            "slot publication polled"
        );
        let report = result
            .report
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok());
        Ok(PollOutcome {
            publication,
            report,
        })
    }

    async fn poll(&self, p: &SlotPublication, now: i64, full: bool) -> SlotPollResult {
        let fail = |error: String| {
            let failures = p.failures + 1;
            SlotPollResult {
                attempt_at: now,
                next_at: now + backoff(p.every_secs, failures),
                status: "error".into(),
                error: Some(error),
                failures,
                ..SlotPollResult::default()
            }
        };
        if p.key_revoked {
            let mut r = fail("the publication's key is revoked".into());
            r.next_at = now + MAX_EVERY_SECS;
            return r;
        }
        let Some(snap) = self.snapshot.get() else {
            let mut r = fail("medmap was starting up; tried again shortly".into());
            r.failures = p.failures;
            r.next_at = now + 5;
            return r;
        };
        let incremental = !full
            && p.transaction_time.is_some()
            && p.last_full_at.is_some_and(|t| now - t < FULL_EVERY_SECS);
        let url = match (&p.transaction_time, incremental) {
            (Some(since), true) => match manifest::since_url(&p.url, since) {
                Ok(u) => u,
                Err(e) => return fail(e),
            },
            _ => p.url.clone(),
        };
        let have = Validators {
            etag: p.etag.clone(),
            last_modified: p.last_modified.clone(),
        };
        let fetched = match self.fetcher.fetch(&url, &have).await {
            Ok(Fetch::NotModified) => {
                return SlotPollResult {
                    attempt_at: now,
                    next_at: now + next_interval(p.every_secs, p.max_age_secs),
                    status: "not_modified".into(),
                    success: true,
                    ..SlotPollResult::default()
                }
            }
            Ok(Fetch::File(f)) => f,
            Err(e) => return fail(format!("the manifest: {e}")),
        };
        let max_age = fetched.cache_control.as_deref().and_then(manifest::max_age);
        let validators = Some((
            fetched.validators.etag.clone(),
            fetched.validators.last_modified.clone(),
        ));
        let body = match read_all(fetched.file) {
            Ok(b) => b,
            Err(e) => return fail(e),
        };
        let m = match manifest::parse(&body, &url) {
            Ok(m) => m,
            Err(e) => return fail(e),
        };
        let mut report = Report {
            mode: if incremental { "incremental" } else { "full" }.into(),
            skipped_types: m.skipped.clone(),
            ..Report::default()
        };
        let mut read = Read::default();
        for (ty, file_url) in &m.files {
            let f = match self.fetcher.fetch(file_url, &Validators::default()).await {
                Ok(Fetch::File(f)) => f,
                Ok(Fetch::NotModified) => continue,
                Err(e) => return fail(format!("{ty} file {file_url}: {e}")),
            };
            let ty2 = ty.clone();
            let parsed = tokio::task::spawn_blocking(move || read_lines(&ty2, f.file)).await;
            let (resources, problems, lines) = match parsed {
                Ok(Ok(x)) => x,
                Ok(Err(e)) => return fail(format!("{ty} file {file_url}: {e}")),
                Err(e) => return fail(format!("{ty} file {file_url}: {e}")),
            };
            report.lines += lines;
            for (line, reason) in problems {
                report.problem(ty, line, reason);
            }
            for r in resources {
                match r {
                    Resource::Location(l) => read.locations.push(l),
                    Resource::Schedule(s) => read.schedules.push(s),
                    Resource::Slot(s) => read.slots.push(s),
                }
            }
        }
        let base = if incremental {
            match self.store.publication_content(p.id).await {
                Ok(c) => c,
                Err(e) => return fail(format!("medmap could not read the stored slots: {e}")),
            }
        } else {
            PublicationContent::default()
        };
        let content = match self.merge(&snap, base, read, &mut report, now).await {
            Ok(c) => c,
            Err(e) => return fail(format!("medmap could not match locations: {e}")),
        };
        let nothing_accepted =
            report.accepted.locations + report.accepted.schedules + report.accepted.slots == 0;
        let status = if report.rejected > 0 && nothing_accepted {
            "rejected"
        } else if report.rejected > 0 {
            "partial"
        } else {
            "applied"
        };
        let mut error = None;
        if status == "rejected" {
            // Every line refused: the stored rows are kept rather than emptied.
            error = Some("every line was refused: nothing applied (see the report)".into());
        } else if let Err(e) = self.store.replace_publication_content(p.id, &content).await {
            tracing::error!(publication = p.id, error = %e, "cannot store slots");
            return fail(format!("medmap could not store the slots: {e}"));
        }
        report.stored = Counts {
            locations: content.locations.len(),
            schedules: content.schedules.len(),
            slots: content.slots.len(),
        };
        SlotPollResult {
            attempt_at: now,
            next_at: now + next_interval(p.every_secs, max_age),
            status: status.into(),
            error,
            failures: 0,
            success: true,
            full: !incremental,
            validators,
            transaction_time: m.transaction_time,
            max_age_secs: max_age,
            report: serde_json::to_string(&report).ok(),
        }
    }

    /// Merges what was read into `base` (empty for a full poll): new resources
    /// replace stored ones of the same id; references checked; Locations matched;
    /// each slot given its location's facility, position and service.
    async fn merge(
        &self,
        snap: &crate::snapshot::Snapshot,
        base: PublicationContent,
        read: Read,
        report: &mut Report,
        now: i64,
    ) -> crate::store::Result<PublicationContent> {
        let mut locations: BTreeMap<String, SlotLocationRow> = base
            .locations
            .into_iter()
            .map(|l| (l.resource_id.clone(), l))
            .collect();
        let mut schedules: BTreeMap<String, SlotScheduleRow> = base
            .schedules
            .into_iter()
            .map(|s| (s.resource_id.clone(), s))
            .collect();
        let mut slots: BTreeMap<String, SlotRow> = base
            .slots
            .into_iter()
            .map(|s| (s.resource_id.clone(), s))
            .collect();
        for l in read.locations {
            let m = self.match_location(snap, &l).await?;
            if let Match::Unmatched(reason) = &m {
                report.unmatched.push(Unmatched {
                    location: format!("Location/{}", l.id),
                    name: l.name.clone(),
                    reason: reason.clone(),
                });
            } else {
                report.matched += 1;
            }
            report.accepted.locations += 1;
            locations.insert(
                l.id.clone(),
                SlotLocationRow {
                    resource_id: l.id,
                    name: l.name,
                    lat: l.lat,
                    lon: l.lon,
                    identifiers: serde_json::to_string(&l.identifiers)
                        .unwrap_or_else(|_| "[]".into()),
                    phone: l.phone,
                    url: l.url,
                    facility_id: m.facility(),
                    matched_by: m.how().map(str::to_string),
                    confirmed_at: now,
                },
            );
        }
        for s in read.schedules {
            if !locations.contains_key(&s.location) {
                report.problem(
                    "Schedule",
                    0,
                    format!(
                        "Schedule/{} refers to Location/{}, which the publication does not have",
                        s.id, s.location
                    ),
                );
                continue;
            }
            report.accepted.schedules += 1;
            schedules.insert(
                s.id.clone(),
                SlotScheduleRow {
                    resource_id: s.id,
                    location_id: s.location,
                    service_type: s.service_type,
                    service_label: s.service_label,
                    wait_days: s.wait_days,
                    confirmed_at: now,
                },
            );
        }
        for s in read.slots {
            if !schedules.contains_key(&s.schedule) {
                report.problem(
                    "Slot",
                    0,
                    format!(
                        "Slot/{} refers to Schedule/{}, which the publication does not have",
                        s.id, s.schedule
                    ),
                );
                continue;
            }
            if s.end <= now {
                report.past_slots += 1;
                slots.remove(&s.id);
                continue;
            }
            report.accepted.slots += 1;
            slots.insert(
                s.id.clone(),
                SlotRow {
                    resource_id: s.id,
                    schedule_id: s.schedule,
                    location_id: String::new(),
                    facility_id: None,
                    lat: None,
                    lon: None,
                    start_at: s.start,
                    end_at: s.end,
                    status: s.status,
                    capacity: s.capacity,
                    service_type: None,
                    service_label: None,
                    booking_url: s.booking_url,
                    booking_phone: s.booking_phone,
                    confirmed_at: now,
                },
            );
        }
        // Schedules whose location went, slots whose schedule went or that ended.
        schedules.retain(|_, s| locations.contains_key(&s.location_id));
        slots.retain(|_, s| s.end_at > now && schedules.contains_key(&s.schedule_id));
        for s in slots.values_mut() {
            let Some(sch) = schedules.get(&s.schedule_id) else {
                continue;
            };
            let Some(loc) = locations.get(&sch.location_id) else {
                continue;
            };
            s.location_id = loc.resource_id.clone();
            s.facility_id = loc.facility_id;
            s.service_type = sch.service_type.clone();
            s.service_label = sch.service_label.clone();
            (s.lat, s.lon) = match (loc.lat, loc.lon) {
                (Some(a), Some(o)) => (Some(a), Some(o)),
                _ => loc
                    .facility_id
                    .and_then(|f| facility_point(snap, f))
                    .map_or((None, None), |(a, o)| (Some(a), Some(o))),
            };
        }
        Ok(PublicationContent {
            locations: locations.into_values().collect(),
            schedules: schedules.into_values().collect(),
            slots: slots.into_values().collect(),
        })
    }

    async fn match_location(
        &self,
        snap: &crate::snapshot::Snapshot,
        l: &fhir::Location,
    ) -> crate::store::Result<Match> {
        for (system, value) in &l.identifiers {
            if let Some(f) = self.store.facility_by_identifier(system, value).await? {
                if snap.facility_index.contains_key(&f) {
                    return Ok(Match::Identifier(f));
                }
            }
        }
        let (Some(lat), Some(lon)) = (l.lat, l.lon) else {
            return Ok(Match::Unmatched(
                "no identifier matched and the Location has no position".into(),
            ));
        };
        let near = snap.places.within(lat, lon, matching::MAX_METRES);
        let candidates: Vec<(i64, &str, f64)> = near
            .iter()
            .filter_map(|&(i, m)| {
                let f = snap.facilities.get(i as usize)?;
                // A confidential place is never named as a slot's place.
                (!f.confidential).then_some((f.id, f.name.as_str(), m))
            })
            .collect();
        Ok(matching::by_name(&l.name, &candidates))
    }

    /// Polls due publications every `poll` (and at once when one is registered), a
    /// few at a time, and deletes ended slots once a minute, until the process ends.
    pub fn spawn_scheduler(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let limit = Arc::new(tokio::sync::Semaphore::new(4));
            while self.snapshot.get().is_none() {
                tokio::time::sleep(self.settings.poll.min(Duration::from_secs(1))).await;
            }
            let mut expired_at = 0;
            loop {
                let now = chrono::Utc::now().timestamp();
                if now - expired_at >= 60 {
                    expired_at = now;
                    match self.store.expire_slots(now).await {
                        Ok(0) => {}
                        Ok(n) => tracing::debug!(slots = n, "ended slots deleted"),
                        Err(e) => tracing::error!(error = %e, "cannot delete ended slots"),
                    }
                }
                match self.store.due_slot_publications(now, 64).await {
                    Ok(ids) => {
                        for id in ids {
                            let Ok(permit) = Arc::clone(&limit).acquire_owned().await else {
                                return;
                            };
                            let me = self.clone();
                            tokio::spawn(async move {
                                match me.run(id, false).await {
                                    Ok(_)
                                    | Err(SlotError::Busy(_))
                                    | Err(SlotError::NotFound(_)) => {}
                                    Err(e) => {
                                        tracing::error!(publication = id, error = %e, "slot poll failed")
                                    }
                                }
                                drop(permit);
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "cannot read due slot publications"),
                }
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.settings.poll) => {}
                }
            }
        })
    }
}

/// Seconds to the next poll: the declared interval, or the manifest's `max-age` when
/// longer (polling a cached manifest sooner reads the same copy), at most a week.
pub fn next_interval(every_secs: i64, max_age: Option<i64>) -> i64 {
    every_secs.max(max_age.unwrap_or(0)).min(MAX_EVERY_SECS)
}

fn facility_point(snap: &crate::snapshot::Snapshot, id: i64) -> Option<(f64, f64)> {
    let &i = snap.facility_index.get(&id)?;
    let f = snap.facilities.get(i as usize)?;
    if f.confidential {
        return None;
    }
    Some((f.lat?, f.lon?))
}

fn read_all(mut f: std::fs::File) -> Result<Vec<u8>, String> {
    use std::io::Read;
    f.rewind()
        .map_err(|e| format!("cannot read the spooled file: {e}"))?;
    let mut b = Vec::new();
    f.read_to_end(&mut b)
        .map_err(|e| format!("cannot read the spooled file: {e}"))?;
    Ok(b)
}

/// The resources of one NDJSON file, and the refused lines `(line, reason)`.
type Lines = (Vec<Resource>, Vec<(usize, String)>, usize);

fn read_lines(ty: &str, mut f: std::fs::File) -> Result<Lines, String> {
    f.rewind()
        .map_err(|e| format!("cannot read the spooled file: {e}"))?;
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    let mut n = 0;
    for (i, line) in std::io::BufReader::new(f).split(b'\n').enumerate() {
        let line = line.map_err(|e| format!("cannot read the spooled file: {e}"))?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        n += 1;
        match fhir::parse_line(ty, text) {
            Ok(r) => ok.push(r),
            Err(e) => bad.push((i + 1, e)),
        }
    }
    Ok((ok, bad, n))
}
