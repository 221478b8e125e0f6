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
///
/// A PostgreSQL replica whose database is unreachable stays ready (reads are answered
/// from its last snapshot; taking every replica out of the balancer would answer
/// nothing at all) but says `degraded`, with how old its snapshot is: the seconds
/// since it was last known caught up with the change log. `replica.started` says
/// how its first snapshot was made: `tables`, or `warm_file` with the positions and
/// the number of changes and facilities it read from the database.
pub async fn readyz(State(st): State<AppState>) -> impl IntoResponse {
    let sync = &st.snapshot.sync;
    match st.snapshot.get() {
        Some(s) => {
            let db_up = sync.db_up();
            let following = sync.following();
            let age = if following {
                sync.age_secs()
            } else {
                (chrono::Utc::now() - s.built_at).num_milliseconds().max(0) as f64 / 1000.0
            };
            (
                StatusCode::OK,
                Json(json!({
                    "status": if db_up { "ready" } else { "degraded" },
                    "snapshot_built_at": s.built_at,
                    "snapshot_age_seconds": age,
                    "database": if db_up { "reachable" } else { "unreachable" },
                    "replica": following.then(|| json!({
                        "change_log_position": sync.position(),
                        "started": sync.started(),
                    })),
                })),
            )
        }
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
///
/// On a PostgreSQL replica also `medmap_database_up` (0 while the database is
/// unreachable: the publisher figures are then skipped rather than waited for),
/// `medmap_change_log_position` and `medmap_snapshot_sync_age_seconds` (seconds since
/// the snapshot was last known caught up with the change log).
pub async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    let sync = &st.snapshot.sync;
    if sync.following() {
        metrics::gauge!("medmap_database_up").set(if sync.db_up() { 1.0 } else { 0.0 });
        metrics::gauge!("medmap_change_log_position").set(sync.position() as f64);
        metrics::gauge!("medmap_snapshot_sync_age_seconds").set(sync.age_secs());
    }
    if sync.db_up() {
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
