//! Byte-string comparisons eight bytes at a time, exact or folding ASCII case
//! against a lowercase name: header names, methods and origins are compared
//! on every request, and a byte loop costs several instructions per byte.

/// `0x20` in every byte of `lower` that is a lowercase ASCII letter, `0`
/// elsewhere. Every byte of `lower` must be ASCII (below `0x80`), so the
/// additions carry into no neighbouring byte.
#[inline(always)]
const fn letter_bits(lower: u64) -> u64 {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit set where the byte is >= b'a' (0x61), and where it is > b'z'.
    let from_a = lower.wrapping_add(0x1f1f_1f1f_1f1f_1f1f);
    let past_z = lower.wrapping_add(0x0505_0505_0505_0505);
    ((from_a & !past_z) & HIGH) >> 2
}

/// Whether the word `x` equals the ASCII word `lower` when letters in `x`
/// are folded to lowercase. Exact: outside letter positions the bytes must
/// be equal, and in them only a letter's two cases differ by `0x20` alone.
#[inline(always)]
fn word_eq(x: u64, lower: u64) -> bool {
    (x | letter_bits(lower)) == lower
}

/// The bytes of `s` (4 to 7 long) as one word: its first and last four bytes,
/// which overlap and together cover it.
#[inline(always)]
fn short_word(s: &[u8]) -> u64 {
    match (s.first_chunk::<4>(), s.last_chunk::<4>()) {
        (Some(head), Some(tail)) => {
            u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << 32
        }
        _ => 0,
    }
}

/// Whether the equal-length `a` and `b` agree word by word under `same`:
/// eight bytes at a time (the last word overlapping the one before), or one
/// word of 4 to 7 bytes; `small` decides strings under 4 bytes.
#[inline(always)]
fn by_words(
    a: &[u8],
    b: &[u8],
    same: impl Fn(u64, u64) -> bool,
    small: impl Fn(&[u8], &[u8]) -> bool,
) -> bool {
    let n = a.len();
    if n >= 8 {
        let word = |s: &[u8], at: usize| match s[at..].first_chunk::<8>() {
            Some(c) => u64::from_le_bytes(*c),
            None => 0,
        };
        let mut at = 0;
        while at + 8 <= n {
            if !same(word(a, at), word(b, at)) {
                return false;
            }
            at += 8;
        }
        // The last 1 to 7 bytes, read as the last eight.
        return at == n || same(word(a, n - 8), word(b, n - 8));
    }
    if n >= 4 {
        return same(short_word(a), short_word(b));
    }
    small(a, b)
}

/// Whether `name` equals `lower` ignoring ASCII case, where `lower` is ASCII
/// with no uppercase letters (a configured or well-known header name: the
/// policy admits only tokens).
#[inline]
pub(crate) fn eq_lowercase(name: &[u8], lower: &[u8]) -> bool {
    debug_assert!(lower.is_ascii() && !lower.iter().any(u8::is_ascii_uppercase));
    name.len() == lower.len() && by_words(name, lower, word_eq, <[u8]>::eq_ignore_ascii_case)
}

/// Whether `a == b`, comparing words inline: the short values compared on
/// the hot path (methods, origins, header lists) cost less this way than
/// through `memcmp`.
#[inline]
pub(crate) fn eq_exact(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 64 {
        return a == b;
    }
    by_words(
        a,
        b,
        |x, y| x == y,
        |a, b| a.iter().zip(b).all(|(x, y)| x == y),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_letters_only() {
        assert!(eq_lowercase(b"Origin", b"origin"));
        assert!(eq_lowercase(b"ORIGIN", b"origin"));
        assert!(eq_lowercase(
            b"Access-Control-Request-Headers",
            b"access-control-request-headers"
        ));
        // '-' is 0x2d and CR is 0x0d: they differ by 0x20 but are not letters.
        assert!(!eq_lowercase(
            b"access\rcontrol-request-headers",
            b"access-control-request-headers"
        ));
        assert!(!eq_lowercase(b"x\rrequest-id", b"x-request-id"));
        // '@' (0x40) and '`' (0x60) differ by 0x20 too.
        assert!(!eq_lowercase(b"a@b", b"a`b"));
        assert!(!eq_lowercase(b"a@bcd", b"a`bcd"));
        assert!(!eq_lowercase(b"origin", b"origins"));
        assert!(eq_lowercase(b"", b""));
    }

    #[test]
    fn exact_words() {
        for (a, b) in [
            (&b""[..], &b""[..]),
            (b"PUT", b"PUT"),
            (b"PATCH", b"PATCH"),
            (b"https://app.example.com", b"https://app.example.com"),
            (b"https://app.example.com", b"https://app.example.con"),
            (b"https://app.example.com", b"https://App.example.com"),
            (b"PUT", b"put"),
            (b"PATCH", b"PATCX"),
            (b"XPATCH", b"PATCH"),
        ] {
            assert_eq!(eq_exact(a, b), a == b, "{a:?} {b:?}");
        }
        // Every length up to past the word loop, differing at every place.
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for n in 0..=base.len() {
            let a = &base[..n];
            assert!(eq_exact(a, a));
            for at in 0..n {
                let mut b = a.to_vec();
                b[at] ^= 1;
                assert!(!eq_exact(a, &b), "length {n}, byte {at}");
            }
        }
    }

    fn bytes_near(lower: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
        // Mostly the name itself with some bytes flipped in case or replaced.
        prop::collection::vec((any::<u8>(), 0u8..4), lower.len()).prop_map(move |edits| {
            lower
                .iter()
                .zip(edits)
                .map(|(&c, (r, how))| match how {
                    0 => c.to_ascii_uppercase(),
                    1 => c ^ 0x20,
                    2 => r,
                    _ => c,
                })
                .collect()
        })
    }

    const NAMES: [&[u8]; 14] = [
        b"a",
        b"ab",
        b"x-1",
        b"vary",
        b"origin",
        b"x_y`z{",
        b"content-type",
        b"x-request-id",
        b"authorization",
        b"x-requested-with",
        b"if-modified-since",
        b"access-control-request-method",
        b"access-control-request-headers",
        b"access-control-request-private-network",
    ];

    fn name_and_variant() -> impl Strategy<Value = (&'static [u8], Vec<u8>)> {
        prop::sample::select(NAMES.to_vec()).prop_flat_map(|lower| (Just(lower), bytes_near(lower)))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        #[test]
        fn agrees_with_eq_ignore_ascii_case((lower, name) in name_and_variant()) {
            prop_assert_eq!(
                eq_lowercase(&name, lower),
                name.eq_ignore_ascii_case(lower),
                "{:?} vs {:?}",
                String::from_utf8_lossy(&name),
                String::from_utf8_lossy(lower)
            );
        }
    }
}
