//! Medication search, autocomplete and detail.
//!
//! Public ids carry their kind (`s123` substance, `p456` product group) because the
//! two live in separate id spaces and a client holding an id must be able to fetch it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use medmap_indexers::names::{ConceptKind, Hit, MatchKind};
use serde::Serialize;

use crate::http::cache::{Endpoint, Key};
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::AppState;
use crate::snapshot::Snapshot;

/// How many analogs/brands an item lists inline; the detail endpoint lists all.
const INLINE_RELATED: usize = 10;

pub use crate::model::DisplayLang;

impl DisplayLang {
    pub fn parse(p: &Params) -> Result<DisplayLang, ApiError> {
        match p.raw("lang").map(str::trim) {
            None | Some("") | Some("en") => Ok(DisplayLang::En),
            Some("uk") => Ok(DisplayLang::Uk),
            Some("ru") => Ok(DisplayLang::Ru),
            Some(o) => Err(ApiError::bad(
                "lang",
                format!("lang must be en, uk or ru, got {o:?}"),
            )),
        }
    }
}

#[derive(Serialize)]
pub struct Ref {
    pub id: String,
    pub name: Arc<str>,
}

/// One search result. Borrows the snapshot's strings: a page of results serializes
/// without copying every name it lists.
#[derive(Serialize)]
pub struct Item<'a> {
    pub id: String,
    pub kind: ConceptKind,
    pub name: Arc<str>,
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
    pub match_kind: MatchKind,
    pub matched: String,
}

#[derive(Serialize)]
pub struct SearchResponse<'a> {
    pub query: &'a str,
    pub items: Vec<Item<'a>>,
}

pub fn public_id(kind: ConceptKind, id: i64) -> String {
    match kind {
        ConceptKind::Substance => format!("s{id}"),
        ConceptKind::Product => format!("p{id}"),
    }
}

pub fn parse_public_id(s: &str) -> Option<(ConceptKind, i64)> {
    let (kind, rest) = match s.as_bytes().first()? {
        b's' => (ConceptKind::Substance, &s[1..]),
        b'p' => (ConceptKind::Product, &s[1..]),
        _ => return None,
    };
    rest.parse()
        .ok()
        .filter(|n: &i64| *n > 0)
        .map(|n| (kind, n))
}

/// A substance's display name (worked out once per snapshot).
pub fn substance_name(snap: &Snapshot, id: i64, lang: DisplayLang) -> Arc<str> {
    match snap.substances.get(&id) {
        Some(s) => s.display[lang as usize].clone(),
        None => Arc::from(format!("s{id}")),
    }
}

/// A product group's display name (worked out once per snapshot).
pub fn product_name(snap: &Snapshot, id: i64, lang: DisplayLang) -> Arc<str> {
    match snap.products.get(&id) {
        Some(p) => p.display[lang as usize].clone(),
        None => Arc::from(format!("p{id}")),
    }
}

fn refs_of_products(
    snap: &Snapshot,
    ids: impl Iterator<Item = i64>,
    lang: DisplayLang,
    limit: usize,
) -> Vec<Ref> {
    ids.take(limit)
        .map(|id| Ref {
            id: public_id(ConceptKind::Product, id),
            name: product_name(snap, id, lang),
        })
        .collect()
}

/// Product groups with the same ingredient set, the most widely registered first.
pub fn analogs(snap: &Snapshot, product: i64) -> impl Iterator<Item = i64> + '_ {
    snap.products
        .get(&product)
        .and_then(|p| snap.by_ingredients.get(&p.ingredients))
        .into_iter()
        .flatten()
        .copied()
        .filter(move |&id| id != product)
}

/// Products containing a substance, the most widely registered first.
pub fn brands(snap: &Snapshot, substance: i64) -> impl Iterator<Item = i64> + '_ {
    snap.substances
        .get(&substance)
        .into_iter()
        .flat_map(|s| s.products.iter().copied())
}

fn names_of(snap: &Snapshot, kind: ConceptKind, id: i64) -> Vec<&str> {
    let list = match kind {
        ConceptKind::Substance => snap.substances.get(&id).map(|s| &s.names),
        ConceptKind::Product => snap.products.get(&id).map(|p| &p.names),
    };
    list.map(|l| l.iter().map(|(t, _)| t.as_str()).collect())
        .unwrap_or_default()
}

pub fn item<'a>(snap: &'a Snapshot, hit: &Hit, lang: DisplayLang) -> Item<'a> {
    let (name, ingredients, analogs_v, brands_v) = match hit.kind {
        ConceptKind::Substance => (
            substance_name(snap, hit.id, lang),
            Vec::new(),
            None,
            Some(refs_of_products(
                snap,
                brands(snap, hit.id),
                lang,
                INLINE_RELATED,
            )),
        ),
        ConceptKind::Product => {
            let ing = snap
                .products
                .get(&hit.id)
                .map(|p| p.ingredients.clone())
                .unwrap_or_default();
            (
                product_name(snap, hit.id, lang),
                ing.iter()
                    .map(|s| Ref {
                        id: public_id(ConceptKind::Substance, *s),
                        name: substance_name(snap, *s, lang),
                    })
                    .collect(),
                Some(refs_of_products(
                    snap,
                    analogs(snap, hit.id),
                    lang,
                    INLINE_RELATED,
                )),
                None,
            )
        }
    };
    Item {
        id: public_id(hit.kind, hit.id),
        kind: hit.kind,
        name,
        names: names_of(snap, hit.kind, hit.id),
        ingredients,
        analogs: analogs_v,
        brands: brands_v,
        score: hit.score,
        match_kind: hit.match_kind,
        matched: hit.matched.clone(),
    }
}

