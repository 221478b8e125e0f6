//! Country, subdivision and time zone of a point, for facilities whose source does
//! not say: opening hours are local times, and public holidays are national, so every
//! facility needs a zone and a country to answer "open now".
//!
//! Both come from offline data compiled into the binary, for any point on Earth: the
//! zones from timezone-boundary-builder (through `tzf-rs`, ODbL) and the countries and
//! their subdivisions from OpenStreetMap boundaries (through `country-boundaries`,
//! ODbL). A point at sea gets the nautical zone (`Etc/GMT+5`) and no country; nothing
//! is ever asked of an online service.

use std::sync::LazyLock;

use country_boundaries::{CountryBoundaries, LatLon, BOUNDARIES_ODBL_360X180};

use crate::model::Facility;

/// Where a point is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Located {
    /// ISO 3166-1 alpha-2, e.g. `UA`.
    pub country: Option<String>,
    /// ISO 3166-2 subdivision, e.g. `US-NY`, where the boundaries have one.
    pub subdivision: Option<String>,
    /// IANA zone name, e.g. `Europe/Kyiv`.
    pub timezone: Option<String>,
}

static ZONES: LazyLock<tzf_rs::DefaultFinder> = LazyLock::new(tzf_rs::DefaultFinder::new);

/// `None` only if the bundled data does not load, which the tests rule out: the
/// lookups then answer "unknown" rather than failing an import.
static COUNTRIES: LazyLock<Option<CountryBoundaries>> =
    LazyLock::new(|| CountryBoundaries::from_reader(BOUNDARIES_ODBL_360X180).ok());

/// The country, subdivision and zone at (`lat`, `lon`); all unknown for coordinates
/// off the globe.
pub fn locate(lat: f64, lon: f64) -> Located {
    if !(lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0) {
        return Located::default();
    }
    let timezone = Some(ZONES.get_tz_name(lon, lat))
        .filter(|z| !z.is_empty() && z.parse::<chrono_tz::Tz>().is_ok())
        .map(String::from);
    let ids: Vec<&str> = match (COUNTRIES.as_ref(), LatLon::new(lat, lon)) {
        (Some(c), Ok(p)) => c.ids(p),
        _ => Vec::new(),
    };
    // Subdivisions (`US-NY`) come before their country (`US`).
    let country = ids
        .iter()
        .find(|id| id.len() == 2 && id.bytes().all(|b| b.is_ascii_uppercase()))
        .map(|c| c.to_string());
    let subdivision = ids
        .iter()
        .find(|id| {
            country
                .as_deref()
                .is_some_and(|c| id.starts_with(&format!("{c}-")))
        })
        .map(|s| s.to_string());
    Located {
        country,
        subdivision,
        timezone,
    }
}

/// Fills what a facility's source did not say: country and zone from its
/// coordinates, or without them the zone of its country where it has one. A source's
/// own country and zone always win.
pub fn complete(f: &mut Facility) {
    if f.country.is_some() && f.timezone.is_some() {
        return;
    }
    let here = match (f.lat, f.lon) {
        (Some(lat), Some(lon)) => locate(lat, lon),
        _ => Located::default(),
    };
    if f.country.is_none() {
        f.country = here.country;
    }
    if f.timezone.is_none() {
        f.timezone = here.timezone.or_else(|| {
            f.country
                .as_deref()
                .and_then(single_zone_of)
                .map(String::from)
        });
    }
}

/// [`complete`]d copies of `facilities`: what every importer saves, so no source
/// needs to know about zones.
pub fn completed(facilities: &[Facility]) -> Vec<Facility> {
    facilities
        .iter()
        .cloned()
        .map(|mut f| {
            complete(&mut f);
            f
        })
        .collect()
}

