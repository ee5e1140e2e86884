//! What a host does with a [`Decision`](crate::Decision) on the response
//! (SPEC §5), written once for every binding: which application headers
//! corsgate replaces, and how `Vary` is merged.
//!
//! ```
//! use corsgate::host::{is_cors_response_header, VaryMerge};
//!
//! assert!(is_cors_response_header(b"Access-Control-Allow-Origin"));
//! assert!(!is_cors_response_header(b"Content-Type"));
//!
//! let tokens = ["Origin"];
//! let mut vary = VaryMerge::new(&tokens);
//! vary.read(b"Accept-Encoding");
//! assert_eq!(vary.missing().as_deref(), Some("Origin"));
//! assert_eq!(VaryMerge::append(b"Accept-Encoding", "Origin"), b"Accept-Encoding, Origin");
//! ```

use crate::fetch::trim_ows;

/// Response headers corsgate owns on the routes it covers: an application's
/// `Access-Control-*` and `Private-Network-Access-*` headers are removed or
/// replaced, never sent beside corsgate's.
pub fn is_cors_response_header(name: &[u8]) -> bool {
    const OWNED: [&[u8]; 2] = [b"access-control-", b"private-network-access-"];
    OWNED
        .iter()
        .any(|p| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p))
}

/// The `Content-Length` of a preflight answer a host writes itself (its
/// body is empty): `None` for a 204, which never carries one (RFC 9110
/// §8.6), `"0"` for any other status.
pub const fn preflight_content_length(status: u16) -> Option<&'static str> {
    match status {
        204 => None,
        _ => Some("0"),
    }
}

/// Merges a decision's `Vary` tokens into the `Vary` lines a response already
/// has: tokens already present (compared without case) are not repeated, and
/// `Vary: *` is left alone. Feed each existing line to [`read`](Self::read),
/// then append [`missing`](Self::missing) to the last line (or set it as the
/// value when there was none).
#[derive(Clone, Debug)]
pub struct VaryMerge<'t> {
    tokens: &'t [&'t str],
    present: [bool; crate::limits::MAX_VARY_TOKENS],
    star: bool,
}

impl<'t> VaryMerge<'t> {
    /// Starts a merge of `tokens` (a decision's [`vary`](crate::Decision::vary)).
    pub fn new(tokens: &'t [&'t str]) -> Self {
        VaryMerge {
            tokens: &tokens[..tokens.len().min(crate::limits::MAX_VARY_TOKENS)],
            present: [false; crate::limits::MAX_VARY_TOKENS],
            star: false,
        }
    }

    /// Notes the tokens of one existing `Vary` line.
    pub fn read(&mut self, line: &[u8]) {
        for item in line.split(|&b| b == b',') {
            let item = trim_ows(item);
            self.star |= item == b"*";
            for (seen, token) in self.present.iter_mut().zip(self.tokens) {
                *seen |= item.eq_ignore_ascii_case(token.as_bytes());
            }
        }
    }

    /// Whether the merge changes anything: some token is missing and no
    /// line was `*`.
    pub fn changes(&self) -> bool {
        !self.star && self.present.iter().zip(self.tokens).any(|(seen, _)| !seen)
    }

    /// Whether every token is missing and no line was `*`: the response's
    /// `Vary` lines name none of them, so the whole
    /// [`vary_line`](crate::Decision::vary_line) can be added as a line of its own.
    pub fn all_missing(&self) -> bool {
        !self.star && !self.tokens.is_empty() && !self.present[..self.tokens.len()].contains(&true)
    }

    /// The tokens to add, joined by `, `; `None` when there is nothing to add.
    pub fn missing(&self) -> Option<String> {
        self.changes()
            .then(|| self.missing_tokens().collect::<Vec<_>>().join(", "))
    }

    fn missing_tokens(&self) -> impl Iterator<Item = &'t str> + '_ {
        self.tokens
            .iter()
            .zip(self.present)
            .filter(|(_, seen)| !seen)
            .map(|(t, _)| *t)
    }

    /// The new value of the last existing `Vary` line (`last`; empty when
    /// there was none, and the value is set as a new line), in pieces to
    /// concatenate; `None` when nothing changes. Allocates nothing.
    pub fn merged<'s>(&'s self, last: &'s [u8]) -> Option<impl Iterator<Item = &'s [u8]> + 's> {
        if !self.changes() {
            return None;
        }
        let kept = without_trailing_separators(last);
        let mut first = kept.is_empty();
        let tokens = self.missing_tokens().flat_map(move |t| {
            let sep: &[u8] = if std::mem::take(&mut first) {
                b""
            } else {
                b", "
            };
            [sep, t.as_bytes()]
        });
        Some(std::iter::once(kept).chain(tokens))
    }

    /// The length of the [`merged`](Self::merged) value.
    pub fn merged_len(&self, last: &[u8]) -> Option<usize> {
        self.merged(last).map(|p| p.map(<[u8]>::len).sum())
    }

    /// Writes the [`merged`](Self::merged) value into `out` when it fits;
    /// returns its length either way, `None` when nothing changes.
    pub fn write_merged(&self, last: &[u8], out: &mut [u8]) -> Option<usize> {
        let len = self.merged_len(last)?;
        if let (Some(out), Some(pieces)) = (out.get_mut(..len), self.merged(last)) {
            let mut at = 0;
            for piece in pieces {
                out[at..at + piece.len()].copy_from_slice(piece);
                at += piece.len();
            }
        }
        Some(len)
    }

    /// `line` with `tokens` appended after any trailing separators.
    pub fn append(line: &[u8], tokens: &str) -> Vec<u8> {
        let mut out = without_trailing_separators(line).to_vec();
        if !out.is_empty() {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(tokens.as_bytes());
        out
    }
}

