//! US FDA: UNII brand and official names (a brand → substance map, and the UNII code
//! that links international and US names: paracetamol ↔ acetaminophen), and
//! Drugs@FDA products with their active ingredients.

use std::path::Path;

use super::merge::{Register as Reg, SubstanceMerger};
use super::{split_list, Draft};
use crate::import::csvutil::{field, Table};
use crate::import::report::{ImportError, ImportReport};
use crate::model::{Lang, Product};

fn product(source: &str, name: &str, keys: Vec<String>) -> Draft {
    Draft {
        product: Product::named(source, name, name, Lang::En),
        ingredient_keys: keys,
    }
}

pub(super) fn read(
    dir: &Path,
    merger: &mut SubstanceMerger,
    drafts: &mut Vec<Draft>,
    reports: &mut Vec<ImportReport>,
) -> Result<(), ImportError> {
    let path = dir.join("us_fda_unii_brand_and_official_names.csv");
    if path.exists() {
        const SOURCE: &str = "us_unii";
        let t = Table::read(&path)?;
        let (name, kind, unii, pref) = (
            t.col("name")?,
            t.col("name_type")?,
            t.col("unii")?,
            t.col("preferred_substance_name")?,
        );
        let mut rep = ImportReport::new(SOURCE);
        for (line, r) in t.valid_rows(&mut rep) {
            let (Some(n), Some(p)) = (field(r, name), field(r, pref)) else {
                rep.reject(line, "no name or preferred substance name");
                continue;
            };
            let Some(pk) = merger.mention(p, Lang::En, Reg::Us, SOURCE) else {
                rep.reject(line, "preferred substance name normalises to nothing");
                continue;
            };
            if let Some(code) = field(r, unii) {
                merger.link_group(&pk, &format!("unii:{code}"));
            }
            match field(r, kind) {
                Some("official") => {
                    if let Some(k) = merger.mention(n, Lang::En, Reg::Us, SOURCE) {
                        merger.link(&k, &pk);
                    }
                }
                Some("brand") => drafts.push(product(SOURCE, n, vec![pk])),
                other => {
                    rep.reject(line, format!("unknown name_type {other:?}"));
                    continue;
                }
            }
            rep.imported += 1;
        }
        reports.push(rep);
    }

    let path = dir.join("us_drugsatfda_product_to_ingredient.csv");
    if path.exists() {
        const SOURCE: &str = "us_drugsatfda";
        let t = Table::read(&path)?;
        let (name, ingr) = (t.col("drug_name")?, t.col("active_ingredients")?);
        let mut rep = ImportReport::new(SOURCE);
        for (line, r) in t.valid_rows(&mut rep) {
            let (Some(n), Some(i)) = (field(r, name), field(r, ingr)) else {
                rep.reject(line, "no drug name or ingredients");
                continue;
            };
            let keys: Vec<String> = split_list(i, &[';'])
                .filter_map(|x| merger.mention(x, Lang::En, Reg::Us, SOURCE))
                .collect();
            drafts.push(product(SOURCE, n, keys));
            rep.imported += 1;
        }
        reports.push(rep);
    }
    Ok(())
}
