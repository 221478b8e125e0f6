//! `/services`: places and services by need, place and radius, and opening time, for
//! a social worker; `/list`: the short printable hand-off list they make from it.
//!
//! Until the HSDS service search (issue 7, `crate::hsds::search`) lands, [`search`]
//! filters the snapshot's facilities (category = facility kind, place and radius,
//! open now or on a day); the page talks to it only through [`ServiceFilters`] and
//! [`Hit`], so switching means mapping those onto `ServiceQuery` / `ServiceHit` and
//! adding the age and language fields to the form.
//!
//! The list keeps no client data: the chosen ids travel in the URL only (`?f=1&f=2`),
//! so printing or sharing it stores nothing on the server.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc, Weekday};

use super::availability::{address_line, hours_text};
use super::facilities::kind_label;
use super::i18n::Tr;
use super::{Chrome, Ctx, Opt};
use crate::http::api::facilities::{hours_view, MAX_RADIUS_KM};
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::AppState;
use crate::model::FacilityKind;
use crate::snapshot::Snapshot;

/// Results listed per search.
const LISTED: usize = 30;
/// Most entries on one hand-off list: a page of paper.
const LIST_MAX: usize = 20;

const CATEGORIES: [FacilityKind; 5] = [
    FacilityKind::Social,
    FacilityKind::Clinic,
    FacilityKind::Hospital,
    FacilityKind::Dentist,
    FacilityKind::Pharmacy,
];

/// When the place must be open: now, or on a weekday at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenFilter {
    Any,
    Now,
    On(Weekday, NaiveTime),
}

/// The services search as the page asks it.
#[derive(Debug, Clone)]
pub struct ServiceFilters {
    pub q: Option<String>,
    pub category: Option<FacilityKind>,
    pub point: Option<(f64, f64)>,
    pub radius_km: f64,
    pub open: OpenFilter,
}

pub struct Hit {
    pub facility: u32,
    pub distance_m: Option<f64>,
}

/// The first instant at or after `now` that is `day` at `time` in `tz`.
fn next_at(now: DateTime<Utc>, day: Weekday, time: NaiveTime, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let local = now.with_timezone(&tz).date_naive();
    for ahead in 0..8 {
        let d = local + chrono::Duration::days(ahead);
        if d.weekday() == day {
            if let Some(t) = tz.from_local_datetime(&d.and_time(time)).earliest() {
                let t = t.with_timezone(&Utc);
                if t >= now || ahead == 7 {
                    return t;
                }
            }
        }
    }
    now
}

/// Facilities matching the filters, nearest first when a place is given.
pub fn search(
    snap: &Snapshot,
    f: &ServiceFilters,
    now: DateTime<Utc>,
    limit: usize,
) -> (usize, Vec<Hit>) {
    let q = f.q.as_deref().map(medmap_indexers::names::normalize);
    let keep = |i: u32| {
        let Some(row) = snap.facilities.get(i as usize) else {
            return false;
        };
        f.category.is_none_or(|k| row.kind == k)
            && q.as_deref().is_none_or(|q| {
                snap.facility_names
                    .get(i as usize)
                    .is_some_and(|n| n.contains(q))
            })
            && match f.open {
                OpenFilter::Any => true,
                OpenFilter::Now => snap.is_open(i, now) == Some(true),
                OpenFilter::On(day, time) => snap.hours.get(i as usize).is_some_and(|h| {
                    let at = next_at(now, day, time, h.tz().unwrap_or(chrono_tz::UTC));
                    h.is_open_at(at) == Some(true)
                }),
            }
    };
    let candidates: Vec<(u32, Option<f64>)> = match f.point {
        Some((lat, lon)) => snap
            .places
            .within(lat, lon, f.radius_km * 1000.0)
            .into_iter()
            .map(|(i, d)| (i, Some(d)))
            .collect(),
        None => (0..snap.facilities.len() as u32)
            .map(|i| (i, None))
            .collect(),
    };
    let mut total = 0;
    let mut hits = Vec::new();
    for (i, d) in candidates {
        if keep(i) {
            total += 1;
            if hits.len() < limit {
                hits.push(Hit {
                    facility: i,
                    distance_m: d,
                });
            }
        }
    }
    (total, hits)
}

pub struct ServiceRow {
    pub id: i64,
    pub href: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub phone: Option<String>,
    pub distance: Option<String>,
    pub open: Option<bool>,
    pub hours: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub description: Option<String>,
}

fn row(snap: &Snapshot, t: &Tr, h: &Hit, now: DateTime<Utc>) -> Option<ServiceRow> {
    let f = snap.facilities.get(h.facility as usize)?;
    let hv = hours_view(snap, h.facility, now);
    Some(ServiceRow {
        id: f.id,
        href: format!("/facilities/{}", f.id),
        name: f.name.clone(),
        kind: kind_label(t, f.kind),
        address: address_line(&[
            f.address.as_deref(),
            f.city.as_deref(),
            f.postcode.as_deref(),
        ]),
        phone: f.phones.first().cloned(),
        distance: h.distance_m.map(|d| t.distance(d)),
        open: hv.open_now,
        hours: hours_text(t, &hv, now),
        lat: f.lat,
        lon: f.lon,
        description: f.description.clone(),
    })
}

#[derive(Template)]
#[template(path = "services.html")]
struct ServicesPage {
    c: Chrome,
    t: Tr,
    q: String,
    near: String,
    categories: Vec<Opt>,
    radii: Vec<Opt>,
    days: Vec<Opt>,
    time: String,
    open_now: bool,
    towns: Vec<String>,
    notice: Option<String>,
    total: String,
    rows: Vec<ServiceRow>,
    tile_url: String,
}

