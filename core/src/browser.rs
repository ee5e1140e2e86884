//! The browser's side of CORS, written once: Fetch's "CORS check", the
//! CORS-preflight checks, and whether a request needs a preflight at all, with
//! the console messages Chrome and Firefox print for each failure.
//!
//! This is off the hot path (it allocates freely): it serves `corsgate probe`,
//! the browser harness, and tests that run the engine's answers through what a
//! browser would do with them.
//!
//! ```
//! use corsgate::browser::{check_preflight, Fetch, Response};
//!
//! let fetch = Fetch::new("https://api.example.com/x", "https://app.example.com", "PATCH");
//! assert!(fetch.needs_preflight());
//! let response = Response::new(204)
//!     .header("Access-Control-Allow-Origin", "https://app.example.com")
//!     .header("Access-Control-Allow-Methods", "PUT");
//! let err = check_preflight(&fetch, &response).unwrap_err();
//! assert!(err.chrome(&fetch).ends_with(
//!     "Method PATCH is not allowed by Access-Control-Allow-Methods in preflight response."
//! ));
//! ```

use crate::explain::escape;
use crate::fetch::{is_token, trim_ows};

/// A request as a page's script makes it: what the browser will send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetch {
    /// The resource URL (quoted in console messages).
    pub url: String,
    /// The serialized origin of the page (`null` for opaque origins).
    pub origin: String,
    /// The method, exactly as it goes on the wire.
    pub method: String,
    /// The headers the script set (author request headers), in order.
    pub headers: Vec<(String, String)>,
    /// Credentials mode `include` (cookies, `withCredentials`).
    pub credentials: bool,
}

impl Fetch {
    /// A request from `origin` to `url` with `method` and no headers.
    pub fn new(url: &str, origin: &str, method: &str) -> Self {
        Fetch {
            url: url.to_owned(),
            origin: origin.to_owned(),
            method: method.to_owned(),
            headers: Vec::new(),
            credentials: false,
        }
    }

    /// Adds a header the script sets.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets credentials mode `include` (or not).
    #[must_use]
    pub fn credentials(mut self, include: bool) -> Self {
        self.credentials = include;
        self
    }

    /// Fetch's "CORS-unsafe request-header names": lowercase, sorted, unique.
    pub fn unsafe_header_names(&self) -> Vec<String> {
        let mut unsafe_names = Vec::new();
        let mut safelisted_bytes = 0;
        let mut safelisted = Vec::new();
        for (name, value) in &self.headers {
            if is_safelisted_request_header(name, value) {
                safelisted_bytes += value.len();
                safelisted.push(name.to_ascii_lowercase());
            } else {
                unsafe_names.push(name.to_ascii_lowercase());
            }
        }
        if safelisted_bytes > 1024 {
            unsafe_names.extend(safelisted);
        }
        unsafe_names.sort();
        unsafe_names.dedup();
        unsafe_names
    }

    /// Whether the browser sends a preflight first: a method other than
    /// GET, HEAD or POST (byte for byte), or a CORS-unsafe request header.
    pub fn needs_preflight(&self) -> bool {
        !is_safelisted_method(&self.method) || !self.unsafe_header_names().is_empty()
    }

    /// The CORS header lines of the preflight: `Origin`,
    /// `Access-Control-Request-Method`, and `Access-Control-Request-Headers`
    /// when there are unsafe headers.
    pub fn preflight_headers(&self) -> Vec<(&'static str, String)> {
        let mut lines = vec![
            ("Origin", self.origin.clone()),
            ("Access-Control-Request-Method", self.method.clone()),
        ];
        let names = self.unsafe_header_names();
        if !names.is_empty() {
            lines.push(("Access-Control-Request-Headers", names.join(",")));
        }
        lines
    }
}

