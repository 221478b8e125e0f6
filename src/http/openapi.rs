//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of medmap's own API,
//! generated from the handlers' `#[utoipa::path]` attributes and the answer types'
//! `ToSchema` derives (see [`super::api::router`]), so it changes with the code.
//!
//! The HSDS read API (`/api/v1/hsds/...`) is described by a second document, the
//! official HSDS 3.0 one served at `/api/v1/hsds/openapi.json` (linked from this one's
//! `hsds` tag), not merged into this: it is Open Referral's text under CC BY-SA 4.0 with
//! its own server, paging components and schema files, which HSDS tools expect to
//! find as published; merging would rename its components and rewrite its paths
//! into something no HSDS client knows, and mix two licences in one document.

use std::sync::LazyLock;

use axum::Json;
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "medmap API",
        description = "Medications (search, suggest, detail), where they are in stock now (availability), facilities, places, short lists of services, and the feeds pharmacies push their stock and duty rotas with. Every error answers the same JSON shape (`ErrorBody`). Parameters are checked at the edge: a value out of its bounds is a 400 naming the parameter.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    servers((url = "/api/v1", description = "this server")),
    // Parameter types (`params(...)` refers to them; the test fails on a dangling one).
    components(schemas(
        super::error::ErrorBody,
        super::error::ErrorCode,
        crate::catalog::DisplayLang,
        crate::feeds::Mode,
        crate::duty::Mode,
        crate::model::FacilityKind,
        super::api::availability::SortParam,
    )),
    modifiers(&PublisherKey),
    tags(
        (name = "medications", description = "The medication catalog: substances (INN) and products (brands)."),
        (name = "availability", description = "Pharmacies that have a medication now."),
        (name = "facilities", description = "Pharmacies, clinics, hospitals, dentists and social services."),
        (name = "places", description = "Places typed by people, resolved offline."),
        (name = "shortlists", description = "Short lists of services to hand to a client."),
        (name = "feeds", description = "Stock and duty-rota feeds of publishers (pharmacies and chains), with their API key."),
        (name = "meta", description = "This description, the HSDS one and its schemas, the version."),
        (name = "hsds", description = "The Open Referral HSDS 3.0 read API under /api/v1/hsds, described by its own document.",
            external_docs(url = "/api/v1/hsds/openapi.json", description = "The HSDS 3.0 OpenAPI description of /api/v1/hsds")),
    ),
)]
struct ApiDoc;

/// The name of the feed key's security scheme.
pub const PUBLISHER_KEY: &str = "publisher_key";

struct PublisherKey;

impl Modify for PublisherKey {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            PUBLISHER_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mmk_ + 64 hex digits")
                    .description(Some(
                        "A publisher's feed key (`medmap keys create`), sent as `Authorization: Bearer <key>`.",
                    ))
                    .build(),
            ),
        );
    }
}

/// The description of every route the API router has, HSDS ones included, as the
/// router was built: what the drift test compares the published documents with.
pub fn routes_description() -> utoipa::openapi::OpenApi {
    super::api::described().into_openapi()
}

/// Whether an operation belongs to the HSDS API (described by the HSDS document).
fn is_hsds(op: &Value) -> bool {
    op["tags"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t == "hsds"))
}

/// Statuses every operation may answer besides its own: an error answered by the
/// layers or shared code, not by the handler's logic.
fn add_common_responses(op: &mut Value) {
    let error = json!({"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}});
    let takes_input = op["parameters"].as_array().is_some_and(|p| !p.is_empty())
        || op.get("requestBody").is_some();
    let keyed = op.get("security").is_some();
    let Some(responses) = op["responses"].as_object_mut() else {
        return;
    };
    let mut add = |status: &str, description: &str, body: bool| {
        if !responses.contains_key(status) {
            let mut r = if body { error.clone() } else { json!({}) };
            r["description"] = json!(description);
            responses.insert(status.to_string(), r);
        }
    };
    if takes_input {
        add(
            "400",
            "A parameter or the body is malformed or out of bounds: `details.param` names it.",
            true,
        );
    }
    if keyed {
        add(
            "401",
            "No valid key: `Authorization: Bearer <key>` is missing, unknown or revoked.",
            true,
        );
        add(
            "429",
            "Too many pushes for this key; `Retry-After` says when to try again.",
            true,
        );
    }
    add(
        "408",
        "The request took longer than the server's bound (30 s for reads, 10 min for pushes).",
        false,
    );
    add("500", "A fault of the server's (logged).", true);
    add(
        "503",
        "The server is starting (building its first snapshot); `Retry-After` says when to try again.",
        true,
    );
}

/// `get_facilities_id` for `GET /facilities/{id}`: unique as routes are.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        id.push('_');
        for c in part.chars() {
            let c = if c.is_ascii_alphanumeric() { c } else { '_' };
            if c != '_' || !id.ends_with('_') {
                id.push(c);
            }
        }
    }
    id.trim_end_matches('_').to_string()
}

/// The published description: the routes' paths less the HSDS ones (described by the
/// HSDS document), with the statuses every operation shares.
fn build() -> Result<Value, String> {
    let mut doc = ApiDoc::openapi();
    doc.merge(routes_description());
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let mut v = serde_json::to_value(&doc).map_err(|e| e.to_string())?;
    if let Some(paths) = v["paths"].as_object_mut() {
        paths.retain(|_, item| {
            !item
                .as_object()
                .is_some_and(|ops| ops.values().all(is_hsds))
        });
        for (path, item) in paths.iter_mut() {
            if let Some(ops) = item.as_object_mut() {
                for (method, op) in ops.iter_mut() {
                    add_common_responses(op);
                    // utoipa names operations by handler; several modules have a
                    // `list` or `push`: ids must be unique, so they come from the route.
                    op["operationId"] = json!(operation_id(method, path));
                }
            }
        }
    }
    Ok(v)
}

static DOCUMENT: LazyLock<Result<Value, String>> = LazyLock::new(build);

/// The published description (built once).
pub fn document() -> Result<&'static Value, ApiError> {
    DOCUMENT
        .as_ref()
        .map_err(|e| ApiError::Internal(format!("cannot build the OpenAPI description: {e}")))
}

/// `GET /api/v1/openapi.json`
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    summary = "This description (OpenAPI 3.1)",
    responses((status = 200, description = "An OpenAPI 3.1 document.", body = Object)))]
pub async fn openapi_json() -> Result<Json<&'static Value>, ApiError> {
    document().map(Json)
}
