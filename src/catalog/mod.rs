//! The medication catalog: substances, product groups and the name index over both,
//! and everything the API, the pages and the feeds ask of it: public ids, display
//! names per language, brands and analogs, search results, detail. One home, as
//! [`crate::hsds::search`] is for services, so a change to how medications are found
//! or shown is made here once and the JSON API, the HTML pages and the feed
//! resolution all follow.
//!
//! The catalog depends only on the catalog tables (and, for the popularity prior, on
//! how widely products were stocked when it was built), so it is built once
//! ([`build`]) and persisted ([`persist`]), while stock and facilities are read fresh.
//! Nothing here knows HTTP: failures are a [`CatalogError`], mapped to statuses in
//! `http::error`.

mod build;
mod error;
mod ids;
mod lang;
pub mod persist;
mod views;

use std::collections::HashMap;
use std::sync::Arc;

use medmap_indexers::names::{ConceptKind, NameIndex};
use serde::{Deserialize, Serialize};

pub use error::CatalogError;
pub use ids::{public_id, MedicationId};
pub use lang::DisplayLang;
pub use views::{Detail, Item, Ref, SearchResponse, SuggestResponse, Suggestion};

use crate::model::Lang;
use crate::store::{ProductRow, SubstanceRow};

/// What an API answer says about a substance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubstanceInfo {
    pub row: SubstanceRow,
    pub names: Vec<(String, Lang)>,
    /// Product groups (representative ids) that contain this substance.
    pub products: Vec<i64>,
    /// Display name per [`DisplayLang`] (index by `lang as usize`).
    pub display: [Arc<str>; 3],
}

/// One product group: register entries with the same name and ingredients (the same
/// brand in several packs or registers) shown as one result.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// Display name per [`DisplayLang`] (index by `lang as usize`).
    pub display: [Arc<str>; 3],
}

/// Everything derived from the catalog tables, as one unit: built together,
/// persisted together, shared by every snapshot until the catalog changes.
/// Each part is an `Arc` so snapshots share it and a built catalog can be
/// persisted after the snapshot holding it is already serving.
#[derive(Clone, Serialize, Deserialize)]
pub struct Catalog {
    pub names: Arc<NameIndex>,
    pub substances: Arc<HashMap<i64, SubstanceInfo>>,
    /// Product groups by representative id.
    pub products: Arc<HashMap<i64, ProductInfo>>,
    /// Any product id → its group's representative id.
    pub product_group: Arc<HashMap<i64, i64>>,
    /// Product groups by ingredient set, most widely registered first: analogs.
    pub by_ingredients: Arc<HashMap<Vec<i64>, Vec<i64>>>,
}

/// Catalog rows as the store returns them.
#[derive(Debug, Default, PartialEq)]
pub struct CatalogRows {
    pub substances: Vec<SubstanceRow>,
    pub products: Vec<ProductRow>,
    /// `(product_id, substance_id)`.
    pub links: Vec<(i64, i64)>,
    /// `(concept_kind, concept_id, name, lang)`.
    pub names: Vec<(String, i64, String, String)>,
}

impl Catalog {
    /// A substance's display name (worked out once per catalog).
    pub fn substance_name(&self, id: i64, lang: DisplayLang) -> Arc<str> {
        match self.substances.get(&id) {
            Some(s) => s.display[lang as usize].clone(),
            None => Arc::from(public_id(ConceptKind::Substance, id)),
        }
    }

    /// A product group's display name (worked out once per catalog).
    pub fn product_name(&self, id: i64, lang: DisplayLang) -> Arc<str> {
        match self.products.get(&id) {
            Some(p) => p.display[lang as usize].clone(),
            None => Arc::from(public_id(ConceptKind::Product, id)),
        }
    }

    /// Either kind's display name.
    pub fn name(&self, kind: ConceptKind, id: i64, lang: DisplayLang) -> Arc<str> {
        match kind {
            ConceptKind::Substance => self.substance_name(id, lang),
            ConceptKind::Product => self.product_name(id, lang),
        }
    }

    /// Whether a concept exists (ids from clients may name anything).
    pub fn contains(&self, kind: ConceptKind, id: i64) -> bool {
        match kind {
            ConceptKind::Substance => self.substances.contains_key(&id),
            ConceptKind::Product => self.products.contains_key(&id),
        }
    }

    /// The group a (member) product id belongs to: stock lines point at members,
    /// answers show groups.
    pub fn group_of(&self, product_id: i64) -> i64 {
        self.product_group
            .get(&product_id)
            .copied()
            .unwrap_or(product_id)
    }

    /// Product groups with the same ingredient set, the most widely registered first.
    pub fn analogs(&self, product: i64) -> impl Iterator<Item = i64> + '_ {
        self.products
            .get(&product)
            .and_then(|p| self.by_ingredients.get(&p.ingredients))
            .into_iter()
            .flatten()
            .copied()
            .filter(move |&id| id != product)
    }

    /// Products containing a substance, the most widely registered first.
    pub fn brands(&self, substance: i64) -> impl Iterator<Item = i64> + '_ {
        self.substances
            .get(&substance)
            .into_iter()
            .flat_map(|s| s.products.iter().copied())
    }

    /// Every spelling of a concept.
    pub fn names_of(&self, kind: ConceptKind, id: i64) -> Vec<&str> {
        let list = match kind {
            ConceptKind::Substance => self.substances.get(&id).map(|s| &s.names),
            ConceptKind::Product => self.products.get(&id).map(|p| &p.names),
        };
        list.map(|l| l.iter().map(|(t, _)| t.as_str()).collect())
            .unwrap_or_default()
    }
}
