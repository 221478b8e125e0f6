//! Russian State Register (ГРЛС) trade names with their INNs, and the Kazakhstan
//! medicine lists (Russian INN names keyed by ATC, forms, ceiling prices).

use std::path::Path;

use super::merge::{Register as Reg, SubstanceMerger};
use super::{split_list, Draft};
use crate::import::csvutil::{field, owned, Table};
use crate::import::report::{ImportError, ImportReport};
use crate::model::{Lang, Product};

fn single_substance(name: &str) -> bool {
    !name.contains('+') && !name.contains(',') && !name.to_lowercase().contains(" и ")
}

pub(super) fn read(
    dir: &Path,
    merger: &mut SubstanceMerger,
    drafts: &mut Vec<Draft>,
    reports: &mut Vec<ImportReport>,
) -> Result<(), ImportError> {
    for (file, source) in [
        ("kz_ed_medicines_ru.csv", "kz_ed"),
        ("kz_inn_ceiling_prices_ru.csv", "kz_prices"),
    ] {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let t = Table::read(&path)?;
        let (row_no, atc, inn, chr, en) = (
            t.col("row_no")?,
            t.col("atc_code")?,
            t.col("inn_or_composition_ru")?,
            t.col("characteristic_ru")?,
            t.col("atc_name_en")?,
        );
        let mut rep = ImportReport::new(source);
        for (line, r) in t.valid_rows(&mut rep) {
            let (Some(no), Some(name)) = (field(r, row_no), field(r, inn)) else {
                rep.reject(line, "no row number or INN");
                continue;
            };
            let name = name.trim_end_matches('*').trim();
            let parts = name.replace(" и ", "+");
            let mut keys = Vec::new();
            if single_substance(name) {
                if let Some(k) = merger.mention(name, Lang::Ru, Reg::Kz, source) {
                    if let Some(code) = field(r, atc).filter(|c| c.len() == 7) {
                        merger.link_group(&k, &format!("atc:{code}"));
                        merger.set_atc(&k, code);
                    }
                    if let Some(e) = field(r, en) {
                        if let Some(ke) = merger.mention(e, Lang::En, Reg::Kz, source) {
                            merger.link(&k, &ke);
                        }
                    }
                    keys.push(k);
                }
            } else {
                keys.extend(
                    split_list(&parts, &['+', ','])
                        .filter_map(|p| merger.mention(p, Lang::Ru, Reg::Kz, source)),
                );
            }
            drafts.push(Draft {
                product: Product {
                    form: owned(r, chr),
                    atc: owned(r, atc),
                    ..Product::named(source, no, name, Lang::Ru)
                },
                ingredient_keys: keys,
            });
            rep.imported += 1;
        }
        reports.push(rep);
    }

    let path = dir.join("ru_grls_names_inn.csv");
    if path.exists() {
        const SOURCE: &str = "ru_grls";
        let t = Table::read(&path)?;
        let (name, kind, inn, regs) = (
            t.col("name_ru")?,
            t.col("name_type")?,
            t.col("inn_ru")?,
            t.col("registration_numbers")?,
        );
        let mut rep = ImportReport::new(SOURCE);
        for (line, r) in t.valid_rows(&mut rep) {
            let Some(n) = field(r, name) else {
                rep.reject(line, "no name");
                continue;
            };
            let k = field(r, kind).unwrap_or("trade");
            let inns: Vec<&str> = field(r, inn)
                .map(|s| split_list(s, &['+']).collect())
                .unwrap_or_default();
            let keys: Vec<String> = inns
                .iter()
                .filter_map(|i| merger.mention(i, Lang::Ru, Reg::Ru, SOURCE))
                .collect();
            if k == "mnn" {
                rep.imported += 1;
                continue;
            }
            drafts.push(Draft {
                product: Product {
                    registration_numbers: field(r, regs)
                        .map(|s| split_list(s, &[';']).map(String::from).collect())
                        .unwrap_or_default(),
                    ..Product::named(SOURCE, n, n, Lang::Ru)
                },
                ingredient_keys: keys,
            });
            rep.imported += 1;
        }
        reports.push(rep);
    }
    Ok(())
}
