//! OpenAPI schemas of the indexers crate's types that answers carry. That crate holds
//! no HTTP or OpenAPI code (it is the engine, used by benches and tools too), so the
//! derive cannot reach its enums; each schema here is built by serializing every
//! variant through serde, and an exhaustive `match` makes a new variant a compile
//! error here rather than a value the description does not list.

use medmap_indexers::names::{ConceptKind, MatchKind};
use medmap_indexers::stock::{Freshness, StockStatus};
use serde::Serialize;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// A string schema whose values are the serde names of `values`.
fn string_enum<T: Serialize>(values: &[T], description: &str) -> ObjectBuilder {
    let names: Vec<serde_json::Value> = values
        .iter()
        .filter_map(|v| serde_json::to_value(v).ok())
        .collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .description(Some(description))
}

/// `kind` of a medication: a substance (INN) or a product (a brand).
pub fn concept_kind() -> Object {
    let all = [ConceptKind::Substance, ConceptKind::Product];
    for k in all {
        match k {
            ConceptKind::Substance | ConceptKind::Product => {}
        }
    }
    string_enum(
        &all,
        "substance (an active ingredient) or product (a brand)",
    )
    .build()
}

const MATCH_ALL: [MatchKind; 5] = [
    MatchKind::Exact,
    MatchKind::Prefix,
    MatchKind::Fuzzy,
    MatchKind::Translit,
    MatchKind::Layout,
];

fn match_guard(m: MatchKind) {
    match m {
        MatchKind::Exact
        | MatchKind::Prefix
        | MatchKind::Fuzzy
        | MatchKind::Translit
        | MatchKind::Layout => {}
    }
}

/// `match`: how the name engine reached a hit.
pub fn name_match() -> Object {
    MATCH_ALL.into_iter().for_each(match_guard);
    string_enum(&MATCH_ALL, "how the query reached the name").build()
}

/// `match` where it may be absent (an availability question by id).
pub fn name_match_optional() -> Object {
    MATCH_ALL.into_iter().for_each(match_guard);
    string_enum(
        &MATCH_ALL,
        "how a free-text q was matched; absent for medication_id",
    )
    .build()
}

/// A stock line's `status`.
pub fn stock_status() -> Object {
    let all = [
        StockStatus::InStock,
        StockStatus::Low,
        StockStatus::Out,
        StockStatus::Unknown,
    ];
    for s in all {
        match s {
            StockStatus::InStock | StockStatus::Low | StockStatus::Out | StockStatus::Unknown => {}
        }
    }
    string_enum(
        &all,
        "in_stock, low (few left), out, or unknown (listed without a level)",
    )
    .build()
}

/// A stock line's `freshness`.
pub fn freshness() -> Object {
    let all = [Freshness::Fresh, Freshness::CallToConfirm];
    for f in all {
        match f {
            Freshness::Fresh | Freshness::CallToConfirm => {}
        }
    }
    string_enum(
        &all,
        "fresh (checked within the fresh window) or call_to_confirm (older, not past the cut-off)",
    )
    .build()
}
