//! Open Referral HSDS 3.0: the social-services directory in the standard's shapes.
//!
//! [`directory`] is the in-memory view of the directory the snapshot holds
//! (services, organizations, locations, links, terms, schedules, indexed by UUID);
//! [`shape`] turns it into HSDS JSON objects (the API and the JSON export answer with
//! exactly these); [`search`] is the free-text, multilingual, typo-tolerant service
//! search with place, hours, age and language filters, shared by the API and pages;
//! [`export`] writes the JSON and CSV datapackages.

pub mod directory;
pub mod export;
pub mod search;
pub mod shape;
mod words;

pub use directory::ServiceDirectory;

/// The HSDS version this API and the exports implement.
pub const HSDS_VERSION: &str = "3.0";
/// The profile URI `GET /api/v1/hsds/` announces: the base specification.
pub const HSDS_PROFILE: &str = "https://specs.openreferral.org/en/3.0/";
