//! Building the catalog from its rows: products grouped by name skeleton and
//! ingredient set, display names per language worked out once, analogs ordered once,
//! and the name index over every spelling. CPU-bound and a few seconds at national
//! scale, which is why the result is persisted ([`super::persist`]).

use std::collections::HashMap;
use std::sync::Arc;

use super::{Catalog, CatalogRows, DisplayLang, ProductInfo, SubstanceInfo};
use crate::model::{Lang, StockRow};
use crate::store::SubstanceRow;
use medmap_indexers::names::{
    normalize, skeleton, ConceptInput, ConceptKind, NameIndex, NameInput,
};

/// Register names in capitals (`NUROFEN`, `ІБУПРОФЕН`) read as shouting; show them in
/// title case. Mixed-case names are kept as the register wrote them.
fn display_case(s: &str) -> String {
    if s.chars().any(char::is_lowercase) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = !c.is_alphanumeric();
    }
    out
}

/// A substance's name in each display language, falling back to any other register's
/// name and last to its merge key.
fn substance_display(r: &SubstanceRow) -> [Arc<str>; 3] {
    DisplayLang::ALL.map(|lang| {
        let pick = match lang {
            DisplayLang::En => r.name_en.as_ref(),
            DisplayLang::Uk => r.name_uk.as_ref(),
            DisplayLang::Ru => r.name_ru.as_ref(),
        };
        let name = pick
            .or(r.name_en.as_ref())
            .or(r.name_uk.as_ref())
            .or(r.name_ru.as_ref())
            .unwrap_or(&r.merge_key);
        Arc::from(display_case(name))
    })
}

/// A product group's name in each display language: the register name published in
/// that language (Latin-script names for English), else the group's own name.
fn product_display(g: &ProductInfo) -> [Arc<str>; 3] {
    let by_lang = |l: Lang| g.names.iter().find(|(_, nl)| *nl == l).map(|(t, _)| t);
    DisplayLang::ALL.map(|lang| {
        let name = match lang {
            DisplayLang::En => by_lang(Lang::Latin).or_else(|| by_lang(Lang::En)),
            DisplayLang::Uk => by_lang(Lang::Uk),
            DisplayLang::Ru => by_lang(Lang::Ru),
        };
        Arc::from(display_case(name.unwrap_or(&g.name)))
    })
}

