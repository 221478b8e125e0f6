//! `/where?q=&near=`: pharmacies near a place with the medication in stock, nearest
//! or cheapest first, with price, how fresh the line is, whether they are open, and a
//! map. The availability endpoint's [`find`], rendered.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use medmap_indexers::names::MatchKind;
use medmap_indexers::stock::{Freshness, Sort, StockStatus};

use super::i18n::Tr;
use super::medications::match_label;
use super::{enc, Chrome, Ctx, Opt};
use crate::availability::find;
use crate::http::api::availability::query_from_params;
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::AppState;
use crate::snapshot::HoursView;

/// Pharmacies listed: a phone screen's worth of choices, and a page under budget.
const LISTED: usize = 25;

/// "Open now · closes at 18:00" and the like, in the facility's own time zone.
pub fn hours_text(t: &Tr, h: &HoursView, now: DateTime<Utc>) -> String {
    let tz = h.timezone.as_deref().and_then(|z| z.parse().ok());
    let at = |d: DateTime<Utc>| t.clock(d, now, tz);
    match (h.open_now, h.next_change) {
        (Some(true), Some(next)) => t.arg("open-closes-at", "time", at(next)),
        (Some(true), None) => t.t("open-now"),
        (Some(false), Some(next)) => t.arg("closed-opens-at", "time", at(next)),
        (Some(false), None) => t.t("closed"),
        (None, _) => t.t("hours-unknown"),
    }
}

pub fn status_text(t: &Tr, s: StockStatus, quantity: Option<u32>) -> String {
    match (s, quantity) {
        (StockStatus::InStock | StockStatus::Low, Some(q)) => {
            t.arg("stock-quantity", "n", i64::from(q))
        }
        (StockStatus::InStock, None) => t.t("stock-in"),
        (StockStatus::Low, None) => t.t("stock-low"),
        (StockStatus::Out, _) => t.t("stock-out"),
        (StockStatus::Unknown, _) => t.t("stock-listed"),
    }
}

pub fn freshness_text(t: &Tr, f: Freshness, checked: DateTime<Utc>, now: DateTime<Utc>) -> String {
    match f {
        Freshness::Fresh => t.ago(checked, now),
        Freshness::CallToConfirm => t.arg("call-to-confirm", "ago", t.ago(checked, now)),
    }
}

pub struct OfferView {
    pub href: String,
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
    pub distance: String,
    pub price: Option<String>,
    pub product: String,
    pub status: String,
    pub fresh: bool,
    pub freshness: String,
    pub open: Option<bool>,
    pub hours: String,
    pub demo: bool,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

pub fn address_line(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Template)]
#[template(path = "where.html")]
struct WherePage {
    c: Chrome,
    t: Tr,
    q: String,
    medication_id: String,
    near: String,
    radii: Vec<Opt>,
    by_price: bool,
    open_now: bool,
    /// `open_at` as typed (a time of day on the form).
    open_at: String,
    reimbursed: bool,
    analogs: bool,
    towns: Vec<String>,
    /// Which place `near` was taken for.
    chosen_place: Option<String>,
    /// Why there is no list yet, or what was wrong with the question.
    notice: Option<String>,
    medication: Option<(String, String)>,
    /// The match kind when the name was corrected ("Did you mean" wording).
    corrected: Option<String>,
    offers: Vec<OfferView>,
    tile_url: String,
}

/// `GET /where?q=|medication_id=&near=&radius_km=&sort=&open_now=&analogs=`
pub async fn page(State(st): State<AppState>, ctx: Ctx, p: Result<Params, ApiError>) -> Response {
    let r = (|| -> Result<Response, ApiError> {
        let p = p?;
        let t = ctx.tr();
        let snap = st.snap()?;
        let near = p.text("near")?.unwrap_or_default();
        let (point, chosen_place) = super::near_place(&snap, &t, &near);
        // The form's other fields parse before anything is searched, so a bad radius
        // is a 400 whatever else is missing.
        let mut aq = query_from_params(&p, 0.0, 0.0, LISTED)?;
        aq.limit = LISTED;
        let q = aq.q.clone().unwrap_or_default();
        let medication_id = aq.medication_id.clone().unwrap_or_default();
        let mut status = StatusCode::OK;
        let mut notice = None;
        let mut medication = None;
        let mut corrected = None;
        let mut offers = Vec::new();
        let now = Utc::now();
        if q.is_empty() && medication_id.is_empty() {
            notice = Some(t.t("where-need-medication"));
        } else if near.is_empty() {
            notice = Some(t.t("where-need-place"));
        } else if let Some((lat, lon)) = point {
            aq.lat = lat;
            aq.lon = lon;
            let found = find(
                &snap,
                st.settings.stock_ages(),
                &st.resolve_memo,
                &aq,
                ctx.lang,
                now,
            )?;
            let m = &found.medication;
            medication = Some((m.name.to_string(), format!("/medications/{}", enc(&m.id))));
            corrected = m
                .match_kind
                .filter(|k| {
                    matches!(
                        k,
                        MatchKind::Fuzzy | MatchKind::Layout | MatchKind::Translit
                    )
                })
                .map(|k| match_label(&t, k));
            if found.items.is_empty() {
                notice = Some(t.t("where-none"));
            }
            offers = found
                .items
                .into_iter()
                .map(|o| OfferView {
                    href: format!("/facilities/{}", o.facility.id),
                    address: address_line(&[
                        o.facility.address.as_deref(),
                        o.facility.city.as_deref(),
                        o.facility.postcode.as_deref(),
                    ]),
                    name: o.facility.name,
                    phone: o.facility.phones.into_iter().next(),
                    distance: t.distance(o.distance_m),
                    price: o
                        .price
                        .as_ref()
                        .map(|p| t.price(p.minor, p.currency.as_deref())),
                    product: o.product.name.to_string(),
                    status: status_text(&t, o.status, o.quantity),
                    fresh: o.freshness == Freshness::Fresh,
                    freshness: freshness_text(&t, o.freshness, o.checked_at, now),
                    open: o.hours.open_now,
                    hours: hours_text(&t, &o.hours, now),
                    demo: o.source == crate::import::demo_stock::DEMO_SOURCE,
                    lat: o.facility.lat,
                    lon: o.facility.lon,
                })
                .collect();
        } else {
            status = StatusCode::NOT_FOUND;
            notice = Some(t.arg("where-unknown-place", "place", near.as_str()));
        }
        let radii = [2.0, 5.0, 10.0, 25.0, 50.0, 100.0]
            .iter()
            .map(|&r| Opt {
                value: r.to_string(),
                label: t.distance(r * 1000.0),
                selected: r == aq.radius_km,
            })
            .collect();
        let title = match &medication {
            Some((name, _)) => t.arg("where-title-for", "name", name.as_str()),
            None => t.t("where-title"),
        };
        let tpl = WherePage {
            c: ctx.chrome(title),
            t,
            q,
            medication_id,
            near,
            radii,
            by_price: aq.sort == Sort::Price,
            open_now: aq.open_now,
            open_at: p.raw("open_at").unwrap_or_default().to_string(),
            reimbursed: aq.reimbursed,
            analogs: aq.analogs,
            towns: snap.top_towns.iter().cloned().collect(),
            chosen_place,
            notice,
            medication,
            corrected,
            offers,
            tile_url: ctx.tile_url.clone().unwrap_or_default(),
        };
        Ok(ctx.render(status, &tpl))
    })();
    ctx.respond(r)
}
