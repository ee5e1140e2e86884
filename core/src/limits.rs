//! The bounds on request input (SPEC §1), in one place for every surface.
//!
//! Lengths are measured on the raw header values as received, before the
//! leading and trailing whitespace is trimmed, so an oversized value is refused
//! from its length alone, without reading it.

/// Longest `Origin` value accepted, in bytes.
pub const MAX_ORIGIN_LEN: usize = 512;
/// Longest `Access-Control-Request-Method` value accepted, in bytes.
pub const MAX_REQUEST_METHOD_LEN: usize = 64;
/// Most bytes over all `Access-Control-Request-Headers` lines together.
pub const MAX_REQUEST_HEADERS_LEN: usize = 4096;
/// Most `Access-Control-Request-Headers` lines.
pub const MAX_REQUEST_HEADERS_LINES: usize = 16;
/// Most header names in `Access-Control-Request-Headers`.
pub const MAX_REQUEST_HEADERS_NAMES: usize = 64;
/// Most empty items (`a,,b`) tolerated in `Access-Control-Request-Headers`.
pub const MAX_REQUEST_HEADERS_EMPTY: usize = 16;

/// Capacity of the inline buffer that holds requested header names echoed
/// back under a credentialed `"*"` (lowercased, joined by `,`): the names fit
/// in the request bytes, plus one separator per extra line.
pub const REFLECTED_HEADERS_CAP: usize = MAX_REQUEST_HEADERS_LEN + MAX_REQUEST_HEADERS_LINES;

/// Longest `max_age` accepted, in seconds (one day).
pub const MAX_MAX_AGE: u32 = 86_400;
/// Chrome caps preflight caching at this many seconds; longer values only lint.
pub const CHROME_MAX_AGE_CAP: u32 = 7_200;

/// Most `Vary` tokens a decision names (a private-network preflight's four).
pub const MAX_VARY_TOKENS: usize = 4;
/// Most response headers a decision sets.
pub const MAX_RESPONSE_HEADERS: usize = 9;

/// Longest request path that is normalized for route matching, in bytes. A
/// path already in normal form (no `%`, `\\` or dot segment) is matched at
/// any length; a longer one that needs rewriting matches no route.
pub const MAX_PATH_LEN: usize = 4096;
