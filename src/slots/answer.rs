//! Slots as answers and pages show them: times as RFC 3339, the facility the
//! Location was matched to, the distance, the booking link or phone, when the slot
//! was last confirmed, and whether its publication may be out of date.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::snapshot::Snapshot;
use crate::store::FoundSlot;

/// A free slot in an answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SlotView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// People the slot can take (the `slot-capacity` extension, else 1).
    pub capacity: i64,
    /// The schedule's service type code, and its words.
    pub service_type: Option<String>,
    pub service: Option<String>,
    /// The publication's Location (its name; `Location/<id>` in the publication).
    pub location_name: String,
    pub location_ref: String,
    /// The facility the Location was matched to (none: unmatched, shown by name only).
    pub facility_id: Option<i64>,
    pub facility_name: Option<String>,
    /// From the point asked about, kilometres (slot answers near a point only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
    /// The publisher's own booking page: medmap books nothing itself.
    pub booking_url: Option<String>,
    pub booking_phone: Option<String>,
    /// When medmap last read the slot in its publication.
    pub confirmed_at: DateTime<Utc>,
    /// The publication was not read successfully within its declared interval.
    pub may_be_out_of_date: bool,
    pub publication_id: i64,
}

fn ts(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// A publication is out of date when its last successful poll is older than its
/// declared interval plus as much again (one poll may be under way or backing off).
pub fn may_be_out_of_date(last_success_at: Option<i64>, every_secs: i64, now: i64) -> bool {
    last_success_at.is_none_or(|t| now - t > 2 * every_secs)
}

/// The view of a found slot; `from` gives the distance.
pub fn view(snap: &Snapshot, s: &FoundSlot, from: Option<(f64, f64)>, now: i64) -> SlotView {
    let facility = s.facility_id.and_then(|f| {
        let &i = snap.facility_index.get(&f)?;
        snap.facilities.get(i as usize)
    });
    let distance_km = match (from, s.lat, s.lon) {
        (Some((a, o)), Some(la), Some(lo)) => {
            Some((medmap_indexers::places::haversine_m(a, o, la, lo) / 10.0).round() / 100.0)
        }
        _ => None,
    };
    SlotView {
        start: ts(s.start_at),
        end: ts(s.end_at),
        capacity: s.capacity,
        service_type: s.service_type.clone(),
        service: s.service_label.clone(),
        location_name: s.location_name.clone(),
        location_ref: format!("Location/{}", s.location_id),
        facility_id: facility.map(|f| f.id),
        facility_name: facility.map(|f| f.name.clone()),
        distance_km,
        booking_url: s.booking_url.clone(),
        booking_phone: s.booking_phone.clone(),
        confirmed_at: ts(s.confirmed_at.max(s.last_success_at.unwrap_or(0))),
        may_be_out_of_date: may_be_out_of_date(s.last_success_at, s.every_secs, now),
        publication_id: s.publication_id,
    }
}

/// A stated wait in words ("about 3 weeks"), English; pages use their own words.
pub fn wait_words(days: i64) -> String {
    match days {
        0 => "same day".into(),
        1 => "about 1 day".into(),
        d if d < 14 => format!("about {d} days"),
        d if d < 60 => format!("about {} weeks", (d + 3) / 7),
        d => format!("about {} months", (d + 15) / 30),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_and_waits() {
        assert!(may_be_out_of_date(None, 300, 1_000));
        assert!(!may_be_out_of_date(Some(1_000), 300, 1_500));
        assert!(may_be_out_of_date(Some(1_000), 300, 1_700));
        assert_eq!(wait_words(21), "about 3 weeks");
        assert_eq!(wait_words(90), "about 3 months");
    }
}
