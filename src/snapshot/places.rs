//! Place names the facilities' own addresses give (towns, postcodes, UK postcode
//! districts): with the bundled gazetteer of the world's towns, what
//! [`crate::places::resolve`] answers `near=` from, offline.

use std::collections::HashMap;

use medmap_indexers::names::normalize;

use crate::store::FacilityRow;

/// A named place: where it is and how many facilities it has.
#[derive(Debug, Clone)]
pub struct PlaceName {
    pub lat: f64,
    pub lon: f64,
    pub facilities: u32,
    pub display: String,
}

/// Builds [`Snapshot::places_by_name`] and [`Snapshot::top_towns`].
pub(super) fn build_place_names(
    facilities: &[FacilityRow],
) -> (HashMap<String, PlaceName>, Vec<String>) {
    let mut acc: HashMap<String, PlaceName> = HashMap::new();
    let mut towns: HashMap<String, (String, u32)> = HashMap::new();
    for f in facilities {
        let (Some(lat), Some(lon)) = (f.lat, f.lon) else {
            continue;
        };
        let mut keys: Vec<(String, &str)> = Vec::new();
        if let Some(c) = f.city.as_deref().filter(|c| !c.trim().is_empty()) {
            keys.push((normalize(c), c.trim()));
            let e = towns
                .entry(normalize(c))
                .or_insert_with(|| (c.trim().to_string(), 0));
            e.1 += 1;
        }
        if let Some(pc) = f.postcode.as_deref().filter(|p| !p.trim().is_empty()) {
            let pc = pc.trim();
            keys.push((normalize(pc), pc));
            // The UK outward code ("CB8" of "CB8 8EQ") names a district.
            if let Some((outward, _)) = pc.split_once(' ') {
                keys.push((normalize(outward), outward));
            }
        }
        for (k, display) in keys {
            let e = acc.entry(k).or_insert_with(|| PlaceName {
                lat: 0.0,
                lon: 0.0,
                facilities: 0,
                display: display.to_string(),
            });
            // Running mean, so no separate sums are kept.
            e.facilities += 1;
            let n = f64::from(e.facilities);
            e.lat += (lat - e.lat) / n;
            e.lon += (lon - e.lon) / n;
        }
    }
    let mut top: Vec<(String, u32)> = towns.into_values().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let top = top.into_iter().take(20).map(|(n, _)| n).collect();
    (acc, top)
}
