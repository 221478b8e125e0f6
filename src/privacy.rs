//! Confidential services and locations: the one rule that keeps where a
//! domestic-violence shelter is from ever leaving medmap.
//!
//! Open Referral HSDS has no field for "list this service, but not where it is", so
//! medmap reads an extension field ([`FLAG_FIELDS`]: `x_confidential`, or plain
//! `confidential`) on HSDS `service` and `location` objects, the same column in the
//! HSDS CSV tables and an optional `confidential` column in the Ohana CSV files, with
//! [`PUBLIC_CONTACT_FIELDS`] (`x_public_contact`) for the helpline people should call
//! instead. The store keeps the mark (`services.confidential`,
//! `facilities.confidential`, `services.public_contact`) and the real data: an
//! operator who loaded it still has it.
//!
//! **Where it is enforced.** [`redact`] runs at the very start of
//! [`crate::snapshot::Snapshot::build`], the one constructor of the snapshot every
//! answer is made from (API, pages, hand-off lists, short lists, the map, the
//! availability search and `medmap export hsds`). What it clears is not in memory at
//! all afterwards, so no output path — present or future — can leak it by
//! forgetting a check. Outputs only use [`shown_point`] and [`coarse_km`] so they do
//! not present the coarse area as a position, and say "address withheld for
//! safety; call …".
//!
//! **Which locations.** A facility is confidential when its source says so, or when
//! it is linked to services and every one of them is confidential (a shelter known
//! only through its service). A place that also hosts a public service stays public
//! (mark the location itself to hide it).
//!
//! **What is withheld.** Street address, postcode, the location's own phones,
//! website and description (sources put directions there), and the coordinates. Kept:
//! the name, town, region and country, hours, languages, and the service's own
//! phones (the helpline).
//!
//! **The coarse area.** The coordinates become the centre of a grid cell of
//! [`GRID_DEG`]° of latitude (≈ 5.6 km) by as many kilometres of longitude, so that
//! distance filters ("within 10 km of me") still find the service. A grid cell, not
//! the town's centroid: it depends on the point alone (the same on every replica and
//! re-import), it never lands nearer the real place than chance (the centroid of a
//! small town with one facility is that facility), and it is the same for every
//! place in the cell, so it says nothing finer than ~5 km. The real place is at most
//! ≈ 4 km from the centre: a radius of 5 km or more around it always finds it.

use std::collections::HashMap;

use crate::store::{DirectoryRows, FacilityRow, ServiceRow};

/// The names a source may give the flag, on a service or a location (HSDS JSON
/// and CSV); `x_` first: HSDS 3.0 reserves unprefixed names for the standard.
pub const FLAG_FIELDS: [&str; 2] = ["x_confidential", "confidential"];

/// The names of the public contact (a helpline) of a confidential service.
pub const PUBLIC_CONTACT_FIELDS: [&str; 2] = ["x_public_contact", "public_contact"];

/// Side of the coarse grid, in degrees of latitude (≈ 5.6 km).
pub const GRID_DEG: f64 = 0.05;

/// Where the quick-exit button leads: a neutral page that says nothing about what
/// was being read.
pub const QUICK_EXIT_URL: &str = "https://www.google.com/";

/// A flag as sources write it. Empty, `false`, `no`, `n`, `0`, `f`, `off` are false;
/// anything else (`true`, `yes`, `1`, and unexpected text) is true: when a source
/// meant to say something, the safe reading is "keep it hidden".
pub fn parse_flag(text: &str) -> bool {
    let t = text.trim().to_ascii_lowercase();
    !matches!(t.as_str(), "" | "false" | "no" | "n" | "0" | "f" | "off")
}

/// The flag of a JSON value (a boolean, a string as CSV cells are, or a number).
pub fn flag_of_json(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64() != Some(0.0),
        serde_json::Value::String(s) => parse_flag(s),
        _ => true,
    }
}

