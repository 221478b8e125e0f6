//! Appointments on pages: "Next free appointment" on a facility's page, and
//! `/appointments`, the earliest free slots near a place. The booking link opens the
//! publisher's own page (medmap books nothing and keeps nothing about the reader);
//! a stated wait is said in words.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::i18n::Tr;
use super::{Chrome, Ctx};
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::AppState;
use crate::slots::answer::may_be_out_of_date;
use crate::store::{FoundSlot, SlotQuery};

/// A slot as a page shows it.
pub struct SlotLine {
    pub when: String,
    pub place: String,
    pub href: Option<String>,
    pub distance: Option<String>,
    pub service: Option<String>,
    /// Only web links (`https`/`http`): checked when read, again here.
    pub booking_url: Option<String>,
    pub booking_phone: Option<String>,
    pub confirmed: String,
    pub stale: bool,
}

fn ts(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// The view of a found slot; `from` gives the distance.
pub fn line(
    t: &Tr,
    snap: &crate::snapshot::Snapshot,
    s: &FoundSlot,
    from: Option<(f64, f64)>,
    now: DateTime<Utc>,
) -> SlotLine {
    let facility = s.facility_id.and_then(|f| {
        let &i = snap.facility_index.get(&f)?;
        snap.facilities.get(i as usize)
    });
    let tz = facility
        .and_then(|f| f.timezone.as_deref())
        .and_then(|z| z.parse().ok());
    let distance = match (from, s.lat, s.lon) {
        (Some((a, o)), Some(la), Some(lo)) => {
            Some(t.distance(medmap_indexers::places::haversine_m(a, o, la, lo)))
        }
        _ => None,
    };
    SlotLine {
        when: t.span(ts(s.start_at), ts(s.end_at), tz),
        place: facility.map_or_else(|| s.location_name.clone(), |f| f.name.clone()),
        href: facility.map(|f| format!("/facilities/{}", f.id)),
        distance,
        service: s.service_label.clone().or_else(|| s.service_type.clone()),
        booking_url: s
            .booking_url
            .clone()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
        booking_phone: s.booking_phone.clone(),
        confirmed: t.ago(ts(s.confirmed_at.max(s.last_success_at.unwrap_or(0))), now),
        stale: may_be_out_of_date(s.last_success_at, s.every_secs, now.timestamp()),
    }
}

/// "Waiting list: about 3 weeks", in the reader's language.
pub fn wait_text(t: &Tr, days: i64) -> String {
    if days >= 14 {
        t.arg("waiting-list-weeks", "n", (days + 3) / 7)
    } else {
        t.arg("waiting-list-days", "n", days)
    }
}

/// A facility's next free appointment and, without one, its stated wait.
pub async fn for_facility(
    st: &AppState,
    t: &Tr,
    snap: &crate::snapshot::Snapshot,
    facility: i64,
    now: DateTime<Utc>,
) -> (Option<SlotLine>, Option<String>) {
    let next = match st.store.next_slots(&[facility], now.timestamp()).await {
        Ok(mut m) => m.remove(&facility),
        Err(e) => {
            tracing::error!(error = %e, "cannot read next slots");
            None
        }
    };
    if let Some(s) = next {
        return (Some(line(t, snap, &s, None, now)), None);
    }
    let wait = match st.store.stated_waits(&[facility]).await {
        Ok(m) => m.get(&facility).map(|&d| wait_text(t, d)),
        Err(_) => None,
    };
    (None, wait)
}

pub struct RadiusOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "appointments.html")]
struct AppointmentsPage {
    c: Chrome,
    t: Tr,
    near: String,
    service_type: String,
    from: String,
    radii: Vec<RadiusOption>,
    chosen_place: Option<String>,
    notice: Option<String>,
    slots: Vec<SlotLine>,
}

const RADII: [f64; 5] = [2.0, 5.0, 10.0, 25.0, 50.0];

/// `GET /appointments?near=&radius_km=&service_type=&from=`
pub async fn page(State(st): State<AppState>, ctx: Ctx, p: Result<Params, ApiError>) -> Response {
    let t = ctx.tr();
    let now = Utc::now();
    let r: Result<(AppointmentsPage, Option<SlotQuery>), ApiError> = (|| {
        let p = p?;
        let snap = st.snap()?;
        let near = p.text("near")?.unwrap_or_default();
        let (point, chosen_place) = super::near_place(&snap, &t, &near);
        let radius = p.radius_km(10.0, 50.0)?;
        let service_type = p.text("service_type")?.unwrap_or_default();
        let from = p.instant("from", true)?.unwrap_or(now).max(now);
        let mut notice = None;
        let q = match point {
            None if near.trim().is_empty() => {
                notice = Some(t.t("appointments-need-place"));
                None
            }
            None => {
                notice = Some(t.t("appointments-place-unknown"));
                None
            }
            Some((lat, lon)) => Some(SlotQuery {
                lat,
                lon,
                radius_km: radius,
                service_type: (!service_type.is_empty()).then(|| service_type.clone()),
                from: from.timestamp(),
                to: (from + chrono::Duration::days(14)).timestamp(),
                limit: 50,
            }),
        };
        let page = AppointmentsPage {
            c: ctx.chrome(t.t("appointments-title")),
            t,
            near,
            service_type,
            from: p.raw("from").unwrap_or_default().to_string(),
            radii: RADII
                .iter()
                .map(|&r| RadiusOption {
                    value: r.to_string(),
                    label: t.distance(r * 1000.0),
                    selected: (r - radius).abs() < 1e-9,
                })
                .collect(),
            chosen_place,
            notice,
            slots: Vec::new(),
        };
        Ok((page, q))
    })();
    let r = match r {
        Err(e) => Err(e),
        Ok((mut page, q)) => match q {
            None => Ok(ctx.render(StatusCode::OK, &page)),
            Some(q) => match (
                st.snap(),
                st.store.free_slots_near(&q, now.timestamp()).await,
            ) {
                (Ok(snap), Ok(found)) => {
                    page.slots = found
                        .iter()
                        .map(|s| line(&t, &snap, s, Some((q.lat, q.lon)), now))
                        .collect();
                    if page.slots.is_empty() {
                        page.notice = Some(t.t("appointments-none"));
                    }
                    Ok(ctx.render(StatusCode::OK, &page))
                }
                (Err(e), _) => Err(e),
                (_, Err(e)) => Err(ApiError::Store(e)),
            },
        },
    };
    ctx.respond(r)
}
