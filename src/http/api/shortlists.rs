//! Short lists: a social worker collects services and hands the list to a client as
//! a link, a printable page (web pages) or plain text. The list is identified by a
//! 128-bit random id, expires (30 days by default, 90 at most) and holds no client
//! data: the body accepts service ids and a lifetime only, and refuses anything else.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::hsds::shape;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::params::parse_uuid;
use crate::http::AppState;
use crate::snapshot::Snapshot;
use crate::store::Shortlist;

const DEFAULT_DAYS: u32 = 30;
const MAX_DAYS: u32 = 90;
/// A hand-out is short: a printed page, not a directory.
const MAX_SERVICES: usize = 50;

/// The only fields a request may carry: no free text, so no client data.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"services": ["5a7bd7a4-0d6a-5a3c-9d8e-2f1f6a0c1b2d"], "days": 30}))]
pub struct NewList {
    /// HSDS service ids (UUIDs) of the directory.
    #[schema(min_items = 1, max_items = 50, value_type = Vec<uuid::Uuid>)]
    services: Vec<String>,
    /// How long the list lives (default 30).
    #[schema(minimum = 1, maximum = 90)]
    days: Option<u32>,
}

/// A short list as answered: its services fully nested (HSDS `service` with its
/// organization and locations).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ShortlistView {
    /// 32 hexadecimal digits.
    id: String,
    /// RFC 3339, UTC.
    created_at: String,
    expires_at: String,
    /// The list as plain text.
    text_url: String,
    /// HSDS 3.0 services (see `/api/v1/hsds/openapi.json`), with medmap's `x_` extensions.
    #[schema(value_type = Vec<Object>)]
    services: Vec<Value>,
}

fn list_id(id: &str) -> Result<&str, ApiError> {
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(id)
        .ok_or_else(|| ApiError::bad("id", format!("{id:?} is not a short list id")))
}

#[utoipa::path(post, path = "/shortlists", tag = "shortlists",
    summary = "Make a short list of services to hand to a client",
    description = "Holds service ids and a lifetime only (no client data): any other field is refused.",
    request_body = NewList,
    responses((status = 201, description = "The list.", body = ShortlistView)))]
/// `POST /api/v1/shortlists` with `{"services": [uuid, ...], "days": 30}`.
pub async fn create(State(st): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let req: NewList = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad(
            "body",
            format!("expected {{\"services\": [service ids], \"days\": n}} and nothing else: {e}"),
        )
    })?;
    let days = req.days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ApiError::bad(
            "days",
            format!("days must be between 1 and {MAX_DAYS}, got {days}"),
        ));
    }
    if req.services.is_empty() || req.services.len() > MAX_SERVICES {
        return Err(ApiError::bad(
            "services",
            format!("a short list holds 1 to {MAX_SERVICES} services"),
        ));
    }
    let snap = st.snap()?;
    let mut services: Vec<String> = Vec::new();
    for s in &req.services {
        let id = parse_uuid("services", s)?;
        if snap.directory.service(&id).is_none() {
            return Err(ApiError::bad("services", format!("unknown service {id}")));
        }
        if !services.contains(&id) {
            services.push(id);
        }
    }
    let now = Utc::now().timestamp();
    let list = Shortlist {
        id: format!("{:032x}", rand::random::<u128>()),
        created_at: now,
        expires_at: now + i64::from(days) * 86_400,
        services,
    };
    st.store.create_shortlist(&list).await?;
    Ok((StatusCode::CREATED, Json(view(&snap, &list))).into_response())
}

