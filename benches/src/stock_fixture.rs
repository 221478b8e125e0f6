//! A seeded, national-scale stock fixture: pharmacies over Ukraine's bounding
//! box, most of them clustered in cities, each carrying a Zipf-skewed choice of
//! products. The same seed always gives the same data, so the in-process
//! benchmark and the PostGIS script (via `examples/gen_stock.rs`) measure the
//! same rows.
//!
//! Why this shape: pharmacies are not spread evenly (a Kyiv query sees
//! hundreds within 10 km, a rural one a handful), and products are not carried
//! evenly (paracetamol is everywhere, an orphan drug in a few places). Both
//! skews decide which query plan wins, so a uniform fixture would flatter or
//! punish the planner.

use medmap_indexers::stock::{StockLine, StockStatus};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Ukraine's bounding box (degrees).
pub const BBOX: (f64, f64, f64, f64) = (44.38, 52.38, 22.14, 40.23); // lat min/max, lon min/max

/// Twenty Ukrainian cities: (name, lat, lon, relative size).
pub const CITIES: [(&str, f64, f64, f64); 20] = [
    ("Kyiv", 50.450, 30.523, 10.0),
    ("Kharkiv", 49.994, 36.231, 4.0),
    ("Odesa", 46.482, 30.723, 3.5),
    ("Dnipro", 48.464, 35.046, 3.5),
    ("Lviv", 49.839, 24.029, 2.5),
    ("Zaporizhzhia", 47.838, 35.139, 2.5),
    ("Kryvyi Rih", 47.910, 33.391, 2.0),
    ("Mykolaiv", 46.975, 31.994, 1.5),
    ("Vinnytsia", 49.233, 28.468, 1.3),
    ("Poltava", 49.588, 34.551, 1.0),
    ("Chernihiv", 51.498, 31.289, 1.0),
    ("Cherkasy", 49.444, 32.060, 1.0),
    ("Khmelnytskyi", 49.421, 26.996, 1.0),
    ("Zhytomyr", 50.254, 28.658, 1.0),
    ("Sumy", 50.907, 34.798, 1.0),
    ("Rivne", 50.619, 26.251, 0.9),
    ("Ivano-Frankivsk", 48.922, 24.711, 0.9),
    ("Ternopil", 49.553, 25.594, 0.8),
    ("Lutsk", 50.747, 25.325, 0.8),
    ("Uzhhorod", 48.621, 22.288, 0.5),
];

/// 2025-06-04 12:00 Kyiv time (09:00 UTC), a Wednesday: "now" of the fixture.
pub const FIXTURE_NOW: i64 = 1_749_027_600;

/// Fixture dimensions.
#[derive(Clone, Debug)]
pub struct FixtureConfig {
    /// Number of pharmacies.
    pub pharmacies: usize,
    /// Number of products in the register.
    pub products: usize,
    /// Products carried by each pharmacy.
    pub per_pharmacy: usize,
    /// Share of pharmacies in the 20 cities (the rest spread over the box).
    pub city_share: f64,
    /// Zipf exponent of product popularity.
    pub zipf_s: f64,
    /// Seed.
    pub seed: u64,
    /// "Now" (unix s): `checked_at` is spread over the 96 hours before it.
    pub now: i64,
}

impl FixtureConfig {
    /// The national scale: 10,000 pharmacies x 1,000 of 20,000
    /// products = 10M lines.
    pub fn national() -> Self {
        FixtureConfig {
            pharmacies: 10_000,
            products: 20_000,
            per_pharmacy: 1_000,
            city_share: 0.7,
            zipf_s: 1.0,
            seed: 20_250_604,
            now: FIXTURE_NOW,
        }
    }

    /// `national()` scaled to `STOCK_LINES` (default 10M) by the number of
    /// pharmacies (40M lines = 40,000 pharmacies: denser cities, same
    /// register), the way a bigger country or a full market grows.
    pub fn from_env() -> Self {
        let mut c = Self::national();
        if let Some(n) = std::env::var("STOCK_LINES")
            .ok()
            .and_then(|v| v.replace('_', "").parse::<usize>().ok())
        {
            c.pharmacies = (n / c.per_pharmacy).max(1);
        }
        c
    }

    /// Total stock lines.
    pub fn lines(&self) -> usize {
        self.pharmacies * self.per_pharmacy.min(self.products)
    }
}

/// One generated pharmacy.
#[derive(Clone, Debug)]
pub struct Pharmacy {
    /// Dense id (the facility index).
    pub id: u32,
    /// Degrees.
    pub lat: f64,
    /// Degrees.
    pub lon: f64,
    /// OSM `opening_hours`.
    pub hours: String,
}

/// The generated data set.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// Its dimensions.
    pub config: FixtureConfig,
    /// Pharmacies, by id.
    pub pharmacies: Vec<Pharmacy>,
    /// Zipf cumulative weights over products (product 0 most popular).
    cdf: Vec<f64>,
    /// Base price per product, kopiyky.
    base_price: Vec<u32>,
}

