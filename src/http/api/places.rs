//! `GET /api/v1/places?q=&lang=`: where a place typed by a person is, as the pages'
//! `near=` takes it ([`crate::places::resolve`]), with the other towns of that name.

use axum::extract::State;
use axum::Json;

use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::AppState;
use crate::places::{self, Place};

/// `GET /api/v1/places?q=Lviv&lang=uk`
pub async fn resolve(State(st): State<AppState>, p: Params) -> Result<Json<Place>, ApiError> {
    let q = p.required_text("q")?;
    let lang = p.display_lang()?;
    let snap = st.snap()?;
    places::resolve(&snap, &q, places::reader_country(lang.code()))
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("place {q:?}")))
}
