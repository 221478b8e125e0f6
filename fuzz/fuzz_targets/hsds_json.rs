#![no_main]
//! See medmap_fuzz::hsds_json (fuzz/src/lib.rs) for what this target covers.
libfuzzer_sys::fuzz_target!(|data: &[u8]| medmap_fuzz::hsds_json(data));