impl Catalog {
    /// Groups products, attaches names and builds the name index (CPU-bound: run
    /// it off the async reactor). `stock` feeds the popularity prior only.
    pub fn build(rows: CatalogRows, stock: &[StockRow]) -> Catalog {
        let CatalogRows {
            substances,
            products,
            links,
            names,
        } = rows;
        let mut ingredients: HashMap<i64, Vec<i64>> = HashMap::new();
        for (p, s) in &links {
            ingredients.entry(*p).or_default().push(*s);
        }
        let mut sub_names: HashMap<i64, Vec<(String, Lang)>> = HashMap::new();
        let mut prod_names: HashMap<i64, Vec<(String, Lang)>> = HashMap::new();
        for (kind, id, name, lang) in names {
            let target = if kind == "substance" {
                &mut sub_names
            } else {
                &mut prod_names
            };
            target
                .entry(id)
                .or_default()
                .push((name, Lang::parse(&lang)));
        }

        // Group products by (name skeleton, ingredient set).
        let mut group_of_key: HashMap<(String, Vec<i64>), i64> = HashMap::new();
        let mut groups: HashMap<i64, ProductInfo> = HashMap::new();
        let mut product_group = HashMap::new();
        for p in products {
            let mut ing = ingredients.remove(&p.id).unwrap_or_default();
            ing.sort_unstable();
            ing.dedup();
            let key = (skeleton(&normalize(&p.name)), ing.clone());
            let rep = *group_of_key.entry(key).or_insert(p.id);
            product_group.insert(p.id, rep);
            let g = groups.entry(rep).or_insert_with(|| ProductInfo {
                id: rep,
                name: p.name.clone(),
                names: Vec::new(),
                ingredients: ing,
                forms: Vec::new(),
                atc: p.atc.clone(),
                registration_numbers: Vec::new(),
                sources: Vec::new(),
                members: Vec::new(),
                otc: p.otc.map(|v| v != 0),
                display: Default::default(),
            });
            g.members.push(p.id);
            for n in prod_names.remove(&p.id).unwrap_or_default() {
                if !g.names.iter().any(|x| x.0 == n.0) {
                    g.names.push(n);
                }
            }
            if let Some(f) = p.form {
                if !g.forms.contains(&f) {
                    g.forms.push(f);
                }
            }
            for r in p
                .registration_numbers
                .iter()
                .flat_map(|r| r.split(';'))
                .filter(|r| !r.is_empty())
            {
                if !g.registration_numbers.iter().any(|x| x == r) {
                    g.registration_numbers.push(r.to_string());
                }
            }
            if !g.sources.contains(&p.source) {
                g.sources.push(p.source.clone());
            }
            if g.atc.is_none() {
                g.atc = p.atc;
            }
        }

        for g in groups.values_mut() {
            g.display = product_display(g);
        }

        let mut stocked: HashMap<i64, f32> = HashMap::new();
        for l in stock {
            if let Some(g) = product_group.get(&l.product_id) {
                *stocked.entry(*g).or_default() += 1.0;
            }
        }
        let mut subs: HashMap<i64, SubstanceInfo> = substances
            .into_iter()
            .map(|row| {
                let names = sub_names.remove(&row.id).unwrap_or_default();
                (
                    row.id,
                    SubstanceInfo {
                        display: substance_display(&row),
                        row,
                        names,
                        products: Vec::new(),
                    },
                )
            })
            .collect();
        let mut sub_pop: HashMap<i64, f32> = HashMap::new();
        for g in groups.values() {
            for s in &g.ingredients {
                if let Some(si) = subs.get_mut(s) {
                    si.products.push(g.id);
                }
                *sub_pop.entry(*s).or_default() +=
                    g.members.len() as f32 + stocked.get(&g.id).copied().unwrap_or(0.0);
            }
        }
        // Most widely registered first, once here rather than on every request.
        let size = |id: &i64| std::cmp::Reverse(groups.get(id).map_or(0, |g| g.members.len()));
        let mut by_ingredients: HashMap<Vec<i64>, Vec<i64>> = HashMap::new();
        for g in groups.values().filter(|g| !g.ingredients.is_empty()) {
            by_ingredients
                .entry(g.ingredients.clone())
                .or_default()
                .push(g.id);
        }
        for v in by_ingredients.values_mut() {
            v.sort_by_key(|id| (size(id), *id));
        }
        for s in subs.values_mut() {
            s.products.sort_by_key(|id| (size(id), *id));
        }

        let mut concepts: Vec<ConceptInput> = Vec::with_capacity(subs.len() + groups.len());
        for s in subs.values() {
            let mut names: Vec<NameInput> = Vec::new();
            for (t, l) in [
                (&s.row.name_en, Lang::En),
                (&s.row.name_uk, Lang::Uk),
                (&s.row.name_ru, Lang::Ru),
            ] {
                if let Some(t) = t {
                    names.push(NameInput::new(t.clone(), l));
                }
            }
            names.extend(s.names.iter().map(|(t, l)| NameInput::new(t.clone(), *l)));
            concepts.push(ConceptInput {
                id: s.row.id,
                kind: ConceptKind::Substance,
                names,
                ingredients: Vec::new(),
                popularity: sub_pop.get(&s.row.id).copied().unwrap_or(0.0),
            });
        }
        for g in groups.values() {
            concepts.push(ConceptInput {
                id: g.id,
                kind: ConceptKind::Product,
                names: g
                    .names
                    .iter()
                    .map(|(t, l)| NameInput::new(t.clone(), *l))
                    .collect(),
                ingredients: g.ingredients.clone(),
                popularity: g.members.len() as f32 + stocked.get(&g.id).copied().unwrap_or(0.0),
            });
        }
        concepts.sort_by_key(|c| (c.kind, c.id));
        let t = std::time::Instant::now();
        let names = NameIndex::build(concepts);
        tracing::info!(
            elapsed_ms = t.elapsed().as_millis() as u64,
            keys = names.key_count(),
            "name index built"
        );

        Catalog {
            names: Arc::new(names),
            substances: Arc::new(subs),
            products: Arc::new(groups),
            product_group: Arc::new(product_group),
            by_ingredients: Arc::new(by_ingredients),
        }
    }
}
