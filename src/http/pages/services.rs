//! `/services`: services by need, place and radius, opening time, age and language,
//! for a social worker; `/list`: the short printable hand-off list they make from it.
//!
//! The page is a plain GET form over the HSDS service search
//! ([`crate::hsds::search`]), the one the HSDS API answers with, so the page and the
//! API never disagree about what matches. Category is a taxonomy term the directory's
//! services use; a service offered at several places is listed once per place, since
//! a worker hands on a place. "Open on a day at a time" is read in each place's own
//! time zone, so that filter runs on the hits ([`ServiceHit::hours`]) rather than as
//! one `open_at` instant.
//!
//! The list keeps no client data: the chosen places' ids travel in the URL only
//! (`?f=1&f=2`), so printing or sharing it stores nothing on the server.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveTime, Utc, Weekday};

use super::availability::{address_line, hours_text};
use super::facilities::{kind_label, withheld_text};
use super::i18n::Tr;
use super::service_facets::{facet_rows, relaxed_text, FacetGroup};
use super::{Chrome, Ctx, Opt};
use crate::hsds::search::{search_listed, Listing, ServiceHit, ServiceQuery, ServiceResults};
use crate::hsds::vocabulary;
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::params::MAX_RADIUS_KM;
use crate::http::AppState;
use crate::privacy;
use crate::snapshot::Snapshot;
use medmap_indexers::services::MatchKind;

/// Results listed per search.
const LISTED: usize = 30;
/// Most entries on one hand-off list: a page of paper.
const LIST_MAX: usize = 20;
/// Categories offered in the form: the most used terms, so the page keeps its weight
/// however large the taxonomy.
const CATEGORIES_MAX: usize = 60;
/// Oldest age the form accepts, as the HSDS API does.
const AGE_MAX: f64 = 150.0;

/// When the place must be open: now, or on a weekday at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenFilter {
    Any,
    Now,
    On(Weekday, NaiveTime),
}

/// Services matching `q` and `open`, best first, with the matches beyond the
/// filters when they leave nothing: the domain search does it all, this only
/// turns the form's "open" choice into the query's.
pub fn find(
    snap: &Snapshot,
    q: &ServiceQuery,
    open: OpenFilter,
    now: DateTime<Utc>,
) -> ServiceResults {
    let mut q = q.clone();
    q.open_at = (open == OpenFilter::Now).then_some(now);
    q.open_on = match open {
        OpenFilter::On(day, time) => Some((day, time)),
        _ => None,
    };
    // The page lists the first LISTED; the rest are counted, not ordered.
    search_listed(
        snap,
        &q,
        now,
        Listing {
            per_service: false,
            ordered: LISTED,
            placed_only: false,
            facets: true,
        },
    )
}

/// One search result as the page shows it.
pub struct HitRow {
    /// The place's page, when the service is at a known place.
    pub href: Option<String>,
    /// The place's id, for the hand-off list.
    pub facility_id: Option<i64>,
    pub name: String,
    pub organization: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub distance: Option<String>,
    pub open: Option<bool>,
    pub hours: String,
    pub languages: Option<String>,
    pub ages: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Why it matched, in words: the needs and words it met.
    pub why: Option<String>,
    /// "Address withheld for safety. Call …": a confidential place
    /// ([`crate::privacy`]), with no pin on the map and a coarse distance.
    pub withheld: Option<String>,
}

/// An age as people write it: `12`, or `2.5` for a toddler.
fn age_text(t: &Tr, years: f64) -> String {
    t.decimal(years, if years.fract() == 0.0 { 0 } else { 1 })
}

/// "Ages 12–100", "Age 55 and over", "Up to age 18"; `None` when open to all.
fn ages_text(t: &Tr, min: Option<f64>, max: Option<f64>) -> Option<String> {
    match (min, max) {
        (Some(a), Some(b)) => Some(t.args(
            "services-ages",
            &[
                ("min", age_text(t, a).into()),
                ("max", age_text(t, b).into()),
            ],
        )),
        (Some(a), None) => Some(t.arg("services-ages-from", "min", age_text(t, a))),
        (None, Some(b)) => Some(t.arg("services-ages-to", "max", age_text(t, b))),
        (None, None) => None,
    }
}

