//! Stock feeds over HTTP: `POST /feeds/stock` (Bearer key of a publisher),
//! `GET /feeds/{id}` (the report, only to its publisher) and the public
//! `GET /publishers/status`.
//!
//! The body is spooled to an unnamed temp file while it arrives (counting bytes
//! against the cap), so a big push costs disk, not memory, and a client that goes
//! away mid-upload leaves nothing behind: the push is only applied once the whole
//! body is in.

use std::num::NonZeroU32;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http_body_util::BodyExt;
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::feeds::keys;
use crate::feeds::parse::ParseOptions;
use crate::feeds::push::{run_push, PushContext, PushRequest, Verdict};
use crate::feeds::Mode;
use crate::feeds::Mode as FeedMode;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::params::Params;
use crate::http::AppState;
use crate::store::KeyCandidate;

/// Longest Idempotency-Key accepted.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Per-key push limiter: `--feed-rate-per-min` pushes a minute (default 600:
/// Tabletki chains send one file per branch) with bursts of `--feed-burst`
/// (default 100). Keyed by the key's hash so it needs no database and distinct keys
/// never share a bucket.
pub struct FeedLimiter(DefaultKeyedRateLimiter<String>);

impl FeedLimiter {
    pub fn new(per_minute: NonZeroU32, burst: NonZeroU32) -> FeedLimiter {
        FeedLimiter(RateLimiter::keyed(
            Quota::per_minute(per_minute).allow_burst(burst),
        ))
    }

    /// `Err(seconds to wait)` past the limit.
    pub(super) fn check(&self, key_hash: &str) -> Result<(), u64> {
        self.0
            .check_key(&key_hash.to_string())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
            })
    }
}

/// Whether a body error is the body-size cap of [`tower_http::limit`] (413), as
/// opposed to a client that went away (400).
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// The publisher behind the request's Bearer key, or 401.
pub(super) async fn authenticate(
    st: &AppState,
    headers: &HeaderMap,
) -> Result<KeyCandidate, ApiError> {
    let denied = || {
        ApiError::Unauthorized("a valid API key is required: Authorization: Bearer <key>".into())
    };
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(denied());
    };
    let Some(secret) = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))
        .map(str::trim)
    else {
        return Err(denied());
    };
    match keys::authenticate(&st.store, secret).await? {
        Ok(k) => Ok(k),
        Err(e) => {
            // The reason goes to the log, never the key or the client address.
            tracing::info!(reason = ?e, "feed key refused");
            Err(denied())
        }
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The file name: `?filename=`, `X-Filename`, or Content-Disposition's `filename=`.
fn file_name(p: &Params, h: &HeaderMap) -> Option<String> {
    if let Some(f) = p.raw("filename").filter(|f| !f.is_empty()) {
        return Some(f.to_string());
    }
    if let Some(f) = header(h, "x-filename") {
        return Some(f.to_string());
    }
    let cd = header(h, "content-disposition")?;
    let i = cd.find("filename=")?;
    Some(
        cd[i + 9..]
            .split(';')
            .next()?
            .trim()
            .trim_matches('"')
            .to_string(),
    )
}

pub(super) fn charset(h: &HeaderMap) -> Option<String> {
    let ct = header(h, "content-type")?;
    ct.split(';').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        (k.trim().eq_ignore_ascii_case("charset")).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// `POST /api/v1/feeds/stock?mode=snapshot|delta&strict=true&filename=`
#[utoipa::path(post, path = "/feeds/stock", tag = "feeds",
    summary = "Push a pharmacy's or chain's stock",
    description = "The format is detected by content: medmap CSV/JSON/NDJSON, Tabletki.ua XML (plain or zipped) and JSON, Morion JSON, Liki24 CSV, 1C CommerceML, Yandex YML, Google local inventory (see the README's Feeds section). The charset comes from Content-Type or is detected. Applied whole or not at all; the report says row by row what was read.",
    params(
        ("mode" = Option<FeedMode>, Query, description = "snapshot (default: replaces the stock of the facilities listed) or delta (upserts; `action=remove` removes). `full` is read as snapshot."),
        ("strict" = Option<bool>, Query, description = "Refuse the whole push if any row is refused."),
        ("filename" = Option<String>, Query, description = "The file's name (Tabletki's `Rest_<branch>_<yyyymmddhhmmss>` carries the branch and time); also `X-Filename` or Content-Disposition."),
        ("Idempotency-Key" = Option<String>, Header, description = "A push repeated with the same key answers the first report instead of applying twice.", max_length = 200),
    ),
    request_body(description = "The feed file.", content(
        ("text/csv", example = "facility,product_id,status,quantity,price,currency\n1,p1,in_stock,3,129.50,UAH\n"),
        ("application/json", example = json!([{"facility": "1", "product_id": "p1", "status": "in_stock", "quantity": 3, "price": 129.5, "currency": "UAH"}])),
        ("application/x-ndjson"),
        ("application/xml"),
        ("application/zip"),
        ("application/octet-stream"),
    )),
    security(("publisher_key" = [])),
    responses(
        (status = 200, description = "Accepted: the push report (rows read, applied, refused and why).", body = Object),
        (status = 403, description = "The push names facilities outside this key's scope; nothing applied (`details.report`).", body = ErrorBody),
        (status = 413, description = "The body is larger than the server's cap.", body = ErrorBody),
        (status = 422, description = "Rejected; nothing applied (`details.report`).", body = ErrorBody),
    ))]