/// Ranked medication concepts for free text: the one code path behind the search
/// endpoint and the results page.
pub fn search_items<'a>(
    snap: &'a Snapshot,
    q: &str,
    limit: usize,
    lang: DisplayLang,
) -> Vec<Item<'a>> {
    snap.names
        .search(q, limit)
        .iter()
        .map(|h| item(snap, h, lang))
        .collect()
}

/// `GET /api/v1/medications/search?q=&limit=&lang=`
pub async fn search(State(st): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let q = p.required_text("q")?;
    let limit = p.limit("limit", 10, 50)?;
    let lang = DisplayLang::parse(&p)?;
    let snap = st.snap()?;
    memoised(&st, &snap, Endpoint::Search, q, limit, lang, |q| {
        let items = search_items(&snap, q, limit, lang);
        serde_json::to_vec(&SearchResponse { query: q, items })
    })
}

/// Serves a memoised answer for this catalog generation, or builds, keeps and
/// serves a new one.
fn memoised(
    st: &AppState,
    snap: &Snapshot,
    endpoint: Endpoint,
    query: String,
    limit: usize,
    lang: DisplayLang,
    build: impl FnOnce(&str) -> serde_json::Result<Vec<u8>>,
) -> Result<Response, ApiError> {
    let key = Key {
        generation: snap.catalog_generation,
        endpoint,
        query,
        limit,
        lang: lang as u8,
    };
    let body = match st.search_cache.get(&key) {
        Some(body) => body,
        None => {
            let body =
                Bytes::from(build(&key.query).map_err(|e| ApiError::Internal(e.to_string()))?);
            st.search_cache.put(key, body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Serialize)]
pub struct Suggestion {
    pub id: String,
    pub kind: ConceptKind,
    pub name: Arc<str>,
    #[serde(rename = "match")]
    pub match_kind: MatchKind,
}

#[derive(Serialize)]
pub struct SuggestResponse<'a> {
    pub query: &'a str,
    pub items: Vec<Suggestion>,
}

/// `GET /api/v1/medications/suggest?q=` — autocomplete, at most 10 items.
pub async fn suggest(State(st): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let q = p.required_text("q")?;
    let limit = p.limit("limit", 10, 10)?;
    let lang = DisplayLang::parse(&p)?;
    let snap = st.snap()?;
    memoised(&st, &snap, Endpoint::Suggest, q, limit, lang, |q| {
        serde_json::to_vec(&SuggestResponse {
            query: q,
            items: suggestions(&snap, q, limit, lang),
        })
    })
}

fn suggestions(snap: &Snapshot, q: &str, limit: usize, lang: DisplayLang) -> Vec<Suggestion> {
    snap.names
        .suggest(q, limit)
        .iter()
        .map(|h| Suggestion {
            id: public_id(h.kind, h.id),
            kind: h.kind,
            name: match h.kind {
                ConceptKind::Substance => substance_name(snap, h.id, lang),
                ConceptKind::Product => product_name(snap, h.id, lang),
            },
            match_kind: h.match_kind,
        })
        .collect()
}

#[derive(Serialize)]
pub struct Detail {
    pub id: String,
    pub kind: ConceptKind,
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

/// One medication by public id: the code path behind the detail endpoint and page.
pub fn detail_of(snap: &Snapshot, id: &str, lang: DisplayLang) -> Result<Detail, ApiError> {
    let (kind, n) = parse_public_id(id).ok_or_else(|| {
        ApiError::bad(
            "id",
            format!("{id:?} is not a medication id (s123 or p123)"),
        )
    })?;
    let id = id.to_string();
    let d = match kind {
        ConceptKind::Substance => {
            let s = snap
                .substances
                .get(&n)
                .ok_or_else(|| ApiError::NotFound(format!("medication {id}")))?;
            Detail {
                id,
                kind,
                name: substance_name(snap, n, lang),
                names: names_of(snap, kind, n)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                ingredients: Vec::new(),
                forms: Vec::new(),
                atc: s.row.atc.clone(),
                registration_numbers: Vec::new(),
                sources: Vec::new(),
                analogs: Vec::new(),
                brands: refs_of_products(snap, brands(snap, n), lang, 500),
            }
        }
        ConceptKind::Product => {
            let g = snap
                .products
                .get(&n)
                .ok_or_else(|| ApiError::NotFound(format!("medication {id}")))?;
            Detail {
                id,
                kind,
                name: product_name(snap, n, lang),
                names: names_of(snap, kind, n)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                ingredients: g
                    .ingredients
                    .iter()
                    .map(|s| Ref {
                        id: public_id(ConceptKind::Substance, *s),
                        name: substance_name(snap, *s, lang),
                    })
                    .collect(),
                forms: g.forms.clone(),
                atc: g.atc.clone(),
                registration_numbers: g.registration_numbers.clone(),
                sources: g.sources.clone(),
                analogs: refs_of_products(snap, analogs(snap, n), lang, 500),
                brands: Vec::new(),
            }
        }
    };
    Ok(d)
}

/// `GET /api/v1/medications/{id}`
pub async fn detail(
    State(st): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Json<Detail>, ApiError> {
    let lang = DisplayLang::parse(&p)?;
    let snap = st.snap()?;
    detail_of(&snap, &id, lang).map(Json)
}
