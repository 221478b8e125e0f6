//! "Where can I get it now?": pharmacies near a point with the medication in stock,
//! with distance, price (each in its own currency), freshness, and whether they are
//! open now. One domain function, [`find`], answers both the availability endpoint
//! and the "where" page; [`resolve`] holds how free text becomes a medication, for
//! availability and for feeds.

pub mod resolve;

use chrono::{DateTime, Utc};
use medmap_indexers::names::ConceptKind;
use medmap_indexers::stock::{Freshness, Sort, StockQuery, StockStatus};
use serde::Serialize;
use utoipa::ToSchema;

pub use resolve::{confident_match, product_set, Medication, NameMatch, ResolveMemo};

use crate::catalog::{CatalogError, DisplayLang, Ref};
use crate::snapshot::{HoursView, Snapshot};

/// How old a stock line may be: "fresh" within `fresh_secs`, "call to confirm" up to
/// `cutoff_secs`, hidden after (`--fresh-hours`, `--stale-cutoff-hours`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockAges {
    pub fresh_secs: i64,
    pub cutoff_secs: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Price {
    pub minor: u32,
    pub currency: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PlaceRef {
    pub id: i64,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub phones: Vec<String>,
    /// Reimbursement programmes it dispenses under (`UA:affordable-medicines`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub reimbursement: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Offer {
    pub facility: PlaceRef,
    pub product: Ref,
    pub distance_m: f64,
    #[schema(schema_with = crate::schemas::stock_status)]
    pub status: StockStatus,
    pub quantity: Option<u32>,
    pub price: Option<Price>,
    pub checked_at: DateTime<Utc>,
    #[schema(schema_with = crate::schemas::freshness)]
    pub freshness: Freshness,
    /// `demo` for generated demo stock, else the publisher's feed.
    pub source: String,
    pub hours: HoursView,
}

#[derive(Serialize, ToSchema)]
pub struct AvailabilityResponse {
    pub medication: Medication,
    pub analogs: bool,
    pub items: Vec<Offer>,
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
    /// Only pharmacies of a reimbursement programme (where a reimbursed
    /// prescription can be dispensed).
    pub reimbursed: bool,
    /// Only pharmacies open then (a night-time need: "open at 3 a.m.").
    pub open_at: Option<OpenAt>,
    pub analogs: bool,
    pub sort: Sort,
    pub limit: usize,
}

/// When a pharmacy must be open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OpenAt {
    /// This instant.
    Instant(DateTime<Utc>),
    /// The next time of day on each pharmacy's own clock.
    Time(chrono::NaiveTime),
}

/// Pharmacies with the medication in stock: the one code path behind the
/// availability endpoint and the "where" page.
pub fn find(
    snap: &Snapshot,
    ages: StockAges,
    memo: &ResolveMemo,
    aq: &AvailabilityQuery,
    lang: DisplayLang,
    now: DateTime<Utc>,
) -> Result<AvailabilityResponse, CatalogError> {
    let (mid, medication) = resolve::resolve(
        snap,
        memo,
        aq.medication_id.as_deref(),
        aq.q.as_deref(),
        lang,
    )?;
    let products = product_set(snap, mid, aq.analogs);
    let mut q = StockQuery::new(
        products,
        aq.lat,
        aq.lon,
        aq.radius_km * 1000.0,
        now.timestamp(),
    );
    q.open_now = aq.open_now || aq.open_at.is_some();
    q.only_facilities = aq.reimbursed.then(|| snap.reimbursed.clone());
    q.sort = aq.sort;
    q.limit = aq.limit;
    q.fresh_secs = ages.fresh_secs;
    q.cutoff_secs = ages.cutoff_secs;
    let open = |f: u32| match aq.open_at {
        // Open now and open then, when both are asked.
        Some(_) if aq.open_now && snap.is_open(f, now) != Some(true) => Some(false),
        Some(OpenAt::Instant(at)) => snap.is_open(f, at),
        Some(OpenAt::Time(t)) => snap.is_open_at_local(f, t, now),
        None => snap.is_open(f, now),
    };
    let hits = snap.stock.query(&q, &snap.places, &open);
    let items = hits
        .iter()
        .filter_map(|h| {
            let f = snap.facilities.get(h.facility as usize)?;
            let product_id = *snap.product_ids.get(h.product as usize)?;
            let group = snap.catalog.group_of(product_id);
            Some(Offer {
                facility: PlaceRef {
                    id: f.id,
                    name: f.name.clone(),
                    address: f.address.clone(),
                    city: f.city.clone(),
                    postcode: f.postcode.clone(),
                    // None for a confidential place (never a pin; see `crate::privacy`).
                    lat: crate::privacy::shown_point(f).map(|p| p.0),
                    lon: crate::privacy::shown_point(f).map(|p| p.1),
                    phones: f.phones.clone(),
                    reimbursement: f.reimbursement.clone(),
                },
                product: Ref::of(&snap.catalog, ConceptKind::Product, group, lang),
                distance_m: h.distance_m.round(),
                status: h.line.status,
                quantity: h.line.quantity,
                price: h.line.price_minor.map(|minor| Price {
                    minor,
                    currency: snap
                        .line_currency(h.facility, h.product)
                        .map(str::to_string),
                }),
                checked_at: DateTime::from_timestamp(h.line.checked_at, 0).unwrap_or(now),
                freshness: h.freshness,
                source: snap
                    .stock_source(h.facility)
                    .unwrap_or("unknown")
                    .to_string(),
                hours: snap.hours_view(h.facility, now),
            })
        })
        .collect();
    Ok(AvailabilityResponse {
        medication,
        analogs: aq.analogs,
        items,
    })
}

#[cfg(test)]
mod tests;
