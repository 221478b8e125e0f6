//! The HSDS 3.0 JSON Schemas (Open Referral, CC BY-SA 4.0; `data/hsds/schema`,
//! see `data/SOURCES.md`) served under `/api/v1/hsds/schema/`. The official HSDS
//! OpenAPI description refers to them on the web; the copy medmap serves refers to
//! these instead, so clients, validators and the API fuzzer resolve every `$ref`
//! from medmap itself, offline and at the version medmap implements.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::error::ApiError;

/// The schema folder, embedded: the binary serves the schemas it was built against,
/// with no data folder beside it.
#[derive(rust_embed::Embed)]
#[folder = "data/hsds/schema/"]
struct Schemas;

/// An embedded schema; the raw description (`openapi.json`, with its references to
/// the web) is not one: it is served rewritten at `/api/v1/hsds/openapi.json`.
fn get(name: &str) -> Option<rust_embed::EmbeddedFile> {
    (name != "openapi.json")
        .then(|| Schemas::get(name))
        .flatten()
}

/// Where the official description's `$ref`s point on the web.
const UPSTREAM: &str = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/";

/// The licence the schemas are under, named on every answer that serves one.
const LICENCE_LINK: &str = "<https://creativecommons.org/licenses/by-sa/4.0/>; rel=\"license\"";

/// Whether `name` (`service.json`, `compiled/service_list.json`) is served.
pub fn exists(name: &str) -> bool {
    get(name).is_some()
}

/// `name` as served: the embedded file, as JSON, with its licence in `Link`.
pub fn serve(name: &str) -> Result<Response, ApiError> {
    let file = get(name).ok_or_else(|| ApiError::NotFound(format!("schema {name:?}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::LINK, LICENCE_LINK),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        file.data.into_owned(),
    )
        .into_response())
}

/// The local name of an upstream schema URL: a compiled schema medmap holds stays
/// compiled; the others (the compiled `service.json` and `organization.json` are
/// megabytes of inlined copies) become the modular schema of the same name, which
/// says the same with relative `$ref`s that resolve here too.
fn local_name(url: &str) -> Option<String> {
    let rest = url.strip_prefix(UPSTREAM)?;
    if exists(rest) {
        return Some(rest.to_string());
    }
    let base = rest.rsplit('/').next()?;
    exists(base).then(|| base.to_string())
}

/// Rewrites every `$ref` to an upstream schema into one relative to the
/// description's own URL (`/api/v1/hsds/openapi.json` → `schema/service.json`).
/// A reference to a schema medmap does not hold is left as it is (and the
/// description's test fails on it).
pub fn rewrite_refs(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k == "$ref" {
                    if let Some(local) = x.as_str().and_then(local_name) {
                        *x = Value::String(format!("schema/{local}"));
                    }
                } else {
                    rewrite_refs(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_refs_become_local_ones() {
        let mut v = serde_json::json!({"a": [{"$ref": format!("{UPSTREAM}compiled/service.json")},
            {"$ref": format!("{UPSTREAM}compiled/service_list.json")},
            {"$ref": format!("{UPSTREAM}taxonomy.json")}, {"$ref": "#/components/schemas/Page"}]});
        rewrite_refs(&mut v);
        assert_eq!(v["a"][0]["$ref"], "schema/service.json");
        assert_eq!(v["a"][1]["$ref"], "schema/compiled/service_list.json");
        assert_eq!(v["a"][2]["$ref"], "schema/taxonomy.json");
        assert_eq!(v["a"][3]["$ref"], "#/components/schemas/Page");
        assert!(
            !exists("openapi.json"),
            "the raw description is not served as a schema"
        );
    }
}
