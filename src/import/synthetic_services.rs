//! A synthetic national social-services directory for benchmarks and load tests:
//! `national_directory(seed, services, locations)` builds a [`Directory`] of the
//! given size, deterministic for a seed, shaped like a country's merged HSDS
//! feeds: organizations running a few locations each, locations clustered
//! around real US and UK cities by population, plausible street addresses and
//! postcodes, weekly schedules on a share of services, and services drawn from
//! [`ARCHETYPES`] with names, descriptions and taxonomy terms worded after real
//! directory records.
//!
//! Every service's source id says its archetype, `gen/<archetype>/<n>`, so a
//! search evaluation can tell whether a hit is the kind of service asked for
//! ([`archetype_of`]).

mod archetypes;
mod places;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use archetypes::{Archetype, ARCHETYPES};
pub use places::{City, CITIES};
use places::{
    ORG_HEADS, ORG_TAILS, PLACES, STREETS, UK_LANGS, UK_STREET_KINDS, US_LANGS, US_STREET_KINDS,
};

use super::directory::Directory;
use crate::model::{
    Facility, FacilityKind, Organization, Schedule, Service, SourceRef, TaxonomyTerm,
};

/// The `source` of every generated record.
pub const SOURCE: &str = "synthetic";

/// Default sizes of the national directory.
pub const DEFAULT_SERVICES: usize = 200_000;
pub const DEFAULT_LOCATIONS: usize = 120_000;

/// The archetype slug in a generated service's source id (`gen/<slug>/<n>`).
pub fn archetype_of(source_id: &str) -> Option<&str> {
    let rest = source_id.strip_prefix("gen/")?;
    let (slug, n) = rest.split_once('/')?;
    (!slug.is_empty() && !n.is_empty()).then_some(slug)
}

/// The archetype with this slug.
pub fn archetype(slug: &str) -> Option<&'static Archetype> {
    ARCHETYPES.iter().find(|a| a.slug == slug)
}

/// Sizes from `MEDMAP_SYNTH_SERVICES` / `MEDMAP_SYNTH_LOCATIONS`, else the defaults.
pub fn sizes_from_env() -> (usize, usize) {
    let get = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.trim().replace('_', "").parse().ok())
            .unwrap_or(d)
    };
    (
        get("MEDMAP_SYNTH_SERVICES", DEFAULT_SERVICES),
        get("MEDMAP_SYNTH_LOCATIONS", DEFAULT_LOCATIONS),
    )
}

