//! `/api/v1`: one module per resource.

pub mod availability;
pub mod facilities;
pub mod feeds;
pub mod medications;

use axum::routing::{get, post};
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
        .route("/feeds/stock", post(feeds::push))
        .route("/feeds/{id}", get(feeds::report))
        .route("/publishers/status", get(feeds::status))
}