pub async fn push(
    State(st): State<AppState>,
    p: Params,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let key = authenticate(&st, &headers).await?;
    if let Err(retry_after) = st.feed_limiter.check(&key.key_hash) {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let mode = match p.raw("mode") {
        None | Some("") => None,
        Some(m) => Some(Mode::parse(m).ok_or_else(|| {
            ApiError::bad("mode", format!("mode must be snapshot or delta, got {m:?}"))
        })?),
    };
    let strict = match p.raw("strict") {
        None | Some("") | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(v) => {
            return Err(ApiError::bad(
                "strict",
                format!("strict must be true or false, got {v:?}"),
            ))
        }
    };
    let idempotency_key = match header(&headers, "idempotency-key") {
        Some(k) if k.len() > MAX_IDEMPOTENCY_KEY => {
            return Err(ApiError::bad(
                "Idempotency-Key",
                format!("at most {MAX_IDEMPOTENCY_KEY} characters"),
            ))
        }
        other => other.map(str::to_string),
    };
    let cap = st.settings.max_body_bytes;
    let too_large = || ApiError::PayloadTooLarge(format!("the body is larger than {cap} bytes"));
    if let Some(len) = header(&headers, "content-length").and_then(|v| v.parse::<u64>().ok()) {
        if len > cap as u64 {
            return Err(too_large());
        }
    }
    // A spool that cannot be written is our fault (disk full, no temp dir): 500.
    let spool_failed =
        |e: std::io::Error| ApiError::Internal(format!("cannot spool the body: {e}"));
    let spool = tempfile::tempfile().map_err(spool_failed)?;
    let mut out = tokio::fs::File::from_std(spool);
    let mut body = body;
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            // A client that went away or a body over the layer's limit: nothing applied.
            if is_length_limit(&e) {
                too_large()
            } else {
                ApiError::bad("body", format!("the body was cut off: {e}"))
            }
        })?;
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total > cap {
                return Err(too_large());
            }
            out.write_all(&data).await.map_err(spool_failed)?;
        }
    }
    out.flush().await.map_err(spool_failed)?;
    let file = out.into_std().await;
    let req = PushRequest {
        publisher_id: key.publisher_id,
        mode,
        strict,
        idempotency_key,
        opts: ParseOptions {
            charset: charset(&headers),
            file_name: file_name(&p, &headers),
            received_at: chrono::Utc::now().timestamp(),
            tz: st.settings.feed_timezone,
        },
    };
    let cx = PushContext {
        store: &st.store,
        snapshot: &st.snapshot,
        chunk_rows: st.settings.feed_chunk_rows,
    };
    let outcome = run_push(cx, req, file).await;
    st.publisher_status.invalidate();
    let outcome = outcome?;
    let report = outcome.report;
    metrics::counter!("medmap_feed_pushes_total", "status" => report["status"].as_str().unwrap_or("unknown").to_string()).increment(1);
    let (code, ecode, message) = match outcome.verdict {
        Verdict::Accepted => return Ok((StatusCode::OK, Json(report)).into_response()),
        Verdict::Forbidden => (
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "the push names facilities outside this key's scope; nothing was applied",
        ),
        Verdict::Rejected => (
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Rejected,
            "the push was rejected; nothing was applied (see details.report)",
        ),
    };
    Ok((
        code,
        Json(ErrorBody::new(ecode, message, json!({ "report": report }))),
    )
        .into_response())
}

#[utoipa::path(get, path = "/feeds/{id}", tag = "feeds",
    summary = "The report of one push (to its publisher only)",
    params(("id" = String, Path, description = "The push id a push answered (a number).", example = "1")),
    security(("publisher_key" = [])),
    responses(
        (status = 200, description = "The push report.", body = Object),
        (status = 404, description = "No push of this publisher has this id.", body = ErrorBody),
    ))]
/// `GET /api/v1/feeds/{id}`: the report of one push, to its publisher only (404 to
/// anyone else, so push ids do not leak which publishers exist).
pub async fn report(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let key = authenticate(&st, &headers).await?;
    let n: i64 = id
        .parse()
        .map_err(|_| ApiError::bad("id", format!("{id:?} is not a push id")))?;
    st.store
        .push_report(n, key.publisher_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("push {n}")))
}

/// `GET /api/v1/publishers/status`: public freshness of every publisher.
#[utoipa::path(get, path = "/publishers/status", tag = "feeds",
    summary = "How fresh every publisher's stock is",
    responses((status = 200, description = "Every publisher's last push and stale facilities.", body = PublishersStatus)))]
pub async fn status(State(st): State<AppState>) -> Result<Json<PublishersStatus>, ApiError> {
    let rows = st
        .publisher_status
        .get(&st.store, st.settings.fresh_secs)
        .await?;
    Ok(Json(PublishersStatus {
        fresh_secs: st.settings.fresh_secs,
        now: chrono::Utc::now().timestamp(),
        publishers: rows,
    }))
}

/// The answer of `GET /publishers/status`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct PublishersStatus {
    /// A line checked within this many seconds is fresh.
    fresh_secs: i64,
    /// The server's clock, Unix seconds.
    now: i64,
    #[schema(value_type = Vec<crate::store::PublisherStatus>)]
    publishers: crate::http::cache::StatusRows,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 413 decision reads the error's type, wherever the body layer nests it.
    #[tokio::test]
    async fn a_body_past_the_limit_is_told_from_a_cut_off_one() {
        let limited = http_body_util::Limited::new(
            http_body_util::Full::new(axum::body::Bytes::from_static(b"0123456789")),
            4,
        );
        let err = Body::new(limited)
            .collect()
            .await
            .expect_err("over the limit");
        assert!(is_length_limit(&err), "{err}");
        let cut = axum::Error::new(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "length limit exceeded? no: connection reset",
        ));
        assert!(!is_length_limit(&cut));
    }
}
