//! Demo stock: real stock feeds are not public, so a seeded generator gives the
//! bundled pharmacies plausible stock lines. Every line carries source `demo`, which
//! the API and pages show, so nobody mistakes it for a pharmacy's word.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::{StockRow, StockStatus};

pub const DEMO_SOURCE: &str = "demo";

/// A pharmacy to stock: its id and country (for the currency).
pub struct DemoPharmacy {
    pub id: i64,
    pub country: Option<String>,
}

/// A product that may be stocked, with a weight (how common it is).
pub struct DemoProduct {
    pub id: i64,
    pub weight: f64,
}

fn currency(country: Option<&str>) -> &'static str {
    match country {
        Some("GB") => "GBP",
        Some("FI" | "EE" | "BG") => "EUR",
        Some("SE") => "SEK",
        Some("US") => "USD",
        Some("RU") => "RUB",
        Some("KZ") => "KZT",
        _ => "UAH",
    }
}

/// Price multiplier of a currency's minor unit against pence, so that a packet of
/// paracetamol costs about the same everywhere.
fn price_scale(cur: &str) -> f64 {
    match cur {
        "SEK" => 13.0,
        "UAH" => 50.0,
        "RUB" => 110.0,
        "KZT" => 600.0,
        "EUR" | "USD" => 1.2,
        _ => 1.0,
    }
}

/// Generates `per_pharmacy` lines on average for each pharmacy, deterministic for a
/// seed. `now` is the generation time: checked_at spreads over the last 60 hours, so
/// the demo shows fresh lines and "call to confirm" ones.
pub fn generate(
    seed: u64,
    now: i64,
    pharmacies: &[DemoPharmacy],
    products: &[DemoProduct],
    per_pharmacy: usize,
) -> Vec<StockRow> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    if products.is_empty() {
        return Vec::new();
    }
    // A base shelf price per product (in pence), then per-pharmacy variation.
    let base: Vec<f64> = products
        .iter()
        .map(|_| rng.random_range(100.0..1500.0))
        .collect();
    let idx: Vec<usize> = (0..products.len()).collect();
    let mut out = Vec::with_capacity(pharmacies.len() * per_pharmacy);
    for ph in pharmacies {
        let cur = currency(ph.country.as_deref());
        let n = rng
            .random_range(per_pharmacy / 2..=per_pharmacy * 3 / 2)
            .max(1);
        let mut chosen: Vec<usize> = idx
            .choose_multiple_weighted(&mut rng, n.min(products.len()), |&i| products[i].weight)
            .map(|it| it.copied().collect())
            .unwrap_or_default();
        chosen.sort_unstable();
        for i in chosen {
            let r: f64 = rng.random();
            let (status, qty) = if r < 0.80 {
                (
                    StockStatus::InStock,
                    Some(f64::from(rng.random_range(3u32..80))),
                )
            } else if r < 0.92 {
                (StockStatus::Low, Some(f64::from(rng.random_range(1u32..3))))
            } else {
                (StockStatus::Out, Some(0.0))
            };
            let price = base[i] * rng.random_range(0.85..1.2) * price_scale(cur);
            let age = if rng.random_bool(0.85) {
                rng.random_range(0..24 * 3600)
            } else {
                rng.random_range(24 * 3600..60 * 3600)
            };
            out.push(StockRow {
                facility_id: ph.id,
                product_id: products[i].id,
                status,
                quantity: qty,
                price_minor: Some(price.round() as i64),
                currency: Some(cur.to_string()),
                checked_at: now - age,
                source: DEMO_SOURCE.to_string(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stock_and_all_marked_demo() {
        let ph: Vec<DemoPharmacy> = (1..=20)
            .map(|id| DemoPharmacy {
                id,
                country: Some("GB".into()),
            })
            .collect();
        let pr: Vec<DemoProduct> = (1..=100)
            .map(|id| DemoProduct {
                id,
                weight: 1.0 / id as f64,
            })
            .collect();
        let a = generate(7, 1_000_000, &ph, &pr, 10);
        let b = generate(7, 1_000_000, &ph, &pr, 10);
        assert_eq!(a, b);
        assert!(a.len() > 100);
        assert!(a
            .iter()
            .all(|l| l.source == DEMO_SOURCE && l.currency.as_deref() == Some("GBP")));
        assert!(a
            .iter()
            .all(|l| l.checked_at <= 1_000_000 && l.checked_at > 1_000_000 - 61 * 3600));
        assert_ne!(a, generate(8, 1_000_000, &ph, &pr, 10));
    }
}