/// A response as the browser received it: status and header lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The header lines, in order (repeats possible).
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Response {
    /// A response with `status` and no headers.
    pub fn new(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
        }
    }

    /// Adds a header line.
    #[must_use]
    pub fn header(mut self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.headers
            .push((name.to_owned(), value.as_ref().to_vec()));
        self
    }

    /// Fetch's "get": the values of every `name` line joined with `, `, or
    /// `None` when there is none.
    pub fn get(&self, name: &str) -> Option<Vec<u8>> {
        let mut out: Option<Vec<u8>> = None;
        for (n, v) in &self.headers {
            if n.eq_ignore_ascii_case(name) {
                let v = trim_ows(v);
                match &mut out {
                    None => out = Some(v.to_vec()),
                    Some(o) => {
                        o.extend_from_slice(b", ");
                        o.extend_from_slice(v);
                    }
                }
            }
        }
        out
    }

    fn count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }
}

/// Which request of the exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The `OPTIONS` preflight.
    Preflight,
    /// The request the script made.
    Actual,
}

/// What the browser found wrong, in Chrome's order of checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No `Access-Control-Allow-Origin`.
    MissingAllowOrigin,
    /// More than one origin in `Access-Control-Allow-Origin` (the joined value).
    MultipleAllowOriginValues(String),
    /// `Access-Control-Allow-Origin` is neither `*`, `null` nor an origin.
    InvalidAllowOriginValue(String),
    /// `*` answered to a request with credentials.
    WildcardOriginWithCredentials,
    /// `Access-Control-Allow-Origin` names another origin.
    AllowOriginMismatch(String),
    /// Credentials sent, `Access-Control-Allow-Credentials` not `true` (its value).
    AllowCredentialsNotTrue(String),
    /// The preflight status was not 200..=299.
    PreflightStatus,
    /// `Access-Control-Allow-Methods` has an item that is not a token.
    InvalidAllowMethods(String),
    /// `Access-Control-Allow-Headers` has an item that is not a token.
    InvalidAllowHeaders(String),
    /// The method is not allowed by the preflight response.
    MethodNotAllowed(String),
    /// A request header (lowercase) is not allowed by the preflight response.
    HeaderNotAllowed(String),
}

/// A failed CORS exchange: which step, its status, and what failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowserError {
    /// The request that failed.
    pub step: Step,
    /// That response's status.
    pub status: u16,
    /// What Chrome reports.
    pub failure: Failure,
}

impl BrowserError {
    /// The message Chrome prints in the console for `fetch` (current Chrome:
    /// the "set the request's mode to 'no-cors'" hints of older versions
    /// are gone from the console, checked by tests/browser).
    pub fn chrome(&self, fetch: &Fetch) -> String {
        let url = escape(fetch.url.as_bytes());
        let origin = escape(fetch.origin.as_bytes());
        let preflight = self.step == Step::Preflight;
        let detail = match &self.failure {
            Failure::MissingAllowOrigin => {
                "No 'Access-Control-Allow-Origin' header is present on the requested resource."
                    .to_owned()
            }
            Failure::MultipleAllowOriginValues(v) => format!(
                "The 'Access-Control-Allow-Origin' header contains multiple values '{}', but only one is allowed.",
                escape(v.as_bytes())
            ),
            Failure::InvalidAllowOriginValue(v) => format!(
                "The 'Access-Control-Allow-Origin' header contains the invalid value '{}'.",
                escape(v.as_bytes())
            ),
            Failure::WildcardOriginWithCredentials => "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'.".to_owned(),
            Failure::AllowOriginMismatch(v) => format!(
                "The 'Access-Control-Allow-Origin' header has a value '{}' that is not equal to the supplied origin.",
                escape(v.as_bytes())
            ),
            Failure::AllowCredentialsNotTrue(v) => format!(
                "The value of the 'Access-Control-Allow-Credentials' header in the response is '{}' which must be 'true' when the request's credentials mode is 'include'.",
                escape(v.as_bytes())
            ),
            Failure::PreflightStatus => "It does not have HTTP ok status.".to_owned(),
            Failure::InvalidAllowMethods(_) => "Cannot parse Access-Control-Allow-Methods response header field in preflight response.".to_owned(),
            Failure::InvalidAllowHeaders(_) => "Cannot parse Access-Control-Allow-Headers response header field in preflight response.".to_owned(),
            Failure::MethodNotAllowed(m) => format!(
                "Method {} is not allowed by Access-Control-Allow-Methods in preflight response.",
                escape(m.as_bytes())
            ),
            Failure::HeaderNotAllowed(h) => format!(
                "Request header field {} is not allowed by Access-Control-Allow-Headers in preflight response.",
                escape(h.as_bytes())
            ),
        };
        let access_check = preflight
            && !matches!(
                self.failure,
                Failure::MethodNotAllowed(_)
                    | Failure::HeaderNotAllowed(_)
                    | Failure::InvalidAllowMethods(_)
                    | Failure::InvalidAllowHeaders(_)
            );
        let prefix = if access_check {
            "Response to preflight request doesn't pass access control check: "
        } else {
            ""
        };
        format!("Access to fetch at '{url}' from origin '{origin}' has been blocked by CORS policy: {prefix}{detail}")
    }

