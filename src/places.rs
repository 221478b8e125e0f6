//! Where a place typed by a person is: `lat,lon`, a town anywhere in the world (the
//! bundled GeoNames gazetteer, names in Latin and Cyrillic letters), or a postcode or
//! town the facilities' own addresses name. Everything is answered offline: a
//! medication search near a place must not tell an outside geocoder where someone is.
//!
//! One function, [`resolve`], behind the API (`/api/v1/places`) and the pages'
//! `near=`, so both choose the same place and can say which one they chose.

use std::io::Read;
use std::sync::LazyLock;

use medmap_indexers::gazetteer::{Gazetteer, Town};
use medmap_indexers::names::normalize;
use serde::Serialize;

use crate::snapshot::Snapshot;

/// GeoNames `cities1000` as `scripts/build-gazetteer` derives it (CC BY 4.0,
/// geonames.org; see data/SOURCES.md), compiled in like the zone boundaries: it is
/// reference data, the same for every deployment.
static BUNDLED: &[u8] = include_bytes!("../data/places/cities1000.tsv.gz");

static GAZETTEER: LazyLock<Gazetteer> = LazyLock::new(|| parse(BUNDLED));

/// The bundled gazetteer (built on first use, in about a second; the server builds
/// it in the background as it starts).
pub fn gazetteer() -> &'static Gazetteer {
    &GAZETTEER
}

/// Builds the gazetteer off the request path.
pub fn warm() {
    std::thread::spawn(|| gazetteer().len());
}

fn parse(gz: &[u8]) -> Gazetteer {
    let mut text = String::new();
    if flate2::read::GzDecoder::new(gz)
        .read_to_string(&mut text)
        .is_err()
    {
        tracing::error!("the bundled gazetteer does not decompress; towns are unknown");
        return Gazetteer::build([]);
    }
    Gazetteer::build(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                let (lat, lon) = (f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?);
                let town = Town {
                    name: f.get(1)?.to_string(),
                    lat,
                    lon,
                    country: f.get(4)?.to_string(),
                    population: f.get(6).and_then(|p| p.parse().ok()).unwrap_or(0),
                    timezone: f.get(7).filter(|z| !z.is_empty()).map(|z| z.to_string()),
                };
                let names = f
                    .get(8)
                    .map(|n| {
                        n.split('|')
                            .filter(|x| !x.is_empty())
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default();
                Some((town, names))
            }),
    )
}

/// How a place was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = PlaceSource)]
pub enum Source {
    Coordinates,
    /// A town of the gazetteer.
    Gazetteer,
    /// A town, postcode or postcode district of the facilities' addresses.
    Facilities,
}

/// A place as resolved, with what it was taken for.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Place {
    pub lat: f64,
    pub lon: f64,
    /// The name the answer shows ("Lviv"), or the coordinates.
    pub name: String,
    pub country: Option<String>,
    pub population: Option<u32>,
    pub source: Source,
    /// Other towns of that name, most likely first (at most [`OTHERS`]).
    pub others: Vec<Other>,
}

/// A town the name may also mean.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = OtherPlace)]
pub struct Other {
    pub name: String,
    pub country: String,
    pub lat: f64,
    pub lon: f64,
    pub population: u32,
}

/// Most alternatives an answer lists.
const OTHERS: usize = 5;

/// A town of the facilities' addresses within this distance of a gazetteer town of
/// the same name is that town: San Mateo means the one the directory is about.
const SAME_TOWN_KM: f64 = 30.0;

