//! A fast, non-keyed hasher for the origin tables.
//!
//! The tables are fixed when the policy is built, so a request cannot add
//! colliding keys: the longest probe sequence is a property of the
//! configuration, not of the input. That makes a keyed (SipHash) hasher's
//! cost unnecessary on the hot path.

use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use crate::ascii::eq_exact;

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

/// A fixed set of byte strings, built once: open addressing at most half
/// full, keys compared a word at a time ([`eq_exact`]). For the sets looked
/// up on every request whose keys are short and few.
#[derive(Debug, Default)]
pub(crate) struct ByteSet {
    /// Empty slots hold an empty key (never a member).
    slots: Box<[Box<[u8]>]>,
    mask: usize,
}

impl ByteSet {
    fn slot(key: &[u8], mask: usize) -> usize {
        FastBuild::default().hash_one(key) as usize & mask
    }

    /// Whether `key` is in the set.
    #[inline]
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        if self.slots.is_empty() || key.is_empty() {
            return false;
        }
        let mut i = Self::slot(key, self.mask);
        loop {
            let s = &self.slots[i];
            if s.is_empty() {
                return false;
            }
            if eq_exact(s, key) {
                return true;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// How many keys it holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().filter(|s| !s.is_empty()).count()
    }

    /// The keys, in no order.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.slots.iter().filter(|s| !s.is_empty()).map(|s| &**s)
    }
}

impl FromIterator<Box<[u8]>> for ByteSet {
    /// Empty keys are dropped, repeats kept once.
    fn from_iter<I: IntoIterator<Item = Box<[u8]>>>(keys: I) -> Self {
        let keys: Vec<Box<[u8]>> = keys.into_iter().filter(|k| !k.is_empty()).collect();
        let size = (keys.len() * 2).next_power_of_two().max(2);
        let mask = size - 1;
        let mut slots: Box<[Box<[u8]>]> = vec![Box::default(); size].into_boxed_slice();
        for key in keys {
            let mut i = Self::slot(&key, mask);
            while !slots[i].is_empty() && slots[i] != key {
                i = (i + 1) & mask;
            }
            slots[i] = key;
        }
        ByteSet { slots, mask }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_set_members_and_strangers() {
        let words: Vec<Box<[u8]>> = (0..100)
            .map(|i| format!("x-header-{i}").into_bytes().into_boxed_slice())
            .collect();
        let set: ByteSet = words.iter().cloned().chain(words.iter().cloned()).collect();
        assert_eq!(set.len(), 100);
        for w in &words {
            assert!(set.contains(w));
            let mut longer = w.to_vec();
            longer.push(b'!');
            assert!(!set.contains(&longer));
            let mut changed = w.to_vec();
            *changed.last_mut().unwrap() = b'!';
            assert!(!set.contains(&changed));
        }
        assert!(!set.contains(b""));
        let empty: ByteSet = std::iter::empty().collect();
        assert!(!empty.contains(b"x"));
        let only_empty: ByteSet = [Box::<[u8]>::default()].into_iter().collect();
        assert!(!only_empty.contains(b""));
    }
}
