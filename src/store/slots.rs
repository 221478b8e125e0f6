//! Store methods for appointment slots (migration 0013): SMART Scheduling Links
//! publications and their poll state, the locations, schedules and slots the last
//! polls read, and the two questions asked of them ("earliest free slots near a
//! point", "next free slot of these facilities").
//!
//! A publication's rows are replaced whole in one transaction per poll (the poller
//! merges an incremental poll into the stored rows first), and every statement is
//! scoped by `publication_id`: bad input of one publication can never change
//! another's rows.

use std::collections::HashMap;

use serde::Serialize;

use super::{dispatch, now, Result, Store};

/// One registered publication and its poll state, as the publisher sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlotPublication {
    pub id: i64,
    pub key_id: i64,
    pub publisher_id: i64,
    /// The `$bulk-publish` manifest URL.
    pub url: String,
    /// The declared polling interval, seconds: a publication not updated within it
    /// is shown as "may be out of date".
    pub every_secs: i64,
    pub created_at: i64,
    pub next_at: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The manifest's `transactionTime`: the next incremental poll's `_since`.
    pub transaction_time: Option<String>,
    /// The manifest's `Cache-Control: max-age`, seconds (a polling hint).
    pub max_age_secs: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_success_at: Option<i64>,
    /// Last poll that read everything (no `_since`): removals are seen there.
    pub last_full_at: Option<i64>,
    /// `applied`, `partial` (some rows rejected), `not_modified`, `error`.
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub failures: i64,
    pub key_revoked: bool,
    /// The last poll's per-row report: counts, rejected rows, unmatched locations.
    #[schema(value_type = Option<Object>)]
    pub report: Option<serde_json::Value>,
}

/// What one poll leaves behind.
#[derive(Debug, Clone, Default)]
pub struct SlotPollResult {
    pub attempt_at: i64,
    pub next_at: i64,
    pub status: String,
    pub error: Option<String>,
    pub failures: i64,
    pub success: bool,
    /// The poll read everything (no `_since`).
    pub full: bool,
    /// New manifest validators; `None` keeps the old.
    pub validators: Option<(Option<String>, Option<String>)>,
    pub transaction_time: Option<String>,
    pub max_age_secs: Option<i64>,
    /// The report as JSON text; `None` keeps the old.
    pub report: Option<String>,
}

/// A FHIR `Location` as stored, with its match.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SlotLocationRow {
    pub resource_id: String,
    pub name: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// `[["system", "value"], …]`.
    pub identifiers: String,
    pub phone: Option<String>,
    pub url: Option<String>,
    pub facility_id: Option<i64>,
    /// `identifier`, `name_distance`, or none (unmatched).
    pub matched_by: Option<String>,
    pub confirmed_at: i64,
}

/// A FHIR `Schedule` as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SlotScheduleRow {
    pub resource_id: String,
    pub location_id: String,
    pub service_type: Option<String>,
    pub service_label: Option<String>,
    /// A stated wait in days when the schedule has no free slot to offer.
    pub wait_days: Option<i64>,
    pub confirmed_at: i64,
}

/// A FHIR `Slot` as stored, with its location's match and position copied on.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SlotRow {
    pub resource_id: String,
    pub schedule_id: String,
    pub location_id: String,
    pub facility_id: Option<i64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub start_at: i64,
    pub end_at: i64,
    /// `free` or `busy`.
    pub status: String,
    pub capacity: i64,
    pub service_type: Option<String>,
    pub service_label: Option<String>,
    pub booking_url: Option<String>,
    pub booking_phone: Option<String>,
    pub confirmed_at: i64,
}

/// Everything one publication holds.
#[derive(Debug, Clone, Default)]
pub struct PublicationContent {
    pub locations: Vec<SlotLocationRow>,
    pub schedules: Vec<SlotScheduleRow>,
    pub slots: Vec<SlotRow>,
}

/// A free slot found by [`Store::free_slots_near`] or [`Store::next_slots`], with
/// its publication's freshness.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FoundSlot {
    pub publication_id: i64,
    pub resource_id: String,
    pub location_id: String,
    pub location_name: String,
    pub facility_id: Option<i64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub start_at: i64,
    pub end_at: i64,
    pub capacity: i64,
    pub service_type: Option<String>,
    pub service_label: Option<String>,
    pub booking_url: Option<String>,
    pub booking_phone: Option<String>,
    pub confirmed_at: i64,
    pub every_secs: i64,
    pub last_success_at: Option<i64>,
}

