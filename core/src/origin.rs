//! The serialized-origin grammar of SPEC §3, for request origins and for
//! configured patterns.
//!
//! One parser serves both: a request origin is a pattern without wildcards.
//! It reports the first flaw as a small enum (no allocation, so it can run on
//! the hot path); the validator turns flaws into messages and suggestions.

use std::fmt::Write as _;
use std::net::Ipv6Addr;

use crate::limits::MAX_ORIGIN_LEN;

/// Which kind of host an origin names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostKind {
    Dns,
    Ipv4,
    Ipv6,
}

/// The port part of an origin or pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Port {
    /// No port: the scheme's default.
    Default,
    /// `:*` (patterns only).
    Any,
    /// An explicit, non-default port.
    Explicit(u16),
}

/// A parsed origin or pattern, borrowing from the input.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Parts<'a> {
    pub scheme: &'a [u8],
    /// The host, without a leading `*.`; IPv6 hosts keep their brackets.
    pub host: &'a [u8],
    pub host_kind: HostKind,
    /// The pattern began with `*.` (subdomains only).
    pub wildcard: bool,
    pub port: Port,
    /// Length of `scheme://host` (with any `*.`), i.e. the input without its port.
    pub without_port: usize,
}

impl Parts<'_> {
    /// `localhost`, `*.localhost`, 127.0.0.0/8 or `[::1]`.
    pub fn is_loopback(&self) -> bool {
        match self.host_kind {
            HostKind::Dns => self.host == b"localhost" || self.host.ends_with(b".localhost"),
            HostKind::Ipv4 => self.host.starts_with(b"127."),
            HostKind::Ipv6 => self.host == b"[::1]",
        }
    }

    /// `http://` to a host other than loopback: readable by anyone on the path.
    pub fn is_insecure(&self) -> bool {
        self.scheme == b"http" && !self.is_loopback()
    }
}

/// Why a string is not a canonical serialized origin (or pattern); each
/// variant says what it is in [`describe`](Flaw::describe).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Flaw {
    Empty,
    TooLong,
    Whitespace,
    NonAscii,
    NoScheme,
    BadScheme,
    Userinfo,
    Path,
    Query,
    Fragment,
    EmptyHost,
    UppercaseHost,
    BadLabel,
    BadIpv4,
    BadIpv6,
    BadPort,
    MisplacedWildcard,
    // The three below are well-formed but not in canonical form.
    DefaultPort,
    LeadingZeroPort,
    UncompressedIpv6,
}

impl Flaw {
    /// Every flaw, in declaration order.
    pub const ALL: [Flaw; 20] = [
        Flaw::Empty,
        Flaw::TooLong,
        Flaw::Whitespace,
        Flaw::NonAscii,
        Flaw::NoScheme,
        Flaw::BadScheme,
        Flaw::Userinfo,
        Flaw::Path,
        Flaw::Query,
        Flaw::Fragment,
        Flaw::EmptyHost,
        Flaw::UppercaseHost,
        Flaw::BadLabel,
        Flaw::BadIpv4,
        Flaw::BadIpv6,
        Flaw::BadPort,
        Flaw::MisplacedWildcard,
        Flaw::DefaultPort,
        Flaw::LeadingZeroPort,
        Flaw::UncompressedIpv6,
    ];

    /// Whether the input names a real origin, only not in the form browsers send.
    pub fn is_non_canonical(self) -> bool {
        matches!(
            self,
            Flaw::DefaultPort | Flaw::LeadingZeroPort | Flaw::UncompressedIpv6
        )
    }

    /// What is wrong, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Flaw::Empty => "is empty",
            Flaw::TooLong => "is longer than 512 bytes",
            Flaw::Whitespace => "contains whitespace or a control character",
            Flaw::NonAscii => "contains non-ASCII characters (write IDNs as xn-- punycode)",
            Flaw::NoScheme => "has no scheme (an origin looks like https://example.com)",
            Flaw::BadScheme => "has an invalid scheme (lowercase letters, digits, +, -, . only)",
            Flaw::Userinfo => "contains userinfo (user@)",
            Flaw::Path => "has a path (an origin ends after the host and port)",
            Flaw::Query => "has a query string",
            Flaw::Fragment => "has a fragment",
            Flaw::EmptyHost => "has no host",
            Flaw::UppercaseHost => "has uppercase letters in its host (browsers send it lowercase)",
            Flaw::BadLabel => "has an invalid host name (labels of a-z, 0-9 and -, 1 to 63 bytes, not starting or ending with -)",
            Flaw::BadIpv4 => "has an invalid IPv4 address (four decimal numbers 0-255 without leading zeros)",
            Flaw::BadIpv6 => "has an invalid IPv6 address",
            Flaw::BadPort => "has an invalid port (1 to 65535)",
            Flaw::MisplacedWildcard => "has a misplaced `*` (only a leading `*.` label and a `:*` port are allowed)",
            Flaw::DefaultPort => "names the scheme's default port, which browsers leave out",
            Flaw::LeadingZeroPort => "has a port with leading zeros",
            Flaw::UncompressedIpv6 => "has an IPv6 address not in canonical (RFC 5952) form",
        }
    }
}

