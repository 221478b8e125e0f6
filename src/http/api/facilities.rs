//! Facilities: pharmacies, clinics, hospitals, dentists and social-service locations,
//! with their hours (open now, next change, today's times) and stock summary.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use medmap_indexers::names::normalize;
use medmap_indexers::stock::FacilitySummary;
use serde::Serialize;

use crate::catalog::{DisplayLang, Ref};
use crate::config::Settings;
use crate::http::error::ApiError;
use crate::http::params::{Params, MAX_RADIUS_KM};
use crate::http::AppState;
use crate::model::FacilityKind;
use crate::snapshot::{HoursView, Snapshot};
use crate::store::FacilityRow;

#[derive(Serialize)]
pub struct FacilityItem<'a> {
    pub id: i64,
    #[serde(flatten)]
    pub facility: &'a FacilityRow,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    pub hours: HoursView,
}

#[derive(Serialize)]
pub struct FacilityList<'a> {
    pub total: usize,
    pub items: Vec<FacilityItem<'a>>,
}

/// `GET /api/v1/facilities?q=&kind=&lat=&lon=&radius_km=&open_now=&limit=`
pub async fn list(
    State(st): State<AppState>,
    p: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = p.text("q")?.map(|q| normalize(&q));
    let kind = match p.text("kind")? {
        None => None,
        Some(k) => Some(FacilityKind::parse(&k).ok_or_else(|| {
            ApiError::bad(
                "kind",
                format!("kind must be pharmacy, clinic, hospital, dentist or social, got {k:?}"),
            )
        })?),
    };
    let point = p.point()?;
    let radius_km = p.radius_km(10.0, MAX_RADIUS_KM)?;
    let open_now = p.boolean("open_now")?.unwrap_or(false);
    let limit = p.limit("limit", 20, 200)?;
    let snap = st.snap()?;
    let now = Utc::now();
    let keep = |i: u32, f: &FacilityRow| {
        kind.is_none_or(|k| f.kind == k)
            && q.as_ref()
                .is_none_or(|q| snap.facility_names[i as usize].contains(q.as_str()))
            && (!open_now || snap.is_open(i, now) == Some(true))
    };
    let candidates: Box<dyn Iterator<Item = (u32, Option<f64>)>> = match point {
        Some((lat, lon)) => Box::new(
            snap.places
                .within(lat, lon, radius_km * 1000.0)
                .into_iter()
                .map(|(i, d)| (i, Some(d.round()))),
        ),
        None => Box::new((0..snap.facilities.len() as u32).map(|i| (i, None))),
    };
    let mut items = Vec::new();
    let mut total = 0;
    for (i, distance_m) in candidates {
        let f = &snap.facilities[i as usize];
        if keep(i, f) {
            total += 1;
            if items.len() < limit {
                items.push(FacilityItem {
                    id: f.id,
                    facility: f,
                    distance_m,
                    hours: snap.hours_view(i, now),
                });
            }
        }
    }
    serde_json::to_value(FacilityList { total, items })
        .map(Json)
        .map_err(|e| ApiError::Internal(format!("cannot serialize the answer: {e}")))
}

#[derive(Serialize)]
pub struct StockSummary {
    #[serde(flatten)]
    pub counts: FacilitySummary,
    /// `demo` for generated demo stock, else the publisher's feed.
    pub source: Option<String>,
    /// The currency every line is priced in; `null` when they differ (each line says
    /// its own).
    pub currency: Option<String>,
    /// The lines not past the cut-off, freshest first (at most 100).
    pub lines: Vec<LineView>,
}

#[derive(Serialize)]
pub struct LineView {
    pub product: Ref,
    pub status: medmap_indexers::stock::StockStatus,
    pub quantity: Option<u32>,
    pub price_minor: Option<u32>,
    /// The currency of `price_minor`: every price carries its own.
    pub currency: Option<String>,
    pub checked_at: DateTime<Utc>,
    pub freshness: medmap_indexers::stock::Freshness,
}

fn lines_view(
    snap: &Snapshot,
    facility: u32,
    now: DateTime<Utc>,
    fresh: i64,
    cutoff: i64,
    lang: DisplayLang,
) -> Vec<LineView> {
    use medmap_indexers::stock::Freshness;
    let t = now.timestamp();
    let mut lines: Vec<_> = snap
        .stock
        .facility_lines(facility)
        .into_iter()
        .filter(|(_, l)| t - l.checked_at <= cutoff)
        .collect();
    lines.sort_by_key(|(_, l)| std::cmp::Reverse(l.checked_at));
    lines
        .into_iter()
        .take(100)
        .filter_map(|(p, l)| {
            let pid = *snap.product_ids.get(p as usize)?;
            let group = snap.catalog.group_of(pid);
            Some(LineView {
                product: Ref::of(
                    &snap.catalog,
                    medmap_indexers::names::ConceptKind::Product,
                    group,
                    lang,
                ),
                status: l.status,
                quantity: l.quantity,
                price_minor: l.price_minor,
                currency: l
                    .price_minor
                    .and(snap.line_currency(facility, p))
                    .map(str::to_string),
                checked_at: DateTime::from_timestamp(l.checked_at, 0).unwrap_or(now),
                freshness: if t - l.checked_at <= fresh {
                    Freshness::Fresh
                } else {
                    Freshness::CallToConfirm
                },
            })
        })
        .collect()
}

/// A facility with its hours and stock summary.
#[derive(Serialize)]
pub struct FacilityDetail<'a> {
    #[serde(flatten)]
    pub item: FacilityItem<'a>,
    pub stock: StockSummary,
}

/// One facility by id: the code path behind the detail endpoint and page.
pub fn detail_of<'a>(
    snap: &'a Snapshot,
    settings: &Settings,
    id: &str,
    lang: DisplayLang,
    now: DateTime<Utc>,
) -> Result<FacilityDetail<'a>, ApiError> {
    let n: i64 = id
        .parse()
        .map_err(|_| ApiError::bad("id", format!("{id:?} is not a facility id")))?;
    let &i = snap
        .facility_index
        .get(&n)
        .ok_or_else(|| ApiError::NotFound(format!("facility {n}")))?;
    let f = snap
        .facilities
        .get(i as usize)
        .ok_or_else(|| ApiError::NotFound(format!("facility {n}")))?;
    let meta = snap.stock_meta.get(&i);
    let stock = StockSummary {
        counts: snap.stock.facility_summary(
            i,
            now.timestamp(),
            settings.fresh_secs,
            settings.cutoff_secs,
        ),
        source: meta.map(|m| m.source.clone()),
        currency: meta.and_then(|m| m.common_currency()).map(str::to_string),
        lines: lines_view(
            snap,
            i,
            now,
            settings.fresh_secs,
            settings.cutoff_secs,
            lang,
        ),
    };
    Ok(FacilityDetail {
        item: FacilityItem {
            id: f.id,
            facility: f,
            distance_m: None,
            hours: snap.hours_view(i, now),
        },
        stock,
    })
}

/// `GET /api/v1/facilities/{id}`
pub async fn detail(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let snap = st.snap()?;
    let d = detail_of(&snap, &st.settings, &id, DisplayLang::En, Utc::now())?;
    serde_json::to_value(d)
        .map(Json)
        .map_err(|e| ApiError::Internal(format!("cannot serialize the answer: {e}")))
}
