//! Open Referral HSDS 3.0: the social-services directory in the standard's shapes.
//!
//! [`directory`] is the in-memory view of the directory the snapshot holds
//! (services, organizations, locations, links, terms, schedules, indexed by UUID);
//! [`shape`] turns it into HSDS JSON objects (the API and the JSON export answer with
//! exactly these); [`search`] is the ranked, multilingual, typo-tolerant service
//! search with place, hours, age and language filters, shared by the API and pages;
//! [`vocabulary`] is the needs vocabulary that carries queries across languages;
//! [`export`] writes the JSON and CSV datapackages.

pub mod directory;
pub mod export;
pub mod lists;
pub mod search;
pub mod shape;
pub mod vocabulary;
mod words;

pub use directory::ServiceDirectory;

/// The HSDS version this API and the exports implement.
pub const HSDS_VERSION: &str = "3.0";
/// The profile URI `GET /api/v1/hsds/` announces: the base specification.
pub const HSDS_PROFILE: &str = "https://specs.openreferral.org/en/3.0/";
