//! `GET /api/v1/places?q=&lang=`: where a place typed by a person is, as the pages'
//! `near=` takes it ([`crate::places::resolve`]), with the other towns of that name.

use axum::extract::State;
use axum::Json;

use crate::catalog::DisplayLang;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::params::Params;
use crate::http::AppState;
use crate::places::{self, Place};

/// `GET /api/v1/places?q=Lviv&lang=uk`
#[utoipa::path(get, path = "/places", tag = "places",
    summary = "Where a place typed by a person is",
    description = "Coordinates (`50.45,30.52`), a town of the bundled gazetteer or a town or postcode of the facilities' addresses, offline.",
    params(
        ("q" = String, Query, description = "A town, postcode or coordinates.", min_length = 1, max_length = 200, example = "Lviv"),
        ("lang" = Option<DisplayLang>, Query, description = "The reader's language: breaks ties between towns of one name.")
    ),
    responses(
        (status = 200, description = "The place and other towns of that name.", body = Place),
        (status = 404, description = "Nothing of that name is known.", body = ErrorBody),
    ))]
pub async fn resolve(State(st): State<AppState>, p: Params) -> Result<Json<Place>, ApiError> {
    let q = p.required_text("q")?;
    let lang = p.display_lang()?;
    let snap = st.snap()?;
    places::resolve(&snap, &q, places::reader_country(lang.code()))
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("place {q:?}")))
}
