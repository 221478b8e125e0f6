//! Towns by the names people type into "near": `Lviv`, `Львів`, `Львов`, `L'viv`,
//! `Lemberg` all name one town, and `Paris` names several.
//!
//! Every name of every town is reduced by the names engine's [`normalize`] (case,
//! apostrophes, hyphens, spaces) and kept in one `fst` map from the reduced name to a
//! list of towns. An fst is a few bytes per name where a hash map of strings would
//! hold half a million heap strings, and it is built once from sorted keys. Which of
//! several towns a name means is [`Gazetteer::choose`]'s rule, kept apart from the
//! lookup so it can be explained and tested.

use fst::Map;

use crate::names::normalize;

/// A town as the gazetteer knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Town {
    /// The town's own name (its usual spelling, any script).
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub population: u32,
    /// IANA zone, where the source gives one.
    pub timezone: Option<String>,
}

/// Towns and the names they go by.
pub struct Gazetteer {
    towns: Vec<Town>,
    /// Reduced name → index into `lists` offsets.
    keys: Map<Vec<u8>>,
    /// Town lists, one per key: `items[off[k]..off[k + 1]]`.
    off: Vec<u32>,
    items: Vec<u32>,
}

/// A preferred country counts as a town this many times larger: enough for the
/// Ukrainian Pervomaisk over the Russian one of similar size, not for a village
/// called Париж over Paris.
const PREFERRED_FACTOR: f64 = 100.0;

/// The key a name is found under.
pub fn key(name: &str) -> String {
    normalize(name)
}

impl Gazetteer {
    /// `towns` with every name they go by (their own name need not be repeated).
    pub fn build(towns: impl IntoIterator<Item = (Town, Vec<String>)>) -> Gazetteer {
        let mut all = Vec::new();
        let mut pairs: Vec<(String, u32)> = Vec::new();
        for (i, (town, names)) in towns.into_iter().enumerate() {
            let i = i as u32;
            pairs.push((key(&town.name), i));
            pairs.extend(names.iter().map(|n| (key(n), i)));
            all.push(town);
        }
        pairs.retain(|(k, _)| !k.is_empty());
        pairs.sort_unstable();
        pairs.dedup();
        let mut builder = fst::MapBuilder::memory();
        let mut off = vec![0u32];
        let mut items = Vec::with_capacity(pairs.len());
        let mut k = 0;
        while k < pairs.len() {
            let name = &pairs[k].0;
            let list = off.len() as u64 - 1;
            while k < pairs.len() && &pairs[k].0 == name {
                items.push(pairs[k].1);
                k += 1;
            }
            off.push(items.len() as u32);
            // Keys come sorted and unique, which is all an fst insert can refuse.
            let _ = builder.insert(name.as_bytes(), list);
        }
        let keys = builder
            .into_inner()
            .ok()
            .and_then(|b| Map::new(b).ok())
            .unwrap_or_default();
        Gazetteer {
            towns: all,
            keys,
            off,
            items,
        }
    }

    pub fn len(&self) -> usize {
        self.towns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.towns.is_empty()
    }

    /// Every town `name` may mean, in no particular order.
    pub fn lookup(&self, name: &str) -> Vec<&Town> {
        let Some(list) = self.keys.get(key(name)) else {
            return Vec::new();
        };
        let list = list as usize;
        match (self.off.get(list), self.off.get(list + 1)) {
            (Some(&a), Some(&b)) => self.items[a as usize..b as usize]
                .iter()
                .filter_map(|&t| self.towns.get(t as usize))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The town `name` most likely means, and the others it may mean (most likely
    /// first): the larger town, a town in `prefer` (the country of the reader's
    /// language) counting as [`PREFERRED_FACTOR`] times larger.
    pub fn choose(&self, name: &str, prefer: Option<&str>) -> Option<(&Town, Vec<&Town>)> {
        let mut found = self.lookup(name);
        let weight = |t: &Town| {
            let bonus = if prefer.is_some_and(|c| c.eq_ignore_ascii_case(&t.country)) {
                PREFERRED_FACTOR
            } else {
                1.0
            };
            (f64::from(t.population) + 1.0) * bonus
        };
        found.sort_by(|a, b| {
            weight(b)
                .total_cmp(&weight(a))
                .then_with(|| a.name.cmp(&b.name))
        });
        let mut found = found.into_iter();
        let best = found.next()?;
        Some((best, found.collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn town(name: &str, country: &str, population: u32) -> Town {
        Town {
            name: name.into(),
            lat: 0.0,
            lon: 0.0,
            country: country.into(),
            population,
            timezone: None,
        }
    }

    fn sample() -> Gazetteer {
        Gazetteer::build([
            (
                town("Lviv", "UA", 717_803),
                vec![
                    "Львів".into(),
                    "Львов".into(),
                    "L'viv".into(),
                    "Lemberg".into(),
                ],
            ),
            (
                town("Ivano-Frankivsk", "UA", 204_200),
                vec!["Івано-Франківськ".into()],
            ),
            (town("Paris", "FR", 2_138_551), vec!["Париж".into()]),
            (town("Paris", "US", 25_171), vec![]),
            (town("Parizh", "RU", 1_500), vec!["Париж".into()]),
            (
                town("Pervomaisk", "UA", 65_000),
                vec!["Первомайськ".into(), "Первомайск".into()],
            ),
            (town("Pervomaysk", "RU", 80_000), vec!["Первомайск".into()]),
        ])
    }

    #[test]
    fn a_town_is_found_by_any_of_its_names_and_spellings() {
        let g = sample();
        for n in [
            "Lviv",
            "lviv",
            "ЛЬВІВ",
            "Львов",
            "L'viv",
            "Lemberg",
            " lviv ",
        ] {
            assert_eq!(
                g.choose(n, None).map(|c| c.0.name.as_str()),
                Some("Lviv"),
                "{n}"
            );
        }
        for n in ["Ivano-Frankivsk", "Ivano Frankivsk", "івано-франківськ"] {
            assert_eq!(
                g.choose(n, None).map(|c| c.0.name.as_str()),
                Some("Ivano-Frankivsk"),
                "{n}"
            );
        }
        assert!(g.choose("Atlantis", None).is_none());
        assert!(g.choose("", None).is_none());
    }

    #[test]
    fn an_ambiguous_name_means_the_larger_town_or_the_readers_country() {
        let g = sample();
        let (best, others) = g.choose("Paris", None).expect("paris");
        assert_eq!(best.country, "FR");
        assert_eq!(others.len(), 1);
        // A village called Париж does not outweigh Paris for a Russian reader.
        assert_eq!(
            g.choose("Париж", Some("RU")).expect("париж").0.country,
            "FR"
        );
        // Towns of a similar size: the reader's country wins.
        assert_eq!(g.choose("Первомайск", None).expect("p").0.country, "RU");
        assert_eq!(
            g.choose("Первомайск", Some("UA")).expect("p").0.country,
            "UA"
        );
    }
}