/// Picks an index from cumulative weights.
fn pick_weighted(rng: &mut ChaCha8Rng, cumulative: &[f64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    let r = rng.random::<f64>() * total;
    cumulative
        .partition_point(|&c| c <= r)
        .min(cumulative.len().saturating_sub(1))
}

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

fn pick<'a>(rng: &mut ChaCha8Rng, items: &'a [&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// A standard normal draw (Box–Muller).
fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// How far locations spread around a city centre (km, one standard deviation):
/// a few km, wider for bigger cities.
pub fn spread_km(c: &City) -> f64 {
    (2.0 + 2.0 * c.weight.sqrt()).min(8.0)
}

fn fill(template: &str, city: &City, org: &str, place: &str) -> String {
    template
        .replace("{city}", city.name)
        .replace("{org}", org)
        .replace("{place}", place)
}

fn postcode(rng: &mut ChaCha8Rng, c: &City) -> String {
    if c.country == "US" {
        format!("{}{:02}", c.postcode, rng.random_range(1..100))
    } else {
        const LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
        let l = |rng: &mut ChaCha8Rng| LETTERS[rng.random_range(0..LETTERS.len())] as char;
        format!(
            "{}{} {}{}{}",
            c.postcode,
            rng.random_range(1..30),
            rng.random_range(1..10),
            l(rng),
            l(rng)
        )
    }
}

fn street(rng: &mut ChaCha8Rng, c: &City) -> String {
    if c.country == "US" {
        format!(
            "{} {} {}",
            rng.random_range(10..9999),
            pick(rng, STREETS),
            pick(rng, US_STREET_KINDS)
        )
    } else {
        format!(
            "{} {} {}",
            rng.random_range(1..250),
            pick(rng, STREETS),
            pick(rng, UK_STREET_KINDS)
        )
    }
}

fn phone(rng: &mut ChaCha8Rng, c: &City) -> String {
    if c.country == "US" {
        format!(
            "({}) 555-{:04}",
            rng.random_range(201..990),
            rng.random_range(0..10_000)
        )
    } else {
        format!(
            "0{} 496 {:04}",
            rng.random_range(113..199),
            rng.random_range(0..10_000)
        )
    }
}

fn term_ref(name: &str) -> SourceRef {
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    SourceRef::new(SOURCE, format!("tax/{slug}"))
}

/// The national directory: `services` services at `locations` locations, run
/// by about one organization per five services; deterministic for `seed`.
pub fn national_directory(seed: u64, services: usize, locations: usize) -> Directory {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut d = Directory::default();
    let city_weights = cumulative(CITIES.iter().map(|c| c.weight));
    let arch_weights = cumulative(ARCHETYPES.iter().map(|a| f64::from(a.weight)));

    // Taxonomy: every term name any archetype uses, once.
    let mut seen = std::collections::HashSet::new();
    for a in ARCHETYPES {
        for t in a.terms {
            if seen.insert(*t) {
                d.taxonomy.push(TaxonomyTerm {
                    src: term_ref(t),
                    code: None,
                    name: (*t).to_string(),
                    description: None,
                    parent: None,
                    taxonomy: Some("open_eligibility".into()),
                    taxonomy_id: None,
                    language: Some("en".into()),
                });
            }
        }
    }

    // Organizations, each with a home city.
    let n_org = if services == 0 {
        0
    } else {
        (services / 5).max(1)
    };
    let mut org_city = Vec::with_capacity(n_org);
    for i in 0..n_org {
        let c = pick_weighted(&mut rng, &city_weights);
        let city = &CITIES[c];
        let name = if rng.random_bool(0.5) {
            format!(
                "{} {} of {}",
                pick(&mut rng, ORG_HEADS),
                pick(&mut rng, ORG_TAILS),
                city.name
            )
        } else {
            format!(
                "{} {}",
                pick(&mut rng, ORG_HEADS),
                pick(&mut rng, ORG_TAILS)
            )
        };
        let web = format!("https://org{i}.example.org");
        d.organizations.push(Organization {
            src: SourceRef::new(SOURCE, format!("org/{i}")),
            description: Some(format!(
                "{name} strengthens the community by providing children, families and older adults in {} the support they need.",
                city.name
            )),
            alternate_name: None,
            email: Some(format!("info@org{i}.example.org")),
            website: Some(web),
            name,
        });
        org_city.push(c);
    }

    // Locations: location i belongs to organization i mod n_org, mostly in the
    // organization's city, gaussian around its centre.
    let mut loc_city = Vec::with_capacity(locations);
    let mut loc_org = Vec::with_capacity(locations);
    for i in 0..locations {
        let org = if n_org == 0 { None } else { Some(i % n_org) };
        let c = match org {
            Some(o) if rng.random_bool(0.85) => org_city[o],
            _ => pick_weighted(&mut rng, &city_weights),
        };
        let city = &CITIES[c];
        let sd = spread_km(city);
        let (dy, dx) = (gaussian(&mut rng) * sd, gaussian(&mut rng) * sd);
        let lat = city.lat + dy / 111.32;
        let lon = city.lon + dx / (111.32 * city.lat.to_radians().cos());
        let place = pick(&mut rng, PLACES);
        let org_name = org.map_or("Community", |o| d.organizations[o].name.as_str());
        let name = if rng.random_bool(0.5) {
            format!("{org_name} - {place}")
        } else {
            format!("{place} Community Center")
        };
        let mut languages = vec!["English".to_string()];
        if rng.random_bool(0.4) {
            let pool = if city.country == "US" {
                US_LANGS
            } else {
                UK_LANGS
            };
            languages.push(pick(&mut rng, pool).to_string());
        }
        d.facilities.push(Facility {
            confidential: false,
            reimbursement: Vec::new(),
            src: SourceRef::new(SOURCE, format!("loc/{i}")),
            kind: FacilityKind::Social,
            name,
            organization: org.map(|o| d.organizations[o].src.clone()),
            address: Some(street(&mut rng, city)),
            city: Some(city.name.to_string()),
            region: Some(city.region.to_string()),
            postcode: Some(postcode(&mut rng, city)),
            country: Some(city.country.to_string()),
            lat: Some((lat * 1e6).round() / 1e6),
            lon: Some((lon * 1e6).round() / 1e6),
            opening_hours: rng
                .random_bool(0.2)
                .then(|| "Mo-Fr 09:00-17:00".to_string()),
            timezone: Some(city.timezone.to_string()),
            phones: vec![phone(&mut rng, city)],
            website: None,
            email: None,
            description: None,
            languages,
            external_ids: Vec::new(),
        });
        loc_city.push(c);
        loc_org.push(org);
    }

    // Services: the first `locations` go one to each location, the rest to a
    // random one; one in ten is also offered at a second location of the same
    // organization.
    let mut per_arch = vec![0usize; ARCHETYPES.len()];
    for j in 0..services {
        // Every archetype appears as soon as there are enough services.
        let ai = if j < ARCHETYPES.len() {
            j
        } else {
            pick_weighted(&mut rng, &arch_weights)
        };
        let arch = &ARCHETYPES[ai];
        let n = per_arch[ai];
        per_arch[ai] += 1;
        let loc = if locations == 0 {
            None
        } else if j < locations {
            Some(j)
        } else {
            Some(rng.random_range(0..locations))
        };
        let org = loc.and_then(|l| loc_org[l]);
        let city = &CITIES[loc.map_or(0, |l| loc_city[l])];
        let org_name = org.map_or("Community", |o| d.organizations[o].name.as_str());
        let place = pick(&mut rng, PLACES);
        let name = fill(pick(&mut rng, arch.names), city, org_name, place);

        // 2–4 of the archetype's sentences, in order, then 1–2 fillers.
        let k = rng.random_range(2..=arch.sentences.len().clamp(2, 4));
        let mut chosen: Vec<usize> = (0..arch.sentences.len()).collect();
        while chosen.len() > k {
            let drop = rng.random_range(0..chosen.len());
            chosen.remove(drop);
        }
        let mut desc: Vec<String> = chosen
            .iter()
            .map(|&i| arch.sentences[i].to_string())
            .collect();
        for _ in 0..rng.random_range(1..=2) {
            desc.push(fill(
                pick(&mut rng, archetypes::FILLER),
                city,
                org_name,
                place,
            ));
        }

        let n_terms = rng.random_range(2..=arch.terms.len().clamp(2, 4));
        let mut terms: Vec<SourceRef> = Vec::with_capacity(n_terms);
        let start = rng.random_range(0..arch.terms.len());
        for t in 0..n_terms.min(arch.terms.len()) {
            terms.push(term_ref(arch.terms[(start + t) % arch.terms.len()]));
        }

        let mut locs: Vec<SourceRef> = loc
            .map(|l| d.facilities[l].src.clone())
            .into_iter()
            .collect();
        if let (Some(l), true) = (loc, rng.random_bool(0.1)) {
            let other = l + n_org.max(1);
            if other < locations {
                locs.push(d.facilities[other].src.clone());
            }
        }
        let mut languages = vec!["English".to_string()];
        if rng.random_bool(0.3) {
            let pool = if city.country == "US" {
                US_LANGS
            } else {
                UK_LANGS
            };
            languages.push(pick(&mut rng, pool).to_string());
        }
        let src = SourceRef::new(SOURCE, format!("gen/{}/{n}", arch.slug));
        let with_schedule = rng.random_bool(0.25);
        d.services.push(Service {
            confidential: false,
            public_contact: None,
            organization: org.map(|o| d.organizations[o].src.clone()),
            name,
            alternate_name: None,
            description: Some(desc.join(" ")),
            status: "active".into(),
            email: None,
            url: None,
            eligibility: Some(arch.eligibility.to_string()),
            min_age: arch.min_age,
            max_age: arch.max_age,
            languages,
            fees: Some(pick(&mut rng, archetypes::FEES).to_string()),
            application_process: Some(pick(&mut rng, archetypes::APPLY).to_string()),
            last_modified: Some(format!(
                "2026-{:02}-{:02}T12:00:00Z",
                rng.random_range(1..=11),
                rng.random_range(1..=28)
            )),
            phones: Vec::new(),
            cost_options: Vec::new(),
            locations: locs,
            link_ids: Vec::new(),
            taxonomy_terms: terms,
            src: src.clone(),
        });
        if with_schedule {
            let (days, opens, closes) = match rng.random_range(0..4) {
                0 => (1..=5, "09:00", "17:00"),
                1 => (1..=5, "08:30", "16:30"),
                2 => (1..=6, "10:00", "14:00"),
                _ => (2..=4, "13:00", "19:00"),
            };
            for wd in days {
                d.schedules.push(Schedule {
                    src: SourceRef::new(SOURCE, format!("sch/{j}/{wd}")),
                    service: Some(src.clone()),
                    facility: None,
                    weekday: Some(wd),
                    opens_at: Some(opens.into()),
                    closes_at: Some(closes.into()),
                    description: None,
                });
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use medmap_indexers::places::haversine_m;

    #[test]
    fn deterministic_for_a_seed() {
        let a = national_directory(7, 2_000, 1_200);
        let b = national_directory(7, 2_000, 1_200);
        let c = national_directory(8, 2_000, 1_200);
        let key = |d: &Directory| {
            d.services
                .iter()
                .map(|s| {
                    (
                        s.src.source_id.clone(),
                        s.name.clone(),
                        s.description.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b));
        assert_eq!(
            a.facilities
                .iter()
                .map(|f| (f.lat, f.lon))
                .collect::<Vec<_>>(),
            b.facilities
                .iter()
                .map(|f| (f.lat, f.lon))
                .collect::<Vec<_>>()
        );
        assert_ne!(key(&a), key(&c));
    }

    #[test]
    fn counts_as_asked() {
        let d = national_directory(1, 5_000, 3_000);
        assert_eq!(d.services.len(), 5_000);
        assert_eq!(d.facilities.len(), 3_000);
        assert_eq!(d.organizations.len(), 1_000);
        assert!(!d.schedules.is_empty());
        // Every location offers at least one service; every reference resolves.
        let locs: std::collections::HashSet<&SourceRef> =
            d.services.iter().flat_map(|s| &s.locations).collect();
        assert_eq!(locs.len(), 3_000);
        let terms: std::collections::HashSet<&SourceRef> =
            d.taxonomy.iter().map(|t| &t.src).collect();
        assert!(d
            .services
            .iter()
            .flat_map(|s| &s.taxonomy_terms)
            .all(|t| terms.contains(t)));
        let empty = national_directory(1, 0, 0);
        assert!(empty.services.is_empty() && empty.facilities.is_empty());
    }

    #[test]
    fn every_archetype_appears_and_is_recorded() {
        assert!(ARCHETYPES.len() >= 30);
        let d = national_directory(3, 3_000, 2_000);
        for a in ARCHETYPES {
            assert!(
                d.services
                    .iter()
                    .any(|s| archetype_of(&s.src.source_id) == Some(a.slug)),
                "{} missing",
                a.slug
            );
            assert!((3..=6).contains(&a.sentences.len()), "{}", a.slug);
        }
        assert_eq!(archetype_of("gen/food-pantry/12"), Some("food-pantry"));
        assert_eq!(archetype_of("svc/12"), None);
        assert_eq!(archetype_of("gen/food-pantry"), None);
        let slugs: std::collections::HashSet<&str> = ARCHETYPES.iter().map(|a| a.slug).collect();
        assert_eq!(slugs.len(), ARCHETYPES.len(), "slugs are unique");
    }

    #[test]
    fn locations_cluster_around_cities() {
        let d = national_directory(5, 4_000, 4_000);
        let near = d
            .facilities
            .iter()
            .filter(|f| {
                let (Some(lat), Some(lon)) = (f.lat, f.lon) else {
                    return false;
                };
                CITIES
                    .iter()
                    .any(|c| haversine_m(lat, lon, c.lat, c.lon) <= 30_000.0)
            })
            .count();
        assert!(
            near * 100 >= d.facilities.len() * 95,
            "{near} of {}",
            d.facilities.len()
        );
        // Bigger cities hold more locations.
        let in_city = |name: &str| {
            d.facilities
                .iter()
                .filter(|f| f.city.as_deref() == Some(name))
                .count()
        };
        assert!(in_city("New York") > in_city("Oxford"));
        assert!(d
            .facilities
            .iter()
            .all(|f| f.postcode.is_some() && f.address.is_some()));
    }
}
