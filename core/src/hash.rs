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
        // The last 1 to 7 bytes as one word, read without a copy: two
        // overlapping 4-byte reads, or three single bytes. Overlap is fine
        // for a hash, and the slice's length was hashed before its bytes.
        let n = bytes.len();
        if let (Some(head), Some(tail)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
            self.add(
                u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << 32,
            );
        } else if let (Some(&a), Some(&c)) = (bytes.first(), bytes.last()) {
            self.add(u64::from(a) | u64::from(bytes[n / 2]) << 8 | u64::from(c) << 16);
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
