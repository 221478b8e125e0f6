//! `POST /api/v1/feeds/duty`: a publisher's duty rota and special opening times
//! (CSV or JSON rows `facility, from, to` or `facility, date, hours`), applied whole
//! or refused whole with the lines at fault ([`crate::duty`]).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;

use super::feeds::{authenticate, charset};
use crate::duty::Mode as DutyMode;
use crate::duty::{self, DutyOutcome, Mode, Sender};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::params::Params;
use crate::http::AppState;

/// `POST /api/v1/feeds/duty?mode=replace|merge` with the publisher's Bearer key.
#[utoipa::path(post, path = "/feeds/duty", tag = "feeds",
    summary = "Push a duty rota or special opening times",
    description = "Rows `facility, from, to[, open, note]` or `facility, date, hours` as CSV (header row) or JSON (an array of objects). Applied whole or refused whole with the rows at fault.",
    params(("mode" = Option<DutyMode>, Query, description = "replace (default): the rota is the sender's whole list; merge: only the facilities it names.")),
    request_body(description = "The rota.", content(
        ("text/csv", example = "facility,from,to,note\n1,2026-12-24T20:00:00+02:00,2026-12-25T08:00:00+02:00,night duty\n"),
        ("application/json", example = json!([{"facility": "1", "date": "2026-12-31", "hours": "10:00-16:00"}])),
    )),
    security(("publisher_key" = [])),
    responses(
        (status = 200, description = "The rota was applied.", body = DutyOutcome),
        (status = 403, description = "Rows name facilities outside the key's scope; nothing applied (`details.rejections`).", body = ErrorBody),
        (status = 422, description = "Rows cannot be applied; nothing applied (`details.rejections`).", body = ErrorBody),
    ))]
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
