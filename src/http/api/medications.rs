//! `GET /api/v1/medications/{search,suggest,{id}}`: parameters parsed at the edge,
//! answers from [`crate::catalog`], search and suggest memoised per catalog
//! generation as finished JSON bodies.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;

use crate::catalog::{Detail, DisplayLang, SearchResponse, SuggestResponse};
use crate::http::cache::{Endpoint, Key};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::params::Params;
use crate::http::AppState;
use crate::snapshot::Snapshot;

/// `GET /api/v1/medications/search?q=&limit=&lang=`
#[utoipa::path(get, path = "/medications/search", tag = "medications",
    summary = "Search medications by name",
    description = "Ranked hits over substances (INN) and products (brands) in Latin and Cyrillic, typo, transliteration and keyboard-layout tolerant.",
    params(
        ("q" = String, Query, description = "The name as typed (trimmed; no control characters).", min_length = 1, max_length = 200, example = "ibuprofen"),
        ("limit" = Option<u32>, Query, description = "How many hits (default 10).", minimum = 1, maximum = 50),
        ("lang" = Option<DisplayLang>, Query, description = "Language of the names shown: en (default), uk or ru.")
    ),
    responses((status = 200, description = "The hits, best first.", body = SearchResponse)))]
pub async fn search(State(st): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let q = p.required_text("q")?;
    let limit = p.limit("limit", 10, 50)?;
    let lang = p.display_lang()?;
    let snap = st.snap()?;
    memoised(&st, &snap, Endpoint::Search, q, limit, lang, |q| {
        let items = snap.catalog.search(q, limit, lang);
        serde_json::to_vec(&SearchResponse { query: q, items })
    })
}

/// `GET /api/v1/medications/suggest?q=` — autocomplete, at most 10 items.
#[utoipa::path(get, path = "/medications/suggest", tag = "medications",
    summary = "Autocomplete medication names",
    params(
        ("q" = String, Query, description = "The beginning of a name (trimmed; no control characters).", min_length = 1, max_length = 200, example = "ibu"),
        ("limit" = Option<u32>, Query, description = "How many suggestions (default 10).", minimum = 1, maximum = 10),
        ("lang" = Option<DisplayLang>, Query, description = "Language of the names shown: en (default), uk or ru.")
    ),
    responses((status = 200, description = "Suggestions, best first.", body = SuggestResponse)))]
pub async fn suggest(State(st): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let q = p.required_text("q")?;
    let limit = p.limit("limit", 10, 10)?;
    let lang = p.display_lang()?;
    let snap = st.snap()?;
    memoised(&st, &snap, Endpoint::Suggest, q, limit, lang, |q| {
        serde_json::to_vec(&SuggestResponse {
            query: q,
            items: snap.catalog.suggest(q, limit, lang),
        })
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
        minute: 0,
    };
    st.search_cache.json(key, |key| {
        build(&key.query).map_err(|e| ApiError::Internal(e.to_string()))
    })
}

/// `GET /api/v1/medications/{id}`
#[utoipa::path(get, path = "/medications/{id}", tag = "medications",
    summary = "One medication with its ingredients, analogs or brands",
    params(
        ("id" = String, Path, description = "A public medication id: `s` (substance) or `p` (product) and a positive number.", example = "s1"),
        ("lang" = Option<DisplayLang>, Query, description = "Language of the names shown: en (default), uk or ru.")
    ),
    responses(
        (status = 200, description = "The medication.", body = Detail),
        (status = 404, description = "No medication has this id.", body = ErrorBody),
    ))]
pub async fn detail(
    State(st): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Json<Detail>, ApiError> {
    let lang = p.display_lang()?;
    let snap = st.snap()?;
    Ok(Json(snap.catalog.detail(&id, lang)?))
}
