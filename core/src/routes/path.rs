//! Request paths compared the way the URL Standard parses them: the path
//! ends at `?` or `#`, `\` separates segments as `/` does (http and https are
//! special schemes), `.` and `..` segments are resolved (also when written
//! `%2e`), and percent-escapes of unreserved characters are decoded (RFC 3986
//! §6.2.2.2: `%61` and `a` name the same resource; other escapes keep their
//! meaning, with hex digits uppercased). Bytes are compared as they are:
//! paths are case-sensitive, and non-ASCII bytes match only themselves.
//!
//! A path that is already in that form (nearly every real one) is borrowed;
//! another is rewritten into a buffer on the stack, so normalizing never
//! touches the heap.

use crate::limits::MAX_PATH_LEN;

/// A normalized path: borrowed from the request, or rebuilt on the stack.
// The large variant is the point: rebuilding on the stack, not the heap.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Normalized<'a> {
    /// The path needed no change (query and fragment cut off).
    Borrowed(&'a [u8]),
    /// Rebuilt: `len` bytes of `buf`.
    Rebuilt { len: usize, buf: [u8; MAX_PATH_LEN] },
    /// Not a path a route can match: it does not start with `/` (`*`, an
    /// absolute URL), or needs rewriting and is over [`MAX_PATH_LEN`].
    Unmatched,
}

impl Normalized<'_> {
    /// The path's bytes, starting with `/`; `None` when unmatched.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        match self {
            Normalized::Borrowed(p) => Some(p),
            Normalized::Rebuilt { len, buf } => Some(&buf[..*len]),
            Normalized::Unmatched => None,
        }
    }
}

/// Normalizes a raw request path (what the host routes on, with or without
/// its query).
pub(crate) fn normalize(raw: &[u8]) -> Normalized<'_> {
    let (path, normal) = scan(raw);
    if path.first() != Some(&b'/') && path.first() != Some(&b'\\') {
        return Normalized::Unmatched;
    }
    if normal {
        return Normalized::Borrowed(path);
    }
    if path.len() > MAX_PATH_LEN {
        return Normalized::Unmatched;
    }
    rebuild(path)
}

/// One pass over `raw`: the path (up to `?` or `#`), and whether it has no
/// `\`, no `%` and no dot segment, i.e. is already in normal form.
#[inline]
fn scan(raw: &[u8]) -> (&[u8], bool) {
    // Dots since the last `/` while the segment is only dots; `None` after another byte.
    let mut dots = Some(0u8);
    let mut normal = true;
    for (i, &b) in raw.iter().enumerate() {
        match b {
            b'?' | b'#' => return (&raw[..i], normal && !matches!(dots, Some(1 | 2))),
            b'%' | b'\\' => normal = false,
            b'/' => {
                if matches!(dots, Some(1 | 2)) {
                    normal = false;
                }
                dots = Some(0);
            }
            b'.' => dots = dots.map(|d| d.saturating_add(1)),
            _ => dots = None,
        }
    }
    (raw, normal && !matches!(dots, Some(1 | 2)))
}

/// Calls `f` with the normalized form of `raw` (see [`normalize`]), or
/// returns `unmatched` when no route can match it. The common case, a path
/// already in normal form, is one pass over its bytes and no copy; the
/// stack buffer for a rewrite lives only in the out-of-line slow path.
#[inline]
pub(crate) fn with_normalized<R>(raw: &[u8], unmatched: R, f: impl FnOnce(&[u8]) -> R) -> R {
    let (path, normal) = scan(raw);
    if normal && path.first() == Some(&b'/') {
        return f(path);
    }
    slow(raw, unmatched, f)
}

#[inline(never)]
#[cold]
fn slow<R>(raw: &[u8], unmatched: R, f: impl FnOnce(&[u8]) -> R) -> R {
    match normalize(raw).bytes() {
        Some(path) => f(path),
        None => unmatched,
    }
}

