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

/// The routes with their description (`.into()` gives the axum router,
/// `into_openapi()` the description of every route).
pub fn router() -> OpenApiRouter<AppState> {
    let push = OpenApiRouter::new()
        .routes(routes!(feeds::push))
        .routes(routes!(duty::push))
        .routes(routes!(pulls::fetch_now))
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            PUSH_TIMEOUT,
        ));
    OpenApiRouter::new()
        .routes(routes!(medications::search))
        .routes(routes!(medications::suggest))
        .routes(routes!(medications::detail))
        .routes(routes!(availability::availability))
        .routes(routes!(places::resolve))
        .routes(routes!(super::ops::version))
        .routes(routes!(super::openapi::openapi_json))
        .routes(routes!(facilities::list))
        .routes(routes!(facilities::detail))
        .routes(routes!(feeds::report))
        .routes(routes!(pulls::list, pulls::create))
        .routes(routes!(pulls::remove))
        .routes(routes!(feeds::status))
        .routes(routes!(shortlists::create))
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
        .routes(routes!(hsds::taxonomy))
        .route_layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            READ_TIMEOUT,
        ))
        .merge(push)
}
