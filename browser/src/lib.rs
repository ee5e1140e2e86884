//! The browser's side of CORS, written once: Fetch's "CORS check", the
//! CORS-preflight checks, whether a request needs a preflight at all, and
//! what following a redirect does to a request ("HTTP-redirect fetch"), with
//! the console messages Chrome and Firefox print for each failure.
//!
//! This is not the engine (it allocates freely): it serves `corsgate probe`
//! and the tests that run the engine's answers through what a browser would
//! do with them. The console messages come from core's catalogue
//! ([`corsgate::console`]), which `explain` uses too.
//!
//! ```
//! use corsgate_browser::{check_preflight, Fetch, Response};
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

use corsgate::console::{self, Exchange};
pub use corsgate::console::{Failure, Step};
use corsgate::escape;
use corsgate::fetch::{is_token, trim_ows};

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
    /// The URL the script asked for, once redirects have moved `url` on.
    pub first_url: Option<String>,
    /// Fetch's "tainted origin flag": a redirect went through another
    /// origin, so the request carries `Origin: null` from then on.
    pub tainted: bool,
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
            first_url: None,
            tainted: false,
        }
    }

    /// The serialized origin the request carries and CORS checks compare:
    /// the page's, or `null` once a redirect tainted it.
    pub fn request_origin(&self) -> &str {
        if self.tainted {
            "null"
        } else {
            &self.origin
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
            ("Origin", self.request_origin().to_owned()),
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
        console::chrome(&self.exchange(fetch), &self.failure)
    }

    /// The message Firefox prints in the console for `fetch`.
    pub fn firefox(&self, fetch: &Fetch) -> String {
        console::firefox(&self.exchange(fetch), &self.failure)
    }

    fn exchange<'a>(&self, fetch: &'a Fetch) -> Exchange<'a> {
        Exchange {
            url: &fetch.url,
            first_url: fetch.first_url.as_deref(),
            origin: fetch.origin.as_bytes(),
            step: self.step,
            status: self.status,
        }
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
            Failure::PreflightRedirect => "answer the OPTIONS preflight at this URL with a 2xx instead of redirecting (browsers never follow a preflight's redirect; a trailing-slash or http-to-https redirect is the usual cause), or have the script request the final URL".to_owned(),
            Failure::RedirectLocationInvalid(_) => "send a valid URL in Location".to_owned(),
            Failure::RedirectNotHttp(_) => "redirect cross-origin requests to http or https URLs only".to_owned(),
            Failure::RedirectWithCredentials(_) => "remove the user:password@ part from the Location URL".to_owned(),
            Failure::TooManyRedirects => "the redirects loop or chain more than 20 times: have the script request the final URL".to_owned(),
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
    corsgate::fetch::is_safelisted_method(method.as_bytes())
}

