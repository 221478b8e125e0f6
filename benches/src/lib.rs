//! Shared fixtures for the benchmarks.

pub mod names_fixture;
pub mod stock_fixture;
