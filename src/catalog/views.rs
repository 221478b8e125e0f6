//! Medications as answers show them: search results, suggestions and the detail,
//! built from the catalog alone (no stock, no clock), which is why the HTTP layer may
//! memoise them per catalog generation. The JSON API serializes these shapes and the
//! pages render the same values, so the two cannot disagree.

use std::sync::Arc;

use medmap_indexers::names::{ConceptKind, Hit, MatchKind};
use serde::Serialize;
use utoipa::ToSchema;

use super::{public_id, Catalog, CatalogError, DisplayLang, MedicationId};

/// How many analogs/brands an item lists inline; the detail lists up to [`DETAIL_RELATED`].
const INLINE_RELATED: usize = 10;
const DETAIL_RELATED: usize = 500;

/// A medication named by its public id.
#[derive(Serialize, ToSchema)]
pub struct Ref {
    pub id: String,
    #[schema(value_type = String)]
    pub name: Arc<str>,
}

impl Ref {
    pub fn of(catalog: &Catalog, kind: ConceptKind, id: i64, lang: DisplayLang) -> Ref {
        Ref {
            id: public_id(kind, id),
            name: catalog.name(kind, id, lang),
        }
    }
}

/// One search result. Borrows the catalog's strings: a page of results serializes
/// without copying every name it lists.
#[derive(Serialize, ToSchema)]
pub struct Item<'a> {
    pub id: String,
    #[schema(schema_with = crate::schemas::concept_kind)]
    pub kind: ConceptKind,
    #[schema(value_type = String)]
    pub name: Arc<str>,
    #[schema(value_type = Vec<String>)]
    pub names: Vec<&'a str>,
    pub ingredients: Vec<Ref>,
    /// For a product: other products with the same active ingredients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analogs: Option<Vec<Ref>>,
    /// For a substance: products that contain it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brands: Option<Vec<Ref>>,
    pub score: f32,
    #[serde(rename = "match")]
    #[schema(schema_with = crate::schemas::name_match)]
    pub match_kind: MatchKind,
    pub matched: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResponse<'a> {
    #[schema(value_type = String)]
    pub query: &'a str,
    pub items: Vec<Item<'a>>,
}

#[derive(Serialize, ToSchema)]
pub struct Suggestion {
    pub id: String,
    #[schema(schema_with = crate::schemas::concept_kind)]
    pub kind: ConceptKind,
    #[schema(value_type = String)]
    pub name: Arc<str>,
    #[serde(rename = "match")]
    #[schema(schema_with = crate::schemas::name_match)]
    pub match_kind: MatchKind,
}

#[derive(Serialize, ToSchema)]
pub struct SuggestResponse<'a> {
    #[schema(value_type = String)]
    pub query: &'a str,
    pub items: Vec<Suggestion>,
}

#[derive(Serialize, ToSchema)]
pub struct Detail {
    pub id: String,
    #[schema(schema_with = crate::schemas::concept_kind)]
    pub kind: ConceptKind,
    #[schema(value_type = String)]
    pub name: Arc<str>,
    pub names: Vec<String>,
    pub ingredients: Vec<Ref>,
    pub forms: Vec<String>,
    pub atc: Option<String>,
    pub registration_numbers: Vec<String>,
    pub sources: Vec<String>,
    /// Products with the same active ingredients (for a product).
    pub analogs: Vec<Ref>,
    /// Products containing the substance (for a substance).
    pub brands: Vec<Ref>,
}

impl Catalog {
    fn product_refs(
        &self,
        ids: impl Iterator<Item = i64>,
        lang: DisplayLang,
        limit: usize,
    ) -> Vec<Ref> {
        ids.take(limit)
            .map(|id| Ref::of(self, ConceptKind::Product, id, lang))
            .collect()
    }

    fn ingredient_refs(&self, product: i64, lang: DisplayLang) -> Vec<Ref> {
        self.products
            .get(&product)
            .map(|p| {
                p.ingredients
                    .iter()
                    .map(|s| Ref::of(self, ConceptKind::Substance, *s, lang))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// One search hit as a result item.
    pub fn item(&self, hit: &Hit, lang: DisplayLang) -> Item<'_> {
        let (ingredients, analogs, brands) = match hit.kind {
            ConceptKind::Substance => (
                Vec::new(),
                None,
                Some(self.product_refs(self.brands(hit.id), lang, INLINE_RELATED)),
            ),
            ConceptKind::Product => (
                self.ingredient_refs(hit.id, lang),
                Some(self.product_refs(self.analogs(hit.id), lang, INLINE_RELATED)),
                None,
            ),
        };
        Item {
            id: public_id(hit.kind, hit.id),
            kind: hit.kind,
            name: self.name(hit.kind, hit.id, lang),
            names: self.names_of(hit.kind, hit.id),
            ingredients,
            analogs,
            brands,
            score: hit.score,
            match_kind: hit.match_kind,
            matched: hit.matched.clone(),
        }
    }

    /// Ranked medication concepts for free text: the one code path behind the search
    /// endpoint and the results page.
    pub fn search(&self, q: &str, limit: usize, lang: DisplayLang) -> Vec<Item<'_>> {
        self.names
            .search(q, limit)
            .iter()
            .map(|h| self.item(h, lang))
            .collect()
    }

    /// Autocomplete for what has been typed so far.
    pub fn suggest(&self, q: &str, limit: usize, lang: DisplayLang) -> Vec<Suggestion> {
        self.names
            .suggest(q, limit)
            .iter()
            .map(|h| Suggestion {
                id: public_id(h.kind, h.id),
                kind: h.kind,
                name: self.name(h.kind, h.id, lang),
                match_kind: h.match_kind,
            })
            .collect()
    }

    /// One medication by public id: the code path behind the detail endpoint and page.
    pub fn detail(&self, id: &str, lang: DisplayLang) -> Result<Detail, CatalogError> {
        let mid = MedicationId::parse("id", id)?;
        let n = mid.id;
        let unknown = || CatalogError::UnknownId(id.to_string());
        let names = || {
            self.names_of(mid.kind, n)
                .into_iter()
                .map(str::to_string)
                .collect()
        };
        let d = match mid.kind {
            ConceptKind::Substance => {
                let s = self.substances.get(&n).ok_or_else(unknown)?;
                Detail {
                    id: id.to_string(),
                    kind: mid.kind,
                    name: self.substance_name(n, lang),
                    names: names(),
                    ingredients: Vec::new(),
                    forms: Vec::new(),
                    atc: s.row.atc.clone(),
                    registration_numbers: Vec::new(),
                    sources: Vec::new(),
                    analogs: Vec::new(),
                    brands: self.product_refs(self.brands(n), lang, DETAIL_RELATED),
                }
            }
            ConceptKind::Product => {
                let g = self.products.get(&n).ok_or_else(unknown)?;
                Detail {
                    id: id.to_string(),
                    kind: mid.kind,
                    name: self.product_name(n, lang),
                    names: names(),
                    ingredients: self.ingredient_refs(n, lang),
                    forms: g.forms.clone(),
                    atc: g.atc.clone(),
                    registration_numbers: g.registration_numbers.clone(),
                    sources: g.sources.clone(),
                    analogs: self.product_refs(self.analogs(n), lang, DETAIL_RELATED),
                    brands: Vec::new(),
                }
            }
        };
        Ok(d)
    }
}