fn normal(r: &mut StdRng) -> f64 {
    // Box-Muller; 1 - u keeps the log finite.
    let u: f64 = 1.0 - r.random::<f64>();
    let v: f64 = r.random::<f64>();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

fn hours(r: &mut StdRng) -> String {
    let x: f64 = r.random();
    let o = 7 + r.random_range(0..3u32);
    let c = 19 + r.random_range(0..4u32);
    if x < 0.55 {
        format!(
            "Mo-Fr {o:02}:00-{c:02}:00; Sa-Su {:02}:00-{:02}:00",
            o + 1,
            c - 1
        )
    } else if x < 0.72 {
        format!("Mo-Su {o:02}:00-{c:02}:00")
    } else if x < 0.82 {
        "24/7".to_string()
    } else if x < 0.87 {
        "Mo-Su 20:00-08:00".to_string() // night duty
    } else if x < 0.92 {
        format!("Mo-Su {o:02}:00-02:00") // late
    } else {
        "Mo-Fr 09:00-18:00; PH off".to_string()
    }
}

impl Fixture {
    /// Generates pharmacies and the product popularity model; stock lines
    /// are produced lazily by [`Fixture::lines`].
    pub fn generate(config: FixtureConfig) -> Fixture {
        let mut r = StdRng::seed_from_u64(config.seed);
        let total_w: f64 = CITIES.iter().map(|c| c.3).sum();
        let pharmacies = (0..config.pharmacies)
            .map(|i| {
                let (lat, lon) = if r.random::<f64>() < config.city_share {
                    let mut pick = r.random::<f64>() * total_w;
                    let city = CITIES
                        .iter()
                        .find(|c| {
                            pick -= c.3;
                            pick <= 0.0
                        })
                        .unwrap_or(&CITIES[0]);
                    // Spread grows with city size: sigma 2.5 km .. 8 km.
                    let sigma_km = 2.5 + 5.5 * (city.3 / 10.0).sqrt();
                    let dlat = normal(&mut r) * sigma_km / 111.2;
                    let dlon = normal(&mut r) * sigma_km / (111.2 * city.1.to_radians().cos());
                    (city.1 + dlat, city.2 + dlon)
                } else {
                    (
                        r.random_range(BBOX.0..BBOX.1),
                        r.random_range(BBOX.2..BBOX.3),
                    )
                };
                Pharmacy {
                    id: i as u32,
                    lat,
                    lon,
                    hours: hours(&mut r),
                }
            })
            .collect();
        let mut acc = 0.0;
        let cdf = (0..config.products)
            .map(|k| {
                acc += 1.0 / ((k + 1) as f64).powf(config.zipf_s);
                acc
            })
            .collect();
        let base_price = (0..config.products)
            .map(|_| (3_000.0 * (normal(&mut r) * 1.1 + 2.0).exp()).min(5e7) as u32)
            .collect();
        Fixture {
            config,
            pharmacies,
            cdf,
            base_price,
        }
    }

    /// A product drawn by popularity (what people search for).
    pub fn popular_product(&self, r: &mut impl Rng) -> u32 {
        let total = self.cdf.last().copied().unwrap_or(0.0);
        let x = r.random::<f64>() * total;
        self.cdf
            .partition_point(|&c| c < x)
            .min(self.cdf.len().saturating_sub(1)) as u32
    }

    /// Stock lines of one pharmacy: `per_pharmacy` distinct products drawn by
    /// popularity, status mostly in stock, checked within the last 96 h.
    pub fn pharmacy_lines(&self, pharmacy: u32) -> Vec<(u32, StockLine)> {
        let c = &self.config;
        let mut r = StdRng::seed_from_u64(
            c.seed ^ (u64::from(pharmacy) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let want = c.per_pharmacy.min(c.products);
        let mut seen = vec![false; c.products];
        let mut out = Vec::with_capacity(want);
        let mut draws = 0usize;
        while out.len() < want {
            draws += 1;
            // Past a generous number of draws, take the rarest products left
            // so generation always terminates.
            let p = if draws < 50 * want {
                self.popular_product(&mut r) as usize
            } else {
                match seen.iter().rposition(|s| !s) {
                    Some(p) => p,
                    None => break,
                }
            };
            if std::mem::replace(&mut seen[p], true) {
                continue;
            }
            let x: f64 = r.random();
            let status = if x < 0.80 {
                StockStatus::InStock
            } else if x < 0.90 {
                StockStatus::Low
            } else if x < 0.95 {
                StockStatus::Out
            } else {
                StockStatus::Unknown
            };
            let quantity = match status {
                StockStatus::Out => Some(0),
                StockStatus::Unknown => None,
                StockStatus::Low => Some(r.random_range(1..4)),
                StockStatus::InStock => Some(r.random_range(4..200)),
            };
            let price = (r.random::<f64>() > 0.03)
                .then(|| (f64::from(self.base_price[p]) * r.random_range(0.85..1.15)) as u32);
            out.push((
                p as u32,
                StockLine {
                    facility: pharmacy,
                    status,
                    quantity,
                    price_minor: price,
                    checked_at: c.now - r.random_range(0..96 * 3600),
                },
            ));
        }
        out
    }

    /// All stock lines, pharmacy by pharmacy (deterministic).
    pub fn lines(&self) -> impl Iterator<Item = (u32, StockLine)> + '_ {
        (0..self.pharmacies.len() as u32).flat_map(|ph| self.pharmacy_lines(ph))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_fixture_is_deterministic_and_skewed() {
        let cfg = FixtureConfig {
            pharmacies: 50,
            products: 2_000,
            per_pharmacy: 100,
            ..FixtureConfig::national()
        };
        let a = Fixture::generate(cfg.clone());
        let b = Fixture::generate(cfg);
        let la: Vec<_> = a.lines().collect();
        let lb: Vec<_> = b.lines().collect();
        assert_eq!(la.len(), 5_000);
        assert_eq!(la, lb);
        let top = la.iter().filter(|l| l.0 == 0).count();
        let tail = la.iter().filter(|l| l.0 == 1_999).count();
        assert!(top > 45 && tail < 10, "{top} {tail}");
        assert!(a
            .pharmacies
            .iter()
            .all(|p| (BBOX.0 - 1.0..BBOX.1 + 1.0).contains(&p.lat)));
    }
}