/// Fetch's "normalize a method": DELETE, GET, HEAD, OPTIONS, POST and PUT
/// are upper-cased whatever case the script wrote; other methods stay as written.
pub fn normalize_method(method: &str) -> String {
    let upper = method.to_ascii_uppercase();
    if corsgate::fetch::NORMALIZED_METHODS.contains(&upper.as_str()) {
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
        return if allow == b"null" || corsgate::is_valid_origin(&allow) {
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
    // Chrome refuses a redirect before any other check (Fetch: not an ok status).
    if is_redirect_status(response.status) && response.get("Location").is_some() {
        return Err(fail(Failure::PreflightRedirect));
    }
    cors_check(fetch.request_origin(), fetch.credentials, response).map_err(fail)?;
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
    cors_check(fetch.request_origin(), fetch.credentials, response).map_err(|failure| {
        BrowserError {
            step: Step::Actual,
            status: response.status,
            failure,
        }
    })
}

/// Fetch follows at most this many redirects for one request: the next
/// redirect is a network error (Chrome: `net::ERR_TOO_MANY_REDIRECTS`).
pub const MAX_REDIRECTS: usize = 20;

/// Fetch's "redirect status": the statuses followed when the response
/// carries a `Location` (300 and 304 are final answers).
pub fn is_redirect_status(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Whether a redirect turns the request into a `GET` without a body
/// (HTTP-redirect fetch): 301 and 302 after `POST`, as browsers always did,
/// and 303 after anything but `GET` and `HEAD`. 307 and 308 keep the method.
pub fn redirect_rewrites_to_get(status: u16, method: &str) -> bool {
    match status {
        301 | 302 => method == "POST",
        303 => method != "GET" && method != "HEAD",
        _ => false,
    }
}

/// Fetch's "request-body-header names": they describe the body, so they go
/// when a redirect drops it.
pub fn is_request_body_header(name: &str) -> bool {
    [
        "content-encoding",
        "content-language",
        "content-location",
        "content-type",
    ]
    .iter()
    .any(|h| h.eq_ignore_ascii_case(name))
}

/// Fetch's tainting rule: a redirect to another origin taints the request's
/// origin when the request was already cross-origin, because the page's
/// origin cannot vouch for a request that a third party steered. Arguments
/// are serialized origins: the page's, the current URL's, the Location's.
pub fn taints_origin(page_origin: &str, current_origin: &str, location_origin: &str) -> bool {
    location_origin != current_origin && page_origin != current_origin
}

/// A redirect's `Location`, parsed by the caller against the current URL
/// (the engine parses no URLs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// Not a URL (the header's value).
    Invalid(String),
    /// A URL whose scheme is not http or https.
    NotHttp(String),
    /// An http(s) URL, its serialized origin, and whether it has a
    /// username or password.
    Http {
        /// The absolute URL, serialized.
        url: String,
        /// Its serialized origin.
        origin: String,
        /// Whether it has a username or password.
        credentials: bool,
    },
}

/// Fetch's "HTTP-redirect fetch" for the request `fetch` whose response
/// (at `current_origin`, after `redirects` redirects already followed) was
/// a redirect with `status` to `location`: the request to send next, or the
/// network error. The redirect response itself must first pass the CORS
/// check ([`check_actual`]).
pub fn follow_redirect(
    fetch: &Fetch,
    status: u16,
    current_origin: &str,
    location: &Location,
    redirects: usize,
) -> Result<Fetch, BrowserError> {
    let fail = |failure| BrowserError {
        step: Step::Actual,
        status,
        failure,
    };
    let (url, origin, credentials) = match location {
        Location::Invalid(v) => return Err(fail(Failure::RedirectLocationInvalid(v.clone()))),
        Location::NotHttp(u) => return Err(fail(Failure::RedirectNotHttp(u.clone()))),
        Location::Http {
            url,
            origin,
            credentials,
        } => (url, origin, *credentials),
    };
    if redirects >= MAX_REDIRECTS {
        return Err(fail(Failure::TooManyRedirects));
    }
    // The response tainting of a cross-origin request is "cors": no
    // credentials in the URL, whatever its origin.
    if credentials {
        return Err(fail(Failure::RedirectWithCredentials(url.clone())));
    }
    let mut next = fetch.clone();
    next.first_url = Some(fetch.first_url.clone().unwrap_or_else(|| fetch.url.clone()));
    next.url = url.clone();
    if redirect_rewrites_to_get(status, &fetch.method) {
        next.method = "GET".to_owned();
        next.headers
            .retain(|(name, _)| !is_request_body_header(name));
    }
    if origin != current_origin {
        // Fetch's "CORS non-wildcard request-header name": the page's
        // credentials for one origin are not handed to another.
        next.headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
    }
    next.tainted |= taints_origin(&fetch.origin, current_origin, origin);
    Ok(next)
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

    fn http(url: &str, origin: &str) -> Location {
        Location::Http {
            url: url.to_owned(),
            origin: origin.to_owned(),
            credentials: false,
        }
    }

    const API: &str = "https://api.example.com";

    #[test]
    fn redirect_statuses_and_method_rewrites() {
        let followed: Vec<u16> = (300..400).filter(|&s| is_redirect_status(s)).collect();
        assert_eq!(followed, [301, 302, 303, 307, 308]);
        assert!(redirect_rewrites_to_get(301, "POST"));
        assert!(redirect_rewrites_to_get(302, "POST"));
        assert!(!redirect_rewrites_to_get(302, "PUT"));
        assert!(!redirect_rewrites_to_get(302, "post"));
        assert!(redirect_rewrites_to_get(303, "PUT"));
        assert!(redirect_rewrites_to_get(303, "POST"));
        assert!(!redirect_rewrites_to_get(303, "GET"));
        assert!(!redirect_rewrites_to_get(303, "HEAD"));
        assert!(!redirect_rewrites_to_get(307, "POST"));
        assert!(!redirect_rewrites_to_get(308, "POST"));
        assert!(is_request_body_header("Content-Type"));
        assert!(is_request_body_header("content-language"));
        assert!(!is_request_body_header("Content-Length"));
    }

    #[test]
    fn tainting() {
        // Page P, request to A redirected to B: tainted.
        assert!(taints_origin(ORIGIN, API, "https://b.example"));
        // Redirected within A: not tainted.
        assert!(!taints_origin(ORIGIN, API, API));
        // From the page's own origin to elsewhere: not tainted.
        assert!(!taints_origin(ORIGIN, ORIGIN, API));
        // An opaque page origin is never the current URL's.
        assert!(taints_origin("null", API, ORIGIN));
    }

    #[test]
    fn following_a_redirect() {
        let f = fetch("POST")
            .header("Content-Type", "text/plain")
            .header("X-Id", "1")
            .header("Authorization", "Bearer t");
        let next =
            follow_redirect(&f, 307, API, &http("https://api.example.com/b", API), 0).unwrap();
        assert_eq!(next.method, "POST");
        assert_eq!(next.headers, f.headers);
        assert_eq!(next.first_url.as_deref(), Some(URL));
        assert!(!next.tainted);
        assert_eq!(next.request_origin(), ORIGIN);

        let other = http("https://b.example/c", "https://b.example");
        let next = follow_redirect(&f, 303, API, &other, 0).unwrap();
        assert_eq!(next.method, "GET");
        assert_eq!(next.headers, [("X-Id".to_owned(), "1".to_owned())]);
        assert!(next.tainted);
        assert_eq!(next.request_origin(), "null");
        assert_eq!(next.preflight_headers()[0], ("Origin", "null".to_owned()));
        // The first URL stays, the taint stays even back on the page's origin.
        let back = http("https://app.example.com/d", ORIGIN);
        let last = follow_redirect(&next, 302, "https://b.example", &back, 1).unwrap();
        assert_eq!(last.first_url.as_deref(), Some(URL));
        assert!(last.tainted);
    }

    #[test]
    fn redirects_refused() {
        let f = fetch("GET");
        let err = |location: &Location, redirects| {
            follow_redirect(&f, 302, API, location, redirects)
                .unwrap_err()
                .failure
        };
        assert_eq!(
            err(&Location::Invalid("http://[::1".into()), 0),
            Failure::RedirectLocationInvalid("http://[::1".into())
        );
        assert_eq!(
            err(&Location::NotHttp("data:,x".into()), 0),
            Failure::RedirectNotHttp("data:,x".into())
        );
        let with_credentials = Location::Http {
            url: "https://u:p@api.example.com/".into(),
            origin: API.into(),
            credentials: true,
        };
        assert!(matches!(
            err(&with_credentials, 0),
            Failure::RedirectWithCredentials(_)
        ));
        let ok = http("https://api.example.com/b", API);
        assert!(follow_redirect(&f, 302, API, &ok, MAX_REDIRECTS - 1).is_ok());
        assert_eq!(err(&ok, MAX_REDIRECTS), Failure::TooManyRedirects);
        let e = follow_redirect(&f, 302, API, &ok, MAX_REDIRECTS).unwrap_err();
        assert_eq!(
            e.chrome(&f),
            "Failed to load resource: net::ERR_TOO_MANY_REDIRECTS"
        );
        assert!(e
            .firefox(&f)
            .ends_with("(Reason: CORS request did not succeed). Status code: (null)."));
    }

    #[test]
    fn messages_after_a_redirect() {
        let f = fetch("GET");
        let other = http("https://b.example/c", "https://b.example");
        let next = follow_redirect(&f, 302, API, &other, 0).unwrap();
        let r = Response::new(200).header("Access-Control-Allow-Origin", ORIGIN);
        let e = check_actual(&next, &r).unwrap_err();
        assert_eq!(e.failure, Failure::AllowOriginMismatch(ORIGIN.into()));
        // Chrome names both URLs and the page's origin, not `null`.
        assert_eq!(
            e.chrome(&next),
            format!("Access to fetch at 'https://b.example/c' (redirected from '{URL}') from origin '{ORIGIN}' has been blocked by CORS policy: The 'Access-Control-Allow-Origin' header has a value '{ORIGIN}' that is not equal to the supplied origin.")
        );
        assert!(e
            .firefox(&next)
            .starts_with("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://b.example/c."));
        let star = Response::new(200).header("Access-Control-Allow-Origin", "*");
        assert!(check_actual(&next, &star).is_ok());
        let null = Response::new(200).header("Access-Control-Allow-Origin", "null");
        assert!(check_actual(&next, &null).is_ok());
    }

    #[test]
    fn a_preflight_is_never_redirected() {
        let f = fetch("PUT");
        let r = ok()
            .header("Access-Control-Allow-Methods", "PUT")
            .header("Location", "/elsewhere");
        assert!(check_preflight(&f, &r).is_ok());
        let redirect = Response { status: 307, ..r };
        let e = check_preflight(&f, &redirect).unwrap_err();
        assert_eq!(e.failure, Failure::PreflightRedirect);
        assert!(e.chrome(&f).ends_with("Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request."));
        assert!(e
            .firefox(&f)
            .ends_with("(Reason: CORS request external redirect not allowed)."));
        // Without a Location it is just not an ok status.
        let bare = Response::new(307).header("Access-Control-Allow-Origin", ORIGIN);
        assert_eq!(
            check_preflight(&f, &bare).unwrap_err().failure,
            Failure::PreflightStatus
        );
    }
}
