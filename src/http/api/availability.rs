//! "Where can I get it now?": pharmacies near a point with the medication in stock,
//! with distance, price, freshness, and whether they are open now.

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use medmap_indexers::names::{ConceptKind, MatchKind};
use medmap_indexers::stock::{Freshness, Sort, StockQuery, StockStatus};
use serde::Serialize;

use super::facilities::{hours_view, HoursView, MAX_RADIUS_KM};
use super::medications::{parse_public_id, product_name, public_id, substance_name, DisplayLang};
use crate::http::cache::ResolveMemo;
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::{AppState, Settings};
use crate::snapshot::Snapshot;

#[derive(Serialize)]
pub struct Medication {
    pub id: String,
    pub kind: ConceptKind,
    pub name: std::sync::Arc<str>,
    /// How a free-text `q` was matched (absent for `medication_id`).
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_kind: Option<MatchKind>,
}

#[derive(Serialize)]
pub struct Price {
    pub minor: u32,
    pub currency: Option<String>,
}

#[derive(Serialize)]
pub struct PlaceRef {
    pub id: i64,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub phones: Vec<String>,
}

#[derive(Serialize)]
pub struct Offer {
    pub facility: PlaceRef,
    pub product: super::medications::Ref,
    pub distance_m: f64,
    pub status: StockStatus,
    pub quantity: Option<u32>,
    pub price: Option<Price>,
    pub checked_at: DateTime<Utc>,
    pub freshness: Freshness,
    /// `demo` for generated demo stock, else the publisher's feed.
    pub source: String,
    pub hours: HoursView,
}

#[derive(Serialize)]
pub struct AvailabilityResponse {
    pub medication: Medication,
    pub analogs: bool,
    pub items: Vec<Offer>,
}

/// Resolves `medication_id` or free text `q` (the id wins) to a concept.
pub fn resolve(
    snap: &Snapshot,
    memo: &ResolveMemo,
    medication_id: Option<&str>,
    q: Option<&str>,
    lang: DisplayLang,
) -> Result<Medication, ApiError> {
    if let Some(id) = medication_id {
        let (kind, n) = parse_public_id(id).ok_or_else(|| {
            ApiError::bad(
                "medication_id",
                format!("{id:?} is not a medication id (s123 or p123)"),
            )
        })?;
        let known = match kind {
            ConceptKind::Substance => snap.substances.contains_key(&n),
            ConceptKind::Product => snap.products.contains_key(&n),
        };
        if !known {
            return Err(ApiError::NotFound(format!("medication {id}")));
        }
        let name = match kind {
            ConceptKind::Substance => substance_name(snap, n, lang),
            ConceptKind::Product => product_name(snap, n, lang),
        };
        return Ok(Medication {
            id: id.to_string(),
            kind,
            name,
            match_kind: None,
        });
    }
    let q = q.ok_or_else(|| ApiError::bad("q", "give q (a medication name) or medication_id"))?;
    let hit = memo
        .best(snap.catalog_generation, q, |q| {
            snap.names.search(q, 1).into_iter().next()
        })
        .ok_or_else(|| ApiError::NotFound(format!("medication matching {q:?}")))?;
    let name = match hit.kind {
        ConceptKind::Substance => substance_name(snap, hit.id, lang),
        ConceptKind::Product => product_name(snap, hit.id, lang),
    };
    Ok(Medication {
        id: public_id(hit.kind, hit.id),
        kind: hit.kind,
        name,
        match_kind: Some(hit.match_kind),
    })
}

