//! Facilities as answers show them: pharmacies, clinics, hospitals, dentists and
//! social-service locations with their hours (open now, next change, today's times)
//! and stock summary. One home for the facility list and detail behind both the API
//! and the facility page; failures are a [`FacilityError`], mapped to statuses in
//! `http::error`.

use chrono::{DateTime, Utc};
use medmap_indexers::stock::FacilitySummary;
use serde::Serialize;
use utoipa::ToSchema;

use crate::availability::StockAges;
use crate::catalog::{DisplayLang, Ref};
use crate::model::FacilityKind;
use crate::privacy;
use crate::snapshot::{HoursView, Snapshot};
use crate::store::FacilityRow;

/// A facility question that cannot be answered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FacilityError {
    #[error("{0:?} is not a facility id")]
    BadId(String),
    #[error("facility {0} not found")]
    NotFound(i64),
}

#[derive(Serialize, ToSchema)]
pub struct FacilityItem<'a> {
    pub id: i64,
    #[serde(flatten)]
    pub facility: &'a FacilityRow,
    /// Where it is ([`privacy::shown_point`]): none for a confidential place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// To a confidential place: to its coarse area, in whole km.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    pub hours: HoursView,
}

impl<'a> FacilityItem<'a> {
    /// `f` (at index `i`) as answers show it.
    pub fn new(
        snap: &Snapshot,
        i: u32,
        f: &'a FacilityRow,
        distance_m: Option<f64>,
        now: DateTime<Utc>,
    ) -> FacilityItem<'a> {
        let point = privacy::shown_point(f);
        FacilityItem {
            id: f.id,
            facility: f,
            lat: point.map(|p| p.0),
            lon: point.map(|p| p.1),
            distance_m: distance_m.map(|d| {
                if f.confidential {
                    privacy::coarse_km(d / 1000.0) * 1000.0
                } else {
                    d
                }
            }),
            hours: snap.hours_view(i, now),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct FacilityList<'a> {
    pub total: usize,
    pub items: Vec<FacilityItem<'a>>,
}

/// Which facilities a list asks for.
#[derive(Debug, Clone, Default)]
pub struct FacilityQuery {
    /// Part of the name, normalised.
    pub name: Option<String>,
    pub kind: Option<FacilityKind>,
    /// Nearest first within `radius_km` of the point, when given.
    pub point: Option<(f64, f64)>,
    pub radius_km: f64,
    pub open_now: bool,
    pub limit: usize,
}

/// Facilities matching `q`, nearest first when a point is given, with the total.
pub fn list<'a>(snap: &'a Snapshot, q: &FacilityQuery, now: DateTime<Utc>) -> FacilityList<'a> {
    let keep = |i: u32, f: &FacilityRow| {
        q.kind.is_none_or(|k| f.kind == k)
            && q.name
                .as_ref()
                .is_none_or(|n| snap.facility_names[i as usize].contains(n.as_str()))
            && (!q.open_now || snap.is_open(i, now) == Some(true))
    };
    let candidates: Box<dyn Iterator<Item = (u32, Option<f64>)>> = match q.point {
        Some((lat, lon)) => Box::new(
            snap.places
                .within(lat, lon, q.radius_km * 1000.0)
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
            if items.len() < q.limit {
                items.push(FacilityItem::new(snap, i, f, distance_m, now));
            }
        }
    }
    FacilityList { total, items }
}

#[derive(Serialize, ToSchema)]
pub struct StockSummary {
    /// The counts, for the pages. Not flattened into the answer: their `lines` (a
    /// count) and this summary's `lines` (the lines) made one object with the key
    /// `lines` twice, of which JSON parsers keep only the last.
    #[serde(skip)]
    pub counts: FacilitySummary,
    /// Lines of any status and age.
    pub line_count: usize,
    /// In stock or low, not past the cut-off.
    pub available: usize,
    /// Of those, fresh.
    pub fresh: usize,
    /// Latest `checked_at` over all lines, Unix seconds.
    pub last_checked_at: Option<i64>,
    /// `demo` for generated demo stock, else the publisher's feed.
    pub source: Option<String>,
    /// The currency every line is priced in; `null` when they differ (each line says
    /// its own).
    pub currency: Option<String>,
    /// The lines not past the cut-off, freshest first (at most 100).
    pub lines: Vec<LineView>,
}

#[derive(Serialize, ToSchema)]
pub struct LineView {
    pub product: Ref,
    #[schema(schema_with = crate::schemas::stock_status)]
    pub status: medmap_indexers::stock::StockStatus,
    pub quantity: Option<u32>,
    pub price_minor: Option<u32>,
    /// The currency of `price_minor`: every price carries its own.
    pub currency: Option<String>,
    pub checked_at: DateTime<Utc>,
    #[schema(schema_with = crate::schemas::freshness)]
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
#[derive(Serialize, ToSchema)]
pub struct FacilityDetail<'a> {
    #[serde(flatten)]
    pub item: FacilityItem<'a>,
    pub stock: StockSummary,
}

/// One facility by id: the code path behind the detail endpoint and page.
pub fn detail<'a>(
    snap: &'a Snapshot,
    ages: StockAges,
    id: &str,
    lang: DisplayLang,
    now: DateTime<Utc>,
) -> Result<FacilityDetail<'a>, FacilityError> {
    let n: i64 = id
        .parse()
        .map_err(|_| FacilityError::BadId(id.to_string()))?;
    let &i = snap
        .facility_index
        .get(&n)
        .ok_or(FacilityError::NotFound(n))?;
    let f = snap
        .facilities
        .get(i as usize)
        .ok_or(FacilityError::NotFound(n))?;
    let meta = snap.stock_meta.get(&i);
    let counts = snap
        .stock
        .facility_summary(i, now.timestamp(), ages.fresh_secs, ages.cutoff_secs);
    let stock = StockSummary {
        counts,
        line_count: counts.lines,
        available: counts.available,
        fresh: counts.fresh,
        last_checked_at: counts.last_checked_at,
        source: meta.map(|m| m.source.clone()),
        currency: meta.and_then(|m| m.common_currency()).map(str::to_string),
        lines: lines_view(snap, i, now, ages.fresh_secs, ages.cutoff_secs, lang),
    };
    Ok(FacilityDetail {
        item: FacilityItem::new(snap, i, f, None, now),
        stock,
    })
}
