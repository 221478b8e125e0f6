//! `/facilities/{id}`: address, phone, hours, and what it stocks (pharmacies) or
//! which services it offers. The detail endpoint's [`detail_of`], rendered.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

use super::availability::{address_line, freshness_text, hours_text, status_text};
use super::i18n::Tr;
use super::{enc, Chrome, Ctx};
use crate::facilities;
use crate::http::error::ApiError;
use crate::http::AppState;

/// Stock lines shown on the page (freshest first); the API gives up to 100.
const LINES: usize = 40;

pub struct LineRow {
    pub href: String,
    pub name: String,
    pub status: String,
    pub price: Option<String>,
    pub fresh: bool,
    pub freshness: String,
}

#[derive(Template)]
#[template(path = "facility.html")]
struct FacilityPage {
    c: Chrome,
    t: Tr,
    id: i64,
    name: String,
    kind: String,
    address: String,
    /// "Address withheld for safety. Call …" for a confidential place.
    withheld: Option<String>,
    phones: Vec<String>,
    website: Option<String>,
    email: Option<String>,
    description: Option<String>,
    open: Option<bool>,
    hours: String,
    today: Vec<String>,
    /// Duty shifts and closures to come: "On duty: Thu 24.12 20:00 – Fri 25.12 08:00".
    special: Vec<String>,
    raw_hours: Option<String>,
    summary: Option<String>,
    demo: bool,
    lines: Vec<LineRow>,
    /// "Next free appointment", from slot publications matched to this place.
    next_slot: Option<super::slots::SlotLine>,
    /// A stated wait in words when no free slot is published.
    waiting: Option<String>,
}

/// "Address withheld for safety. Call …" (see [`crate::privacy`]).
pub fn withheld_text(t: &Tr, contact: Option<&str>) -> String {
    match contact {
        Some(c) => t.arg("address-withheld-call", "contact", c.to_string()),
        None => t.t("address-withheld"),
    }
}

/// "On duty: …" / "Closed: …" per special time, with the rota's note.
fn special_lines(t: &Tr, h: &crate::snapshot::HoursView) -> Vec<String> {
    let tz = h.timezone.as_deref().and_then(|z| z.parse().ok());
    h.special
        .iter()
        .map(|s| {
            let key = if s.open {
                "special-open"
            } else {
                "special-closed"
            };
            let mut line = t.arg(key, "span", t.span(s.from, s.to, tz));
            if let Some(n) = &s.note {
                line.push_str(&format!(" ({n})"));
            }
            if s.now {
                line.push_str(&format!(" · {}", t.t("special-now")));
            }
            line
        })
        .collect()
}

pub fn kind_label(t: &Tr, kind: crate::model::FacilityKind) -> String {
    t.t(&format!("facility-kind-{}", kind.as_str()))
}

/// `GET /facilities/{id}`
pub async fn detail(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let (next_slot, waiting) = match (id.parse::<i64>(), st.snap()) {
        (Ok(fid), Ok(snap)) => {
            super::slots::for_facility(&st, &ctx.tr(), &snap, fid, Utc::now()).await
        }
        _ => (None, None),
    };
    let r = (|| -> Result<Response, ApiError> {
        let t = ctx.tr();
        let snap = st.snap()?;
        let now = Utc::now();
        let d = facilities::detail(&snap, st.settings.stock_ages(), &id, ctx.lang, now)?;
        let f = d.item.facility;
        let h = &d.item.hours;
        let s = &d.stock;
        let summary = (s.counts.lines > 0).then(|| {
            t.args(
                "stock-summary",
                &[
                    ("available", s.counts.available.into()),
                    ("fresh", s.counts.fresh.into()),
                ],
            )
        });
        let lines = s
            .lines
            .iter()
            .take(LINES)
            .map(|l| LineRow {
                href: format!("/medications/{}", enc(&l.product.id)),
                name: l.product.name.to_string(),
                status: status_text(&t, l.status, l.quantity),
                price: l.price_minor.map(|m| t.price(m, l.currency.as_deref())),
                fresh: l.freshness == medmap_indexers::stock::Freshness::Fresh,
                freshness: freshness_text(&t, l.freshness, l.checked_at, now),
            })
            .collect();
        let mut c = ctx.chrome(f.name.clone());
        c.quick_exit = f.confidential;
        let tpl = FacilityPage {
            c,
            t,
            id: f.id,
            name: f.name.clone(),
            kind: kind_label(&t, f.kind),
            address: address_line(&[
                f.address.as_deref(),
                f.city.as_deref(),
                f.postcode.as_deref(),
                f.country.as_deref(),
            ]),
            withheld: f
                .confidential
                .then(|| withheld_text(&t, f.public_contact.as_deref())),
            // A confidential place's own phones are withheld; its helpline is shown.
            phones: if f.confidential {
                f.public_contact.iter().cloned().collect()
            } else {
                f.phones.clone()
            },
            // Only web links are links: a `javascript:` URL in imported data must not be.
            website: f
                .website
                .clone()
                .filter(|w| w.starts_with("https://") || w.starts_with("http://")),
            email: f.email.clone(),
            description: f.description.clone(),
            open: h.open_now,
            hours: hours_text(&t, h, now),
            today: h.today.iter().map(|[a, b]| format!("{a}–{b}")).collect(),
            special: special_lines(&t, h),
            raw_hours: h.raw.clone(),
            summary,
            demo: s.source.as_deref() == Some(crate::import::demo_stock::DEMO_SOURCE),
            lines,
            next_slot,
            waiting,
        };
        Ok(ctx.render(StatusCode::OK, &tpl))
    })();
    ctx.respond(r)
}