fn default_port(scheme: &[u8]) -> Option<u16> {
    match scheme {
        b"http" | b"ws" => Some(80),
        b"https" | b"wss" => Some(443),
        _ => None,
    }
}

/// Parses a canonical serialized origin (`wildcards == false`) or a pattern.
pub(crate) fn parse(input: &[u8], wildcards: bool) -> Result<Parts<'_>, Flaw> {
    if input.is_empty() {
        return Err(Flaw::Empty);
    }
    if input.len() > MAX_ORIGIN_LEN {
        return Err(Flaw::TooLong);
    }
    // Scheme.
    let sep = find(input, b"://").ok_or(Flaw::NoScheme)?;
    let scheme = &input[..sep];
    if !is_scheme(scheme) {
        return Err(if input.iter().any(|b| !b.is_ascii()) {
            Flaw::NonAscii
        } else {
            Flaw::BadScheme
        });
    }
    let rest = &input[sep + 3..];
    if let Some(&b) = rest
        .iter()
        .find(|&&b| matches!(b, b'/' | b'\\' | b'?' | b'#' | b'@') || b <= b' ' || b >= 0x7f)
    {
        return Err(match b {
            b'/' | b'\\' => Flaw::Path,
            b'?' => Flaw::Query,
            b'#' => Flaw::Fragment,
            b'@' => Flaw::Userinfo,
            b if b >= 0x80 => Flaw::NonAscii,
            _ => Flaw::Whitespace,
        });
    }
    let authority = rest;
    if authority.is_empty() {
        return Err(Flaw::EmptyHost);
    }

    // Host and port.
    let (host_all, port_text) = if authority[0] == b'[' {
        let close = authority
            .iter()
            .position(|&b| b == b']')
            .ok_or(Flaw::BadIpv6)?;
        let after = &authority[close + 1..];
        match after {
            [] => (&authority[..=close], None),
            [b':', port @ ..] => (&authority[..=close], Some(port)),
            _ => return Err(Flaw::BadIpv6),
        }
    } else {
        match authority.iter().rposition(|&b| b == b':') {
            Some(colon) => (&authority[..colon], Some(&authority[colon + 1..])),
            None => (authority, None),
        }
    };
    let without_port = sep + 3 + host_all.len();

    let port = match port_text {
        None => Port::Default,
        Some(b"*") if wildcards => Port::Any,
        Some(p) => parse_port(p, scheme)?,
    };

    let (wildcard, host) = match host_all {
        [b'*', b'.', host @ ..] if wildcards => (true, host),
        _ => (false, host_all),
    };
    if host.is_empty() {
        return Err(Flaw::EmptyHost);
    }
    if host.contains(&b'*') {
        return Err(Flaw::MisplacedWildcard);
    }
    let host_kind = if host[0] == b'[' {
        if wildcard {
            return Err(Flaw::MisplacedWildcard);
        }
        check_ipv6(host)?;
        HostKind::Ipv6
    } else {
        check_dns_or_ipv4(host)?
    };
    if wildcard && host_kind != HostKind::Dns {
        return Err(Flaw::MisplacedWildcard);
    }
    Ok(Parts {
        scheme,
        host,
        host_kind,
        wildcard,
        port,
        without_port,
    })
}

const LETTER: u8 = 1;
const DIGIT: u8 = 2;
const HYPHEN: u8 = 4;
/// Bytes a scheme may hold after its first letter: `[a-z0-9+.-]`.
const SCHEME: u8 = 8;

/// What each byte may be in a request origin's scheme and DNS host.
const BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b'a'..=b'z' => LETTER | SCHEME,
            b'0'..=b'9' => DIGIT | SCHEME,
            b'-' => HYPHEN | SCHEME,
            b'+' | b'.' => SCHEME,
            _ => 0,
        };
        b += 1;
    }
    t
};

