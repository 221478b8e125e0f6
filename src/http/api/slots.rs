//! Appointment slots over HTTP. Public: `GET /slots`, the earliest free slots near a
//! point. With the publisher's key, as for pull feeds: register a SMART Scheduling
//! Links manifest (`POST /slots/publications`), list the publisher's publications
//! with their last successful poll and report (`GET`), remove one (`DELETE`), poll
//! one now (`POST /slots/publications/{id}/poll`, a full read). A publisher sees and
//! touches only its own publications; anyone else's id is a 404.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::feeds::authenticate;
use super::pulls::Every;
use crate::feeds::pull::parse_every;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::params::{Params, MAX_RADIUS_KM};
use crate::http::AppState;
use crate::slots::answer::{view, SlotView};
use crate::slots::poll::{PollOutcome, Poller};
use crate::slots::SlotError;
use crate::store::{SlotPublication, SlotQuery};

/// The longest window asked about: slots are published for weeks, not years.
pub const MAX_WINDOW_DAYS: i64 = 92;

impl From<SlotError> for ApiError {
    fn from(e: SlotError) -> Self {
        match e {
            SlotError::Invalid(field, m) => ApiError::bad(field, m),
            SlotError::NotFound(id) => ApiError::NotFound(format!("slot publication {id}")),
            SlotError::Busy(_) => ApiError::Conflict(e.to_string()),
            SlotError::Store(e) => ApiError::Store(e),
        }
    }
}

/// `POST /slots/publications` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://clinic.example/fhir/$bulk-publish", "every": "5m"}))]
pub struct NewPublication {
    /// The `$bulk-publish` manifest.
    url: String,
    /// How often: `5m`, `1h`, or seconds (default 15 minutes). A publication not
    /// read within it is shown as "may be out of date".
    every: Option<Every>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicationCreated {
    publication: SlotPublication,
}

/// The publisher's publications: its status page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicationList {
    publications: Vec<SlotPublication>,
}

/// Free slots, earliest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SlotList {
    slots: Vec<SlotView>,
    count: usize,
}

fn poller(st: &AppState) -> Result<&Poller, ApiError> {
    st.slot_poller.as_ref().ok_or_else(|| {
        ApiError::Internal("slot publications are off: the HTTP client could not be built".into())
    })
}

fn publication_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::bad("id", format!("{id:?} is not a publication id")))
}

#[utoipa::path(post, path = "/slots/publications", tag = "slots",
    summary = "Register a SMART Scheduling Links manifest medmap polls",
    request_body = NewPublication,
    security(("publisher_key" = [])),
    responses((status = 201, description = "Registered.", body = PublicationCreated)))]
pub async fn create(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<PublicationCreated>), ApiError> {
    let key = authenticate(&st, &headers).await?;
    st.feed_limiter
        .check(&key.key_hash)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    let new: NewPublication = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad(
            "body",
            format!("expected {{\"url\": \"https://…/$bulk-publish\", \"every\": \"5m\"}}: {e}"),
        )
    })?;
    let every_secs = match &new.every {
        None => 15 * 60,
        Some(Every::Seconds(n)) => *n,
        Some(Every::Text(s)) => parse_every(s).ok_or_else(|| {
            ApiError::bad(
                "every",
                format!("every must look like 5m, 1h, 90s or 1d, got {s:?}"),
            )
        })?,
    };
    let publication = poller(&st)?
        .register(key.key_id, key.publisher_id, &new.url, every_secs)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(PublicationCreated { publication }),
    ))
}

#[utoipa::path(get, path = "/slots/publications", tag = "slots",
    summary = "The publisher's slot publications, their last successful poll and report",
    security(("publisher_key" = [])),
    responses((status = 200, description = "The publications.", body = PublicationList)))]
pub async fn list(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<PublicationList>, ApiError> {
    let key = authenticate(&st, &headers).await?;
    let publications = st
        .store
        .list_slot_publications(Some(key.publisher_id))
        .await?;
    Ok(Json(PublicationList { publications }))
}

#[utoipa::path(delete, path = "/slots/publications/{id}", tag = "slots",
    summary = "Remove a slot publication and its slots",
    params(("id" = String, Path, description = "The publication's id (a number).", example = "1")),
    security(("publisher_key" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "The publisher has no publication of this id.", body = ErrorBody),
    ))]
pub async fn remove(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let key = authenticate(&st, &headers).await?;
    let id = publication_id(&id)?;
    if st
        .store
        .remove_slot_publication(id, Some(key.publisher_id))
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(format!("slot publication {id}")))
    }
}

#[utoipa::path(post, path = "/slots/publications/{id}/poll", tag = "slots",
    summary = "Read a slot publication whole now",
    params(("id" = String, Path, description = "The publication's id (a number).", example = "1")),
    security(("publisher_key" = [])),
    responses(
        (status = 200, description = "The publication's state and the report.", body = PollOutcome),
        (status = 404, description = "The publisher has no publication of this id.", body = ErrorBody),
        (status = 409, description = "A poll is under way.", body = ErrorBody),
    ))]
