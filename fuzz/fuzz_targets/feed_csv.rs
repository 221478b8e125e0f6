#![no_main]
//! See medmap_fuzz::feed_csv (fuzz/src/lib.rs) for what this target covers.
libfuzzer_sys::fuzz_target!(|data: &[u8]| medmap_fuzz::feed_csv(data));
