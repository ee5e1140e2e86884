//! A fast, non-keyed hasher for the origin tables.
//!
//! The tables are fixed when the policy is built, so a request cannot add
//! colliding keys: the longest probe sequence is a property of the
//! configuration, not of the input. That makes a keyed (SipHash) hasher's
//! cost unnecessary on the hot path.

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;

/// FxHash-style multiply-rotate over 8-byte words.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, mut bytes: &[u8]) {
        while let Some((chunk, rest)) = bytes.split_first_chunk::<8>() {
            self.add(u64::from_le_bytes(*chunk));
            bytes = rest;
        }
        if !bytes.is_empty() {
            let mut tail = [0u8; 8];
            tail[..bytes.len()].copy_from_slice(bytes);
            self.add(u64::from_le_bytes(tail));
        }
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Fold the high bits down: hashbrown picks buckets from the low bits
        // and control bytes from the top seven.
        self.0 ^ (self.0 >> 29)
    }
}

pub(crate) type FastBuild = BuildHasherDefault<FastHasher>;
pub(crate) type FastSet<T> = std::collections::HashSet<T, FastBuild>;
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, FastBuild>;