/// The zone of a country that has only one, for a place known by its country
/// alone (no coordinates). Countries spanning several zones get none: a guess
/// would be hours off for part of them.
fn single_zone_of(country: &str) -> Option<&'static str> {
    let code = country.trim().to_ascii_uppercase();
    Some(match code.as_str() {
        "GB" => "Europe/London",
        "IE" => "Europe/Dublin",
        "FI" => "Europe/Helsinki",
        "SE" => "Europe/Stockholm",
        "NO" => "Europe/Oslo",
        "DK" => "Europe/Copenhagen",
        "EE" => "Europe/Tallinn",
        "LV" => "Europe/Riga",
        "LT" => "Europe/Vilnius",
        "PL" => "Europe/Warsaw",
        "DE" => "Europe/Berlin",
        "FR" => "Europe/Paris",
        "BG" => "Europe/Sofia",
        "MD" => "Europe/Chisinau",
        "GE" => "Asia/Tbilisi",
        "UA" => "Europe/Kyiv",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn at(lat: f64, lon: f64, country: Option<&str>, zone: &str) {
        let l = locate(lat, lon);
        assert_eq!(l.country.as_deref(), country, "{lat},{lon}: {l:?}");
        assert_eq!(l.timezone.as_deref(), Some(zone), "{lat},{lon}: {l:?}");
    }

    #[test]
    fn the_cities_of_our_users_and_the_issues_examples_get_their_zone_and_country() {
        at(49.8397, 24.0297, Some("UA"), "Europe/Kyiv"); // Lviv
        at(48.9226, 24.7111, Some("UA"), "Europe/Kyiv"); // Ivano-Frankivsk
        at(50.4501, 30.5234, Some("UA"), "Europe/Kyiv"); // Kyiv
        at(58.3780, 26.7290, Some("EE"), "Europe/Tallinn"); // Tartu
        at(42.6052, 23.0378, Some("BG"), "Europe/Sofia"); // Pernik
        at(61.7849, 34.3469, Some("RU"), "Europe/Moscow"); // Petrozavodsk
        at(57.4873, 12.0761, Some("SE"), "Europe/Stockholm"); // Kungsbacka
        at(46.3237, -0.4588, Some("FR"), "Europe/Paris"); // Niort
        at(40.7128, -74.0060, Some("US"), "America/New_York"); // New York
        at(37.5630, -122.3255, Some("US"), "America/Los_Angeles"); // San Mateo
        at(51.5074, -0.1278, Some("GB"), "Europe/London");
        at(43.2220, 76.8512, Some("KZ"), "Asia/Almaty");
    }

    #[test]
    fn subdivisions_come_with_their_country() {
        let ny = locate(40.7128, -74.0060);
        assert_eq!(ny.subdivision.as_deref(), Some("US-NY"), "{ny:?}");
    }

    #[test]
    fn the_sea_and_the_poles_get_a_zone_or_a_clear_unknown() {
        let atlantic = locate(35.0, -40.0);
        assert_eq!(atlantic.country, None);
        assert!(atlantic.timezone.is_some(), "{atlantic:?}");
        for (lat, lon) in [(90.0, 0.0), (-90.0, 0.0), (0.0, 180.0), (0.0, -180.0)] {
            let l = locate(lat, lon);
            if let Some(z) = &l.timezone {
                assert!(z.parse::<chrono_tz::Tz>().is_ok(), "{z}");
            }
        }
        assert_eq!(locate(91.0, 0.0), Located::default());
        assert_eq!(locate(f64::NAN, 0.0), Located::default());
    }

    fn facility_at(lat: f64, lon: f64) -> Facility {
        Facility {
            lat: Some(lat),
            lon: Some(lon),
            ..Facility::new(
                crate::model::SourceRef::new("test", "1"),
                crate::model::FacilityKind::Pharmacy,
                "x",
            )
        }
    }

    #[test]
    fn a_sources_own_country_and_zone_win() {
        let mut f = facility_at(40.7128, -74.0060);
        f.timezone = Some("America/Chicago".into());
        complete(&mut f);
        assert_eq!(f.timezone.as_deref(), Some("America/Chicago"));
        assert_eq!(f.country.as_deref(), Some("US"));
        let mut g = facility_at(40.7128, -74.0060);
        g.country = Some("CA".into());
        complete(&mut g);
        assert_eq!(g.country.as_deref(), Some("CA"));
        assert_eq!(g.timezone.as_deref(), Some("America/New_York"));
    }
}
