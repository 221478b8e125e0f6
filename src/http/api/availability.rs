//! `GET /api/v1/availability`: the question parsed at the edge, answered by
//! [`crate::availability::find`].

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use medmap_indexers::stock::Sort;

use crate::availability::{find, AvailabilityQuery, AvailabilityResponse, OpenAt};
use crate::catalog::DisplayLang;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::params::{Params, MAX_RADIUS_KM};
use crate::http::AppState;

/// `radius_km`, `open_now`, `reimbursed`, `analogs`, `limit`, `sort`, `medication_id` and `q` from
/// query parameters (the point is the caller's: the API and the page take it
/// differently).
pub fn query_from_params(
    p: &Params,
    lat: f64,
    lon: f64,
    max_limit: usize,
) -> Result<AvailabilityQuery, ApiError> {
    let sort = match p.raw("sort").map(str::trim) {
        None | Some("") => Sort::Distance,
        Some(o) => SortParam::parse(o)
            .ok_or_else(|| {
                ApiError::bad("sort", format!("sort must be distance or price, got {o:?}"))
            })?
            .into(),
    };
    Ok(AvailabilityQuery {
        medication_id: p.text("medication_id")?,
        q: p.text("q")?,
        lat,
        lon,
        radius_km: p.radius_km(10.0, MAX_RADIUS_KM)?,
        open_now: p.boolean("open_now")?.unwrap_or(false),
        reimbursed: p.boolean("reimbursed")?.unwrap_or(false),
        open_at: open_at(p)?,
        analogs: p.boolean("analogs")?.unwrap_or(false),
        sort,
        limit: p.limit("limit", 20, max_limit)?,
    })
}

/// `sort=`: the values the parser takes are this enum's, so the description lists
/// exactly them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum SortParam {
    Distance,
    Price,
}

impl SortParam {
    fn parse(s: &str) -> Option<SortParam> {
        match s {
            "distance" => Some(SortParam::Distance),
            "price" => Some(SortParam::Price),
            _ => None,
        }
    }
}

impl From<SortParam> for Sort {
    fn from(s: SortParam) -> Sort {
        match s {
            SortParam::Distance => Sort::Distance,
            SortParam::Price => Sort::Price,
        }
    }
}

/// `open_at`: an ISO 8601 instant, or a time of day (`03:00`) on each pharmacy's
/// own clock.
fn open_at(p: &Params) -> Result<Option<OpenAt>, ApiError> {
    let Some(v) = p.raw("open_at").map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = chrono::NaiveTime::parse_from_str(v, "%H:%M") {
        return Ok(Some(OpenAt::Time(t)));
    }
    match p.instant("open_at", false) {
        Ok(Some(at)) => Ok(Some(OpenAt::Instant(at))),
        Ok(None) => Ok(None),
        Err(_) => Err(ApiError::bad(
            "open_at",
            format!("open_at must be a time of day (03:00) or an ISO 8601 date-time, got {v:?}"),
        )),
    }
}

#[utoipa::path(get, path = "/availability", tag = "availability",
    summary = "Pharmacies near a point that have a medication",
    description = "Name the medication by `medication_id` or free text `q` (the id wins). Answers in-stock lines within `radius_km`, nearest (or cheapest) first, with the pharmacy's hours and the line's freshness.",
    params(
        ("lat" = f64, Query, description = "Latitude of the point (with lon).", minimum = -90, maximum = 90, example = 50.45),
        ("lon" = f64, Query, description = "Longitude of the point (with lat).", minimum = -180, maximum = 180, example = 30.52),
        ("medication_id" = Option<String>, Query, description = "A public medication id (`s1`, `p42`).", max_length = 200),
        ("q" = Option<String>, Query, description = "A medication name as typed, resolved to its best hit.", max_length = 200, example = "ibuprofen"),
        ("radius_km" = Option<f64>, Query, description = "Search radius in km (default 10).", exclusive_minimum = 0, maximum = 200),
        ("open_now" = Option<bool>, Query, description = "Only pharmacies open now."),
        ("open_at" = Option<String>, Query, description = "Only pharmacies open then: a time of day on each pharmacy's clock (`03:00`) or an ISO 8601 date-time.", example = "03:00"),
        ("reimbursed" = Option<bool>, Query, description = "Only pharmacies of a reimbursement programme."),
        ("analogs" = Option<bool>, Query, description = "Also products with the same active ingredients."),
        ("sort" = Option<SortParam>, Query, description = "distance (default) or price."),
        ("limit" = Option<u32>, Query, description = "How many lines (default 20).", minimum = 1, maximum = 100),
        ("lang" = Option<DisplayLang>, Query, description = "Language of the names shown: en (default), uk or ru.")
    ),
    responses(
        (status = 200, description = "The medication as resolved and the lines found.", body = AvailabilityResponse),
        (status = 404, description = "No medication has this id or matches q.", body = ErrorBody),
    ))]
/// `GET /api/v1/availability?q= | medication_id= &lat=&lon=&radius_km=&open_now=&open_at=&reimbursed=&sort=&analogs=&limit=&lang=`
pub async fn availability(
    State(st): State<AppState>,
    p: Params,
) -> Result<Json<AvailabilityResponse>, ApiError> {
    let lang = p.display_lang()?;
    let (lat, lon) = p
        .point()?
        .ok_or_else(|| ApiError::bad("lat", "lat and lon are required"))?;
    let aq = query_from_params(&p, lat, lon, 100)?;
    let snap = st.snap()?;
    let answer = find(
        &snap,
        st.settings.stock_ages(),
        &st.resolve_memo,
        &aq,
        lang,
        Utc::now(),
    )?;
    Ok(Json(answer))
}