    /// The message Firefox prints in the console for `fetch`. Firefox checks
    /// a preflight's status first, so a non-2xx preflight always reads
    /// "did not succeed", whatever else is wrong.
    pub fn firefox(&self, fetch: &Fetch) -> String {
        let url = escape(fetch.url.as_bytes());
        let blocked =
            format!("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {url}.");
        if self.step == Step::Preflight && !(200..=299).contains(&self.status) {
            return format!(
                "{blocked} (Reason: CORS preflight response did not succeed). Status code: {}.",
                self.status
            );
        }
        let reason = match &self.failure {
            Failure::MissingAllowOrigin => {
                "CORS header \u{2018}Access-Control-Allow-Origin\u{2019} missing".to_owned()
            }
            Failure::MultipleAllowOriginValues(_) => {
                "Multiple CORS header \u{2018}Access-Control-Allow-Origin\u{2019} not allowed"
                    .to_owned()
            }
            Failure::InvalidAllowOriginValue(v) | Failure::AllowOriginMismatch(v) => format!(
                "CORS header \u{2018}Access-Control-Allow-Origin\u{2019} does not match \u{2018}{}\u{2019}",
                escape(v.as_bytes())
            ),
            Failure::WildcardOriginWithCredentials => {
                return format!("Cross-Origin Request Blocked: The Same Origin Policy does not allow reading the remote resource at \u{2018}{url}\u{2019}. (Reason: Credential is not supported if the CORS header \u{2018}Access-Control-Allow-Origin\u{2019} is \u{2018}*\u{2019}).");
            }
            Failure::AllowCredentialsNotTrue(_) => {
                "expected \u{2018}true\u{2019} in CORS header \u{2018}Access-Control-Allow-Credentials\u{2019}".to_owned()
            }
            Failure::PreflightStatus => "CORS preflight response did not succeed".to_owned(),
            Failure::InvalidAllowMethods(t) => format!(
                "invalid token \u{2018}{}\u{2019} in CORS header \u{2018}Access-Control-Allow-Methods\u{2019}",
                escape(t.as_bytes())
            ),
            Failure::InvalidAllowHeaders(t) => format!(
                "invalid token \u{2018}{}\u{2019} in CORS header \u{2018}Access-Control-Allow-Headers\u{2019}",
                escape(t.as_bytes())
            ),
            Failure::MethodNotAllowed(_) => {
                "Did not find method in CORS header \u{2018}Access-Control-Allow-Methods\u{2019}"
                    .to_owned()
            }
            Failure::HeaderNotAllowed(h) => format!(
                "header \u{2018}{}\u{2019} is not allowed according to header \u{2018}Access-Control-Allow-Headers\u{2019} from CORS preflight response",
                escape(h.as_bytes())
            ),
        };
        format!("{blocked} (Reason: {reason}).")
    }

