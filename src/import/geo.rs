//! Country and time zone of a facility when the source does not say: opening hours
//! are local times, so every facility needs a zone to answer "open now".

/// Rough bounding boxes of the countries the bundled data covers; the first that
/// contains the point wins. Sources that state a country override this.
pub fn country_of(lat: f64, lon: f64) -> Option<&'static str> {
    const BOXES: &[(&str, f64, f64, f64, f64)] = &[
        ("GB", 49.8, 60.9, -8.7, 1.8),
        ("FI", 59.7, 70.1, 19.0, 31.6),
        ("SE", 55.3, 69.1, 10.9, 24.2),
        ("UA", 44.3, 52.4, 22.1, 40.3),
        ("US", 24.0, 49.5, -125.0, -66.9),
        ("RU", 41.1, 82.0, 27.0, 180.0),
    ];
    BOXES
        .iter()
        .find(|(_, la0, la1, lo0, lo1)| {
            (*la0..=*la1).contains(&lat) && (*lo0..=*lo1).contains(&lon)
        })
        .map(|b| b.0)
}

/// The IANA zone for a country we import (the main zone where a country has several).
pub fn timezone_of(country: &str) -> Option<&'static str> {
    Some(match country {
        "GB" => "Europe/London",
        "FI" => "Europe/Helsinki",
        "SE" => "Europe/Stockholm",
        "UA" => "Europe/Kyiv",
        "US" => "America/Los_Angeles",
        "RU" => "Europe/Moscow",
        "KZ" => "Asia/Almaty",
        _ => return None,
    })
}
