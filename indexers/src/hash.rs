//! A fast hasher for maps keyed by data medmap makes itself.

use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a for bytes, one multiply-xorshift per integer: the keys here are small
/// integers and short strings from our own indexes and feeds, so SipHash's flooding
/// protection buys nothing and costs a measurable share of a query or a validation.
#[derive(Default, Clone, Copy)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn write_i64(&mut self, v: i64) {
        // One multiply-xorshift per integer: good enough spread for ids.
        let h = (self.0 ^ v as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 29);
    }
}

/// Builds [`Fnv`] hashers for `HashMap::with_hasher`.
pub type FnvBuild = BuildHasherDefault<Fnv>;
