//! Facilities: pharmacies, clinics, hospitals, dentists and social-service locations.

use axum::extract::{Path, State};
use axum::Json;
use medmap_indexers::names::normalize;
use serde::Serialize;

use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::AppState;
use crate::model::FacilityKind;
use crate::store::FacilityRow;

/// Largest search radius: beyond it "near me" stops meaning anything and the work per
/// query grows without bound.
pub const MAX_RADIUS_KM: f64 = 200.0;

#[derive(Serialize)]
pub struct FacilityItem<'a> {
    pub id: i64,
    #[serde(flatten)]
    pub facility: &'a FacilityRow,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

#[derive(Serialize)]
pub struct FacilityList<'a> {
    pub total: usize,
    pub items: Vec<FacilityItem<'a>>,
}

/// `GET /api/v1/facilities?q=&kind=&lat=&lon=&radius_km=&limit=`
pub async fn list(
    State(st): State<AppState>,
    p: Params,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = p.text("q")?.map(|q| normalize(&q));
    let kind = match p.text("kind")? {
        None => None,
        Some(k) => Some(FacilityKind::parse(&k).ok_or_else(|| {
            ApiError::bad(
                "kind",
                format!("kind must be pharmacy, clinic, hospital, dentist or social, got {k:?}"),
            )
        })?),
    };
    let point = p.point()?;
    let radius_km = p.radius_km(10.0, MAX_RADIUS_KM)?;
    let limit = p.limit("limit", 20, 200)?;
    let snap = st.snap()?;
    let keep = |f: &FacilityRow| {
        kind.is_none_or(|k| f.kind == k)
            && q.as_ref()
                .is_none_or(|q| normalize(&f.name).contains(q.as_str()))
    };
    let mut items = Vec::new();
    let mut total = 0;
    match point {
        Some((lat, lon)) => {
            for (i, d) in snap.places.within(lat, lon, radius_km * 1000.0) {
                let f = &snap.facilities[i as usize];
                if keep(f) {
                    total += 1;
                    if items.len() < limit {
                        items.push(FacilityItem {
                            id: f.id,
                            facility: f,
                            distance_m: Some(d.round()),
                        });
                    }
                }
            }
        }
        None => {
            for f in snap.facilities.iter().filter(|f| keep(f)) {
                total += 1;
                if items.len() < limit {
                    items.push(FacilityItem {
                        id: f.id,
                        facility: f,
                        distance_m: None,
                    });
                }
            }
        }
    }
    Ok(Json(
        serde_json::to_value(FacilityList { total, items })
            .map_err(|e| ApiError::bad("response", e.to_string()))?,
    ))
}

/// `GET /api/v1/facilities/{id}`
pub async fn detail(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let n: i64 = id
        .parse()
        .map_err(|_| ApiError::bad("id", format!("{id:?} is not a facility id")))?;
    let snap = st.snap()?;
    let f = snap
        .facility(n)
        .ok_or_else(|| ApiError::NotFound(format!("facility {n}")))?;
    let stock_lines = snap.stock.iter().filter(|l| l.facility_id == n).count();
    let mut v = serde_json::to_value(FacilityItem {
        id: f.id,
        facility: f,
        distance_m: None,
    })
    .map_err(|e| ApiError::bad("response", e.to_string()))?;
    v["stock_lines"] = stock_lines.into();
    Ok(Json(v))
}
