//! The three FHIR resources of a SMART Scheduling Links publication, read one NDJSON
//! line at a time and checked before anything is stored: `resourceType` as the
//! manifest announced it, the fields the specification requires, and references in
//! the `Type/id` form. A line that fails is one row of the report, never the end of
//! the file.

use chrono::DateTime;
use serde_json::Value;

/// Extension URLs end with these names (the specification's registry prefix varies
/// between its versions, so the last path segment decides).
const EXT_BOOKING_LINK: &str = "booking-deep-link";
const EXT_BOOKING_PHONE: &str = "booking-phone";
const EXT_CAPACITY: &str = "slot-capacity";
/// medmap's own Schedule extension for waiting lists (docs/slots.md): a stated wait
/// when no slot is offered, `valueDuration` (`d`, `wk`, `mo`, `h`) or days as
/// `valueInteger`.
const EXT_WAIT: &str = "wait-time";

/// Longest id or text field kept.
const MAX_TEXT: usize = 2_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: String,
    pub name: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// `(system, value)`.
    pub identifiers: Vec<(String, String)>,
    pub phone: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub id: String,
    /// The `Location` id it belongs to.
    pub location: String,
    /// The first coding's code (or the text) of the first `serviceType`.
    pub service_type: Option<String>,
    /// Its display words.
    pub service_label: Option<String>,
    pub wait_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub id: String,
    /// The `Schedule` id it belongs to.
    pub schedule: String,
    pub start: i64,
    pub end: i64,
    /// `free` or `busy`.
    pub status: String,
    pub capacity: i64,
    pub booking_url: Option<String>,
    pub booking_phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Resource {
    Location(Location),
    Schedule(Schedule),
    Slot(Slot),
}

/// The resource types a manifest may list; others are skipped (and said so).
pub const TYPES: [&str; 3] = ["Location", "Schedule", "Slot"];

fn text(v: &Value, field: &str) -> Option<String> {
    v.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(MAX_TEXT).collect())
}

fn required(v: &Value, field: &str, what: &str) -> Result<String, String> {
    text(v, field).ok_or_else(|| format!("{what} has no {field}"))
}

/// `Type/id` (a relative reference, possibly with a base URL before it) → `id`.
fn reference(v: &Value, field: &str, want: &str, what: &str) -> Result<String, String> {
    let r = match v.get(field) {
        Some(Value::Array(a)) => a.first().and_then(|x| x.get("reference")),
        Some(o) => o.get("reference"),
        None => None,
    }
    .and_then(Value::as_str)
    .ok_or_else(|| format!("{what} has no {field}.reference"))?;
    let mut parts = r.trim().rsplitn(2, '/');
    let id = parts.next().unwrap_or_default();
    let ty = parts
        .next()
        .map(|t| t.rsplit('/').next().unwrap_or(t))
        .unwrap_or_default();
    if ty != want || id.is_empty() {
        return Err(format!(
            "{what}'s {field} must refer to a {want} (\"{want}/id\"), got {r:?}"
        ));
    }
    Ok(id.to_string())
}

fn instant(v: &Value, field: &str, what: &str) -> Result<i64, String> {
    let s = required(v, field, what)?;
    DateTime::parse_from_rfc3339(&s)
        .map(|t| t.timestamp())
        .map_err(|_| {
            format!("{what}'s {field} {s:?} is not a FHIR instant (e.g. 2026-03-01T09:00:00+02:00)")
        })
}

fn extensions(v: &Value) -> impl Iterator<Item = (&str, &Value)> {
    v.get("extension")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let url = e.get("url")?.as_str()?;
            Some((url.rsplit('/').next().unwrap_or(url), e))
        })
}

fn wait_days(e: &Value) -> Option<i64> {
    if let Some(n) = e.get("valueInteger").and_then(Value::as_i64) {
        return (n >= 0).then_some(n);
    }
    let d = e.get("valueDuration")?;
    let n = d.get("value")?.as_f64()?;
    let unit = d.get("code").or_else(|| d.get("unit"))?.as_str()?;
    let days = match unit {
        "h" | "hour" | "hours" => n / 24.0,
        "d" | "day" | "days" => n,
        "wk" | "week" | "weeks" => n * 7.0,
        "mo" | "month" | "months" => n * 30.0,
        _ => return None,
    };
    (0.0..3650.0).contains(&days).then(|| days.ceil() as i64)
}

