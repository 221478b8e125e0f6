//! `GET /api/v1/facilities` and `/facilities/{id}`: parameters parsed at the edge,
//! answers from [`crate::facilities`].

use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;
use medmap_indexers::names::normalize;

use crate::catalog::DisplayLang;
use crate::facilities::{self, FacilityDetail, FacilityList, FacilityQuery};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::params::{Params, MAX_RADIUS_KM};
use crate::http::AppState;
use crate::model::FacilityKind;

/// `GET /api/v1/facilities?q=&kind=&lat=&lon=&radius_km=&open_now=&limit=`
#[utoipa::path(get, path = "/facilities", tag = "facilities",
    summary = "Pharmacies, clinics, hospitals, dentists and social services",
    params(
        ("q" = Option<String>, Query, description = "Part of the name.", max_length = 200),
        ("kind" = Option<FacilityKind>, Query, description = "Only facilities of this kind."),
        ("lat" = Option<f64>, Query, description = "Latitude (with lon): nearest first within radius_km.", minimum = -90, maximum = 90),
        ("lon" = Option<f64>, Query, description = "Longitude (with lat).", minimum = -180, maximum = 180),
        ("radius_km" = Option<f64>, Query, description = "Radius in km around lat/lon (default 10).", exclusive_minimum = 0, maximum = 200),
        ("open_now" = Option<bool>, Query, description = "Only facilities open now."),
        ("limit" = Option<u32>, Query, description = "How many (default 20).", minimum = 1, maximum = 200)
    ),
    responses((status = 200, description = "The facilities and how many matched.", body = FacilityList)))]
pub async fn list(
    State(st): State<AppState>,
    p: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kind = match p.text("kind")? {
        None => None,
        Some(k) => Some(FacilityKind::parse(&k).ok_or_else(|| {
            ApiError::bad(
                "kind",
                format!("kind must be pharmacy, clinic, hospital, dentist or social, got {k:?}"),
            )
        })?),
    };
    let q = FacilityQuery {
        name: p.text("q")?.map(|q| normalize(&q)),
        kind,
        point: p.point()?,
        radius_km: p.radius_km(10.0, MAX_RADIUS_KM)?,
        open_now: p.boolean("open_now")?.unwrap_or(false),
        limit: p.limit("limit", 20, 200)?,
    };
    let snap = st.snap()?;
    json(facilities::list(&snap, &q, Utc::now()))
}

/// `GET /api/v1/facilities/{id}`
#[utoipa::path(get, path = "/facilities/{id}", tag = "facilities",
    summary = "One facility with its hours and stock",
    params(("id" = String, Path, description = "The facility's medmap id (a number) or uuid.", example = "1")),
    responses(
        (status = 200, description = "The facility.", body = FacilityDetail),
        (status = 404, description = "No facility has this id.", body = ErrorBody),
    ))]
pub async fn detail(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let snap = st.snap()?;
    let d = facilities::detail(
        &snap,
        st.settings.stock_ages(),
        &id,
        DisplayLang::En,
        Utc::now(),
    )?;
    let fid = d.item.id;
    let mut v = json(d)?;
    // Appointments, where a slot publication matched this facility.
    let (next, wait) = super::slots::next_for(&st, &snap, &[fid]).await?;
    if let Some(o) = v.0.as_object_mut() {
        o.insert(
            "next_slot".into(),
            serde_json::to_value(next).unwrap_or_default(),
        );
        if let Some(w) = wait {
            o.insert("stated_wait_days".into(), w.into());
        }
    }
    Ok(v)
}

/// An answer that borrows the snapshot, serialized before the snapshot is let go.
fn json(answer: impl serde::Serialize) -> Result<Json<serde_json::Value>, ApiError> {
    serde_json::to_value(answer)
        .map(Json)
        .map_err(|e| ApiError::Internal(format!("cannot serialize the answer: {e}")))
}
