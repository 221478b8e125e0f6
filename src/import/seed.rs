//! What a bundled import into an empty database wrote, as the rows the snapshot
//! would otherwise read straight back: on a cold start the first snapshot is
//! built from these, which saves reading ~700k rows the import has just written
//! (seconds on a small machine).
//!
//! The rows must be exactly what the tables hold, so they are derived the way the
//! store writes them: the same de-duplication (`unique_by`, last record wins, at
//! the first record's position), the same conflict rules (a name or an
//! ingredient link already present is kept), ids from the store's own answers,
//! and the order a scan of each table returns (by id; names in insertion order).
//! `tests/store.rs` checks them against the tables on both backends.

use std::collections::{HashMap, HashSet};

use crate::catalog::CatalogRows;
use crate::model::{Product, StockRow, Substance};
pub use crate::snapshot::Seed;
use crate::store::{unique_by, IdMap, ProductRow, SubstanceRow};

/// Catalog rows as `upsert_substances` then `upsert_products` leave them in an
/// empty database.
pub(crate) fn catalog_rows(
    substances: &[Substance],
    substance_ids: &HashMap<String, i64>,
    products: &[Product],
    product_ids: &IdMap,
) -> CatalogRows {
    let subs = unique_by(substances, |s| s.key.clone());
    let mut names: Vec<(String, i64, String, String)> = Vec::new();
    let mut seen_names: HashSet<(&'static str, i64, String)> = HashSet::new();
    let mut push_name = |kind: &'static str, id: i64, text: &str, lang: &str| {
        if seen_names.insert((kind, id, text.to_string())) {
            names.push((kind.to_string(), id, text.to_string(), lang.to_string()));
        }
    };
    let mut substance_rows = Vec::with_capacity(subs.len());
    for s in &subs {
        let Some(&id) = substance_ids.get(&s.key) else {
            continue;
        };
        substance_rows.push(SubstanceRow {
            id,
            merge_key: s.key.clone(),
            name_en: s.name_en.clone(),
            name_uk: s.name_uk.clone(),
            name_ru: s.name_ru.clone(),
            atc: s.atc.clone(),
        });
        for n in &s.names {
            push_name("substance", id, &n.text, n.lang.as_str());
        }
    }
    substance_rows.sort_by_key(|r| r.id);

    let prods = unique_by(products, |p| p.src.clone());
    let mut product_rows = Vec::with_capacity(prods.len());
    let mut links: HashSet<(i64, i64)> = HashSet::new();
    for p in &prods {
        let Some(&pid) = product_ids.get(&p.src) else {
            continue;
        };
        product_rows.push(ProductRow {
            id: pid,
            source: p.src.source.clone(),
            source_id: p.src.source_id.clone(),
            name: p.name.clone(),
            name_latin: p.name_latin.clone(),
            lang: p.lang.as_str().to_string(),
            form: p.form.clone(),
            strength: p.strength.clone(),
            atc: p.atc.clone(),
            registration_numbers: Some(p.registration_numbers.join(";")),
            otc: p.otc.map(i64::from),
        });
        for key in &p.substance_keys {
            if let Some(&sid) = substance_ids.get(key) {
                links.insert((pid, sid));
            }
        }
        for n in &p.names {
            push_name("product", pid, &n.text, n.lang.as_str());
        }
    }
    product_rows.sort_by_key(|r| r.id);
    let mut links: Vec<(i64, i64)> = links.into_iter().collect();
    links.sort_unstable();
    CatalogRows {
        substances: substance_rows,
        products: product_rows,
        links,
        names,
    }
}

/// Stock lines as `replace_stock_source` leaves them in an empty stock table.
pub(crate) fn stock_rows(lines: &[StockRow]) -> Vec<StockRow> {
    unique_by(lines, |l| (l.facility_id, l.product_id))
        .into_iter()
        .cloned()
        .collect()
}