/// `line` without trailing whitespace and commas (`Accept, ` -> `Accept`).
fn without_trailing_separators(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b','))
        .map_or(0, |i| i + 1);
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_without_repeating_or_overwriting() {
        let tokens = ["Origin", "Access-Control-Request-Method"];
        let mut m = VaryMerge::new(&tokens);
        m.read(b"accept-encoding, origin");
        assert_eq!(
            m.missing().as_deref(),
            Some("Access-Control-Request-Method")
        );
        let mut m = VaryMerge::new(&tokens);
        m.read(b"Accept");
        m.read(b" * ");
        assert_eq!(m.missing(), None);
        let m = VaryMerge::new(&tokens);
        assert!(m.all_missing());
        assert_eq!(
            m.missing().as_deref(),
            Some("Origin, Access-Control-Request-Method")
        );
        let mut m = VaryMerge::new(&tokens);
        m.read(b"Accept-Encoding");
        assert!(m.all_missing());
        m.read(b"ORIGIN");
        assert!(!m.all_missing() && m.changes());
        let mut m = VaryMerge::new(&tokens);
        m.read(b"*");
        assert!(!m.all_missing());
        assert!(!VaryMerge::new(&[]).all_missing());
        assert_eq!(VaryMerge::append(b"Accept, ", "Origin"), b"Accept, Origin");
        assert_eq!(VaryMerge::append(b"", "Origin"), b"Origin");
    }

    #[test]
    fn merged_in_place_drops_trailing_separators() {
        let tokens = ["Origin", "Access-Control-Request-Method"];
        let mut m = VaryMerge::new(&tokens);
        m.read(b"Accept,");
        m.read(b"origin");
        let mut buf = [0u8; 64];
        let n = m.write_merged(b"Accept,", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"Accept, Access-Control-Request-Method");
        assert_eq!(m.merged_len(b"Accept,"), Some(n));
        let mut small = [0u8; 4];
        assert_eq!(m.write_merged(b"Accept,", &mut small), Some(n));
        assert_eq!(small, [0; 4]);
        let fresh = VaryMerge::new(&tokens);
        let n = fresh.write_merged(b"", &mut buf).unwrap();
        assert_eq!(&buf[..n], b"Origin, Access-Control-Request-Method");
        let mut star = VaryMerge::new(&tokens);
        star.read(b"*");
        assert_eq!(star.write_merged(b"*", &mut buf), None);
    }

    #[test]
    fn preflight_answers_carry_a_length_unless_204() {
        assert_eq!(preflight_content_length(204), None);
        assert_eq!(preflight_content_length(200), Some("0"));
    }

    #[test]
    fn owned_headers() {
        assert!(is_cors_response_header(b"access-control-max-age"));
        assert!(is_cors_response_header(b"Private-Network-Access-Name"));
        assert!(!is_cors_response_header(b"access-control"));
        assert!(!is_cors_response_header(b"vary"));
    }
}
