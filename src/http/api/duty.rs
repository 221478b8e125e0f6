//! `POST /api/v1/feeds/duty`: a publisher's duty rota and special opening times
//! (CSV or JSON rows `facility, from, to` or `facility, date, hours`), applied whole
//! or refused whole with the lines at fault ([`crate::duty`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;

use super::feeds::{authenticate, charset};
use crate::duty::{self, DutyOutcome, Mode, Sender};
use crate::http::error::ApiError;
use crate::http::params::Params;
use crate::http::AppState;

/// `POST /api/v1/feeds/duty?mode=replace|merge` with the publisher's Bearer key.
pub async fn push(
    State(st): State<AppState>,
    p: Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<DutyOutcome>, ApiError> {
    let key = authenticate(&st, &headers).await?;
    if let Err(retry_after) = st.feed_limiter.check(&key.key_hash) {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let mode = match p.raw("mode") {
        None | Some("") => Mode::Replace,
        Some(m) => Mode::parse(m).ok_or_else(|| {
            ApiError::bad("mode", format!("mode must be replace or merge, got {m:?}"))
        })?,
    };
    let rows = duty::rows::read(&body, charset(&headers).as_deref())
        .map_err(|m| ApiError::bad("body", m))?;
    let publisher = st.store.publisher_context(key.publisher_id).await?;
    let outcome = duty::push(
        &st.store,
        &st.snapshot,
        Sender::Publisher(&publisher),
        mode,
        rows,
    )
    .await?
    .ok_or(ApiError::NotReady)?;
    tracing::info!(
        publisher = key.publisher_id,
        spans = outcome.spans,
        facilities = outcome.facilities,
        "duty rota applied"
    );
    Ok(Json(outcome))
}