/// The hot-path form of `parse(input, false)`: one pass over the bytes for
/// the usual DNS-named origin, deferring to [`parse`] only for IP literals.
/// Agrees with `parse(input, false).ok()` on every input (property tested).
#[inline]
pub(crate) fn parse_request(input: &[u8]) -> Option<Parts<'_>> {
    let n = input.len();
    if n == 0 || n > MAX_ORIGIN_LEN || !input[0].is_ascii_lowercase() {
        return None;
    }
    let mut i = 1;
    while input
        .get(i)
        .is_some_and(|&b| BYTE_CLASS[b as usize] & SCHEME != 0)
    {
        i += 1;
    }
    let scheme = &input[..i];
    if input.get(i..i + 3) != Some(b"://") {
        return None;
    }
    i += 3;
    // Labels of [a-z0-9-], 1..=63 bytes, no leading or trailing '-', split
    // by single dots and ended by ':' or the end. Anything else (IP
    // literals, malformed hosts) goes to the full parser, which decides.
    let mut last_label_numeric;
    loop {
        let start = i;
        let mut seen = 0u8;
        while let Some(&b) = input.get(i) {
            let class = BYTE_CLASS[b as usize] & (LETTER | DIGIT | HYPHEN);
            if class == 0 {
                break;
            }
            seen |= class;
            i += 1;
        }
        let label = &input[start..i];
        match (label.first(), label.last()) {
            (Some(&first), Some(&last)) if first != b'-' && last != b'-' && label.len() <= 63 => {}
            _ => return parse(input, false).ok(),
        }
        last_label_numeric = seen == DIGIT;
        if input.get(i) == Some(&b'.') {
            i += 1;
        } else {
            break;
        }
    }
    if !matches!(input.get(i), None | Some(b':')) || last_label_numeric {
        return parse(input, false).ok();
    }
    let host_start = scheme.len() + 3;
    let without_port = i;
    let port = if i == n {
        Port::Default
    } else {
        match parse_port(&input[i + 1..], scheme) {
            Ok(port) => port,
            Err(_) => return None,
        }
    };
    Some(Parts {
        scheme,
        host: &input[host_start..without_port],
        host_kind: HostKind::Dns,
        wildcard: false,
        port,
        without_port,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_scheme(s: &[u8]) -> bool {
    match s {
        [first, rest @ ..] => {
            first.is_ascii_lowercase()
                && rest.iter().all(|&b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')
                })
        }
        [] => false,
    }
}

fn parse_port(p: &[u8], scheme: &[u8]) -> Result<Port, Flaw> {
    if p.is_empty() || p.len() > 5 || !p.iter().all(u8::is_ascii_digit) {
        return Err(if p.contains(&b'*') {
            Flaw::MisplacedWildcard
        } else {
            Flaw::BadPort
        });
    }
    let value = p
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    if value == 0 || value > 65_535 {
        return Err(Flaw::BadPort);
    }
    if p[0] == b'0' {
        return Err(Flaw::LeadingZeroPort);
    }
    let value = value as u16;
    if default_port(scheme) == Some(value) {
        return Err(Flaw::DefaultPort);
    }
    Ok(Port::Explicit(value))
}

fn check_dns_or_ipv4(host: &[u8]) -> Result<HostKind, Flaw> {
    if host.iter().any(u8::is_ascii_uppercase) {
        return Err(Flaw::UppercaseHost);
    }
    // As in the URL standard, a host whose last label is numeric is an IPv4 address.
    let last = host.rsplit(|&b| b == b'.').next().unwrap_or(host);
    if !last.is_empty() && last.iter().all(u8::is_ascii_digit) {
        let mut parts = 0;
        for part in host.split(|&b| b == b'.') {
            parts += 1;
            let ok = !part.is_empty()
                && part.len() <= 3
                && part.iter().all(u8::is_ascii_digit)
                && (part.len() == 1 || part[0] != b'0')
                && part
                    .iter()
                    .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'))
                    <= 255;
            if !ok {
                return Err(Flaw::BadIpv4);
            }
        }
        return if parts == 4 {
            Ok(HostKind::Ipv4)
        } else {
            Err(Flaw::BadIpv4)
        };
    }
    for label in host.split(|&b| b == b'.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && label
                .iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && label[0] != b'-'
            && label[label.len() - 1] != b'-';
        if !ok {
            return Err(Flaw::BadLabel);
        }
    }
    Ok(HostKind::Dns)
}

/// Checks `[addr]` and that `addr` is in the form browsers serialize.
fn check_ipv6(host: &[u8]) -> Result<(), Flaw> {
    let inner = &host[1..host.len() - 1];
    let addr = canonical_ipv6(inner).ok_or(Flaw::BadIpv6)?;
    if addr.as_bytes() != inner {
        return Err(Flaw::UncompressedIpv6);
    }
    Ok(())
}

/// The URL standard's IPv6 serialization (RFC 5952 without dotted quads) of
/// `text`, or `None` when it is not an IPv6 address.
fn canonical_ipv6(text: &[u8]) -> Option<InlineStr> {
    let text = std::str::from_utf8(text).ok()?;
    let addr: Ipv6Addr = text.parse().ok()?;
    let segs = addr.segments();
    // Longest run of two or more zero pieces, the first one on a tie.
    let (mut best_start, mut best_len) = (usize::MAX, 1);
    let mut i = 0;
    while i < 8 {
        if segs[i] == 0 {
            let start = i;
            while i < 8 && segs[i] == 0 {
                i += 1;
            }
            if i - start > best_len {
                best_start = start;
                best_len = i - start;
            }
        } else {
            i += 1;
        }
    }
    let mut out = InlineStr::default();
    let mut i = 0;
    while i < 8 {
        if i == best_start {
            out.push_str(if i == 0 { "::" } else { ":" });
            i += best_len;
            continue;
        }
        let _ = write!(out, "{:x}", segs[i]);
        if i < 7 {
            out.push_str(":");
        }
        i += 1;
    }
    Some(out)
}

/// A small stack string for canonical IPv6 text (at most 39 bytes).
struct InlineStr {
    buf: [u8; 48],
    len: usize,
}

impl Default for InlineStr {
    fn default() -> Self {
        InlineStr {
            buf: [0; 48],
            len: 0,
        }
    }
}

impl InlineStr {
    fn push_str(&mut self, s: &str) {
        let end = self.len + s.len();
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl std::fmt::Write for InlineStr {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.len + s.len() > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.push_str(s);
        Ok(())
    }
}

/// The canonical origin (or pattern) that `input` most likely meant, if the
/// obvious repairs (lowercase, drop path, userinfo and default port, compress
/// IPv6) give one.
pub(crate) fn suggest(input: &str, wildcards: bool) -> Option<String> {
    let trimmed = input.trim();
    let (scheme, rest) = trimmed.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        let (inner, after) = stripped.split_once(']')?;
        let canon = canonical_ipv6(inner.as_bytes())?;
        let host = format!("[{}]", std::str::from_utf8(canon.as_bytes()).ok()?);
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    let host = host.trim_end_matches('.');
    let port = match port {
        None | Some("") => String::new(),
        Some("*") => ":*".to_owned(),
        Some(p) => {
            let n: u16 = p.parse().ok()?;
            if default_port(scheme.as_bytes()) == Some(n) {
                String::new()
            } else {
                format!(":{n}")
            }
        }
    };
    let candidate = format!("{scheme}://{host}{port}");
    (candidate != input && parse(candidate.as_bytes(), wildcards).is_ok()).then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Parts<'_> {
        parse(s.as_bytes(), true).unwrap_or_else(|f| panic!("{s}: {f:?}"))
    }

    fn flaw(s: &str, wildcards: bool) -> Flaw {
        parse(s.as_bytes(), wildcards).expect_err(s)
    }

    #[test]
    fn accepts_canonical_origins() {
        for s in [
            "https://app.example.com",
            "http://localhost:3000",
            "http://[::1]:8080",
            "http://127.0.0.1",
            "https://xn--bcher-kva.example",
            "chrome-extension://abcdef",
            "http://[2001:db8::1]",
            "http://[::ffff:102:304]",
        ] {
            let p = parse(s.as_bytes(), false).unwrap_or_else(|f| panic!("{s}: {f:?}"));
            assert!(!p.wildcard);
        }
    }

    #[test]
    fn parts() {
        let p = ok("https://*.example.com:*");
        assert!(p.wildcard);
        assert_eq!(p.host, b"example.com");
        assert_eq!(p.port, Port::Any);
        assert_eq!(p.without_port, "https://*.example.com".len());
        let p = ok("http://[::1]:8080");
        assert_eq!(p.host, b"[::1]");
        assert_eq!(p.port, Port::Explicit(8080));
        assert!(p.is_loopback());
        assert!(ok("http://a.localhost").is_loopback());
        assert!(ok("http://127.9.9.9").is_loopback());
        assert!(ok("http://example.com").is_insecure());
        assert!(!ok("https://example.com").is_insecure());
    }

    #[test]
    fn names_each_flaw() {
        let cases = [
            ("", Flaw::Empty),
            ("example.com", Flaw::NoScheme),
            ("HTTPS://example.com", Flaw::BadScheme),
            ("https://example.com/", Flaw::Path),
            ("https://example.com/app", Flaw::Path),
            ("https://example.com?x", Flaw::Query),
            ("https://example.com#x", Flaw::Fragment),
            ("https://user@example.com", Flaw::Userinfo),
            ("https://user@example.com/x", Flaw::Userinfo),
            ("https://exa mple.com", Flaw::Whitespace),
            ("https://example.com\r\n", Flaw::Whitespace),
            ("https://bücher.example", Flaw::NonAscii),
            ("https://Example.com", Flaw::UppercaseHost),
            ("https://example.com.", Flaw::BadLabel),
            ("https://-a.example.com", Flaw::BadLabel),
            ("https://a..example.com", Flaw::BadLabel),
            ("http://127.0.0.01", Flaw::BadIpv4),
            ("http://256.0.0.1", Flaw::BadIpv4),
            ("http://1.2.3", Flaw::BadIpv4),
            ("http://[::1", Flaw::BadIpv6),
            ("http://[fe80::1%eth0]", Flaw::BadIpv6),
            ("http://[0:0:0:0:0:0:0:1]", Flaw::UncompressedIpv6),
            ("http://[::FFFF:1.2.3.4]", Flaw::UncompressedIpv6),
            ("http://example.com:0", Flaw::BadPort),
            ("http://example.com:65536", Flaw::BadPort),
            ("http://example.com:", Flaw::BadPort),
            ("http://example.com:080", Flaw::LeadingZeroPort),
            ("http://example.com:80", Flaw::DefaultPort),
            ("wss://example.com:443", Flaw::DefaultPort),
            ("https://", Flaw::EmptyHost),
            ("https://a.*.example.com", Flaw::MisplacedWildcard),
            ("https://*example.com", Flaw::MisplacedWildcard),
            ("https://*", Flaw::MisplacedWildcard),
            ("https://*.", Flaw::EmptyHost),
            ("https://*.1.2.3.4", Flaw::MisplacedWildcard),
            ("http://localhost:8*", Flaw::MisplacedWildcard),
        ];
        for (s, f) in cases {
            assert_eq!(flaw(s, true), f, "{s}");
        }
        assert_eq!(
            flaw("https://*.example.com", false),
            Flaw::MisplacedWildcard
        );
        assert_eq!(flaw("http://localhost:*", false), Flaw::MisplacedWildcard);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        #[test]
        fn fast_request_parser_agrees_with_the_full_one(
            s in "(https?|wss?|x-y\\+z|H)(://|:/|//)?([a-z0-9.-]{0,8}|\\[[0-9a-f:.]{0,12}\\]|[0-9.]{0,16}|[A-Za-z0-9*@/?# %._-]{0,6}|([a-z0-9-]{0,3}\\.)?[a-z0-9-]{61,65}(\\.[a-z0-9-]{1,3})?)(:[0-9*]{0,6})?[/ ]?"
        ) {
            let fast = parse_request(s.as_bytes()).map(|p| (p.scheme, p.host, p.host_kind, p.port, p.without_port));
            let full = parse(s.as_bytes(), false).ok().map(|p| (p.scheme, p.host, p.host_kind, p.port, p.without_port));
            proptest::prop_assert_eq!(fast, full, "{}", s);
        }
    }

    #[test]
    fn canonical_ipv6_follows_the_url_standard() {
        let c = |s: &str| {
            String::from_utf8(canonical_ipv6(s.as_bytes()).unwrap().as_bytes().to_vec()).unwrap()
        };
        assert_eq!(c("0:0:0:0:0:0:0:1"), "::1");
        assert_eq!(c("::"), "::");
        assert_eq!(c("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(c("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
        assert_eq!(c("::ffff:1.2.3.4"), "::ffff:102:304");
        assert_eq!(c("1::"), "1::");
        assert!(canonical_ipv6(b"1:::2").is_none());
    }

    #[test]
    fn suggestions() {
        let s = |x: &str| suggest(x, true);
        assert_eq!(
            s("https://example.com/").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            s("https://Example.COM:443/x?y").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            s("http://[0:0:0:0:0:0:0:1]:80").as_deref(),
            Some("http://[::1]")
        );
        assert_eq!(
            s("https://user@example.com").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            s("http://localhost:03000").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(s("https://example.com"), None);
        assert_eq!(s("nonsense"), None);
    }
}