/// "Earliest free slots near a point".
#[derive(Debug, Clone)]
pub struct SlotQuery {
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
    pub service_type: Option<String>,
    pub from: i64,
    pub to: i64,
    pub limit: usize,
}

/// Kilometres per degree of latitude (and of longitude at the equator).
const KM_PER_DEG: f64 = 111.32;

#[derive(sqlx::FromRow)]
struct PubRow {
    id: i64,
    key_id: i64,
    publisher_id: i64,
    url: String,
    every_secs: i64,
    created_at: i64,
    next_at: i64,
    etag: Option<String>,
    last_modified: Option<String>,
    transaction_time: Option<String>,
    max_age_secs: Option<i64>,
    last_attempt_at: Option<i64>,
    last_success_at: Option<i64>,
    last_full_at: Option<i64>,
    last_status: Option<String>,
    last_error: Option<String>,
    failures: i64,
    last_report: Option<String>,
    revoked_at: Option<i64>,
}

const SELECT: &str = "SELECT p.id, p.key_id, p.publisher_id, p.url, p.every_secs, p.created_at, p.next_at, p.etag, p.last_modified, p.transaction_time, p.max_age_secs, p.last_attempt_at, p.last_success_at, p.last_full_at, p.last_status, p.last_error, p.failures, p.last_report, k.revoked_at FROM slot_publications p JOIN api_keys k ON k.id = p.key_id";

fn publication(r: PubRow) -> SlotPublication {
    SlotPublication {
        id: r.id,
        key_id: r.key_id,
        publisher_id: r.publisher_id,
        url: r.url,
        every_secs: r.every_secs,
        created_at: r.created_at,
        next_at: r.next_at,
        etag: r.etag,
        last_modified: r.last_modified,
        transaction_time: r.transaction_time,
        max_age_secs: r.max_age_secs,
        last_attempt_at: r.last_attempt_at,
        last_success_at: r.last_success_at,
        last_full_at: r.last_full_at,
        last_status: r.last_status,
        last_error: r.last_error,
        failures: r.failures,
        key_revoked: r.revoked_at.is_some(),
        report: r
            .last_report
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
    }
}

const FOUND: &str = "SELECT s.publication_id, s.resource_id, s.location_id, l.name AS location_name, s.facility_id, s.lat, s.lon, s.start_at, s.end_at, s.capacity, s.service_type, s.service_label, s.booking_url, s.booking_phone, s.confirmed_at, p.every_secs, p.last_success_at FROM slots s JOIN slot_locations l ON l.publication_id = s.publication_id AND l.resource_id = s.location_id JOIN slot_publications p ON p.id = s.publication_id JOIN api_keys k ON k.id = p.key_id";

impl Store {
    /// Registers a manifest URL for a key's publisher, due at once. `None` when the
    /// publisher already has this URL.
    pub async fn add_slot_publication(
        &self,
        key_id: i64,
        publisher_id: i64,
        url: &str,
        every_secs: i64,
    ) -> Result<Option<SlotPublication>> {
        let t = now();
        let id = dispatch!(self, pool => {
            let r: Option<(i64,)> = sqlx::query_as("INSERT INTO slot_publications (key_id, publisher_id, url, every_secs, created_at, next_at) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (publisher_id, url) DO NOTHING RETURNING id")
                .bind(key_id)
                .bind(publisher_id)
                .bind(url)
                .bind(every_secs)
                .bind(t)
                .fetch_optional(pool)
                .await?;
            r.map(|r| r.0)
        });
        match id {
            Some(id) => self.slot_publication(id).await,
            None => Ok(None),
        }
    }

    pub async fn slot_publication(&self, id: i64) -> Result<Option<SlotPublication>> {
        let sql = format!("{SELECT} WHERE p.id = $1");
        dispatch!(self, pool => {
            let r: Option<PubRow> = sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?;
            Ok(r.map(publication))
        })
    }