fn when(t: i64) -> String {
    DateTime::from_timestamp(t, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn view(snap: &Snapshot, list: &Shortlist) -> ShortlistView {
    let services: Vec<Value> = list
        .services
        .iter()
        .filter_map(|u| snap.directory.service(u))
        .map(|s| shape::service_full(snap, s))
        .collect();
    ShortlistView {
        id: list.id.clone(),
        created_at: when(list.created_at),
        expires_at: when(list.expires_at),
        text_url: format!("/api/v1/shortlists/{}/text", list.id),
        services,
    }
}

async fn load(st: &AppState, id: &str) -> Result<(std::sync::Arc<Snapshot>, Shortlist), ApiError> {
    let id = list_id(id)?;
    let list = st
        .store
        .shortlist(id, Utc::now().timestamp())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("short list {id} (or it has expired)")))?;
    Ok((st.snap()?, list))
}

/// `GET /api/v1/shortlists/{id}`: the services, fully nested (HSDS).
#[utoipa::path(get, path = "/shortlists/{id}", tag = "shortlists",
    summary = "A short list",
    params(("id" = String, Path, description = "The list's id: 32 hexadecimal digits.", min_length = 32, max_length = 32, pattern = "^[0-9a-fA-F]{32}$", example = "0123456789abcdef0123456789abcdef")),
    responses(
        (status = 200, description = "The list.", body = ShortlistView),
        (status = 404, description = "No list has this id, or it has expired.", body = ErrorBody),
    ))]
pub async fn get(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ShortlistView>, ApiError> {
    let (snap, list) = load(&st, &id).await?;
    Ok(Json(view(&snap, &list)))
}

/// `GET /api/v1/shortlists/{id}/text`: the list as plain text, to paste into a
/// message or print.
#[utoipa::path(get, path = "/shortlists/{id}/text", tag = "shortlists",
    summary = "A short list as plain text",
    params(("id" = String, Path, description = "The list's id: 32 hexadecimal digits.", min_length = 32, max_length = 32, pattern = "^[0-9a-fA-F]{32}$", example = "0123456789abcdef0123456789abcdef")),
    responses(
        (status = 200, description = "The list, to paste or print.", body = String, content_type = "text/plain; charset=utf-8"),
        (status = 404, description = "No list has this id, or it has expired.", body = ErrorBody),
    ))]
pub async fn text(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (snap, list) = load(&st, &id).await?;
    let v = serde_json::to_value(view(&snap, &list))
        .map_err(|e| ApiError::Internal(format!("cannot serialize the list: {e}")))?;
    let mut out = String::new();
    for (n, s) in v["services"].as_array().into_iter().flatten().enumerate() {
        out.push_str(&format!(
            "{}. {}\n",
            n + 1,
            s["name"].as_str().unwrap_or("")
        ));
        if let Some(o) = s["organization"]["name"].as_str() {
            out.push_str(&format!("   {o}\n"));
        }
        for l in s["service_at_locations"].as_array().into_iter().flatten() {
            let loc = &l["location"];
            let addr = &loc["addresses"][0];
            let line: Vec<&str> = ["address_1", "city", "postal_code"]
                .iter()
                .filter_map(|k| addr[*k].as_str().filter(|x| !x.is_empty()))
                .collect();
            if !line.is_empty() {
                out.push_str(&format!("   {}\n", line.join(", ")));
            }
            // A confidential place (see `crate::privacy`): withheld, with whom to call.
            if loc["x_confidential"] == true {
                let contact = loc["x_public_contact"]
                    .as_str()
                    .or_else(|| s["x_public_contact"].as_str())
                    .or_else(|| s["phones"][0]["number"].as_str());
                match contact {
                    Some(c) => {
                        out.push_str(&format!("   Address withheld for safety. Call {c}.\n"))
                    }
                    None => out.push_str("   Address withheld for safety.\n"),
                }
            }
            for p in loc["phones"].as_array().into_iter().flatten() {
                if let Some(num) = p["number"].as_str() {
                    out.push_str(&format!("   tel. {num}\n"));
                }
            }
        }
        for k in ["url", "email"] {
            if let Some(x) = s[k].as_str() {
                out.push_str(&format!("   {x}\n"));
            }
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "Valid until {}.\n",
        v["expires_at"].as_str().unwrap_or("")
    ));
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], out).into_response())
}