    /// The likely server-side fix, in one sentence.
    pub fn fix(&self) -> String {
        match &self.failure {
            Failure::MissingAllowOrigin if self.step == Step::Preflight => "the server refused the preflight or does not answer CORS on this route: allow the origin, the method and every header asked for (`corsgate check --request-method ... --request-headers ...` names the one refused)".to_owned(),
            Failure::MissingAllowOrigin => "allow this origin in the server's CORS policy (`origins`), and make sure the route answers with corsgate's headers".to_owned(),
            Failure::MultipleAllowOriginValues(_) => "send exactly one Access-Control-Allow-Origin: two layers (proxy and app) are probably both adding it".to_owned(),
            Failure::InvalidAllowOriginValue(_) | Failure::AllowOriginMismatch(_) => "echo the request's Origin byte for byte (or `*` without credentials); a cached response for another origin may be missing `Vary: Origin`".to_owned(),
            Failure::WildcardOriginWithCredentials => "with credentials, list the origin explicitly and set `credentials = true` so the Origin is echoed instead of `*`".to_owned(),
            Failure::AllowCredentialsNotTrue(_) => "set `credentials = true` in the policy, or send the request without credentials".to_owned(),
            Failure::PreflightStatus => "answer OPTIONS preflights with a 2xx status before authentication or routing rejects them".to_owned(),
            Failure::InvalidAllowMethods(_) | Failure::InvalidAllowHeaders(_) => "send a comma-separated list of tokens".to_owned(),
            Failure::MethodNotAllowed(m) => format!("add \"{}\" to `methods` (exactly as sent: methods are case-sensitive)", escape(m.as_bytes())),
            Failure::HeaderNotAllowed(h) if h == "authorization" => "add \"authorization\" to `request_headers` by name: `*` never covers it".to_owned(),
            Failure::HeaderNotAllowed(h) => format!("add \"{}\" to `request_headers`", escape(h.as_bytes())),
        }
    }
}

/// What a passed preflight grants, for the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreflightGrant {
    /// `Access-Control-Allow-Methods` items (absent header: empty).
    pub methods: Vec<String>,
    /// `Access-Control-Allow-Headers` items, lowercase.
    pub headers: Vec<String>,
    /// `Access-Control-Max-Age` when it parses (browsers default to 5 s and
    /// cap it: Chrome at 7200 s, Firefox at 86400 s).
    pub max_age: Option<u64>,
}

/// Whether `method` is GET, HEAD or POST, byte for byte.
pub fn is_safelisted_method(method: &str) -> bool {
    crate::fetch::is_safelisted_method(method.as_bytes())
}

/// Fetch's "normalize a method": DELETE, GET, HEAD, OPTIONS, POST and PUT
/// are upper-cased whatever case the script wrote; other methods stay as written.
pub fn normalize_method(method: &str) -> String {
    let upper = method.to_ascii_uppercase();
    if crate::fetch::NORMALIZED_METHODS.contains(&upper.as_str()) {
        upper
    } else {
        method.to_owned()
    }
}

fn is_unsafe_byte(b: u8) -> bool {
    (b < 0x20 && b != b'\t')
        || matches!(
            b,
            b'"' | b'('
                | b')'
                | b':'
                | b'<'
                | b'>'
                | b'?'
                | b'@'
                | b'['
                | b'\\'
                | b']'
                | b'{'
                | b'}'
                | 0x7f
        )
}

/// Fetch's "CORS-safelisted request-header" for one header line.
pub fn is_safelisted_request_header(name: &str, value: &str) -> bool {
    let value = value.as_bytes();
    if value.len() > 128 {
        return false;
    }
    match name.to_ascii_lowercase().as_str() {
        "accept" => !value.iter().any(|&b| is_unsafe_byte(b)),
        "accept-language" | "content-language" => value.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b' ' | b'*' | b',' | b'-' | b'.' | b';' | b'=')
        }),
        "content-type" => {
            if value.iter().any(|&b| is_unsafe_byte(b)) {
                return false;
            }
            let essence = value.split(|&b| b == b';').next().unwrap_or_default();
            let essence = trim_http_ws(essence).to_ascii_lowercase();
            matches!(
                essence.as_slice(),
                b"application/x-www-form-urlencoded" | b"multipart/form-data" | b"text/plain"
            )
        }
        "range" => is_simple_range(value),
        _ => false,
    }
}

fn trim_http_ws(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | b'\r' | b'\n', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t' | b'\r' | b'\n'] = s {
        s = rest;
    }
    s
}

/// `bytes=N-` or `bytes=N-M` with N ≤ M (Fetch "simple range header value").
fn is_simple_range(value: &[u8]) -> bool {
    let Some(rest) = value.strip_prefix(b"bytes=") else {
        return false;
    };
    let digits = |s: &[u8]| -> Option<Option<u64>> {
        if s.is_empty() {
            return Some(None);
        }
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(s).ok()?.parse().ok().map(Some)
    };
    let Some(dash) = rest.iter().position(|&b| b == b'-') else {
        return false;
    };
    match (digits(&rest[..dash]), digits(&rest[dash + 1..])) {
        (Some(Some(start)), Some(Some(end))) => start <= end,
        (Some(Some(_)), Some(None)) => true,
        _ => false,
    }
}