fn parse_day(s: &str) -> Option<Weekday> {
    s.parse::<Weekday>().ok()
}

/// `GET /services?q=&category=&near=&radius_km=&open_now=&day=&time=`
pub async fn page(State(st): State<AppState>, ctx: Ctx, p: Result<Params, ApiError>) -> Response {
    let r = (|| -> Result<Response, ApiError> {
        let p = p?;
        let t = ctx.tr();
        let snap = st.snap()?;
        let q = p.text("q")?;
        let category = match p.text("category")? {
            None => None,
            Some(c) => Some(
                FacilityKind::parse(&c)
                    .ok_or_else(|| ApiError::bad("category", format!("unknown category {c:?}")))?,
            ),
        };
        let near = p.text("near")?.unwrap_or_default();
        let radius_km = p.radius_km(10.0, MAX_RADIUS_KM)?;
        let open_now = p.boolean("open_now")?.unwrap_or(false);
        let day = match p.text("day")? {
            None => None,
            Some(d) => Some(parse_day(&d).ok_or_else(|| {
                ApiError::bad("day", format!("day must be mon … sun, got {d:?}"))
            })?),
        };
        let time_text = p.text("time")?.unwrap_or_default();
        let time = if time_text.is_empty() {
            NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default()
        } else {
            NaiveTime::parse_from_str(&time_text, "%H:%M").map_err(|_| {
                ApiError::bad("time", format!("time must be HH:MM, got {time_text:?}"))
            })?
        };
        let open = match (open_now, day) {
            (true, _) => OpenFilter::Now,
            (false, Some(d)) => OpenFilter::On(d, time),
            (false, None) => OpenFilter::Any,
        };
        let searched =
            q.is_some() || category.is_some() || !near.is_empty() || open != OpenFilter::Any;
        let mut status = StatusCode::OK;
        let mut notice = None;
        let point = if near.is_empty() {
            None
        } else {
            let pt = snap.locate(&near);
            if pt.is_none() {
                status = StatusCode::NOT_FOUND;
                notice = Some(t.arg("where-unknown-place", "place", near.as_str()));
            }
            pt
        };
        let now = Utc::now();
        let filters = ServiceFilters {
            q: q.clone(),
            category,
            point,
            radius_km,
            open,
        };
        let (total, rows) = if searched && notice.is_none() {
            let (total, hits) = search(&snap, &filters, now, LISTED);
            (
                total,
                hits.iter().filter_map(|h| row(&snap, &t, h, now)).collect(),
            )
        } else {
            (0, Vec::new())
        };
        if searched && notice.is_none() && total == 0 {
            notice = Some(t.t("services-none"));
        }
        let categories = CATEGORIES
            .iter()
            .map(|k| Opt {
                value: k.as_str().to_string(),
                label: kind_label(&t, *k),
                selected: category == Some(*k),
            })
            .collect();
        let radii = [1.0, 2.0, 5.0, 10.0, 25.0, 50.0]
            .iter()
            .map(|&r| Opt {
                value: r.to_string(),
                label: t.distance(r * 1000.0),
                selected: r == radius_km,
            })
            .collect();
        let days = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .iter()
        .map(|d| Opt {
            value: d.to_string().to_ascii_lowercase(),
            label: t.t(&format!("weekday-long-{}", d.number_from_monday())),
            selected: day == Some(*d),
        })
        .collect();
        let tpl = ServicesPage {
            c: ctx.chrome(t.t("services-title")),
            t,
            q: q.unwrap_or_default(),
            near,
            categories,
            radii,
            days,
            time: time_text,
            open_now,
            towns: snap.top_towns.iter().cloned().collect(),
            notice,
            total: t.int(total as i64),
            rows,
            tile_url: ctx.tile_url.clone().unwrap_or_default(),
        };
        Ok(ctx.render(status, &tpl))
    })();
    ctx.respond(r)
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    c: Chrome,
    t: Tr,
    rows: Vec<ServiceRow>,
    printed: String,
    share: String,
}

/// `GET /list?f=1&f=2`: the chosen places on one printable page.
pub async fn list(State(st): State<AppState>, ctx: Ctx, p: Result<Params, ApiError>) -> Response {
    let r = (|| -> Result<Response, ApiError> {
        let p = p?;
        let t = ctx.tr();
        let snap = st.snap()?;
        let ids = p.all("f");
        if ids.len() > LIST_MAX {
            return Err(ApiError::bad(
                "f",
                format!("a list holds at most {LIST_MAX} places"),
            ));
        }
        let now = Utc::now();
        let mut rows = Vec::new();
        for raw in ids {
            let id: i64 = raw
                .trim()
                .parse()
                .map_err(|_| ApiError::bad("f", format!("{raw:?} is not a place id")))?;
            let &i = snap
                .facility_index
                .get(&id)
                .ok_or_else(|| ApiError::NotFound(format!("place {id}")))?;
            if rows.iter().any(|r: &ServiceRow| r.id == id) {
                continue;
            }
            rows.extend(row(
                &snap,
                &t,
                &Hit {
                    facility: i,
                    distance_m: None,
                },
                now,
            ));
        }
        let share = format!(
            "/list?{}",
            rows.iter()
                .map(|r| format!("f={}", r.id))
                .collect::<Vec<_>>()
                .join("&")
        );
        let tpl = ListPage {
            c: ctx.chrome(t.t("list-title")),
            t,
            rows,
            printed: t.datetime(now, None),
            share,
        };
        Ok(ctx.render(StatusCode::OK, &tpl))
    })();
    ctx.respond(r)
}
