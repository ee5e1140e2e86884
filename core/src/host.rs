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

    /// The tokens to add, joined by `, `; `None` when there is nothing to add.
    pub fn missing(&self) -> Option<String> {
        if self.star {
            return None;
        }
        let missing: Vec<&str> = self
            .tokens
            .iter()
            .zip(self.present)
            .filter(|(_, seen)| !seen)
            .map(|(t, _)| *t)
            .collect();
        (!missing.is_empty()).then(|| missing.join(", "))
    }

    /// `line` with `tokens` appended after any trailing separators.
    pub fn append(line: &[u8], tokens: &str) -> Vec<u8> {
        let end = line
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t' | b','))
            .map_or(0, |i| i + 1);
        let mut out = line[..end].to_vec();
        if end > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(tokens.as_bytes());
        out
    }
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
        assert_eq!(
            m.missing().as_deref(),
            Some("Origin, Access-Control-Request-Method")
        );
        assert_eq!(VaryMerge::append(b"Accept, ", "Origin"), b"Accept, Origin");
        assert_eq!(VaryMerge::append(b"", "Origin"), b"Origin");
    }

    #[test]
    fn owned_headers() {
        assert!(is_cors_response_header(b"access-control-max-age"));
        assert!(is_cors_response_header(b"Private-Network-Access-Name"));
        assert!(!is_cors_response_header(b"access-control"));
        assert!(!is_cors_response_header(b"vary"));
    }
}
