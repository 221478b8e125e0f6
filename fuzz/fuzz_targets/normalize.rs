#![no_main]
//! See medmap_fuzz::normalize (fuzz/src/lib.rs) for what this target covers.
libfuzzer_sys::fuzz_target!(|data: &[u8]| medmap_fuzz::normalize(data));
