//! The HTTP layer (axum): state, router, and one module per resource under `api/`.
//! Handlers parse input into domain values at the edge ([`params`]) and read the
//! current snapshot; the one [`error::ApiError`] maps failures to statuses.

pub mod api;
pub mod cache;
pub mod error;
pub mod limits;
mod metrics_layer;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod params;
pub mod schema_files;
pub mod security_headers;

use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::availability::ResolveMemo;
use crate::config::Settings;
use crate::snapshot::{SharedSnapshot, Snapshot, SnapshotCell};
use crate::store::Store;
use error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub snapshot: SharedSnapshot,
    pub settings: Arc<Settings>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Memoised search/suggest answers, keyed by the snapshot's catalog generation.
    pub search_cache: Arc<cache::ResponseCache>,
    /// Memoised free-text → medication resolutions (availability), same keying.
    pub resolve_memo: Arc<ResolveMemo>,
    /// The publishers' freshness, recomputed after pushes and every 30 s.
    pub publisher_status: Arc<cache::StatusCache>,
    /// Feed pushes per key (`--feed-rate-per-min`, `--feed-burst`).
    pub feed_limiter: Arc<api::feeds::FeedLimiter>,
    /// Public read API requests per client (`--client-rate-per-min`, `--trusted-proxy`).
    pub client_limiter: Arc<limits::ClientLimiter>,
    /// Pull feeds: registration, "fetch now" and the scheduler `serve` starts
    /// (`None` only if the HTTP client could not be built; logged).
    pub puller: Option<crate::feeds::pull::Puller>,
    /// Slot publications: registration, "poll now" and the scheduler `serve` starts
    /// (`None` only if the HTTP client could not be built; logged).
    pub slot_poller: Option<crate::slots::poll::Poller>,
}

impl AppState {
    /// The state of a server about to start: no snapshot yet (`/readyz` says 503
    /// until the first one is built), memos sized by `settings`.
    pub fn new(store: Store, settings: Settings) -> AppState {
        let snapshot = SnapshotCell::new();
        let publisher_status: Arc<cache::StatusCache> = Arc::default();
        let status = Arc::clone(&publisher_status);
        let puller = crate::feeds::pull::Puller::new(
            store.clone(),
            snapshot.clone(),
            settings.pull_settings(),
            Arc::new(move || status.invalidate()),
        )
        .map_err(|e| tracing::error!(error = %e, "pull feeds are off"))
        .ok();
        let slot_poller = crate::slots::poll::Poller::new(
            store.clone(),
            snapshot.clone(),
            settings.pull_settings(),
        )
        .map_err(|e| tracing::error!(error = %e, "slot publications are off"))
        .ok();
        AppState {
            store,
            snapshot,
            puller,
            slot_poller,
            metrics: crate::serve::metrics_handle(),
            search_cache: Arc::new(cache::ResponseCache::new(settings.search_cache_bytes)),
            resolve_memo: Arc::new(ResolveMemo::new(if settings.search_cache_bytes > 0 {
                settings.lookup_cache_entries
            } else {
                0
            })),
            publisher_status,
            feed_limiter: Arc::new(api::feeds::FeedLimiter::new(
                settings.feed_rate_per_min,
                settings.feed_burst,
            )),
            client_limiter: Arc::new(limits::ClientLimiter::new(
                settings.client_rate,
                settings.trusted_proxies.clone(),
            )),
            settings: Arc::new(settings),
        }
    }

    /// The current snapshot, or 503 while the first one is being built.
    pub fn snap(&self) -> Result<Arc<Snapshot>, ApiError> {
        self.snapshot.get().ok_or(ApiError::NotReady)
    }
}

/// 503 is what `/readyz` and every reader answer while the first snapshot is being
/// built (expected during a cold start, polled by orchestrators every second) and
/// what shed requests get (counted in `medmap_http_shed_total`; a line each would
/// add to the overload), so it is logged at debug. Any other server error is an error.
fn log_failure(
    class: tower_http::classify::ServerErrorsFailureClass,
    latency: std::time::Duration,
    _span: &tracing::Span,
) {
    use tower_http::classify::ServerErrorsFailureClass as Class;
    let ms = latency.as_millis() as u64;
    match class {
        Class::StatusCode(axum::http::StatusCode::SERVICE_UNAVAILABLE) => {
            tracing::debug!(latency_ms = ms, "503: not ready yet, or shed")
        }
        other => tracing::error!(latency_ms = ms, classification = %other, "response failed"),
    }
}

/// The whole application. From the outside in: the security headers (so every
/// answer has them, refusals included), the request-target length cap, panics
/// caught, request ids, logs, the body size and body stall limits, compression and
/// metrics; then the health endpoints, which are never shed, beside everything else
/// under the in-flight cap.
pub fn router(state: AppState) -> Router {
    let max_body = state.settings.max_body_bytes;
    let shed = tower::ServiceBuilder::new()
        .layer(axum::error_handling::HandleErrorLayer::new(
            limits::shed_error,
        ))
        .layer(tower::load_shed::LoadShedLayer::new())
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            state.settings.max_in_flight.max(1),
        ));
    let limited = Router::new()
        .nest("/api/v1", api::router(&state).into())
        .merge(pages::router())
        .fallback(pages::not_found)
        .layer(shed);
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .merge(limited)
        .layer(axum::middleware::from_fn(metrics_layer::record))
        .layer(CompressionLayer::new())
        .layer(RequestBodyTimeoutLayer::new(state.settings.body_timeout))
        .layer(RequestBodyLimitLayer::new(max_body))
        // Logs carry method, path, status and the request id (the `x-request-id`
        // the client sent or the one set below, also in the answer), never the query
        // string together with a client address: medication queries are health data.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_failure(log_failure),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(limits::uri_length))
        .layer(security_headers::layers())
        .with_state(state)
}