/// Fetch's "CORS check": the response's `Access-Control-Allow-Origin` and
/// `Access-Control-Allow-Credentials` against the request origin and
/// credentials mode.
pub fn cors_check(origin: &str, credentials: bool, response: &Response) -> Result<(), Failure> {
    let Some(allow) = response.get("Access-Control-Allow-Origin") else {
        return Err(Failure::MissingAllowOrigin);
    };
    let shown = String::from_utf8_lossy(&allow).into_owned();
    if response.count("Access-Control-Allow-Origin") > 1 || allow.contains(&b',') {
        return Err(Failure::MultipleAllowOriginValues(shown));
    }
    if allow == b"*" {
        return if credentials {
            Err(Failure::WildcardOriginWithCredentials)
        } else {
            Ok(())
        };
    }
    if allow != origin.as_bytes() {
        return if allow == b"null" || crate::is_valid_origin(&allow) {
            Err(Failure::AllowOriginMismatch(shown))
        } else {
            Err(Failure::InvalidAllowOriginValue(shown))
        };
    }
    if !credentials {
        return Ok(());
    }
    match response.get("Access-Control-Allow-Credentials") {
        Some(v) if v == b"true" => Ok(()),
        v => Err(Failure::AllowCredentialsNotTrue(
            String::from_utf8_lossy(&v.unwrap_or_default()).into_owned(),
        )),
    }
}

/// Splits a `#token` list; `Err` holds the first item that is not a token.
fn parse_list(value: &[u8]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for item in value.split(|&b| b == b',') {
        let item = trim_ows(item);
        if item.is_empty() {
            continue;
        }
        if !is_token(item) {
            return Err(String::from_utf8_lossy(item).into_owned());
        }
        out.push(String::from_utf8_lossy(item).into_owned());
    }
    Ok(out)
}

/// Validates a preflight response for `fetch` (Fetch "CORS-preflight fetch"
/// step 7, in Chrome's order): the CORS check, an ok status, the method
/// (byte-case-sensitive; `*` only without credentials) and every unsafe
/// header (ASCII-case-insensitive; `*` only without credentials and never
/// for `authorization`).
pub fn check_preflight(fetch: &Fetch, response: &Response) -> Result<PreflightGrant, BrowserError> {
    let fail = |failure| BrowserError {
        step: Step::Preflight,
        status: response.status,
        failure,
    };
    cors_check(&fetch.origin, fetch.credentials, response).map_err(fail)?;
    if !(200..=299).contains(&response.status) {
        return Err(fail(Failure::PreflightStatus));
    }
    let methods = match response.get("Access-Control-Allow-Methods") {
        None => Vec::new(),
        Some(v) => parse_list(&v).map_err(|t| fail(Failure::InvalidAllowMethods(t)))?,
    };
    let headers: Vec<String> = match response.get("Access-Control-Allow-Headers") {
        None => Vec::new(),
        Some(v) => parse_list(&v)
            .map_err(|t| fail(Failure::InvalidAllowHeaders(t)))?
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
    };
    let star = |list: &[String]| !fetch.credentials && list.iter().any(|m| m == "*");
    if !is_safelisted_method(&fetch.method) && !methods.contains(&fetch.method) && !star(&methods) {
        return Err(fail(Failure::MethodNotAllowed(fetch.method.clone())));
    }
    for name in fetch.unsafe_header_names() {
        let listed = headers.contains(&name);
        let by_star = name != "authorization" && star(&headers);
        if !listed && !by_star {
            return Err(fail(Failure::HeaderNotAllowed(name)));
        }
    }
    let max_age = response
        .get("Access-Control-Max-Age")
        .and_then(|v| std::str::from_utf8(&v).ok()?.parse().ok());
    Ok(PreflightGrant {
        methods,
        headers,
        max_age,
    })
}

