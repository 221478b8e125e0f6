//! What can go wrong asking the catalog (and availability, which resolves through
//! it). A domain enum, so the same failure reads the same in the JSON API (mapped to a
//! status in `http::error`), on the pages and in a CLI.

/// A medication question the catalog cannot answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogError {
    /// Not of the form `s123` / `p123`; `param` names where it came from.
    #[error("{value:?} is not a medication id (s123 or p123)")]
    BadId { param: &'static str, value: String },
    /// Well-formed, but no such concept.
    #[error("medication {0} not found")]
    UnknownId(String),
    /// Free text the name engine found nothing for.
    #[error("medication matching {0:?} not found")]
    NoMatch(String),
    /// Neither an id nor a name was given.
    #[error("give q (a medication name) or medication_id")]
    NoQuery,
    #[error("lang must be en, uk or ru, got {0:?}")]
    UnknownLang(String),
}
