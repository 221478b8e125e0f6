//! `/api/v1`: one module per resource.

pub mod availability;
pub mod duty;
pub mod facilities;
pub mod feeds;
pub mod hsds;
pub mod medications;
pub mod places;
pub mod pulls;
pub mod shortlists;

use std::time::Duration;

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use tower_http::timeout::TimeoutLayer;

use super::AppState;

/// Reads answer in milliseconds; 30 s means something is wrong, and the client hears so.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A feed push of a million rows streams, validates and applies for longer than any
/// read; a cancelled push rolls back whole, so the bound only has to be generous.
const PUSH_TIMEOUT: Duration = Duration::from_secs(600);

/// The API in three parts with their own limits: the public read API (anyone, per
/// client rate limit, CORS, read timeout), keyed reads and small writes (read
/// timeout, no CORS) and feed pushes (long timeout, no CORS, per-key rate).
pub fn router(state: &AppState) -> Router<AppState> {
    let push = Router::new()
        .route("/feeds/stock", post(feeds::push))
        .route("/feeds/duty", post(duty::push))
        .route("/feeds/pulls/{id}/fetch", post(pulls::fetch_now))
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            PUSH_TIMEOUT,
        ));
    let keyed = Router::new()
        .route("/feeds/{id}", get(feeds::report))
        .route("/feeds/pulls", get(pulls::list).post(pulls::create))
        .route("/feeds/pulls/{id}", axum::routing::delete(pulls::remove))
        .route("/shortlists", post(shortlists::create))
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            READ_TIMEOUT,
        ));
    public_reads()
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            READ_TIMEOUT,
        ))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::limits::rate_limit,
        ))
        // `layer`, not `route_layer`: a preflight (OPTIONS) matches no GET route and
        // must still reach the CORS layer.
        .layer(super::security_headers::public_read_cors())
        .merge(keyed)
        .merge(push)
}

/// The public read API: GETs anyone may make, without a key.
fn public_reads() -> Router<AppState> {
    Router::new()
        .route("/medications/search", get(medications::search))
        .route("/medications/suggest", get(medications::suggest))
        .route("/medications/{id}", get(medications::detail))
        .route("/availability", get(availability::availability))
        .route("/places", get(places::resolve))
        .route("/version", get(super::ops::version))
        .route("/facilities", get(facilities::list))
        .route("/facilities/{id}", get(facilities::detail))
        .route("/publishers/status", get(feeds::status))
        .route("/shortlists/{id}", get(shortlists::get))
        .route("/shortlists/{id}/text", get(shortlists::text))
        .route("/hsds", get(hsds::root))
        .route("/hsds/", get(hsds::root))
        .route("/hsds/openapi.json", get(hsds::openapi))
        .route("/hsds/services", get(hsds::services))
        .route("/hsds/services/{id}", get(hsds::service))
        .route(
            "/hsds/service_at_locations",
            get(hsds::service_at_locations),
        )
        .route(
            "/hsds/service_at_locations/{id}",
            get(hsds::service_at_location),
        )
        .route("/hsds/organizations", get(hsds::organizations))
        .route("/hsds/organizations/{id}", get(hsds::organization))
        .route("/hsds/taxonomy_terms", get(hsds::taxonomy_terms))
        .route("/hsds/taxonomy_terms/{id}", get(hsds::taxonomy_term))
        .route("/hsds/taxonomies", get(hsds::taxonomies))
        .route("/hsds/taxonomies/{id}", get(hsds::taxonomy))
}
