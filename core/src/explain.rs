//! Explaining a refusal off the hot path (SPEC §7): what failed, what the
//! browser console will say, and the policy change that would allow it.

use std::fmt::Write as _;

use crate::console::{self, Exchange, Failure, Step, CHROME_FETCH_PREFIX};
use crate::decision::{Check, Decision, Kind, Reason, Refusal};
use crate::limits::{
    MAX_ORIGIN_LEN, MAX_REQUEST_HEADERS_EMPTY, MAX_REQUEST_HEADERS_LEN, MAX_REQUEST_HEADERS_LINES,
    MAX_REQUEST_HEADERS_NAMES, MAX_REQUEST_METHOD_LEN,
};

/// Why a request was refused, in words for the person who must fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The reason code.
    pub reason: Reason,
    /// What failed, quoting the request (escaped).
    pub summary: String,
    /// The message Chrome prints in the console.
    pub chrome: String,
    /// The message Firefox prints in the console.
    pub firefox: String,
    /// The policy change that would allow the request, or why none should.
    pub fix: String,
}

/// The script API that made a request, as Chrome's console message names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Initiator {
    /// `fetch()`: "Access to fetch at ...".
    Fetch,
    /// `XMLHttpRequest`: "Access to XMLHttpRequest at ...".
    XmlHttpRequest,
}

impl Explanation {
    /// Chrome's console message when `initiator` made the request; the server
    /// cannot tell, so [`Explanation::chrome`] is the `fetch()` one.
    pub fn chrome_for(&self, initiator: Initiator) -> String {
        match initiator {
            Initiator::Fetch => self.chrome.clone(),
            Initiator::XmlHttpRequest => {
                self.chrome
                    .replacen(CHROME_FETCH_PREFIX, "Access to XMLHttpRequest at ", 1)
            }
        }
    }
}

/// Quotes request bytes for a log line: printable ASCII as is, the rest as `\xNN`.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            out.push(b as char);
        } else {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

impl Decision<'_> {
    /// Explains this decision when it is a refusal; `url` is the resource URL
    /// the browser fetched, quoted in the console messages. Returns `None`
    /// for allowed and `not-cors` requests. Renders what the decision
    /// recorded ([`Decision::refusal`]); nothing is checked again.
    pub fn explain(&self, url: &str) -> Option<Explanation> {
        self.refusal().map(|r| r.explain(url))
    }
}

impl Refusal<'_> {
    /// This refusal in words: what failed, the browsers' console messages
    /// and the fix. `url` is the resource URL, quoted in the console messages.
    pub fn explain(&self, url: &str) -> Explanation {
        // A refused preflight is answered 403 without CORS headers; a
        // refused request keeps its status but loses its CORS headers.
        let (step, status) = if self.kind() == Kind::Preflight {
            (Step::Preflight, 403)
        } else {
            (Step::Actual, 200)
        };
        let exchange = Exchange::new(url, self.origin().unwrap_or(b"null"), step, status);
        let chrome = console::chrome(&exchange, &Failure::MissingAllowOrigin);
        let firefox = console::firefox(&exchange, &Failure::MissingAllowOrigin);
        let (summary, fix) = words(self.check(), self.value());
        Explanation {
            reason: self.reason(),
            summary,
            chrome,
            firefox,
            fix,
        }
    }
}

