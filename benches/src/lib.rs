//! Shared fixtures for the benchmarks.

/// The allocator `medmap serve` ships with (see `src/main.rs`): benchmarks measure
/// the search core as it runs in production, not against glibc malloc, whose
/// `malloc_consolidate` alone was a tenth of a slow query's profile.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod names_fixture;
pub mod stock_fixture;