/// Whether `b` is unreserved (RFC 3986: ALPHA / DIGIT / `-` / `.` / `_` / `~`).
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The slow path: decode, then resolve dot segments into a stack buffer.
/// The output is never longer than the input (decoding and dot segments
/// only shorten it; a trailing `/` replaces a removed dot), and the input
/// is at most [`MAX_PATH_LEN`] bytes.
#[cold]
fn rebuild(path: &[u8]) -> Normalized<'static> {
    let mut out = Out {
        buf: [0u8; MAX_PATH_LEN],
        len: 0,
    };
    let mut i = 0usize;
    while i < path.len() {
        // One segment, from its separator (`/` or `\`) to the next.
        i += 1;
        let start = out.len;
        out.push(b'/');
        // The decoded segment's length and, for the dot test, its first bytes.
        let (mut seg_len, mut first) = (0usize, [0u8; 2]);
        while i < path.len() && !matches!(path[i], b'/' | b'\\') {
            let mut byte = path[i];
            let mut width = 1;
            if byte == b'%' && i + 2 < path.len() {
                if let (Some(h), Some(l)) = (hex(path[i + 1]), hex(path[i + 2])) {
                    width = 3;
                    byte = h << 4 | l;
                    if !is_unreserved(byte) {
                        out.push(b'%');
                        out.push(path[i + 1].to_ascii_uppercase());
                        byte = path[i + 2].to_ascii_uppercase();
                        seg_len += 2;
                    }
                }
            }
            out.push(byte);
            if seg_len < 2 {
                first[seg_len] = byte;
            }
            seg_len += 1;
            i += width;
        }
        let dot = seg_len == 1 && first[0] == b'.';
        let dotdot = seg_len == 2 && first == *b"..";
        if dot || dotdot {
            // Drop this segment and, for `..`, the one before it.
            out.len = start;
            if dotdot {
                out.len = out.buf[..start]
                    .iter()
                    .rposition(|&b| b == b'/')
                    .unwrap_or(0);
            }
            if i >= path.len() {
                // `/a/b/..` is `/a/`: the path ends with an empty segment.
                out.push(b'/');
            }
        }
    }
    Normalized::Rebuilt {
        len: out.len,
        buf: out.buf,
    }
}

struct Out {
    buf: [u8; MAX_PATH_LEN],
    len: usize,
}

impl Out {
    #[inline]
    fn push(&mut self, byte: u8) {
        // Always in bounds (see `rebuild`); checked so that a mistake cannot panic.
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(raw: &str) -> Option<String> {
        normalize(raw.as_bytes())
            .bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    #[test]
    fn paths_in_normal_form_are_borrowed() {
        for p in [
            "/",
            "/api",
            "/api/",
            "/a/b.c",
            "/.well-known/x",
            "/a/...",
            "/a..b/c",
        ] {
            assert!(
                matches!(normalize(p.as_bytes()), Normalized::Borrowed(_)),
                "{p}"
            );
            assert_eq!(n(p).as_deref(), Some(p));
        }
        assert_eq!(n("/api?x=/../admin").as_deref(), Some("/api"));
        assert_eq!(n("/api#/../x").as_deref(), Some("/api"));
    }

    #[test]
    fn dot_segments_resolve_as_the_url_standard_says() {
        for (raw, want) in [
            ("/a/./b", "/a/b"),
            ("/a/../b", "/b"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("/..", "/"),
            ("/../../x", "/x"),
            ("/a/%2e%2E/b", "/b"),
            ("/a/.%2e/b", "/b"),
            ("/a/%2e/b", "/a/b"),
            ("/api/..%2fadmin", "/api/..%2Fadmin"),
            ("\\api\\..\\admin", "/admin"),
            ("/%61pi/x", "/api/x"),
            ("/a%2fb", "/a%2Fb"),
            ("/a%zz", "/a%zz"),
            ("/a%4", "/a%4"),
            ("/caf%c3%a9", "/caf%C3%A9"),
        ] {
            assert_eq!(n(raw).as_deref(), Some(want), "{raw}");
        }
    }

    #[test]
    fn the_fast_path_agrees_with_normalize() {
        for raw in [
            "/",
            "/api",
            "/a/./b",
            "/a/..",
            "/a/b/.",
            "/%61",
            "\\a",
            "*",
            "",
            "/a?b/../c",
            "/a/..?x",
            "/a#/..",
            "/...",
            "/a.b/",
            "a/b",
            "/a//b",
        ] {
            let want = n(raw);
            let got = with_normalized(raw.as_bytes(), None, |p| {
                Some(String::from_utf8_lossy(p).into_owned())
            });
            assert_eq!(got, want, "{raw:?}");
        }
    }

    #[test]
    fn other_targets_match_no_route() {
        assert_eq!(n("*"), None);
        assert_eq!(n(""), None);
        assert_eq!(n("http://a.example/x"), None);
        let long = format!("/{}", "%61".repeat(MAX_PATH_LEN));
        assert_eq!(n(&long), None);
        let long_plain = format!("/{}", "a".repeat(MAX_PATH_LEN * 2));
        assert_eq!(n(&long_plain).map(|s| s.len()), Some(MAX_PATH_LEN * 2 + 1));
    }
}
