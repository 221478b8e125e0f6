//! Operations endpoints: liveness, readiness and Prometheus metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use std::sync::OnceLock;

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

/// `GET /api/v1/version`: what is running, on what schema and data. Why: with
/// several replicas and upgrades under way an operator must see at a glance that
/// they run the same build on the same schema.
#[utoipa::path(get, path = "/version", tag = "meta",
    summary = "What is running, on what schema and data",
    responses((status = 200, description = "`name`, `version`, `commit`, `backend`, `schema_version` and `data` (catalog version and format, bundled import and snapshot times).", body = Object,
        example = json!({"name": "medmap", "version": "0.1.0", "commit": "76d7ba0", "backend": "sqlite", "schema_version": 30, "data": {"catalog_version": "1", "catalog_format": 1, "bundled_import_at": "1764000000", "snapshot_built_at": "2026-12-07T17:00:00Z"}}))))]
pub async fn version(
    State(st): State<AppState>,
) -> Result<Json<serde_json::Value>, crate::http::error::ApiError> {
    let schema = st.store.schema_version().await?;
    let catalog = st.store.meta_get("catalog_version").await?;
    let bundled = st.store.meta_get("bundled_import").await?;
    let snapshot = st.snapshot.get().map(|s| s.built_at);
    Ok(Json(json!({
        "name": "medmap",
        "version": env!("CARGO_PKG_VERSION"),
        "commit": env!("MEDMAP_COMMIT"),
        "backend": st.store.backend(),
        "schema_version": schema,
        "data": {
            "catalog_version": catalog,
            "catalog_format": crate::catalog::persist::FORMAT,
            "bundled_import_at": bundled,
            "snapshot_built_at": snapshot,
        },
    })))
}

/// `GET /metrics`: the request metrics the layer records, the snapshot's size and
/// age, the publishers (`medmap_publishers`, `medmap_publishers_stale` by the
/// `/status` page's rule, from its 30-second cache) and the process's own figures
/// (`process_resident_memory_bytes`, `process_start_time_seconds`, CPU, open files).
pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    match st
        .publisher_status
        .get(&st.store, st.settings.fresh_secs)
        .await
    {
        Ok(rows) => {
            metrics::gauge!("medmap_publishers").set(rows.len() as f64);
            metrics::gauge!("medmap_publishers_stale")
                .set(rows.iter().filter(|r| r.is_stale()).count() as f64);
        }
        Err(e) => tracing::warn!(error = %e, "cannot count publishers for /metrics"),
    }
    process_metrics().collect();
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

/// The standard `process_*` series (the names Prometheus' own client libraries use,
/// so existing dashboards and alerts read them), described once.
fn process_metrics() -> &'static metrics_process::Collector {
    static COLLECTOR: OnceLock<metrics_process::Collector> = OnceLock::new();
    COLLECTOR.get_or_init(|| {
        let c = metrics_process::Collector::default();
        c.describe();
        c
    })
}
