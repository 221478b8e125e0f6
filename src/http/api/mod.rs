//! `/api/v1`: one module per resource.
//!
//! Every route is registered through utoipa-axum's `routes!`, which takes the path
//! and method from the handler's `#[utoipa::path]`: the router and the OpenAPI
//! description ([`super::openapi`]) are made from the same attribute, so a route
//! cannot exist undescribed or be described at another path.

pub mod availability;
pub mod duty;
pub mod facilities;
pub mod feeds;
pub mod hsds;
pub mod medications;
pub mod places;
pub mod pulls;
pub mod shortlists;
pub mod slots;

use std::time::Duration;

use axum::http::StatusCode;
use tower_http::timeout::TimeoutLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;

/// Reads answer in milliseconds; 30 s means something is wrong, and the client hears so.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// A feed push of a million rows streams, validates and applies for longer than any
/// read; a cancelled push rolls back whole, so the bound only has to be generous.
const PUSH_TIMEOUT: Duration = Duration::from_secs(600);

/// The API's routes with their descriptions, in the three parts that get their
/// own limits (see [`router`]).
struct Parts {
    /// GETs anyone may make, without a key.
    public: OpenApiRouter<AppState>,
    /// Keyed reads and small writes.
    keyed: OpenApiRouter<AppState>,
    /// Feed pushes and fetches.
    push: OpenApiRouter<AppState>,
}

fn parts() -> Parts {
    let push = OpenApiRouter::new()
        .routes(routes!(feeds::push))
        .routes(routes!(duty::push))
        .routes(routes!(pulls::fetch_now))
        .routes(routes!(slots::poll_now));
    let keyed = OpenApiRouter::new()
        .routes(routes!(feeds::report))
        .routes(routes!(pulls::list, pulls::create))
        .routes(routes!(pulls::remove))
        .routes(routes!(slots::list, slots::create))
        .routes(routes!(slots::remove))
        .routes(routes!(shortlists::create));
    let public = OpenApiRouter::new()
        .routes(routes!(medications::search))
        .routes(routes!(medications::suggest))
        .routes(routes!(medications::detail))
        .routes(routes!(availability::availability))
        .routes(routes!(places::resolve))
        .routes(routes!(super::ops::version))
        .routes(routes!(super::openapi::openapi_json))
        .routes(routes!(facilities::list))
        .routes(routes!(facilities::detail))
        .routes(routes!(slots::near))
        .routes(routes!(feeds::status))
        .routes(routes!(shortlists::get))
        .routes(routes!(shortlists::text))
        .routes(routes!(hsds::root_unslashed))
        .routes(routes!(hsds::root))
        .routes(routes!(hsds::openapi))
        .routes(routes!(hsds::schema_file))
        .routes(routes!(hsds::compiled_schema_file))
        .routes(routes!(hsds::services))
        .routes(routes!(hsds::service))
        .routes(routes!(hsds::service_at_locations))
        .routes(routes!(hsds::service_at_location))
        .routes(routes!(hsds::organizations))
        .routes(routes!(hsds::organization))
        .routes(routes!(hsds::taxonomy_terms))
        .routes(routes!(hsds::taxonomy_term))
        .routes(routes!(hsds::taxonomies))
        .routes(routes!(hsds::taxonomy));
    Parts {
        public,
        keyed,
        push,
    }
}

/// Every route with its description, as [`router`] serves them: what the
/// OpenAPI document is made from (`into_openapi()`).
pub fn described() -> OpenApiRouter<AppState> {
    let p = parts();
    p.public.merge(p.keyed).merge(p.push)
}

/// The API as served (`.into()` gives the axum router), in three parts with
/// their own limits: the public read API (anyone, per client rate limit, CORS,
/// read timeout), keyed reads and small writes (read timeout, no CORS) and feed
/// pushes (long timeout, no CORS, per-key rate).
pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let p = parts();
    let read_timeout = || TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, READ_TIMEOUT);
    p.public
        .route_layer(read_timeout())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::limits::rate_limit,
        ))
        // `layer`, not `route_layer`: a preflight (OPTIONS) matches no GET route and
        // must still reach the CORS layer.
        .layer(super::security_headers::public_read_cors())
        .merge(p.keyed.route_layer(read_timeout()))
        .merge(p.push.route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            PUSH_TIMEOUT,
        )))
}
