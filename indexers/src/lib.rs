//! medmap's search core.
//!
//! Everything here is plain in-memory data structures built from records the app
//! hands in: no files, no HTTP, no SQL, no async runtime. That keeps the core
//! unit-testable and benchmarkable alone, the way meilisearch keeps milli apart
//! from its HTTP layer.

pub mod gazetteer;
pub mod hash;
pub mod hours;
pub mod names;
pub mod places;
pub mod services;
pub mod stock;
