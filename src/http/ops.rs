//! Operations endpoints: liveness, readiness and Prometheus metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::AppState;

/// Alive as soon as the server accepts connections.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Ready only once the snapshot is built: a load balancer must not send searches to a
/// replica that would answer 503.
pub async fn readyz(State(st): State<AppState>) -> impl IntoResponse {
    match st.snapshot.get() {
        Some(s) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "snapshot_built_at": s.built_at })),
        ),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "starting" })),
        ),
    }
}

pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    if let Some(s) = st.snapshot.get() {
        let age = (chrono::Utc::now() - s.built_at).num_milliseconds() as f64 / 1000.0;
        metrics::gauge!("medmap_snapshot_age_seconds").set(age);
        metrics::gauge!("medmap_snapshot_facilities").set(s.facilities.len() as f64);
        metrics::gauge!("medmap_snapshot_stock_lines").set(s.stock.len() as f64);
        metrics::gauge!("medmap_snapshot_name_keys").set(s.catalog.names.key_count() as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
}