/// The centre of the grid cell holding `(lat, lon)`: the coarse area a confidential
/// place is searched by.
pub fn coarse_point(lat: f64, lon: f64) -> (f64, f64) {
    let row = (lat / GRID_DEG).floor();
    let centre_lat = ((row + 0.5) * GRID_DEG).clamp(-90.0, 90.0);
    // Cells as wide as they are high: fewer degrees of longitude near the equator.
    let lon_deg = GRID_DEG / centre_lat.to_radians().cos().max(0.05);
    let centre_lon = (((lon / lon_deg).floor() + 0.5) * lon_deg).clamp(-180.0, 180.0);
    (centre_lat, centre_lon)
}

/// A distance to a confidential place, as it may be shown: whole kilometres (the
/// point it is measured to is only the cell's centre).
pub fn coarse_km(km: f64) -> f64 {
    km.round().max(1.0)
}

/// The coordinates an answer may show of a facility: none for a confidential one
/// (its coarse area is for distance filters only, never a pin on a map).
pub fn shown_point(f: &FacilityRow) -> Option<(f64, f64)> {
    if f.confidential {
        return None;
    }
    Some((f.lat?, f.lon?))
}

/// Who to call about a service: its public contact, else its own first phone.
pub fn service_contact(s: &ServiceRow) -> Option<String> {
    s.public_contact
        .clone()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| s.phones.first().cloned())
}

/// Withholds every confidential location (see the module's doc) in `facilities`,
/// in place: address, postcode, phones, website and description cleared, the
/// coordinates moved to [`coarse_point`], `confidential` set and `public_contact`
/// taken from its confidential services. Run before anything is built from the rows.
pub fn redact(facilities: &mut [FacilityRow], dir: &DirectoryRows) {
    let services: HashMap<i64, &ServiceRow> = dir.services.iter().map(|s| (s.id, s)).collect();
    // Per facility id: (linked to any public service, first public contact).
    let mut linked: HashMap<i64, (bool, Option<String>)> = HashMap::new();
    for l in &dir.links {
        let Some(s) = services.get(&l.service_id) else {
            continue;
        };
        let e = linked.entry(l.facility_id).or_insert((false, None));
        if !s.confidential {
            e.0 = true;
        } else if e.1.is_none() {
            e.1 = service_contact(s);
        }
    }
    for f in facilities.iter_mut() {
        let link = linked.get(&f.id);
        let only_confidential = link.is_some_and(|(public, _)| !public);
        if !(f.confidential || only_confidential) {
            continue;
        }
        f.confidential = true;
        f.public_contact = link.and_then(|(_, c)| c.clone());
        f.address = None;
        f.postcode = None;
        f.phones = Vec::new();
        f.website = None;
        f.description = None;
        if let (Some(lat), Some(lon)) = (f.lat, f.lon) {
            let (a, b) = coarse_point(lat, lon);
            f.lat = Some(a);
            f.lon = Some(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_the_safe_way() {
        for t in ["true", "TRUE", " yes", "1", "y", "t", "confidential"] {
            assert!(parse_flag(t), "{t}");
        }
        for t in ["", "false", "No", "0", "f", "off"] {
            assert!(!parse_flag(t), "{t}");
        }
        assert!(flag_of_json(&serde_json::json!(true)));
        assert!(flag_of_json(&serde_json::json!("true")));
        assert!(!flag_of_json(&serde_json::json!(false)));
        assert!(!flag_of_json(&serde_json::Value::Null));
    }

    #[test]
    fn the_coarse_point_is_the_cells_centre_within_4_km() {
        use medmap_indexers::places::haversine_m;
        for (lat, lon) in [
            (37.5334, -122.2927),
            (51.5074, -0.1278),
            (60.1699, 24.9384),
            (-33.87, 151.21),
            (0.0, 0.0),
        ] {
            let (a, b) = coarse_point(lat, lon);
            let d = haversine_m(lat, lon, a, b);
            assert!(d < 4_000.0, "{lat},{lon} -> {a},{b}: {d} m");
            // Every point of the cell gives the same centre.
            assert_eq!(coarse_point(a, b), (a, b));
        }
    }
}
