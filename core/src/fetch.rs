//! Facts from the Fetch Standard and HTTP that the engine and the validator
//! share: tokens, forbidden names, safelisted methods.

/// `tchar` from RFC 9110 §5.6.2, as a lookup table.
const TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        c += 1;
    }
    t
};

/// Whether `b` is an HTTP token character.
#[inline]
pub(crate) fn is_tchar(b: u8) -> bool {
    TCHAR[b as usize]
}

/// Whether `s` is a non-empty HTTP token (method or header name).
#[inline]
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Methods every CORS request may use without being listed (Fetch "CORS-safelisted method").
pub const SAFELISTED_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

/// Methods browsers upper-case when a script writes them in any case (Fetch "normalize a method").
pub const NORMALIZED_METHODS: [&str; 6] = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"];

/// Methods Fetch forbids outright, compared ignoring case.
pub const FORBIDDEN_METHODS: [&str; 3] = ["CONNECT", "TRACE", "TRACK"];

/// Fetch's forbidden request-header names (lowercase); `proxy-*` and `sec-*` too.
pub const FORBIDDEN_REQUEST_HEADERS: [&str; 21] = [
    "accept-charset",
    "accept-encoding",
    "access-control-request-headers",
    "access-control-request-method",
    "connection",
    "content-length",
    "cookie",
    "cookie2",
    "date",
    "dnt",
    "expect",
    "host",
    "keep-alive",
    "origin",
    "referer",
    "set-cookie",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "via",
];

/// Prefixes that make a request-header name forbidden.
pub const FORBIDDEN_REQUEST_HEADER_PREFIXES: [&str; 2] = ["proxy-", "sec-"];

/// Response headers that scripts can never read, so exposing them is an error.
pub const FORBIDDEN_RESPONSE_HEADERS: [&str; 2] = ["set-cookie", "set-cookie2"];

/// Whether `name` (any case) is a forbidden request-header name.
pub fn is_forbidden_request_header(name: &[u8]) -> bool {
    // Most names start with a letter no forbidden name starts with.
    let first = name.first().map_or(0, u8::to_ascii_lowercase);
    if !first.is_ascii_lowercase() || FORBIDDEN_FIRST_LETTERS >> (first - b'a') & 1 == 0 {
        return false;
    }
    FORBIDDEN_REQUEST_HEADER_PREFIXES
        .iter()
        .any(|p| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p.as_bytes()))
        || FORBIDDEN_REQUEST_HEADERS
            .iter()
            .any(|f| f.len() == name.len() && f.as_bytes().eq_ignore_ascii_case(name))
}

/// Bit `c - 'a'` is set for each first letter of a forbidden request-header
/// name or prefix (all lowercase letters).
const FORBIDDEN_FIRST_LETTERS: u32 = {
    let mut mask = 0u32;
    let mut i = 0;
    while i < FORBIDDEN_REQUEST_HEADERS.len() {
        mask |= 1 << (FORBIDDEN_REQUEST_HEADERS[i].as_bytes()[0] - b'a');
        i += 1;
    }
    let mut i = 0;
    while i < FORBIDDEN_REQUEST_HEADER_PREFIXES.len() {
        mask |= 1 << (FORBIDDEN_REQUEST_HEADER_PREFIXES[i].as_bytes()[0] - b'a');
        i += 1;
    }
    mask
};

/// Whether `name` (any case) is a forbidden response-header name.
pub fn is_forbidden_response_header(name: &[u8]) -> bool {
    FORBIDDEN_RESPONSE_HEADERS
        .iter()
        .any(|f| f.as_bytes().eq_ignore_ascii_case(name))
}

/// Whether `method` is CONNECT, TRACE or TRACK in any case.
pub fn is_forbidden_method(method: &[u8]) -> bool {
    FORBIDDEN_METHODS
        .iter()
        .any(|f| f.as_bytes().eq_ignore_ascii_case(method))
}

/// Whether `method` is GET, HEAD or POST, byte for byte.
#[inline]
pub fn is_safelisted_method(method: &[u8]) -> bool {
    matches!(method, b"GET" | b"HEAD" | b"POST")
}

/// Trims leading and trailing spaces and tabs (HTTP optional whitespace).
#[inline]
pub fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(is_token(b"X-Custom_1"));
        assert!(is_token(b"*"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a:b"));
        assert!(!is_token("é".as_bytes()));
    }

    #[test]
    fn forbidden_names() {
        assert!(is_forbidden_request_header(b"Cookie"));
        assert!(is_forbidden_request_header(b"sec-fetch-mode"));
        assert!(is_forbidden_request_header(b"Proxy-Authorization"));
        assert!(!is_forbidden_request_header(b"authorization"));
        assert!(!is_forbidden_request_header(b"secret"));
        assert!(is_forbidden_response_header(b"Set-Cookie"));
        assert!(is_forbidden_method(b"trace"));
        assert!(!is_forbidden_method(b"TRACES"));
    }

    #[test]
    fn trims_only_spaces_and_tabs() {
        assert_eq!(trim_ows(b" \ta b\t "), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
        assert_eq!(trim_ows(b"\r\nx"), b"\r\nx");
    }
}