    /// A publisher's publications, or every one (`None`: the operator's list).
    pub async fn list_slot_publications(
        &self,
        publisher_id: Option<i64>,
    ) -> Result<Vec<SlotPublication>> {
        let sql = format!("{SELECT} WHERE ($1 IS NULL OR p.publisher_id = $1) ORDER BY p.id");
        dispatch!(self, pool => {
            let r: Vec<PubRow> = sqlx::query_as(&sql).bind(publisher_id).fetch_all(pool).await?;
            Ok(r.into_iter().map(publication).collect())
        })
    }

    /// Removes a publication and everything read from it (only the publisher's own,
    /// when one is given); whether it was there.
    pub async fn remove_slot_publication(
        &self,
        id: i64,
        publisher_id: Option<i64>,
    ) -> Result<bool> {
        dispatch!(self, pool => {
            let r = sqlx::query("DELETE FROM slot_publications WHERE id = $1 AND ($2 IS NULL OR publisher_id = $2)")
                .bind(id)
                .bind(publisher_id)
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Publications due at `now` whose key is active and that no poll holds.
    pub async fn due_slot_publications(&self, now: i64, limit: i64) -> Result<Vec<i64>> {
        dispatch!(self, pool => {
            let r: Vec<(i64,)> = sqlx::query_as("SELECT p.id FROM slot_publications p JOIN api_keys k ON k.id = p.key_id WHERE p.next_at <= $1 AND k.revoked_at IS NULL AND (p.lease_until IS NULL OR p.lease_until < $1) ORDER BY p.next_at LIMIT $2")
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            Ok(r.into_iter().map(|r| r.0).collect())
        })
    }

    /// Takes the publication for one poll until `until`; `false` when another holds it.
    pub async fn lease_slot_publication(&self, id: i64, now: i64, until: i64) -> Result<bool> {
        dispatch!(self, pool => {
            let r = sqlx::query("UPDATE slot_publications SET lease_until = $1 WHERE id = $2 AND (lease_until IS NULL OR lease_until < $3)")
                .bind(until)
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// Records a poll's outcome and releases the lease.
    pub async fn finish_slot_poll(&self, id: i64, r: &SlotPollResult) -> Result<()> {
        let keep = r.validators.is_none();
        let (etag, modified) = r.validators.clone().unwrap_or_default();
        dispatch!(self, pool => {
            sqlx::query("UPDATE slot_publications SET lease_until = NULL, last_attempt_at = $1, next_at = $2, last_status = $3, last_error = $4, failures = $5, \
                 etag = CASE WHEN $6 THEN etag ELSE $7 END, last_modified = CASE WHEN $6 THEN last_modified ELSE $8 END, \
                 last_success_at = CASE WHEN $9 THEN $1 ELSE last_success_at END, last_full_at = CASE WHEN $10 THEN $1 ELSE last_full_at END, \
                 transaction_time = COALESCE($11, transaction_time), max_age_secs = COALESCE($12, max_age_secs), last_report = COALESCE($13, last_report) WHERE id = $14")
                .bind(r.attempt_at)
                .bind(r.next_at)
                .bind(&r.status)
                .bind(&r.error)
                .bind(r.failures)
                .bind(keep)
                .bind(etag)
                .bind(modified)
                .bind(r.success)
                .bind(r.full)
                .bind(&r.transaction_time)
                .bind(r.max_age_secs)
                .bind(&r.report)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Everything stored for one publication (what an incremental poll merges into).
    pub async fn publication_content(&self, id: i64) -> Result<PublicationContent> {
        dispatch!(self, pool => {
            let locations: Vec<SlotLocationRow> = sqlx::query_as("SELECT resource_id, name, lat, lon, identifiers, phone, url, facility_id, matched_by, confirmed_at FROM slot_locations WHERE publication_id = $1 ORDER BY resource_id")
                .bind(id)
                .fetch_all(pool)
                .await?;
            let schedules: Vec<SlotScheduleRow> = sqlx::query_as("SELECT resource_id, location_id, service_type, service_label, wait_days, confirmed_at FROM slot_schedules WHERE publication_id = $1 ORDER BY resource_id")
                .bind(id)
                .fetch_all(pool)
                .await?;
            let slots: Vec<SlotRow> = sqlx::query_as("SELECT resource_id, schedule_id, location_id, facility_id, lat, lon, start_at, end_at, status, capacity, service_type, service_label, booking_url, booking_phone, confirmed_at FROM slots WHERE publication_id = $1 ORDER BY resource_id")
                .bind(id)
                .fetch_all(pool)
                .await?;
            Ok(PublicationContent { locations, schedules, slots })
        })
    }

    /// Replaces one publication's locations, schedules and slots in one transaction.
    pub async fn replace_publication_content(&self, id: i64, c: &PublicationContent) -> Result<()> {
        dispatch!(self, pool => {
            let mut tx = pool.begin().await?;
            for table in ["slots", "slot_schedules", "slot_locations"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE publication_id = $1"))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            for chunk in c.locations.chunks(super::chunk_rows(11)) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO slot_locations (publication_id, resource_id, name, lat, lon, identifiers, phone, url, facility_id, matched_by, confirmed_at) ");
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(id)
                        .push_bind(r.resource_id.clone())
                        .push_bind(r.name.clone())
                        .push_bind(r.lat)
                        .push_bind(r.lon)
                        .push_bind(r.identifiers.clone())
                        .push_bind(r.phone.clone())
                        .push_bind(r.url.clone())
                        .push_bind(r.facility_id)
                        .push_bind(r.matched_by.clone())
                        .push_bind(r.confirmed_at);
                });
                qb.build().execute(&mut *tx).await?;
            }
            for chunk in c.schedules.chunks(super::chunk_rows(7)) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO slot_schedules (publication_id, resource_id, location_id, service_type, service_label, wait_days, confirmed_at) ");
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(id)
                        .push_bind(r.resource_id.clone())
                        .push_bind(r.location_id.clone())
                        .push_bind(r.service_type.clone())
                        .push_bind(r.service_label.clone())
                        .push_bind(r.wait_days)
                        .push_bind(r.confirmed_at);
                });
                qb.build().execute(&mut *tx).await?;
            }
            for chunk in c.slots.chunks(super::chunk_rows(16)) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO slots (publication_id, resource_id, schedule_id, location_id, facility_id, lat, lon, start_at, end_at, status, capacity, service_type, service_label, booking_url, booking_phone, confirmed_at) ");
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(id)
                        .push_bind(r.resource_id.clone())
                        .push_bind(r.schedule_id.clone())
                        .push_bind(r.location_id.clone())
                        .push_bind(r.facility_id)
                        .push_bind(r.lat)
                        .push_bind(r.lon)
                        .push_bind(r.start_at)
                        .push_bind(r.end_at)
                        .push_bind(r.status.clone())
                        .push_bind(r.capacity)
                        .push_bind(r.service_type.clone())
                        .push_bind(r.service_label.clone())
                        .push_bind(r.booking_url.clone())
                        .push_bind(r.booking_phone.clone())
                        .push_bind(r.confirmed_at);
                });
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Deletes slots that ended before `before`; how many.
    pub async fn expire_slots(&self, before: i64) -> Result<u64> {
        dispatch!(self, pool => {
            let r = sqlx::query("DELETE FROM slots WHERE end_at < $1")
                .bind(before)
                .execute(pool)
                .await?;
            Ok(r.rows_affected())
        })
    }

    /// A facility by one of a Location's identifiers: the `(system, value)` pairs
    /// sources gave (`facility_ids`), the source's own id, or the facility's uuid.
    pub async fn facility_by_identifier(&self, system: &str, value: &str) -> Result<Option<i64>> {
        dispatch!(self, pool => {
            let r: Option<(i64,)> = sqlx::query_as("SELECT facility_id FROM facility_ids WHERE system = $1 AND value = $2 \
                 UNION ALL SELECT id FROM facilities WHERE (source = $1 AND source_id = $2) OR uuid = $2 LIMIT 1")
                .bind(system)
                .bind(value)
                .fetch_optional(pool)
                .await?;
            Ok(r.map(|r| r.0))
        })
    }

    /// Free, future slots within `q.radius_km` of the point, earliest first and
    /// nearest first among equally early ones. The distance is the equirectangular
    /// one, plain arithmetic both backends compute in SQL (no trigonometry there);
    /// within 200 km it is within a fraction of a percent of the great circle.
    pub async fn free_slots_near(&self, q: &SlotQuery, now: i64) -> Result<Vec<FoundSlot>> {
        let dlat = q.radius_km / KM_PER_DEG;
        let coslat = q.lat.to_radians().cos().max(0.01);
        let dlon = (q.radius_km / (KM_PER_DEG * coslat)).min(180.0);
        let kx = KM_PER_DEG * coslat;
        let sql = format!(
            "{FOUND} WHERE s.status = 'free' AND s.end_at > $1 AND s.start_at >= $2 AND s.start_at <= $3 AND k.revoked_at IS NULL \
             AND s.lat BETWEEN $4 AND $5 AND s.lon BETWEEN $6 AND $7 AND ($8 IS NULL OR s.service_type = $8) \
             AND ((s.lat - $9) * {KM_PER_DEG}) * ((s.lat - $9) * {KM_PER_DEG}) + ((s.lon - $10) * $11) * ((s.lon - $10) * $11) <= $12 \
             ORDER BY s.start_at, ((s.lat - $9) * {KM_PER_DEG}) * ((s.lat - $9) * {KM_PER_DEG}) + ((s.lon - $10) * $11) * ((s.lon - $10) * $11), s.publication_id, s.resource_id LIMIT $13"
        );
        dispatch!(self, pool => {
            let r: Vec<FoundSlot> = sqlx::query_as(&sql)
                .bind(now)
                .bind(q.from.max(now - 86_400))
                .bind(q.to)
                .bind(q.lat - dlat)
                .bind(q.lat + dlat)
                .bind(q.lon - dlon)
                .bind(q.lon + dlon)
                .bind(q.service_type.as_deref())
                .bind(q.lat)
                .bind(q.lon)
                .bind(kx)
                .bind(q.radius_km * q.radius_km)
                .bind(q.limit as i64)
                .fetch_all(pool)
                .await?;
            Ok(r)
        })
    }

    /// The next free, future slot of each facility given (those with none are absent).
    pub async fn next_slots(
        &self,
        facilities: &[i64],
        now: i64,
    ) -> Result<HashMap<i64, FoundSlot>> {
        let mut out: HashMap<i64, FoundSlot> = HashMap::new();
        for chunk in facilities.chunks(super::chunk_rows(1)) {
            dispatch!(self, pool => {
                let mut qb = sqlx::QueryBuilder::new(FOUND);
                qb.push(" WHERE s.status = 'free' AND k.revoked_at IS NULL AND s.end_at > ");
                qb.push_bind(now);
                qb.push(" AND s.start_at >= ");
                qb.push_bind(now);
                qb.push(" AND s.facility_id IN ");
                super::push_list(&mut qb, chunk.iter().copied());
                // The first per facility, in start order: read in order, keep the first.
                qb.push(" ORDER BY s.start_at, s.publication_id, s.resource_id");
                let rows: Vec<FoundSlot> = qb.build_query_as().fetch_all(pool).await?;
                for r in rows {
                    if let Some(f) = r.facility_id {
                        out.entry(f).or_insert(r);
                    }
                }
            });
        }
        Ok(out)
    }

    /// The shortest stated wait (days) of the facilities' schedules without a free
    /// future slot: "waiting list, about N days".
    pub async fn stated_waits(&self, facilities: &[i64]) -> Result<HashMap<i64, i64>> {
        let mut out: HashMap<i64, i64> = HashMap::new();
        for chunk in facilities.chunks(super::chunk_rows(1)) {
            dispatch!(self, pool => {
                let mut qb = sqlx::QueryBuilder::new("SELECT l.facility_id, MIN(s.wait_days) FROM slot_schedules s JOIN slot_locations l ON l.publication_id = s.publication_id AND l.resource_id = s.location_id WHERE s.wait_days IS NOT NULL AND l.facility_id IN ");
                super::push_list(&mut qb, chunk.iter().copied());
                qb.push(" GROUP BY l.facility_id");
                let rows: Vec<(Option<i64>, Option<i64>)> = qb.build_query_as().fetch_all(pool).await?;
                for (f, w) in rows {
                    if let (Some(f), Some(w)) = (f, w) {
                        out.insert(f, w);
                    }
                }
            });
        }
        Ok(out)
    }
}
