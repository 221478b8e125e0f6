//! `/api/v1/hsds/`: the Open Referral HSDS 3.0 read API (as `openapi.json` of the
//! standard describes it) over the snapshot's directory, plus the filters the
//! standard lacks and social workers need: `lat`/`lon`/`radius_km`, `open_at`
//! (date-time or `now`), `age`, `language`.
//!
//! Lists are paged (`page`, `per_page`; `total_items`, `total_pages`, `page_number`,
//! `size`, `first_page`, `last_page`, `empty`, `contents`) or, with
//! `format=ndjson`, every result one per line without paging.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use medmap_indexers::names::normalize;
use serde_json::{json, Value};

use crate::hsds::search::{facets, search_listed, Found, Listing, ServiceQuery, ServiceResults};
use crate::hsds::{shape, HSDS_PROFILE, HSDS_VERSION};
use crate::http::cache::{Endpoint, Key};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::params::{parse_uuid, Params};
use crate::http::schema_files;
use crate::http::AppState;
use crate::privacy;
use crate::snapshot::Snapshot;

/// Largest page: big enough to take a city's directory in a few calls, small enough
/// that one response stays a few MB.
const MAX_PER_PAGE: usize = 1000;
const DEFAULT_PER_PAGE: usize = 50;
/// Largest `radius_km` (as for facilities) and `proximity` (m).
use crate::http::params::MAX_RADIUS_KM;

/// The official HSDS 3.0 OpenAPI description (CC BY-SA 4.0, Open Referral),
/// served with our title, server and extension parameters filled in.
const OPENAPI: &str = include_str!("../../../data/hsds/schema/openapi.json");

/// `GET /api/v1/hsds/`: the HSDS version and profile of this API.
#[utoipa::path(get, path = "/hsds/", tag = "hsds")]
pub async fn root(headers: axum::http::HeaderMap) -> Json<Value> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    Json(json!({
        "version": HSDS_VERSION,
        "profile": HSDS_PROFILE,
        "openapi_url": format!("http://{host}/api/v1/hsds/openapi.json"),
    }))
}

/// `GET /api/v1/hsds` (no slash): the same as `/api/v1/hsds/`.
#[utoipa::path(get, path = "/hsds", tag = "hsds")]
pub async fn root_unslashed(headers: axum::http::HeaderMap) -> Json<Value> {
    root(headers).await
}

/// `GET /api/v1/hsds/openapi.json`
#[utoipa::path(get, path = "/hsds/openapi.json", tag = "meta",
    summary = "The HSDS 3.0 OpenAPI description of /api/v1/hsds",
    description = "Open Referral's official HSDS 3.0 description (CC BY-SA 4.0) with medmap's extension parameters; its `$ref`s to the standard's schemas point at the copies served under `/api/v1/hsds/schema/`, so it resolves offline.",
    responses((status = 200, description = "An OpenAPI 3.1 document.", body = Object)))]
pub async fn openapi() -> Result<Json<Value>, ApiError> {
    Ok(Json(openapi_document()?))
}

