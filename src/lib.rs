//! medmap: a directory of medical and social services with a medication search engine.
//!
//! The app crate holds everything with I/O: the store, importers, feeds, HSDS mapping
//! and the HTTP layer. The search core lives in `medmap-indexers` and knows nothing of
//! these, so it can be tested and benchmarked alone.

pub mod admin;
pub mod availability;
pub mod backup;
pub mod catalog;
pub mod config;
pub mod duty;
pub mod eval;
pub mod facilities;
pub mod feeds;
pub mod geo;
pub mod healthcheck;
pub mod hsds;
pub mod http;
pub mod import;
pub mod meili;
pub mod model;
pub mod places;
pub mod privacy;
pub mod replica;
pub mod schemas;
pub mod serve;
pub mod slots;
pub mod snapshot;
pub mod store;