/// "Open now · Today 09:00–17:00": the hit's state and today's local hours.
fn hit_hours_text(t: &Tr, h: &ServiceHit) -> String {
    let state = match h.open_now {
        Some(true) => t.t("open-now"),
        Some(false) => t.t("closed"),
        None => t.t("hours-unknown"),
    };
    if h.today_hours.is_empty() {
        return state;
    }
    let spans = h
        .today_hours
        .iter()
        .map(|[a, b]| format!("{a}–{b}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{state} · {}", t.arg("services-today", "hours", spans))
}

fn hit_row(snap: &Snapshot, t: &Tr, h: &ServiceHit) -> HitRow {
    let place = h.facility_id.and_then(|id| snap.facility(id));
    let confidential = place.is_some_and(|f| f.confidential);
    let service = snap.directory.services.get(h.service_ix);
    // A confidential place (withheld in the snapshot already): its helpline, the
    // service's public contact first.
    let contact = if confidential {
        service
            .and_then(privacy::service_contact)
            .or_else(|| place.and_then(|f| f.public_contact.clone()))
    } else {
        None
    };
    let point = place.and_then(privacy::shown_point);
    HitRow {
        href: h.facility_id.map(|id| format!("/facilities/{id}")),
        facility_id: h.facility_id,
        name: h.name.clone(),
        organization: h.organization_name.clone(),
        address: h.address.clone(),
        phone: if confidential {
            contact.clone()
        } else {
            place.and_then(|f| f.phones.first().cloned())
        },
        distance: h
            .distance_km
            .map(|d| {
                if confidential {
                    privacy::coarse_km(d)
                } else {
                    d
                }
            })
            .map(|d| t.distance(d * 1000.0)),
        open: h.open_now,
        hours: hit_hours_text(t, h),
        languages: (!h.languages.is_empty())
            .then(|| t.arg("services-languages", "list", h.languages.join(", "))),
        ages: ages_text(t, h.min_age, h.max_age),
        lat: point.map(|p| p.0),
        lon: point.map(|p| p.1),
        why: why_text(snap, t, h),
        withheld: confidential.then(|| withheld_text(t, contact.as_deref())),
    }
}

/// "Matches: dental care (need), free (need), clinic": what the hit met, needs
/// in the reader's language.
fn why_text(snap: &Snapshot, t: &Tr, h: &ServiceHit) -> Option<String> {
    let needs = &snap.directory.index.needs;
    let mut parts: Vec<String> = Vec::new();
    for w in &h.why {
        let part = match w.kind {
            MatchKind::Need => snap
                .directory
                .need(&w.matched)
                .map(|n| vocabulary::label(needs, n, t.lang.code()).to_string())
                .unwrap_or_else(|| w.matched.clone()),
            _ => w.matched.clone(),
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    (!parts.is_empty()).then(|| t.arg("services-why", "list", parts.join(", ")))
}

/// The taxonomy terms the directory's services use, most used first up to
/// [`CATEGORIES_MAX`], then by name: a category nobody offers would only find nothing.
fn category_options(snap: &Snapshot, selected: Option<&str>) -> Vec<Opt> {
    let dir = &snap.directory;
    let mut uses = vec![0usize; dir.terms.len()];
    for &term in dir.service_terms.iter().flatten() {
        if let Some(n) = uses.get_mut(term) {
            *n += 1;
        }
    }
    let mut used: Vec<usize> = (0..uses.len()).filter(|&i| uses[i] > 0).collect();
    used.sort_by(|&a, &b| uses[b].cmp(&uses[a]).then(a.cmp(&b)));
    used.truncate(CATEGORIES_MAX);
    let mut opts: Vec<Opt> = used
        .iter()
        .filter_map(|&i| dir.terms.get(i))
        .map(|term| Opt {
            value: term.uuid.clone(),
            label: term.name.clone(),
            selected: selected == Some(term.uuid.as_str()),
        })
        .collect();
    opts.sort_by(|a, b| a.label.cmp(&b.label));
    opts
}

/// The languages the directory's services name, for the language field's suggestions.
fn known_languages(snap: &Snapshot) -> Vec<String> {
    let mut v: Vec<String> = snap
        .directory
        .services
        .iter()
        .flat_map(|s| s.languages.iter().cloned())
        .filter(|l| !l.trim().is_empty())
        .collect();
    v.sort();
    v.dedup();
    v
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
    age: String,
    language: String,
    languages: Vec<String>,
    towns: Vec<String>,
    /// Which place `near` was taken for.
    chosen_place: Option<String>,
    notice: Option<String>,
    total: String,
    rows: Vec<HitRow>,
    /// Matches beyond the filters, when the filters left nothing.
    beyond: Vec<HitRow>,
    facets: Vec<FacetGroup>,
    tile_url: String,
}

fn parse_day(s: &str) -> Option<Weekday> {
    s.parse::<Weekday>().ok()
}

/// `GET /services?q=&category=&near=&radius_km=&open_now=&day=&time=&age=&language=`
pub async fn page(State(st): State<AppState>, ctx: Ctx, p: Result<Params, ApiError>) -> Response {
    let r = (|| -> Result<Response, ApiError> {
        let p = p?;
        let t = ctx.tr();
        let snap = st.snap()?;
        let q = p.text("q")?;
        let category = p.uuid("category")?;
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
        let age = p.number_in("age", 0.0, AGE_MAX)?;
        let language = p.text("language")?;
        let need = p.text("need")?;
        if let Some(n) = &need {
            if snap.directory.need(n).is_none() {
                return Err(ApiError::bad(
                    "need",
                    format!("no need {n:?} in the vocabulary"),
                ));
            }
        }
        let searched = q.is_some()
            || need.is_some()
            || category.is_some()
            || !near.is_empty()
            || open != OpenFilter::Any
            || age.is_some()
            || language.is_some();
        let mut status = StatusCode::OK;
        let mut notice = None;
        let (point, chosen_place) = super::near_place(&snap, &t, &near);
        if !near.is_empty() && point.is_none() {
            status = StatusCode::NOT_FOUND;
            notice = Some(t.arg("where-unknown-place", "place", near.as_str()));
        }
        let now = Utc::now();
        let query = ServiceQuery {
            text: q.clone(),
            point,
            radius_km: point.map(|_| radius_km),
            age,
            language: language.clone(),
            taxonomy_term_id: category.clone(),
            need: need.clone(),
            ..ServiceQuery::default()
        };
        let mut total = 0;
        let mut rows = Vec::new();
        let mut beyond = Vec::new();
        let mut relaxed = None;
        let mut facet_links = Vec::new();
        if searched && notice.is_none() {
            let r = find(&snap, &query, open, now);
            total = r.total;
            rows = r
                .found
                .iter()
                .take(LISTED)
                .map(|f| hit_row(&snap, &t, &r.hit(&snap, f)))
                .collect();
            if let Some(b) = &r.beyond {
                beyond = b
                    .found
                    .iter()
                    .map(|f| hit_row(&snap, &t, &r.hit(&snap, f)))
                    .collect();
                relaxed = Some(relaxed_text(&t, &b.relaxed));
            }
            if total > 1 {
                facet_links = facet_rows(&snap, &t, &r, &p);
            }
        }
        if searched && notice.is_none() && total == 0 {
            notice = Some(match &relaxed {
                Some(r) => t.arg("services-beyond", "filters", r.as_str()),
                None => t.t("services-none"),
            });
        }
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
        let mut c = ctx.chrome(t.t("services-title"));
        c.quick_exit = rows.iter().any(|r: &HitRow| r.withheld.is_some());
        let tpl = ServicesPage {
            c,
            t,
            q: q.unwrap_or_default(),
            near,
            categories: category_options(&snap, category.as_deref()),
            radii,
            days,
            time: time_text,
            open_now,
            age: p.text("age")?.unwrap_or_default(),
            language: language.unwrap_or_default(),
            languages: known_languages(&snap),
            towns: snap.top_towns.iter().cloned().collect(),
            chosen_place,
            notice,
            total: t.int(total as i64),
            rows,
            beyond,
            facets: facet_links,
            tile_url: ctx.tile_url.clone().unwrap_or_default(),
        };
        Ok(ctx.render(status, &tpl))
    })();
    ctx.respond(r)
}

/// One place on the hand-off list.
pub struct PlaceRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub phone: Option<String>,
    pub hours: String,
    pub description: Option<String>,
    /// "Address withheld for safety. Call …" (a confidential place).
    pub withheld: Option<String>,
}

fn place_row(snap: &Snapshot, t: &Tr, i: u32, now: DateTime<Utc>) -> Option<PlaceRow> {
    let f = snap.facilities.get(i as usize)?;
    let hv = snap.hours_view(i, now);
    Some(PlaceRow {
        id: f.id,
        name: f.name.clone(),
        kind: kind_label(t, f.kind),
        address: address_line(&[
            f.address.as_deref(),
            f.city.as_deref(),
            f.postcode.as_deref(),
        ]),
        phone: if f.confidential {
            f.public_contact.clone()
        } else {
            f.phones.first().cloned()
        },
        hours: hours_text(t, &hv, now),
        description: f.description.clone(),
        withheld: f
            .confidential
            .then(|| withheld_text(t, f.public_contact.as_deref())),
    })
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    c: Chrome,
    t: Tr,
    rows: Vec<PlaceRow>,
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
            if rows.iter().any(|r: &PlaceRow| r.id == id) {
                continue;
            }
            rows.extend(place_row(&snap, &t, i, now));
        }
        let share = format!(
            "/list?{}",
            rows.iter()
                .map(|r| format!("f={}", r.id))
                .collect::<Vec<_>>()
                .join("&")
        );
        let mut c = ctx.chrome(t.t("list-title"));
        c.quick_exit = rows.iter().any(|r| r.withheld.is_some());
        let tpl = ListPage {
            c,
            t,
            rows,
            printed: t.datetime(now, None),
            share,
        };
        Ok(ctx.render(StatusCode::OK, &tpl))
    })();
    ctx.respond(r)
}