/// The HSDS description as served (also read by medmap's own description's tests).
pub fn openapi_document() -> Result<Value, ApiError> {
    let mut doc: Value = serde_json::from_str(OPENAPI)
        .map_err(|e| ApiError::Internal(format!("bundled openapi.json: {e}")))?;
    schema_files::rewrite_refs(&mut doc);
    doc["info"] = json!({
        "title": "medmap HSDS API",
        "version": "1.0.0",
        "summary": "Open Referral HSDS 3.0 read API of the medmap social-services directory",
        "description": "Beyond the standard: lat, lon, radius_km (km around a point), open_at (ISO 8601 date-time or `now`), age (years), language (ISO 639-1 code or name), need (a needs-vocabulary id) on /services and /service_at_locations. search is ranked (BM25F over name, taxonomy, description, organization), multilingual (en, uk, ru) and typo tolerant; each item says why it matched (`why`, `relevance`, `needs`), and the list carries `facets` (categories, needs, open_now), `understood_as` (the needs the query names) and, when the filters leave nothing, `beyond_filters` (the relaxed parameters and the nearest matches beyond them). Extension fields: services and locations marked `x_confidential` (a shelter) have their address, phones and coordinates withheld for safety and carry `x_public_contact`, the helpline to call; search items at such a place carry `x_address_withheld` and a distance in whole km.",
        "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
    });
    doc["servers"] = json!([{"url": "/api/v1/hsds"}]);
    let ext = json!([
        {"name": "lat", "in": "query", "required": false, "description": "Latitude of the point to search around (with lon).", "schema": {"type": "number"}},
        {"name": "lon", "in": "query", "required": false, "description": "Longitude of the point to search around (with lat).", "schema": {"type": "number"}},
        {"name": "radius_km", "in": "query", "required": false, "description": "Only results within this many km of lat/lon (at most 200); without it results are sorted by distance.", "schema": {"type": "number"}},
        {"name": "open_at", "in": "query", "required": false, "description": "Only services open at this ISO 8601 date-time, or `now`.", "schema": {"type": "string"}},
        {"name": "age", "in": "query", "required": false, "description": "Only services whose age range includes this age in years.", "schema": {"type": "number"}},
        {"name": "language", "in": "query", "required": false, "description": "Only services offered in this language (ISO 639-1 code or name).", "schema": {"type": "string"}},
        {"name": "need", "in": "query", "required": false, "description": "Only services tagged with this need of medmap's multilingual needs vocabulary (an id listed in `facets.needs`, e.g. `dental`).", "schema": {"type": "string"}},
        {"name": "lang", "in": "query", "required": false, "description": "Language of need labels in `facets` and `understood_as`: en, uk or ru.", "schema": {"type": "string", "enum": ["en", "uk", "ru"]}},
    ]);
    for path in ["/services", "/service_at_locations"] {
        if let Some(params) = doc["paths"][path]["get"]["parameters"].as_array_mut() {
            params.extend(ext.as_array().into_iter().flatten().cloned());
        }
    }
    Ok(doc)
}

/// `GET /api/v1/hsds/schema/{file}`: the standard's schemas, which the HSDS
/// description refers to.
#[utoipa::path(get, path = "/hsds/schema/{file}", tag = "meta",
    summary = "An HSDS 3.0 JSON Schema (Open Referral, CC BY-SA 4.0)",
    params(("file" = String, Path, description = "A schema file name, e.g. `service.json`.", example = "service.json")),
    responses(
        (status = 200, description = "The JSON Schema; the `Link` header names its licence and source.", body = Object),
        (status = 404, description = "No such schema.", body = ErrorBody),
    ))]
pub async fn schema_file(Path(file): Path<String>) -> Result<Response, ApiError> {
    schema_files::serve(&file)
}

/// `GET /api/v1/hsds/schema/compiled/{file}`: the standard's compiled (self-contained)
/// list schemas.
#[utoipa::path(get, path = "/hsds/schema/compiled/{file}", tag = "meta",
    summary = "A compiled HSDS 3.0 JSON Schema (Open Referral, CC BY-SA 4.0)",
    params(("file" = String, Path, description = "A compiled schema file name, e.g. `service_list.json`.", example = "service_list.json")),
    responses(
        (status = 200, description = "The JSON Schema; the `Link` header names its licence and source.", body = Object),
        (status = 404, description = "No such schema.", body = ErrorBody),
    ))]
pub async fn compiled_schema_file(Path(file): Path<String>) -> Result<Response, ApiError> {
    schema_files::serve(&format!("compiled/{file}"))
}

/// Paging as the request asked for it.
struct Paging {
    page: usize,
    per_page: usize,
    ndjson: bool,
}

impl Paging {
    /// How much of a search this page lists: its end in rank order, or all of
    /// it as NDJSON.
    fn listing(&self, per_service: bool) -> Listing {
        Listing {
            per_service,
            // The service-at-location list lists services at places only.
            placed_only: !per_service,
            facets: true,
            ordered: if self.ndjson {
                usize::MAX
            } else {
                self.page.saturating_mul(self.per_page)
            },
        }
    }
}