/// One NDJSON line of a file the manifest announced as `expected`.
pub fn parse_line(expected: &str, line: &str) -> Result<Resource, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let ty = v
        .get("resourceType")
        .and_then(Value::as_str)
        .ok_or("no resourceType")?;
    if ty != expected {
        return Err(format!(
            "resourceType {ty:?} in a file the manifest lists as {expected}"
        ));
    }
    let id = required(&v, "id", ty)?;
    let what = format!("{ty}/{id}");
    match ty {
        "Location" => {
            let name = required(&v, "name", &what)?;
            let pos = v.get("position");
            let coord = |k: &str| pos.and_then(|p| p.get(k)).and_then(Value::as_f64);
            let (lat, lon) = match (coord("latitude"), coord("longitude")) {
                (Some(a), Some(o))
                    if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) =>
                {
                    (Some(a), Some(o))
                }
                (None, None) => (None, None),
                _ => return Err(format!("{what}'s position is not a latitude and longitude")),
            };
            let identifiers = v
                .get("identifier")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|i| Some((text(i, "system")?, text(i, "value")?)))
                .collect();
            let telecom = |system: &str| {
                v.get("telecom")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|t| t.get("system").and_then(Value::as_str) == Some(system))
                    .and_then(|t| text(t, "value"))
            };
            Ok(Resource::Location(Location {
                id,
                name,
                lat,
                lon,
                identifiers,
                phone: telecom("phone"),
                url: telecom("url").filter(|u| is_web_url(u)),
            }))
        }
        "Schedule" => {
            let location = reference(&v, "actor", "Location", &what)?;
            let st = v
                .get("serviceType")
                .and_then(Value::as_array)
                .and_then(|a| a.first());
            let coding = st
                .and_then(|s| s.get("coding"))
                .and_then(Value::as_array)
                .and_then(|c| c.first());
            let service_type = coding
                .and_then(|c| text(c, "code"))
                .or_else(|| st.and_then(|s| text(s, "text")));
            let service_label = coding
                .and_then(|c| text(c, "display"))
                .or_else(|| st.and_then(|s| text(s, "text")));
            let wait_days = extensions(&v)
                .find(|(n, _)| *n == EXT_WAIT)
                .and_then(|(_, e)| wait_days(e));
            Ok(Resource::Schedule(Schedule {
                id,
                location,
                service_type,
                service_label,
                wait_days,
            }))
        }
        "Slot" => {
            let schedule = reference(&v, "schedule", "Schedule", &what)?;
            let status = required(&v, "status", &what)?;
            if status != "free" && status != "busy" {
                return Err(format!(
                    "{what}'s status must be free or busy, got {status:?}"
                ));
            }
            let start = instant(&v, "start", &what)?;
            let end = instant(&v, "end", &what)?;
            if end <= start {
                return Err(format!("{what} ends before it starts"));
            }
            let mut slot = Slot {
                id,
                schedule,
                start,
                end,
                status,
                capacity: 1,
                booking_url: None,
                booking_phone: None,
            };
            for (name, e) in extensions(&v) {
                match name {
                    EXT_BOOKING_LINK => {
                        slot.booking_url = text(e, "valueUrl").filter(|u| is_web_url(u))
                    }
                    EXT_BOOKING_PHONE => slot.booking_phone = text(e, "valueString"),
                    EXT_CAPACITY => {
                        if let Some(n) = e.get("valueInteger").and_then(Value::as_i64) {
                            if n < 1 {
                                return Err(format!("{what}'s slot-capacity must be at least 1"));
                            }
                            slot.capacity = n;
                        }
                    }
                    _ => {}
                }
            }
            Ok(Resource::Slot(slot))
        }
        other => Err(format!(
            "resourceType {other:?} is not one of Location, Schedule, Slot"
        )),
    }
}

/// A link people may follow: `https` (or `http`), nothing else (`javascript:`).
fn is_web_url(u: &str) -> bool {
    let l = u.to_ascii_lowercase();
    l.starts_with("https://") || l.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_with_its_extensions() {
        let line = r#"{"resourceType":"Slot","id":"s1","schedule":{"reference":"Schedule/a"},"status":"free","start":"2026-03-01T09:00:00.000+02:00","end":"2026-03-01T09:20:00+02:00","extension":[{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/booking-deep-link","valueUrl":"https://book.example/s1"},{"url":"http://fhir-registry.smarthealthit.org/StructureDefinition/slot-capacity","valueInteger":3}]}"#;
        let Ok(Resource::Slot(s)) = parse_line("Slot", line) else {
            panic!("a slot")
        };
        assert_eq!(s.schedule, "a");
        assert_eq!(s.capacity, 3);
        assert_eq!(s.end - s.start, 20 * 60);
        assert_eq!(s.booking_url.as_deref(), Some("https://book.example/s1"));
    }

    #[test]
    fn refusals_name_the_reason() {
        for (ty, line, want) in [
            ("Slot", "{not json", "not JSON"),
            (
                "Slot",
                r#"{"resourceType":"Location","id":"x","name":"n"}"#,
                "resourceType",
            ),
            (
                "Slot",
                r#"{"resourceType":"Slot","id":"x","schedule":{"reference":"Location/1"},"status":"free","start":"2026-03-01T09:00:00Z","end":"2026-03-01T09:20:00Z"}"#,
                "must refer to a Schedule",
            ),
            (
                "Slot",
                r#"{"resourceType":"Slot","id":"x","schedule":{"reference":"Schedule/1"},"status":"maybe","start":"2026-03-01T09:00:00Z","end":"2026-03-01T09:20:00Z"}"#,
                "free or busy",
            ),
            (
                "Slot",
                r#"{"resourceType":"Slot","id":"x","schedule":{"reference":"Schedule/1"},"status":"free","start":"tomorrow","end":"2026-03-01T09:20:00Z"}"#,
                "FHIR instant",
            ),
            (
                "Location",
                r#"{"resourceType":"Location","id":"x"}"#,
                "no name",
            ),
            (
                "Schedule",
                r#"{"resourceType":"Schedule","id":"x","actor":[]}"#,
                "actor.reference",
            ),
        ] {
            let e = parse_line(ty, line).expect_err(line);
            assert!(e.contains(want), "{e} should say {want}");
        }
    }

    #[test]
    fn a_stated_wait_in_days() {
        let line = r#"{"resourceType":"Schedule","id":"w","actor":[{"reference":"Location/1"}],"extension":[{"url":"https://medmap.example/fhir/wait-time","valueDuration":{"value":3,"code":"wk"}}]}"#;
        let Ok(Resource::Schedule(s)) = parse_line("Schedule", line) else {
            panic!("a schedule")
        };
        assert_eq!(s.wait_days, Some(21));
    }
}
