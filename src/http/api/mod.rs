//! `/api/v1`: one module per resource.

pub mod availability;
pub mod facilities;
pub mod medications;

use axum::routing::get;
use axum::Router;

use super::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/medications/search", get(medications::search))
        .route("/medications/suggest", get(medications::suggest))
        .route("/medications/{id}", get(medications::detail))
        .route("/availability", get(availability::availability))
        .route("/facilities", get(facilities::list))
        .route("/facilities/{id}", get(facilities::detail))
}
