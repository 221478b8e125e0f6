//! The HTTP layer (axum): state, router, and one module per resource under `api/`.
//! Handlers parse input into domain values at the edge ([`params`]) and read the
//! current snapshot; the one [`error::ApiError`] maps failures to statuses.

pub mod api;
pub mod cache;
pub mod error;
mod metrics_layer;
pub mod ops;
pub mod pages;
pub mod params;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::snapshot::{SharedSnapshot, Snapshot};
use crate::store::Store;
use error::ApiError;

/// Settings handlers need at request time.
#[derive(Debug, Clone)]
pub struct Settings {
    pub fresh_secs: i64,
    pub cutoff_secs: i64,
    pub max_body_bytes: usize,
    /// Rows a feed push is parsed, validated and written in at a time: what bounds a
    /// push's memory (tests lower it to cross chunk borders with small bodies).
    pub feed_chunk_rows: usize,
    /// Byte budget of the search/suggest answer memo (0 turns it off).
    pub search_cache_bytes: u64,
    /// Map tile URL template (`https://…/{z}/{x}/{y}.png`); `None` draws markers on a
    /// blank map, so no page ever asks a third party for anything by default.
    pub tile_url: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            fresh_secs: 24 * 3600,
            cutoff_secs: 72 * 3600,
            max_body_bytes: 50 * 1024 * 1024,
            feed_chunk_rows: crate::feeds::push::CHUNK_ROWS,
            search_cache_bytes: 32 * 1024 * 1024,
            tile_url: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub snapshot: SharedSnapshot,
    pub settings: Arc<Settings>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Serializes snapshot writers (feeds); readers never take it.
    pub stock_writer: Arc<std::sync::Mutex<()>>,
    /// Memoised search/suggest answers, keyed by the snapshot's catalog generation.
    pub search_cache: Arc<cache::ResponseCache>,
    /// Memoised free-text → medication resolutions (availability), same keying.
    pub resolve_memo: Arc<cache::ResolveMemo>,
    /// The publishers' freshness, recomputed after pushes and every 30 s.
    pub publisher_status: Arc<cache::StatusCache>,
}

impl AppState {
    /// Makes a committed push visible: a new snapshot with the stock index updated
    /// copy-on-write ([`Snapshot::with_stock_delta`]; `base` is the snapshot the push
    /// mapped its lines with), swapped in whole. Writers serialize on a lock so two
    /// feeds cannot lose each other's changes; readers never wait.
    pub fn apply_stock_delta(
        &self,
        base: &Snapshot,
        ups: &[(u32, medmap_indexers::stock::StockLine)],
        removals: &[(i64, i64)],
        meta: &[(u32, crate::snapshot::StockMeta)],
    ) {
        let _guard = self.stock_writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(cur) = self.snapshot.load_full() {
            let next = cur.with_stock_delta(base, ups, removals, meta);
            self.snapshot.store(Some(Arc::new(next)));
        }
    }

    /// The current snapshot, or 503 while the first one is being built.
    pub fn snap(&self) -> Result<Arc<Snapshot>, ApiError> {
        self.snapshot.load_full().ok_or(ApiError::NotReady)
    }
}

/// 503 is what `/readyz` and every reader answer while the first snapshot is being
/// built: expected during a cold start, polled by orchestrators every second, so it is
/// logged at debug. Any other server error is an error.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass as Class;
    let ms = latency.as_millis() as u64;
    match class {
        Class::StatusCode(axum::http::StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::debug!(latency_ms = ms, "503: not ready yet")
        }
        other => tracing::error!(latency_ms = ms, classification = %other, "response failed"),
    }
}

pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .nest("/api/v1", api::router())
        .merge(pages::router())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(metrics_layer::record))
        .layer(CompressionLayer::new())
        .layer(RequestBodyLimitLayer::new(max_body))
        // Logs carry method, path and status, never the query string together with
        // a client address: medication queries are health data.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                .on_failure(log_failure),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}