/// What failed and the fix, for `check` on the offending bytes `value`.
fn words(check: Check, value: &[u8]) -> (String, String) {
    const NOT_A_BROWSER: &str =
        "none needed: browsers never send this, so the request was hand-made or altered on the way";
    let shown = escape(value);
    let pair = |a: String, b: &str| (a, b.to_owned());
    match check {
        Check::OriginRepeated => pair(
            "the request has more than one Origin header".to_owned(),
            NOT_A_BROWSER,
        ),
        Check::OriginTooLong => pair(
            format!(
                "the Origin header is {} bytes long, over the limit of {MAX_ORIGIN_LEN}",
                value.len()
            ),
            NOT_A_BROWSER,
        ),
        Check::OriginMalformed(flaw) => pair(
            format!("the Origin '{shown}' {}", flaw.describe()),
            NOT_A_BROWSER,
        ),
        Check::OriginNull => pair(
            "the Origin is `null` (a sandboxed iframe, a data: or file: page, or a cross-origin redirect), and `origins` does not list it".to_owned(),
            "serve the page from a real origin and list that; listing `null` (with `dangerous.allow_null_origin`) would admit any sandboxed page",
        ),
        Check::OriginNotListed => (
            format!("the origin '{shown}' is not allowed by `origins`"),
            format!("add \"{shown}\" to `origins`"),
        ),
        Check::OriginInsecureWithCredentials => (
            format!("the origin '{shown}' is not allowed by `origins`"),
            format!("add \"{shown}\" to `origins` (it is http:// with credentials: serve it over https, or set `dangerous.allow_insecure_origins_with_credentials`)"),
        ),
        Check::MethodRepeated => pair(
            "the preflight has more than one Access-Control-Request-Method header".to_owned(),
            "none needed: browsers send exactly one",
        ),
        Check::MethodTooLong => pair(
            format!("Access-Control-Request-Method is {} bytes long, over the limit of {MAX_REQUEST_METHOD_LEN}", value.len()),
            "none needed: no browser sends such a method",
        ),
        Check::MethodNotToken => pair(
            format!("Access-Control-Request-Method '{shown}' is not a method token"),
            "none needed: browsers only send valid method names",
        ),
        Check::MethodForbidden => pair(
            format!("the method {shown} is forbidden by the Fetch standard"),
            "none: browsers refuse CONNECT, TRACE and TRACK before sending",
        ),
        Check::MethodStarWithCredentials => pair(
            "the method `*` is asked for on a credentialed request".to_owned(),
            "none: with credentials, browsers read `*` as a literal method name",
        ),
        Check::MethodNotListed | Check::MethodCaseMismatch => {
            let hint = if check == Check::MethodCaseMismatch {
                format!(
                    "; `methods` lists {}, but browsers send {shown} exactly as the script wrote it",
                    escape(&value.to_ascii_uppercase())
                )
            } else {
                String::new()
            };
            (
                format!("the method {shown} is not in `methods` (GET, HEAD and POST are always allowed){hint}"),
                format!("add \"{shown}\" to `methods`"),
            )
        }
        Check::HeadersOverLimits => pair(
            format!("Access-Control-Request-Headers is over the limits ({MAX_REQUEST_HEADERS_LEN} bytes over at most {MAX_REQUEST_HEADERS_LINES} lines)"),
            "none needed: browsers send a short list on one line",
        ),
        Check::HeadersTooManyEmpty => pair(
            format!("Access-Control-Request-Headers has more than {MAX_REQUEST_HEADERS_EMPTY} empty items"),
            "none needed: browsers never send empty items",
        ),
        Check::HeadersTooManyNames => pair(
            format!("Access-Control-Request-Headers names more than {MAX_REQUEST_HEADERS_NAMES} headers"),
            "none needed at this size: send fewer custom headers",
        ),
        Check::HeadersNotToken => pair(
            format!("Access-Control-Request-Headers has '{shown}', which is not a header name"),
            "none needed: browsers only send valid header names",
        ),
        Check::HeaderForbidden => pair(
            format!(
                "the request header '{}' is one that only the browser may set",
                escape(&value.to_ascii_lowercase())
            ),
            "none: scripts cannot set it, so the request was not made by a browser script",
        ),
        Check::HeaderAuthorizationNotCovered => pair(
            "`authorization` is not covered by `request_headers = [\"*\"]`".to_owned(),
            "add \"authorization\" beside \"*\" in `request_headers`",
        ),
        Check::HeaderNotListed => {
            let lower = escape(&value.to_ascii_lowercase());
            (
                format!("the request header '{lower}' is not in `request_headers`"),
                format!("add \"{lower}\" to `request_headers`"),
            )
        }
    }
}