/// Validates the response to the request itself (the CORS check).
pub fn check_actual(fetch: &Fetch, response: &Response) -> Result<(), BrowserError> {
    cors_check(&fetch.origin, fetch.credentials, response).map_err(|failure| BrowserError {
        step: Step::Actual,
        status: response.status,
        failure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://api.example.com/v1";
    const ORIGIN: &str = "https://app.example.com";

    fn fetch(method: &str) -> Fetch {
        Fetch::new(URL, ORIGIN, method)
    }

    fn ok() -> Response {
        Response::new(204).header("Access-Control-Allow-Origin", ORIGIN)
    }

    #[test]
    fn preflight_needed() {
        assert!(!fetch("GET").needs_preflight());
        assert!(!fetch("POST")
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Accept", "application/json")
            .header("Range", "bytes=0-99")
            .needs_preflight());
        assert!(fetch("PUT").needs_preflight());
        assert!(fetch("get").needs_preflight());
        assert!(fetch("POST")
            .header("Content-Type", "application/json")
            .needs_preflight());
        assert!(fetch("GET").header("Range", "bytes=5-1").needs_preflight());
        assert!(fetch("GET")
            .header("Range", "bytes=0-1,3-4")
            .needs_preflight());
        assert!(fetch("GET")
            .header("Accept-Language", "en\"")
            .needs_preflight());
        assert!(fetch("GET").header("X-Id", "1").needs_preflight());
        let long = "a".repeat(129);
        assert!(fetch("GET").header("Accept", &long).needs_preflight());
        let big = "a".repeat(100);
        let mut f = fetch("GET");
        for _ in 0..11 {
            f = f.header("Accept", &big);
        }
        assert_eq!(f.unsafe_header_names(), ["accept"]);
    }

    #[test]
    fn preflight_lines_are_sorted_lowercase() {
        let f = fetch("PUT")
            .header("X-B", "1")
            .header("Authorization", "x")
            .header("x-b", "2")
            .header("Content-Type", "application/json");
        assert_eq!(
            f.preflight_headers(),
            [
                ("Origin", ORIGIN.to_owned()),
                ("Access-Control-Request-Method", "PUT".to_owned()),
                (
                    "Access-Control-Request-Headers",
                    "authorization,content-type,x-b".to_owned()
                ),
            ]
        );
        assert_eq!(normalize_method("put"), "PUT");
        assert_eq!(normalize_method("patch"), "patch");
    }

    #[test]
    fn cors_check_cases() {
        let r = |v: &str| Response::new(200).header("Access-Control-Allow-Origin", v);
        assert_eq!(cors_check(ORIGIN, false, &r("*")), Ok(()));
        assert_eq!(cors_check(ORIGIN, false, &r(ORIGIN)), Ok(()));
        assert_eq!(
            cors_check(ORIGIN, true, &r("*")),
            Err(Failure::WildcardOriginWithCredentials)
        );
        assert_eq!(
            cors_check(ORIGIN, false, &Response::new(200)),
            Err(Failure::MissingAllowOrigin)
        );
        assert_eq!(
            cors_check(ORIGIN, false, &r("https://other.example")),
            Err(Failure::AllowOriginMismatch("https://other.example".into()))
        );
        assert_eq!(
            cors_check(ORIGIN, false, &r("https://app.example.com/")),
            Err(Failure::InvalidAllowOriginValue(
                "https://app.example.com/".into()
            ))
        );
        assert_eq!(
            cors_check(
                ORIGIN,
                false,
                &r(ORIGIN).header("Access-Control-Allow-Origin", ORIGIN)
            ),
            Err(Failure::MultipleAllowOriginValues(format!(
                "{ORIGIN}, {ORIGIN}"
            )))
        );
        assert_eq!(
            cors_check(ORIGIN, true, &r(ORIGIN)),
            Err(Failure::AllowCredentialsNotTrue(String::new()))
        );
        assert_eq!(
            cors_check(
                ORIGIN,
                true,
                &r(ORIGIN).header("Access-Control-Allow-Credentials", "True")
            ),
            Err(Failure::AllowCredentialsNotTrue("True".into()))
        );
        assert_eq!(
            cors_check(
                ORIGIN,
                true,
                &r(ORIGIN).header("Access-Control-Allow-Credentials", "true")
            ),
            Ok(())
        );
    }

    #[test]
    fn preflight_methods() {
        let allow = |m: &str| ok().header("Access-Control-Allow-Methods", m);
        assert!(check_preflight(&fetch("PUT"), &allow("GET, PUT")).is_ok());
        assert!(check_preflight(&fetch("PUT"), &allow("*")).is_ok());
        assert!(check_preflight(&fetch("POST"), &ok()).is_ok());
        let e = check_preflight(&fetch("patch"), &allow("PATCH")).unwrap_err();
        assert_eq!(e.failure, Failure::MethodNotAllowed("patch".into()));
        assert_eq!(
            e.chrome(&fetch("patch")),
            format!("Access to fetch at '{URL}' from origin '{ORIGIN}' has been blocked by CORS policy: Method patch is not allowed by Access-Control-Allow-Methods in preflight response.")
        );
        let cred = fetch("PUT").credentials(true);
        let r = allow("*").header("Access-Control-Allow-Credentials", "true");
        assert_eq!(
            check_preflight(&cred, &r).unwrap_err().failure,
            Failure::MethodNotAllowed("PUT".into())
        );
        let e = check_preflight(&fetch("PUT"), &allow("PUT, a b")).unwrap_err();
        assert_eq!(e.failure, Failure::InvalidAllowMethods("a b".into()));
        assert!(check_preflight(&fetch("PUT"), &allow(",PUT,,")).is_ok());
    }

    #[test]
    fn preflight_headers_and_authorization() {
        let allow = |h: &str| ok().header("Access-Control-Allow-Headers", h);
        let f = fetch("GET").header("X-Id", "1");
        assert!(check_preflight(&f, &allow("X-ID")).is_ok());
        assert!(check_preflight(&f, &allow("*")).is_ok());
        let e = check_preflight(&f, &allow("x-other")).unwrap_err();
        assert_eq!(e.failure, Failure::HeaderNotAllowed("x-id".into()));
        assert!(e.chrome(&f).ends_with("Request header field x-id is not allowed by Access-Control-Allow-Headers in preflight response."));
        let a = fetch("GET").header("Authorization", "Bearer x");
        let e = check_preflight(&a, &allow("*")).unwrap_err();
        assert_eq!(e.failure, Failure::HeaderNotAllowed("authorization".into()));
        assert!(e.fix().contains("by name"));
        assert!(check_preflight(&a, &allow("*, authorization")).is_ok());
        let c = f.clone().credentials(true);
        let r = allow("*").header("Access-Control-Allow-Credentials", "true");
        assert!(check_preflight(&c, &r).is_err());
    }

    #[test]
    fn preflight_status_and_max_age() {
        let f = fetch("PUT");
        let r = Response::new(403).header("Access-Control-Allow-Origin", ORIGIN);
        let e = check_preflight(&f, &r).unwrap_err();
        assert_eq!(e.failure, Failure::PreflightStatus);
        assert!(e.chrome(&f).ends_with("Response to preflight request doesn't pass access control check: It does not have HTTP ok status."));
        assert!(e
            .firefox(&f)
            .ends_with("(Reason: CORS preflight response did not succeed). Status code: 403."));
        let r = ok()
            .header("Access-Control-Allow-Methods", "PUT")
            .header("Access-Control-Max-Age", "600");
        assert_eq!(check_preflight(&f, &r).unwrap().max_age, Some(600));
    }

    #[test]
    fn messages() {
        let f = fetch("GET");
        let e = check_actual(&f, &Response::new(200)).unwrap_err();
        assert_eq!(e.chrome(&f), format!("Access to fetch at '{URL}' from origin '{ORIGIN}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."));
        assert_eq!(e.firefox(&f), format!("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {URL}. (Reason: CORS header \u{2018}Access-Control-Allow-Origin\u{2019} missing)."));
        let c = f.clone().credentials(true);
        let e = check_actual(
            &c,
            &Response::new(200).header("Access-Control-Allow-Origin", "*"),
        )
        .unwrap_err();
        assert!(e.chrome(&c).ends_with(
            "must not be the wildcard '*' when the request's credentials mode is 'include'."
        ));
        assert!(e.firefox(&c).contains("Credential is not supported"));
    }
}