/// Where `text` is. `prefer` is the country of the reader's language (`UA` for
/// Ukrainian): of several towns of one name, it counts as a much larger one.
pub fn resolve(snap: &Snapshot, text: &str, prefer: Option<&str>) -> Option<Place> {
    let text = text.trim();
    if let Some((lat, lon)) = coordinates(text) {
        return Some(Place {
            lat,
            lon,
            name: format!("{lat:.5}, {lon:.5}"),
            country: None,
            population: None,
            source: Source::Coordinates,
            others: Vec::new(),
        });
    }
    let known = snap.places_by_name.get(&normalize(text));
    let chosen = gazetteer().choose(text, prefer);
    let Some((best, others)) = chosen else {
        return known.map(|p| Place {
            lat: p.lat,
            lon: p.lon,
            name: p.display.clone(),
            country: None,
            population: None,
            source: Source::Facilities,
            others: Vec::new(),
        });
    };
    let mut towns: Vec<&Town> = std::iter::once(best).chain(others).collect();
    // The directory's own town of that name comes first, where it has one.
    if let Some(p) = known {
        let near = |t: &Town| medmap_indexers::places::haversine_m(p.lat, p.lon, t.lat, t.lon);
        if let Some(i) = towns.iter().position(|t| near(t) <= SAME_TOWN_KM * 1000.0) {
            let t = towns.remove(i);
            towns.insert(0, t);
        }
    }
    let first = towns.first()?;
    Some(Place {
        lat: first.lat,
        lon: first.lon,
        name: first.name.clone(),
        country: Some(first.country.clone()),
        population: Some(first.population),
        source: Source::Gazetteer,
        others: towns
            .iter()
            .skip(1)
            .take(OTHERS)
            .map(|t| Other {
                name: t.name.clone(),
                country: t.country.clone(),
                lat: t.lat,
                lon: t.lon,
                population: t.population,
            })
            .collect(),
    })
}

/// The country a reader of `lang` (`en`, `uk`, `ru`) most likely means when a town
/// name is ambiguous.
pub fn reader_country(lang: &str) -> Option<&'static str> {
    match lang {
        "uk" => Some("UA"),
        "ru" => Some("RU"),
        _ => None,
    }
}

impl Place {
    /// "Lviv (UA)": what a page says it searched near.
    pub fn label(&self) -> String {
        match &self.country {
            Some(c) => format!("{} ({c})", self.name),
            None => self.name.clone(),
        }
    }

    /// "Paris (US), Paris (CA)": the other towns of that name.
    pub fn others_label(&self) -> String {
        self.others
            .iter()
            .map(|o| format!("{} ({})", o.name, o.country))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `lat,lon` when `text` is two numbers on the globe.
fn coordinates(text: &str) -> Option<(f64, f64)> {
    let (a, b) = text.split_once(',')?;
    let (lat, lon) = (a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn town(name: &str, prefer: Option<&str>) -> (String, String) {
        let (t, _) = gazetteer().choose(name, prefer).expect(name);
        (t.name.clone(), t.country.clone())
    }

    #[test]
    fn the_bundled_gazetteer_knows_our_users_towns_in_three_scripts() {
        assert!(gazetteer().len() > 100_000, "{}", gazetteer().len());
        for (typed, name, country) in [
            ("Lviv", "Lviv", "UA"),
            ("Львів", "Lviv", "UA"),
            ("Львов", "Lviv", "UA"),
            ("Ivano-Frankivsk", "Ivano-Frankivsk", "UA"),
            ("Івано-Франківськ", "Ivano-Frankivsk", "UA"),
            ("Kyiv", "Kyiv", "UA"),
            ("Киев", "Kyiv", "UA"),
            ("Petrozavodsk", "Petrozavodsk", "RU"),
            ("Петрозаводск", "Petrozavodsk", "RU"),
            ("Перник", "Pernik", "BG"),
            ("Pernik", "Pernik", "BG"),
            ("Kungsbacka", "Kungsbacka", "SE"),
            ("Tartu", "Tartu", "EE"),
            ("New York", "New York City", "US"),
        ] {
            assert_eq!(town(typed, None), (name.into(), country.into()), "{typed}");
        }
    }

    #[test]
    fn coordinates_are_taken_as_they_are_and_off_the_globe_are_not() {
        assert_eq!(coordinates(" 49.84, 24.03 "), Some((49.84, 24.03)));
        assert_eq!(coordinates("91,0"), None);
        assert_eq!(coordinates("Lviv"), None);
    }
}
