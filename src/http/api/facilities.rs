//! `GET /api/v1/facilities` and `/facilities/{id}`: parameters parsed at the edge,
//! answers from [`crate::facilities`].

use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;
use medmap_indexers::names::normalize;

use crate::catalog::DisplayLang;
use crate::facilities::{self, FacilityQuery};
use crate::http::error::ApiError;
use crate::http::params::{Params, MAX_RADIUS_KM};
use crate::http::AppState;
use crate::model::FacilityKind;

/// `GET /api/v1/facilities?q=&kind=&lat=&lon=&radius_km=&open_now=&limit=`
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
    json(d)
}

/// An answer that borrows the snapshot, serialized before the snapshot is let go.
fn json(answer: impl serde::Serialize) -> Result<Json<serde_json::Value>, ApiError> {
    serde_json::to_value(answer)
        .map(Json)
        .map_err(|e| ApiError::Internal(format!("cannot serialize the answer: {e}")))
}
