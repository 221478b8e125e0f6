//! `GET /api/v1/availability`: the question parsed at the edge, answered by
//! [`crate::availability::find`].

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use medmap_indexers::stock::Sort;

use crate::availability::{find, AvailabilityQuery, AvailabilityResponse, OpenAt};
use crate::http::error::ApiError;
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
        reimbursed: p.boolean("reimbursed")?.unwrap_or(false),
        open_at: open_at(p)?,
        analogs: p.boolean("analogs")?.unwrap_or(false),
        sort,
        limit: p.limit("limit", 20, max_limit)?,
    })
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
