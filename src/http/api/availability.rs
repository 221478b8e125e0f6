//! `GET /api/v1/availability`: the question parsed at the edge, answered by
//! [`crate::availability::find`].

use axum::extract::State;
use axum::Json;
use chrono::Utc;
use medmap_indexers::stock::Sort;

use crate::availability::{find, AvailabilityQuery, AvailabilityResponse};
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
        analogs: p.boolean("analogs")?.unwrap_or(false),
        sort,
        limit: p.limit("limit", 20, max_limit)?,
    })
}

/// `GET /api/v1/availability?q= | medication_id= &lat=&lon=&radius_km=&open_now=&reimbursed=&sort=&analogs=&limit=&lang=`
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
