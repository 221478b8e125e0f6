//! The in-memory snapshot every request reads: the indexes of the search core plus
//! the records needed to render answers, built from the store at start and swapped
//! whole (ArcSwap) when data changes, so readers never wait for writers.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use medmap_indexers::names::{
    normalize, skeleton, ConceptInput, ConceptKind, Lang as IxLang, NameIndex, NameInput,
};
use medmap_indexers::places::PlaceIndex;

use crate::model::{Lang, StockLine};
use crate::store::{FacilityRow, Result, Store, SubstanceRow};

/// What an API answer says about a substance.
#[derive(Debug, Clone)]
pub struct SubstanceInfo {
    pub row: SubstanceRow,
    pub names: Vec<(String, Lang)>,
    /// Product groups (representative ids) that contain this substance.
    pub products: Vec<i64>,
}

/// One product group: register entries with the same name and ingredients (the same
/// brand in several packs or registers) shown as one result.
#[derive(Debug, Clone)]
pub struct ProductInfo {
    /// The representative (lowest) product id; the group's public id.
    pub id: i64,
    pub name: String,
    pub names: Vec<(String, Lang)>,
    pub ingredients: Vec<i64>,
    pub forms: Vec<String>,
    pub atc: Option<String>,
    pub registration_numbers: Vec<String>,
    pub sources: Vec<String>,
    /// Every product id in the group (stock lines point at these).
    pub members: Vec<i64>,
    pub otc: Option<bool>,
}

pub struct Snapshot {
    pub built_at: DateTime<Utc>,
    pub names: NameIndex,
    pub substances: HashMap<i64, SubstanceInfo>,
    /// Product groups by representative id.
    pub products: HashMap<i64, ProductInfo>,
    /// Any product id → its group's representative id.
    pub product_group: HashMap<i64, i64>,
    pub facilities: Vec<FacilityRow>,
    /// Facility id → index into `facilities` (and into the place index).
    pub facility_index: HashMap<i64, u32>,
    pub places: PlaceIndex,
    pub stock: Vec<StockLine>,
}

pub type SharedSnapshot = Arc<arc_swap::ArcSwapOption<Snapshot>>;

fn to_ix_lang(l: Lang) -> IxLang {
    match l {
        Lang::En => IxLang::En,
        Lang::Uk => IxLang::Uk,
        Lang::Ru => IxLang::Ru,
        Lang::Latin => IxLang::Latin,
        Lang::Other => IxLang::Other,
    }
}

impl Snapshot {
    /// Loads everything from the store and builds the indexes.
    pub async fn load(store: &Store) -> Result<Snapshot> {
        let t = std::time::Instant::now();
        let substances = store.load_substances().await?;
        let products = store.load_products().await?;
        let links = store.load_product_substances().await?;
        let names = store.load_names().await?;
        let facilities = store.load_facilities().await?;
        let stock = store.load_stock().await?;
        tracing::info!(
            elapsed_ms = t.elapsed().as_millis() as u64,
            "snapshot rows loaded"
        );
        let built = tokio::task::spawn_blocking(move || {
            Snapshot::build(substances, products, links, names, facilities, stock)
        })
        .await
        .map_err(|e| crate::store::StoreError::Corrupt(format!("snapshot build failed: {e}")))?;
        Ok(built)
    }

    /// Pure build from rows (CPU-bound: run off the async reactor).
    pub fn build(
        substances: Vec<SubstanceRow>,
        products: Vec<crate::store::ProductRow>,
        links: Vec<(i64, i64)>,
        names: Vec<(String, i64, String, String)>,
        facilities: Vec<FacilityRow>,
        stock: Vec<StockLine>,
    ) -> Snapshot {
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

        let mut stocked: HashMap<i64, f32> = HashMap::new();
        for l in &stock {
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
        for s in subs.values_mut() {
            s.products.sort_unstable();
        }

        let mut concepts: Vec<ConceptInput> = Vec::with_capacity(subs.len() + groups.len());
        for s in subs.values() {
            let mut names: Vec<NameInput> = Vec::new();
            for (t, l) in [
                (&s.row.name_en, IxLang::En),
                (&s.row.name_uk, IxLang::Uk),
                (&s.row.name_ru, IxLang::Ru),
            ] {
                if let Some(t) = t {
                    names.push(NameInput::new(t.clone(), l));
                }
            }
            names.extend(
                s.names
                    .iter()
                    .map(|(t, l)| NameInput::new(t.clone(), to_ix_lang(*l))),
            );
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
                    .map(|(t, l)| NameInput::new(t.clone(), to_ix_lang(*l)))
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

        let facility_index: HashMap<i64, u32> = facilities
            .iter()
            .enumerate()
            .map(|(i, f)| (f.id, i as u32))
            .collect();
        let places = PlaceIndex::build(
            facilities
                .iter()
                .enumerate()
                .filter_map(|(i, f)| Some((i as u32, f.lat?, f.lon?))),
        );
        Snapshot {
            built_at: Utc::now(),
            names,
            substances: subs,
            products: groups,
            product_group,
            facilities,
            facility_index,
            places,
            stock,
        }
    }

    pub fn facility(&self, id: i64) -> Option<&FacilityRow> {
        self.facility_index
            .get(&id)
            .map(|&i| &self.facilities[i as usize])
    }
}