pub async fn poll_now(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<PollOutcome>, ApiError> {
    let key = authenticate(&st, &headers).await?;
    st.feed_limiter
        .check(&key.key_hash)
        .map_err(|retry_after| ApiError::TooManyRequests { retry_after })?;
    let id = publication_id(&id)?;
    match st.store.slot_publication(id).await? {
        Some(p) if p.publisher_id == key.publisher_id => {}
        _ => return Err(ApiError::NotFound(format!("slot publication {id}"))),
    }
    Ok(Json(poller(&st)?.run(id, true).await?))
}

/// The parameters of `GET /slots`, parsed at the edge.
pub fn query(p: &Params, now: chrono::DateTime<chrono::Utc>) -> Result<SlotQuery, ApiError> {
    let Some((lat, lon)) = p.point()? else {
        return Err(ApiError::bad("lat", "lat and lon are required"));
    };
    let from = p.instant("from", true)?.unwrap_or(now);
    let to = match p.instant("to", false)? {
        Some(t) => t,
        None => from + chrono::Duration::days(14),
    };
    if to < from {
        return Err(ApiError::bad("to", "to must not be before from"));
    }
    if (to - from).num_days() > MAX_WINDOW_DAYS {
        return Err(ApiError::bad(
            "to",
            format!("from and to may be at most {MAX_WINDOW_DAYS} days apart"),
        ));
    }
    let service_type = p.text("service_type")?;
    if service_type
        .as_ref()
        .is_some_and(|s| s.chars().count() > 200)
    {
        return Err(ApiError::bad(
            "service_type",
            "service_type is at most 200 characters",
        ));
    }
    Ok(SlotQuery {
        lat,
        lon,
        radius_km: p.radius_km(10.0, MAX_RADIUS_KM)?,
        service_type,
        from: from.timestamp(),
        to: to.timestamp(),
        limit: p.limit("limit", 20, 200)?,
    })
}

/// `GET /api/v1/slots?lat=&lon=&radius_km=&service_type=&from=&to=&limit=`
#[utoipa::path(get, path = "/slots", tag = "slots",
    summary = "The earliest free appointment slots near a point",
    description = "Free slots of SMART Scheduling Links publications, earliest first and nearest first among equally early ones. Each carries the publisher's booking link or phone (medmap books nothing), when it was last confirmed, and may_be_out_of_date when its publication was not read within its declared interval.",
    params(
        ("lat" = f64, Query, description = "Latitude.", minimum = -90, maximum = 90),
        ("lon" = f64, Query, description = "Longitude.", minimum = -180, maximum = 180),
        ("radius_km" = Option<f64>, Query, description = "Radius in km (default 10).", exclusive_minimum = 0, maximum = 200),
        ("service_type" = Option<String>, Query, description = "Only slots of schedules with this serviceType code.", max_length = 200),
        ("from" = Option<String>, Query, description = "Earliest start (RFC 3339, a date, or now; default now)."),
        ("to" = Option<String>, Query, description = "Latest start (default from + 14 days; at most 92 days after from)."),
        ("limit" = Option<u32>, Query, description = "How many (default 20).", minimum = 1, maximum = 200)
    ),
    responses(
        (status = 200, description = "The slots.", body = SlotList),
        (status = 400, description = "A parameter is missing or wrong.", body = ErrorBody),
    ))]
pub async fn near(State(st): State<AppState>, p: Params) -> Result<Json<SlotList>, ApiError> {
    let now = chrono::Utc::now();
    let q = query(&p, now)?;
    let snap = st.snap()?;
    let found = st.store.free_slots_near(&q, now.timestamp()).await?;
    let slots: Vec<SlotView> = found
        .iter()
        .map(|s| view(&snap, s, Some((q.lat, q.lon)), now.timestamp()))
        .collect();
    Ok(Json(SlotList {
        count: slots.len(),
        slots,
    }))
}

/// The next free slot of one facility, and its shortest stated wait, for detail
/// answers (`next_slot`, `stated_wait_days`); nothing when none is known.
pub async fn next_for(
    st: &AppState,
    snap: &crate::snapshot::Snapshot,
    facilities: &[i64],
) -> Result<(Option<SlotView>, Option<i64>), ApiError> {
    let now = chrono::Utc::now().timestamp();
    let next = st.store.next_slots(facilities, now).await?;
    let best = next
        .values()
        .min_by_key(|s| (s.start_at, s.publication_id))
        .map(|s| view(snap, s, None, now));
    let wait = if best.is_none() {
        st.store
            .stated_waits(facilities)
            .await?
            .values()
            .min()
            .copied()
    } else {
        None
    };
    Ok((best, wait))
}
