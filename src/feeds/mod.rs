//! Pharmacy stock feeds: a publisher pushes its stock (medmap CSV/JSON/NDJSON, or the
//! files chains already export for Tabletki.ua, Morion Skynet and Liki24), each row is
//! validated, the valid rows apply in one transaction, and the search snapshot is
//! updated copy-on-write so the rows are live within a second.
//!
//! The pipeline is split in three pure-ish stages so each can be tested and
//! benchmarked alone:
//!
//! 1. [`parse`]: bytes (any supported format and encoding) → [`parse::Parsed`]: compact
//!    rows whose facility and product references are interned, because a national
//!    chain repeats the same few thousand products across hundreds of branches, and
//!    resolving each distinct reference once is what makes 500k rows/s possible.
//! 2. [`validate`]: interned references resolved (by the store and the name engine in
//!    [`apply`], or by in-memory maps in benchmarks) → valid lines + rejections.
//! 3. [`push`]: the three streamed chunk by chunk into one transaction in the store,
//!    then the snapshot swap ([`apply`] holds the reference resolution).

pub mod apply;
pub mod client;
pub mod keys;
pub mod parse;
pub mod pull;
pub mod push;
pub mod report;
pub mod validate;

use serde::{Deserialize, Serialize};

/// `mode=snapshot` replaces the publisher's stock at the facilities the push lists;
/// `mode=delta` upserts the rows and removes the lines marked for removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = FeedMode)]
pub enum Mode {
    Snapshot,
    Delta,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "snapshot" | "full" => Some(Mode::Snapshot),
            "delta" => Some(Mode::Delta),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Snapshot => "snapshot",
            Mode::Delta => "delta",
        }
    }
}

/// The code systems a product may arrive by. Each is stored in `product_codes`
/// under [`CodeSystem::system`] once a row carrying it has been resolved, so the next
/// push resolves by code without the name engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeSystem {
    /// medmap's own product id.
    Medmap,
    /// A drug register certificate number (UA/..., ЛП-..., П N...).
    Register,
    /// EAN/GTIN barcode.
    Barcode,
    Morion,
    Optima,
    Badm,
    Venta,
    /// Liki24's catalogue id.
    Liki24,
    /// The chain's own goods code: meaningful only within one publisher.
    Chain,
}

impl CodeSystem {
    /// Trust order for resolution: national and register codes first, a chain's own
    /// code last (it is only as good as the row that first carried it).
    pub const ORDER: [CodeSystem; 9] = [
        CodeSystem::Medmap,
        CodeSystem::Register,
        CodeSystem::Barcode,
        CodeSystem::Morion,
        CodeSystem::Optima,
        CodeSystem::Badm,
        CodeSystem::Venta,
        CodeSystem::Liki24,
        CodeSystem::Chain,
    ];

    /// The `product_codes.system` value; chain codes are scoped to the publisher
    /// because two chains reuse the same internal numbers for different goods.
    pub fn system(self, publisher_id: i64, code: &str) -> String {
        match self {
            CodeSystem::Medmap => "medmap".into(),
            CodeSystem::Register => register_system(code).into(),
            CodeSystem::Barcode => "gtin".into(),
            CodeSystem::Morion => "morion".into(),
            CodeSystem::Optima => "optima".into(),
            CodeSystem::Badm => "badm".into(),
            CodeSystem::Venta => "venta".into(),
            CodeSystem::Liki24 => "liki24".into(),
            CodeSystem::Chain => format!("chain:{publisher_id}"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CodeSystem::Medmap => "product_id",
            CodeSystem::Register => "register_id",
            CodeSystem::Barcode => "barcode",
            CodeSystem::Morion => "morion",
            CodeSystem::Optima => "optima",
            CodeSystem::Badm => "badm",
            CodeSystem::Venta => "venta",
            CodeSystem::Liki24 => "liki24",
            CodeSystem::Chain => "code",
        }
    }
}

/// The register a certificate number belongs to, by its shape: Ukrainian numbers
/// start with `UA/`; everything else is looked up in the Russian/Kazakh register
/// systems and stored under a neutral name.
pub fn register_system(code: &str) -> &'static str {
    if code.trim_start().to_ascii_uppercase().starts_with("UA/") {
        "ua_drlz_register"
    } else {
        "register"
    }
}

/// Where a line's `checked_at` came from; the report says which, because most
/// Ukrainian formats carry no time in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckedAtSource {
    Body,
    FileName,
    Received,
}