fn paging(p: &Params) -> Result<Paging, ApiError> {
    let ndjson = match p.text("format")?.as_deref() {
        None | Some("json") => false,
        Some("ndjson") => true,
        Some(other) => {
            return Err(ApiError::bad(
                "format",
                format!("format must be json or ndjson, got {other:?}"),
            ))
        }
    };
    let page = match p.number::<usize>("page")? {
        None => 1,
        Some(0) => return Err(ApiError::bad("page", "page starts at 1")),
        Some(n) => n,
    };
    Ok(Paging {
        page,
        per_page: p.limit("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)?,
        ndjson,
    })
}

/// A page of `items` (built lazily: only the page's items are shaped), or all of
/// them as NDJSON.
fn page_of<T>(items: &[T], pg: &Paging, shape: impl Fn(&T) -> Value) -> Response {
    page_with(items, items.len(), pg, shape, Value::Null).into_response()
}

/// A list answer, before it becomes a response (or a memoised body).
enum Page {
    Json(Value),
    Ndjson(String),
}

impl Page {
    fn into_body(self) -> Result<Vec<u8>, ApiError> {
        match self {
            Page::Json(v) => serde_json::to_vec(&v).map_err(|e| ApiError::Internal(e.to_string())),
            Page::Ndjson(s) => Ok(s.into_bytes()),
        }
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        match self {
            Page::Json(v) => Json(v).into_response(),
            Page::Ndjson(s) => {
                ([(header::CONTENT_TYPE, "application/x-ndjson")], s).into_response()
            }
        }
    }
}

/// [`page_of`] with fields beyond the standard's envelope (`facets`,
/// `beyond_filters`), which HSDS consumers ignore and people need. `items` are
/// the leading `items.len()` of `total` results in order: a search keeps only
/// as many as the page reaches.
fn page_with<T>(
    items: &[T],
    total: usize,
    pg: &Paging,
    shape: impl Fn(&T) -> Value,
    extra: Value,
) -> Page {
    if pg.ndjson {
        let mut body = String::new();
        for it in items {
            body.push_str(&shape(it).to_string());
            body.push('\n');
        }
        return Page::Ndjson(body);
    }
    let total_pages = total.div_ceil(pg.per_page);
    let contents: Vec<Value> = items
        .iter()
        .skip((pg.page - 1).saturating_mul(pg.per_page))
        .take(pg.per_page)
        .map(shape)
        .collect();
    let mut body = json!({
        "total_items": total,
        "total_pages": total_pages,
        "page_number": pg.page,
        "size": contents.len(),
        "first_page": pg.page == 1,
        "last_page": pg.page >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    });
    if let (Some(b), Value::Object(x)) = (body.as_object_mut(), extra) {
        b.extend(x);
    }
    Page::Json(body)
}

/// A search's page, memoised per snapshot generation and minute
/// ([`crate::http::cache`]): `answer(now)` makes it when it is not kept. NDJSON
/// lists every result and is made afresh.
fn memoised(
    st: &AppState,
    snap: &Snapshot,
    endpoint: Endpoint,
    p: &Params,
    pg: &Paging,
    answer: impl FnOnce(DateTime<Utc>) -> Page,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    if pg.ndjson {
        return Ok(answer(now).into_response());
    }
    let key = Key {
        generation: snap.catalog_generation,
        endpoint,
        query: p.canonical(),
        limit: 0,
        lang: 0,
        minute: now.timestamp().div_euclid(60),
    };
    st.search_cache.json(key, |_| answer(now).into_body())
}

/// The service query from the standard's and our parameters. UUIDs and need ids
/// are checked against the directory: an unknown one is a mistake to name, not
/// an empty answer.
fn service_query(p: &Params, snap: &Snapshot) -> Result<ServiceQuery, ApiError> {
    let point = p.point()?;
    let radius_km = p.number_in("radius_km", f64::MIN_POSITIVE, MAX_RADIUS_KM)?;
    if radius_km.is_some() && point.is_none() {
        return Err(ApiError::bad("radius_km", "radius_km needs lat and lon"));
    }
    let postcode = p.text("postcode")?;
    let proximity_m = p.number_in("proximity", f64::MIN_POSITIVE, MAX_RADIUS_KM * 1000.0)?;
    if proximity_m.is_some() && postcode.is_none() {
        return Err(ApiError::bad("proximity", "proximity needs postcode"));
    }
    if postcode.is_some() && radius_km.is_some() {
        return Err(ApiError::bad(
            "postcode",
            "give either a postcode or lat, lon and radius_km, not both",
        ));
    }
    if p.raw("search").is_some_and(|s| s.trim().is_empty()) {
        return Err(ApiError::bad(
            "search",
            "search is empty; leave it out to list all",
        ));
    }
    let dir = &snap.directory;
    let taxonomy_term_id = p.uuid("taxonomy_term_id")?;
    if let Some(t) = &taxonomy_term_id {
        if dir.term(t).is_none() {
            return Err(ApiError::bad(
                "taxonomy_term_id",
                format!("no taxonomy term {t}"),
            ));
        }
    }
    let taxonomy_id = p.uuid("taxonomy_id")?;
    if let Some(t) = &taxonomy_id {
        if dir.taxonomy(t).is_none() {
            return Err(ApiError::bad("taxonomy_id", format!("no taxonomy {t}")));
        }
    }
    let need = p.text("need")?;
    if let Some(n) = &need {
        if dir.need(n).is_none() {
            return Err(ApiError::bad(
                "need",
                format!("no need {n:?} in the vocabulary"),
            ));
        }
    }
    Ok(ServiceQuery {
        text: p.text("search")?,
        point,
        radius_km,
        postcode,
        proximity_m,
        open_at: p.instant("open_at", true)?,
        open_on: None,
        age: p.number_in("age", 0.0, 150.0)?,
        language: p.text("language")?,
        taxonomy_term_id,
        taxonomy_id,
        organization_id: p.uuid("organization_id")?,
        modified_after: p.instant("modified_after", false)?,
        need,
    })
}

/// What a search adds to the standard's list envelope: facets for narrowing
/// down, how the query was understood, and, when the filters left nothing, the
/// nearest matches beyond them.
fn search_extras(
    snap: &Snapshot,
    r: &ServiceResults,
    lang: &str,
    shape: impl Fn(&Found) -> Value,
) -> Value {
    let mut extra = json!({ "facets": facets(snap, r, lang) });
    if let Some(q) = &r.query {
        let needs = &snap.directory.index.needs;
        extra["understood_as"] = json!(q
            .needs
            .iter()
            .filter_map(|&n| needs.needs.get(n as usize).map(|x| json!({
                "id": x.id,
                "name": crate::hsds::vocabulary::label(needs, n, lang),
            })))
            .collect::<Vec<_>>());
    }
    if let Some(b) = &r.beyond {
        extra["beyond_filters"] = json!({
            "relaxed": b.relaxed,
            "contents": b.found.iter().map(shape).collect::<Vec<_>>(),
        });
    }
    extra
}

/// `GET /api/v1/hsds/services`
#[utoipa::path(get, path = "/hsds/services", tag = "hsds")]
pub async fn services(State(st): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let pg = paging(&p)?;
    let snap = st.snap()?;
    let q = service_query(&p, &snap)?;
    let lang = p.display_lang()?.code();
    let minimal = p.boolean("minimal")?.unwrap_or(false);
    let full = p.boolean("full")?.unwrap_or(false);
    memoised(&st, &snap, Endpoint::Services, &p, &pg, |now| {
        // One entry per service: its best-ranked location.
        let r = search_listed(&snap, &q, now, pg.listing(true));
        let shape = |f: &Found| {
            if minimal {
                let s = &snap.directory.services[f.service_ix];
                let mut v = json!({"id": s.uuid, "name": s.name, "status": s.status});
                if let Some(m) = &s.last_modified {
                    v["last_modified"] = json!(m);
                }
                v
            } else if full {
                shape::service_full(&snap, f.service_ix)
            } else {
                with_extras(
                    shape::service_basic(&snap.directory, f.service_ix),
                    &r,
                    &snap,
                    f,
                )
            }
        };
        let extra = search_extras(&snap, &r, lang, shape);
        page_with(&r.found, r.total, &pg, shape, extra)
    })
}

/// Adds what a search adds to a record (distance, hours, why it matched) as extra
/// fields, which HSDS consumers ignore and people need. The distance to a
/// confidential place is to its coarse area only, so it is given in whole km
/// ([`privacy::coarse_km`]).
fn with_extras(mut v: Value, r: &ServiceResults, snap: &Snapshot, f: &Found) -> Value {
    let h = r.hit(snap, f);
    let confidential = h
        .facility_id
        .and_then(|id| snap.facility(id))
        .is_some_and(|f| f.confidential);
    if let Some(d) = h.distance_km {
        v["distance_km"] = json!(if confidential {
            privacy::coarse_km(d)
        } else {
            d
        });
    }
    if confidential {
        v["x_address_withheld"] = json!(true);
    }
    if let Some(o) = h.open_now {
        v["open_now"] = json!(o);
    }
    if !h.today_hours.is_empty() {
        v["today_hours"] = json!(h.today_hours);
    }
    if !h.why.is_empty() {
        v["relevance"] = json!(h.score);
        v["why"] = json!(h.why);
    }
    if !h.needs.is_empty() {
        v["needs"] = json!(h.needs);
    }
    v
}

/// `GET /api/v1/hsds/services/{id}`
#[utoipa::path(get, path = "/hsds/services/{id}", tag = "hsds")]
pub async fn service(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_uuid("id", &id)?;
    let snap = st.snap()?;
    let s = snap
        .directory
        .service(&id)
        .ok_or_else(|| ApiError::NotFound(format!("service {id}")))?;
    let mut v = shape::service_full(&snap, s);
    // An extension beside HSDS: the next free appointment at any of its places, from
    // slot publications matched to them (docs/slots.md), and a stated wait without one.
    let facilities: Vec<i64> = snap
        .directory
        .service_places
        .get(s)
        .iter()
        .filter_map(|&(_, f)| snap.facilities.get(f as usize).map(|r| r.id))
        .collect();
    if !facilities.is_empty() {
        let (next, wait) = super::slots::next_for(&st, &snap, &facilities).await?;
        if let Some(o) = v.as_object_mut() {
            if let Some(n) = next {
                o.insert(
                    "x_next_slot".into(),
                    serde_json::to_value(n).unwrap_or_default(),
                );
            }
            if let Some(w) = wait {
                o.insert("x_stated_wait_days".into(), w.into());
            }
        }
    }
    Ok(Json(v))
}

/// `GET /api/v1/hsds/service_at_locations`
#[utoipa::path(get, path = "/hsds/service_at_locations", tag = "hsds")]
pub async fn service_at_locations(
    State(st): State<AppState>,
    p: Params,
) -> Result<Response, ApiError> {
    let pg = paging(&p)?;
    let snap = st.snap()?;
    let q = service_query(&p, &snap)?;
    let lang = p.display_lang()?.code();
    let full = p.boolean("full")?.unwrap_or(false);
    memoised(&st, &snap, Endpoint::ServiceAtLocations, &p, &pg, |now| {
        let r = search_listed(&snap, &q, now, pg.listing(false));
        let shape = |f: &Found| {
            let l = f.link_ix.unwrap_or_default();
            if full {
                shape::link_full(&snap, l)
            } else {
                with_extras(shape::link(&snap, l, true), &r, &snap, f)
            }
        };
        let extra = search_extras(&snap, &r, lang, shape);
        page_with(&r.found, r.total, &pg, shape, extra)
    })
}

/// `GET /api/v1/hsds/service_at_locations/{id}`
#[utoipa::path(get, path = "/hsds/service_at_locations/{id}", tag = "hsds")]
pub async fn service_at_location(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_uuid("id", &id)?;
    let snap = st.snap()?;
    let l = snap
        .directory
        .link(&id)
        .ok_or_else(|| ApiError::NotFound(format!("service_at_location {id}")))?;
    Ok(Json(shape::link_full(&snap, l)))
}

/// Whether every word of `search` occurs (as a word prefix) in `text`.
fn text_matches(search: &Option<String>, text: &str) -> bool {
    let Some(q) = search else { return true };
    let hay = normalize(text);
    let words: Vec<&str> = hay.split_whitespace().collect();
    normalize(q)
        .split_whitespace()
        .all(|w| words.iter().any(|x| x.starts_with(w)))
}

/// `GET /api/v1/hsds/organizations`
#[utoipa::path(get, path = "/hsds/organizations", tag = "hsds")]
pub async fn organizations(State(st): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let pg = paging(&p)?;
    let search = p.text("search")?;
    let full = p.boolean("full")?.unwrap_or(false);
    let full_service = p.boolean("full_service")?.unwrap_or(false);
    let snap = st.snap()?;
    let dir = &snap.directory;
    let mut items: Vec<usize> = (0..dir.organizations.len())
        .filter(|&o| {
            let x = &dir.organizations[o];
            text_matches(
                &search,
                &format!("{} {}", x.name, x.alternate_name.as_deref().unwrap_or("")),
            )
        })
        .collect();
    items.sort_by(|a, b| dir.organizations[*a].name.cmp(&dir.organizations[*b].name));
    Ok(page_of(&items, &pg, |&o| {
        if full || full_service {
            shape::organization_full(&snap, o, full_service)
        } else {
            shape::organization_basic(dir, o)
        }
    }))
}

/// `GET /api/v1/hsds/organizations/{id}`
#[utoipa::path(get, path = "/hsds/organizations/{id}", tag = "hsds")]
pub async fn organization(
    State(st): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Json<Value>, ApiError> {
    let id = parse_uuid("id", &id)?;
    let full_service = p.boolean("full_service")?.unwrap_or(false);
    let snap = st.snap()?;
    let o = snap
        .directory
        .organization(&id)
        .ok_or_else(|| ApiError::NotFound(format!("organization {id}")))?;
    Ok(Json(shape::organization_full(&snap, o, full_service)))
}

/// `GET /api/v1/hsds/taxonomy_terms`
#[utoipa::path(get, path = "/hsds/taxonomy_terms", tag = "hsds")]
pub async fn taxonomy_terms(State(st): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let pg = paging(&p)?;
    let search = p.text("search")?;
    let taxonomy = p.uuid("taxonomy_id")?;
    let parent = p.uuid("parent_id")?;
    let top_only = p.boolean("top_only")?.unwrap_or(false);
    let snap = st.snap()?;
    let dir = &snap.directory;
    let taxonomy = taxonomy.map(|t| dir.taxonomy(&t));
    let parent_of = |t: usize| {
        let r = &dir.terms[t];
        r.parent.as_ref().map(|p| {
            crate::model::SourceRef::new(&r.source, p)
                .uuid()
                .to_string()
        })
    };
    let mut items: Vec<usize> = (0..dir.terms.len())
        .filter(|&t| match taxonomy {
            Some(Some(x)) => dir.term_taxonomy[t] == x,
            Some(None) => false,
            None => true,
        })
        .filter(|&t| parent.is_none() || parent_of(t) == parent)
        .filter(|&t| !top_only || parent_of(t).is_none())
        .filter(|&t| {
            let r = &dir.terms[t];
            text_matches(
                &search,
                &format!("{} {}", r.name, r.code.as_deref().unwrap_or("")),
            )
        })
        .collect();
    items.sort_by(|a, b| dir.terms[*a].name.cmp(&dir.terms[*b].name));
    Ok(page_of(&items, &pg, |&t| shape::taxonomy_term(dir, t)))
}

/// `GET /api/v1/hsds/taxonomy_terms/{id}`
#[utoipa::path(get, path = "/hsds/taxonomy_terms/{id}", tag = "hsds")]
pub async fn taxonomy_term(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_uuid("id", &id)?;
    let snap = st.snap()?;
    let t = snap
        .directory
        .term(&id)
        .ok_or_else(|| ApiError::NotFound(format!("taxonomy term {id}")))?;
    Ok(Json(shape::taxonomy_term(&snap.directory, t)))
}

/// `GET /api/v1/hsds/taxonomies`
#[utoipa::path(get, path = "/hsds/taxonomies", tag = "hsds")]
pub async fn taxonomies(State(st): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let pg = paging(&p)?;
    let search = p.text("search")?;
    let snap: std::sync::Arc<Snapshot> = st.snap()?;
    let dir = &snap.directory;
    let items: Vec<usize> = (0..dir.taxonomies.len())
        .filter(|&x| text_matches(&search, &dir.taxonomies[x].name))
        .collect();
    Ok(page_of(&items, &pg, |&x| shape::taxonomy(dir, x)))
}

/// `GET /api/v1/hsds/taxonomies/{id}`
#[utoipa::path(get, path = "/hsds/taxonomies/{id}", tag = "hsds")]
pub async fn taxonomy(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_uuid("id", &id)?;
    let snap = st.snap()?;
    let x = snap
        .directory
        .taxonomy(&id)
        .ok_or_else(|| ApiError::NotFound(format!("taxonomy {id}")))?;
    Ok(Json(shape::taxonomy(&snap.directory, x)))
}
