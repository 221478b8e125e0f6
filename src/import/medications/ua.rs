//! The Ukrainian State Register of Medicinal Products (ДРЛЗ): INN dictionary (uk↔en),
//! ATC (uk + en), and products with their INNs.

use std::path::Path;

use super::merge::{Register as Reg, SubstanceMerger};
use super::{split_list, Draft};
use crate::import::csvutil::{field, owned, Table};
use crate::import::report::{ImportError, ImportReport};
use crate::model::{Lang, Name, Product};

const SOURCE: &str = "ua_drlz";

/// ATC level-5 names that are not one substance (combinations, groups).
fn is_combination(name: &str) -> bool {
    let n = name.to_lowercase();
    [
        " and ",
        " та ",
        " і ",
        "combination",
        "комбінац",
        "various",
        "різні",
        "other",
        "інші",
    ]
    .iter()
    .any(|w| n.contains(w))
}

pub(super) fn read(
    dir: &Path,
    merger: &mut SubstanceMerger,
    drafts: &mut Vec<Draft>,
    reports: &mut Vec<ImportReport>,
) -> Result<(), ImportError> {
    let inn = dir.join("ua_drlz_inn_uk_en.csv");
    if inn.exists() {
        let t = Table::read(&inn)?;
        let (uk, en) = (t.col("inn_uk")?, t.col("inn_en")?);
        let mut rep = ImportReport::new("ua_drlz_inn_uk_en");
        for (line, r) in t.valid_rows(&mut rep) {
            let (u, e) = (field(r, uk), field(r, en));
            let ku = u.and_then(|u| merger.mention(u, Lang::Uk, Reg::Ua, SOURCE));
            let ke = e.and_then(|e| merger.mention(e, Lang::En, Reg::Ua, SOURCE));
            match (ku, ke) {
                (Some(a), Some(b)) => {
                    merger.link(&a, &b);
                    if let Some(e) = e {
                        merger.set_inn_en(&b, e);
                    }
                    rep.imported += 1;
                }
                (Some(_), None) | (None, Some(_)) => rep.imported += 1,
                (None, None) => rep.reject(line, "no INN name"),
            }
        }
        reports.push(rep);
    }

    let atc = dir.join("ua_drlz_atc_uk_en.csv");
    if atc.exists() {
        let t = Table::read(&atc)?;
        let (code, level, uk, en) = (
            t.col("atc_code")?,
            t.col("level")?,
            t.col("name_uk")?,
            t.col("name_en")?,
        );
        let mut rep = ImportReport::new("ua_drlz_atc_uk_en");
        for (line, r) in t.valid_rows(&mut rep) {
            // Levels 1-4 are groups, not substances: read, but nothing to import.
            if field(r, level) != Some("5") {
                rep.imported += 1;
                continue;
            }
            let Some(c) = field(r, code) else {
                rep.reject(line, "no ATC code");
                continue;
            };
            let (u, e) = (field(r, uk), field(r, en));
            if e.is_some_and(is_combination) || u.is_some_and(is_combination) {
                rep.imported += 1;
                continue;
            }
            for k in [
                u.and_then(|u| merger.mention(u, Lang::Uk, Reg::Ua, SOURCE)),
                e.and_then(|e| merger.mention(e, Lang::En, Reg::Ua, SOURCE)),
            ]
            .into_iter()
            .flatten()
            {
                merger.link_group(&k, &format!("atc:{c}"));
                merger.set_atc(&k, c);
                if let Some(e) = e {
                    merger.set_inn_en(&k, e);
                }
            }
            rep.imported += 1;
        }
        reports.push(rep);
    }

    let products = dir.join("ua_drlz_products_inn_2026.csv");
    if products.exists() {
        let t = Table::read(&products)?;
        let c = |n| t.col(n);
        let (pid, reg, nuk, nlat, iuk, ien, atc, form, legal) = (
            c("product_id")?,
            c("registration_number")?,
            c("name_uk")?,
            c("name_latin")?,
            c("inn_uk")?,
            c("inn_en")?,
            c("atc")?,
            c("dose_form_uk")?,
            c("legal_status_uk")?,
        );
        let mut rep = ImportReport::new("ua_drlz_products_inn_2026");
        for (line, r) in t.valid_rows(&mut rep) {
            let (Some(id), Some(name)) = (field(r, pid), field(r, nuk)) else {
                rep.reject(line, "no product id or Ukrainian name");
                continue;
            };
            let ens: Vec<&str> = field(r, ien)
                .map(|s| split_list(s, &[';']).collect())
                .unwrap_or_default();
            let uks: Vec<&str> = field(r, iuk)
                .map(|s| split_list(s, &[';']).collect())
                .unwrap_or_default();
            let mut keys = Vec::new();
            for (i, e) in ens.iter().enumerate() {
                if let Some(k) = merger.mention(e, Lang::En, Reg::Ua, SOURCE) {
                    // Paired uk/en lists of the same length name the same substances.
                    if ens.len() == uks.len() {
                        if let Some(ku) = merger.mention(uks[i], Lang::Uk, Reg::Ua, SOURCE) {
                            merger.link(&k, &ku);
                        }
                    }
                    keys.push(k);
                }
            }
            // The English list is sometimes shorter than the Ukrainian one
            // (`amoxicillin;` beside `амоксицилін; клавуланова кислота`): the
            // Ukrainian names then carry the ingredients.
            if uks.len() > ens.len() {
                keys.clear();
                keys.extend(
                    uks.iter()
                        .filter_map(|u| merger.mention(u, Lang::Uk, Reg::Ua, SOURCE)),
                );
            }
            let latin = owned(r, nlat);
            let mut names = vec![Name {
                text: name.to_string(),
                lang: Lang::Uk,
                source: SOURCE.into(),
            }];
            if let Some(l) = &latin {
                names.push(Name {
                    text: l.clone(),
                    lang: Lang::Latin,
                    source: SOURCE.into(),
                });
            }
            drafts.push(Draft {
                product: Product {
                    name_latin: latin,
                    form: owned(r, form),
                    atc: owned(r, atc),
                    registration_numbers: owned(r, reg).into_iter().collect(),
                    otc: field(r, legal).map(|l| l.contains("без рецепт")),
                    names,
                    ..Product::named(SOURCE, id, name, Lang::Uk)
                },
                ingredient_keys: keys,
            });
            rep.imported += 1;
        }
        reports.push(rep);
    }

    // The 2025 snapshot adds registration numbers and products the 2026 list lacks.
    let older = dir.join("ua_drlz_products_uk_en.csv");
    if older.exists() {
        let t = Table::read(&older)?;
        let (pid, nuk, nen, regs, inn) = (
            t.col("product_id")?,
            t.col("name_uk")?,
            t.col("name_en")?,
            t.col("registration_numbers")?,
            t.col("inn_en_matched")?,
        );
        let mut rep = ImportReport::new("ua_drlz_products_uk_en");
        for (line, r) in t.valid_rows(&mut rep) {
            let Some(id) = field(r, pid) else {
                rep.reject(line, "no product id");
                continue;
            };
            let Some(name) = field(r, nuk).or(field(r, nen)) else {
                rep.reject(line, "no name");
                continue;
            };
            let keys: Vec<String> = field(r, inn)
                .map(|s| {
                    split_list(s, &[';'])
                        .filter_map(|e| merger.mention(e, Lang::En, Reg::Ua, SOURCE))
                        .collect()
                })
                .unwrap_or_default();
            let mut names = vec![Name {
                text: name.to_string(),
                lang: Lang::Uk,
                source: SOURCE.into(),
            }];
            if let Some(en) = field(r, nen) {
                names.push(Name {
                    text: en.to_string(),
                    lang: Lang::Latin,
                    source: SOURCE.into(),
                });
            }
            // Same product id as the 2026 list: `resolve` merges the registration numbers.
            drafts.push(Draft {
                product: Product {
                    name_latin: owned(r, nen),
                    registration_numbers: field(r, regs)
                        .map(|s| split_list(s, &[';']).map(String::from).collect())
                        .unwrap_or_default(),
                    names,
                    ..Product::named(SOURCE, id, name, Lang::Uk)
                },
                ingredient_keys: keys,
            });
            rep.imported += 1;
        }
        reports.push(rep);
    }
    Ok(())
}
