//! Pull feeds over HTTP, with the publisher's feed key: register a URL
//! (`POST /feeds/pulls`), list its pulls with their state (`GET /feeds/pulls`), remove
//! one (`DELETE /feeds/pulls/{id}`) and fetch one now (`POST /feeds/pulls/{id}/fetch`,
//! answered with the pull's state and the push report). A publisher sees and touches
//! only its own pulls; anyone else's id is a 404.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;

use super::feeds::authenticate;
use crate::feeds::pull::{parse_every, Puller, RunOutcome};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::AppState;
use crate::store::PullRow;

/// `POST /feeds/pulls` body: `every` as `15m` / `1h` or seconds.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://chain.example/stock.csv", "every": "15m", "mode": "snapshot"}))]
pub struct NewPull {
    /// The file to fetch (http or https).
    url: String,
    /// How often: `15m`, `1h`, `90s`, `1d`, or seconds (default 15 minutes).
    every: Option<Every>,
    /// `snapshot`, `delta`, or none: the file's own, else snapshot.
    mode: Option<String>,
}

/// `every`: a duration as text or a number of seconds.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Every {
    Seconds(i64),
    Text(String),
}

/// The answer to a registration.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PullCreated {
    pull: PullRow,
}

/// The publisher's pulls.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PullList {
    pulls: Vec<PullRow>,
}

fn puller(st: &AppState) -> Result<&Puller, ApiError> {
    st.puller.as_ref().ok_or_else(|| {
        ApiError::Internal("pull feeds are off: the HTTP client could not be built".into())
    })
}

/// Registrations and "fetch now" count against the key's push rate: each can make
/// medmap fetch and apply a file, as a push does.
fn limit(st: &AppState, key_hash: &str) -> Result<(), ApiError> {
    st.feed_limiter
        .check(key_hash)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })
}

fn pull_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::bad("id", format!("{id:?} is not a pull id")))
}

#[utoipa::path(post, path = "/feeds/pulls", tag = "feeds",
    summary = "Register a URL medmap fetches the publisher's feed from",
    request_body = NewPull,
    security(("publisher_key" = [])),
    responses((status = 201, description = "Registered.", body = PullCreated)))]
/// `POST /api/v1/feeds/pulls` `{"url": "https://…/stock.csv", "every": "15m", "mode": null}`
pub async fn create(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<PullCreated>), ApiError> {
    let key = authenticate(&st, &headers).await?;
    limit(&st, &key.key_hash)?;
    let new: NewPull = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad(
            "body",
            format!("expected {{\"url\": \"https://…\", \"every\": \"15m\", \"mode\": \"snapshot|delta\"}}: {e}"),
        )
    })?;
    let every_secs = match &new.every {
        None => 15 * 60,
        Some(Every::Seconds(n)) => *n,
        Some(Every::Text(s)) => parse_every(s).ok_or_else(|| {
            ApiError::bad(
                "every",
                format!("every must look like 15m, 1h, 90s or 1d, got {s:?}"),
            )
        })?,
    };
    let row = puller(&st)?
        .register(
            key.key_id,
            key.publisher_id,
            &new.url,
            every_secs,
            new.mode.as_deref().filter(|m| !m.is_empty()),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(PullCreated { pull: row })))
}

/// `GET /api/v1/feeds/pulls`: the publisher's pulls with their state.
#[utoipa::path(get, path = "/feeds/pulls", tag = "feeds",
    summary = "The publisher's pulls with their state",
    security(("publisher_key" = [])),
    responses((status = 200, description = "The pulls.", body = PullList)))]
pub async fn list(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<PullList>, ApiError> {
    let key = authenticate(&st, &headers).await?;
    let pulls = st.store.list_pulls(Some(key.publisher_id)).await?;
    Ok(Json(PullList { pulls }))
}

/// `DELETE /api/v1/feeds/pulls/{id}`
#[utoipa::path(delete, path = "/feeds/pulls/{id}", tag = "feeds",
    summary = "Remove a pull",
    params(("id" = String, Path, description = "The pull's id (a number).", example = "1")),
    security(("publisher_key" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "The publisher has no pull of this id.", body = ErrorBody),
    ))]
pub async fn remove(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let key = authenticate(&st, &headers).await?;
    let id = pull_id(&id)?;
    if st.store.remove_pull(id, Some(key.publisher_id)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("pull {id}")))
    }
}

/// `POST /api/v1/feeds/pulls/{id}/fetch`: fetch and apply now, answer the outcome.
#[utoipa::path(post, path = "/feeds/pulls/{id}/fetch", tag = "feeds",
    summary = "Fetch and apply a pull now",
    params(("id" = String, Path, description = "The pull's id (a number).", example = "1")),
    security(("publisher_key" = [])),
    responses(
        (status = 200, description = "The pull's state and the push report.", body = RunOutcome),
        (status = 404, description = "The publisher has no pull of this id.", body = ErrorBody),
        (status = 409, description = "The pull is being fetched already.", body = ErrorBody),
    ))]
pub async fn fetch_now(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<RunOutcome>, ApiError> {
    let key = authenticate(&st, &headers).await?;
    limit(&st, &key.key_hash)?;
    let id = pull_id(&id)?;
    match st.store.pull(id).await? {
        Some(p) if p.publisher_id == key.publisher_id => {}
        _ => return Err(ApiError::NotFound(format!("pull {id}"))),
    }
    let out = puller(&st)?.run(id).await?;
    Ok(Json(out))
}