/// Dense stock indices of the product groups a medication stands for: a product
/// (with its analogs if asked), or every product whose only ingredient is the
/// substance.
pub fn product_set(snap: &Snapshot, kind: ConceptKind, id: i64, analogs: bool) -> Vec<u32> {
    let groups: Vec<i64> = match kind {
        ConceptKind::Product => {
            let mut g = vec![id];
            if analogs {
                g.extend(super::medications::analogs(snap, id));
            }
            g
        }
        ConceptKind::Substance => snap.names.products_with_ingredients(&[id]),
    };
    let mut out: Vec<u32> = groups
        .iter()
        .filter_map(|g| snap.products.get(g))
        .flat_map(|g| g.members.iter())
        .filter_map(|m| snap.product_index.get(m).copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A parsed availability question, from the API's parameters or the page's form.
#[derive(Debug, Clone)]
pub struct AvailabilityQuery {
    pub medication_id: Option<String>,
    pub q: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub radius_km: f64,
    pub open_now: bool,
    pub analogs: bool,
    pub sort: Sort,
    pub limit: usize,
}

impl AvailabilityQuery {
    /// `radius_km`, `open_now`, `analogs`, `limit` and `sort` from query parameters
    /// (the point and the medication are the caller's: the API and the page take
    /// them differently).
    pub fn from_params(
        p: &Params,
        lat: f64,
        lon: f64,
        max_limit: usize,
    ) -> Result<AvailabilityQuery, ApiError> {
        let sort = match p.raw("sort").map(str::trim) {
            None | Some("") | Some("distance") => Sort::Distance,
            Some("price") => Sort::Price,
            Some(o) => {
                return Err(ApiError::bad(
                    "sort",
                    format!("sort must be distance or price, got {o:?}"),
                ))
            }
        };
        Ok(AvailabilityQuery {
            medication_id: p.text("medication_id")?,
            q: p.text("q")?,
            lat,
            lon,
            radius_km: p.radius_km(10.0, MAX_RADIUS_KM)?,
            open_now: p.boolean("open_now")?.unwrap_or(false),
            analogs: p.boolean("analogs")?.unwrap_or(false),
            sort,
            limit: p.limit("limit", 20, max_limit)?,
        })
    }
}

/// Pharmacies with the medication in stock: the one code path behind the
/// availability endpoint and the "where" page.
pub fn find(
    snap: &Snapshot,
    settings: &Settings,
    memo: &ResolveMemo,
    aq: &AvailabilityQuery,
    lang: DisplayLang,
    now: DateTime<Utc>,
) -> Result<AvailabilityResponse, ApiError> {
    let medication = resolve(
        snap,
        memo,
        aq.medication_id.as_deref(),
        aq.q.as_deref(),
        lang,
    )?;
    let (kind, id) = parse_public_id(&medication.id)
        .ok_or_else(|| ApiError::bad("medication_id", "unresolvable id"))?;
    let products = product_set(snap, kind, id, aq.analogs);
    let mut q = StockQuery::new(
        products,
        aq.lat,
        aq.lon,
        aq.radius_km * 1000.0,
        now.timestamp(),
    );
    q.open_now = aq.open_now;
    q.sort = aq.sort;
    q.limit = aq.limit;
    q.fresh_secs = settings.fresh_secs;
    q.cutoff_secs = settings.cutoff_secs;
    let hits = snap
        .stock
        .query(&q, &snap.places, &|f| snap.is_open(f, now));
    let items = hits
        .iter()
        .filter_map(|h| {
            let f = snap.facilities.get(h.facility as usize)?;
            let product_id = *snap.product_ids.get(h.product as usize)?;
            let group = snap
                .product_group
                .get(&product_id)
                .copied()
                .unwrap_or(product_id);
            let meta = snap.stock_meta.get(&h.facility);
            Some(Offer {
                facility: PlaceRef {
                    id: f.id,
                    name: f.name.clone(),
                    address: f.address.clone(),
                    city: f.city.clone(),
                    postcode: f.postcode.clone(),
                    lat: f.lat,
                    lon: f.lon,
                    phones: f.phones.clone(),
                },
                product: super::medications::Ref {
                    id: public_id(ConceptKind::Product, group),
                    name: product_name(snap, group, lang),
                },
                distance_m: h.distance_m.round(),
                status: h.line.status,
                quantity: h.line.quantity,
                price: h.line.price_minor.map(|minor| Price {
                    minor,
                    currency: meta.and_then(|m| m.currency.clone()),
                }),
                checked_at: DateTime::from_timestamp(h.line.checked_at, 0).unwrap_or(now),
                freshness: h.freshness,
                source: meta.map_or_else(|| "unknown".into(), |m| m.source.clone()),
                hours: hours_view(snap, h.facility, now),
            })
        })
        .collect();
    Ok(AvailabilityResponse {
        medication,
        analogs: aq.analogs,
        items,
    })
}

/// `GET /api/v1/availability?q= | medication_id= &lat=&lon=&radius_km=&open_now=&sort=&analogs=&limit=&lang=`
pub async fn availability(
    State(st): State<AppState>,
    p: Params,
) -> Result<Json<AvailabilityResponse>, ApiError> {
    let lang = DisplayLang::parse(&p)?;
    let (lat, lon) = p
        .point()?
        .ok_or_else(|| ApiError::bad("lat", "lat and lon are required"))?;
    let aq = AvailabilityQuery::from_params(&p, lat, lon, 100)?;
    let snap = st.snap()?;
    find(&snap, &st.settings, &st.resolve_memo, &aq, lang, Utc::now()).map(Json)
}
