//! Explaining a refusal off the hot path (SPEC §7): what failed, what the
//! browser console will say, and the policy change that would allow it.

use std::fmt::Write as _;

use crate::decision::{Decision, Kind, Reason};
use crate::fetch::{is_forbidden_method, is_forbidden_request_header, is_tchar, trim_ows};
use crate::limits::{
    MAX_ORIGIN_LEN, MAX_REQUEST_HEADERS_EMPTY, MAX_REQUEST_HEADERS_LEN, MAX_REQUEST_HEADERS_LINES,
    MAX_REQUEST_HEADERS_NAMES, MAX_REQUEST_METHOD_LEN,
};
use crate::origin;
use crate::policy::Policy;
use crate::request::{Field, Request};

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

const CHROME_FETCH_PREFIX: &str = "Access to fetch at ";

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

impl Policy {
    /// Explains `decision` (made by this policy for `request`) when it is a
    /// refusal; `url` is the resource URL the browser fetched, quoted in the
    /// console messages. Returns `None` for allowed and `not-cors` requests.
    pub fn explain(
        &self,
        request: &Request<'_>,
        decision: &Decision<'_>,
        url: &str,
    ) -> Option<Explanation> {
        let reason = decision.reason()?;
        let origin = match request.origin {
            Field::One(v) => escape(trim_ows(v)),
            _ => "null".to_owned(),
        };
        let url = escape(url.as_bytes());
        let (chrome_tail, firefox) = if decision.kind() == Kind::Preflight {
            (
                "Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                format!("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {url}. (Reason: CORS preflight response did not succeed). Status code: 403."),
            )
        } else {
            (
                "No 'Access-Control-Allow-Origin' header is present on the requested resource.",
                format!("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {url}. (Reason: CORS header \u{2018}Access-Control-Allow-Origin\u{2019} missing)."),
            )
        };
        let chrome = format!("{CHROME_FETCH_PREFIX}'{url}' from origin '{origin}' has been blocked by CORS policy: {chrome_tail}");
        let (summary, fix) = match reason {
            Reason::OriginNotAllowed | Reason::InvalidOrigin => self.explain_origin(request),
            Reason::MethodNotAllowed | Reason::InvalidMethod => self.explain_method(request),
            Reason::HeaderNotAllowed | Reason::InvalidRequestHeaders => {
                self.explain_request_headers(request)
            }
        };
        Some(Explanation {
            reason,
            summary,
            chrome,
            firefox,
            fix,
        })
    }

    fn explain_origin(&self, request: &Request<'_>) -> (String, String) {
        const NOT_A_BROWSER: &str =
            "none needed: browsers never send this, so the request was hand-made or altered on the way";
        let raw = match request.origin {
            Field::Many => {
                return (
                    "the request has more than one Origin header".to_owned(),
                    NOT_A_BROWSER.to_owned(),
                )
            }
            Field::One(v) => v,
            Field::Absent => return (String::new(), String::new()),
        };
        if raw.len() > MAX_ORIGIN_LEN {
            return (
                format!(
                    "the Origin header is {} bytes long, over the limit of {MAX_ORIGIN_LEN}",
                    raw.len()
                ),
                NOT_A_BROWSER.to_owned(),
            );
        }
        let value = trim_ows(raw);
        let shown = escape(value);
        if value == b"null" {
            return (
                "the Origin is `null` (a sandboxed iframe, a data: or file: page, or a cross-origin redirect), and `origins` does not list it".to_owned(),
                "serve the page from a real origin and list that; listing `null` (with `dangerous.allow_null_origin`) would admit any sandboxed page".to_owned(),
            );
        }
        match origin::parse(value, false) {
            Err(flaw) => (
                format!("the Origin '{shown}' {}", flaw.describe()),
                NOT_A_BROWSER.to_owned(),
            ),
            Ok(parts) => {
                let mut fix = format!("add \"{shown}\" to `origins`");
                if self.credentials && parts.is_insecure() {
                    fix.push_str(" (it is http:// with credentials: serve it over https, or set `dangerous.allow_insecure_origins_with_credentials`)");
                }
                (
                    format!("the origin '{shown}' is not allowed by `origins`"),
                    fix,
                )
            }
        }
    }

    fn explain_method(&self, request: &Request<'_>) -> (String, String) {
        let raw = match request.request_method {
            Field::One(v) => v,
            _ => {
                return (
                    "the preflight has more than one Access-Control-Request-Method header"
                        .to_owned(),
                    "none needed: browsers send exactly one".to_owned(),
                )
            }
        };
        if raw.len() > MAX_REQUEST_METHOD_LEN {
            return (
                format!("Access-Control-Request-Method is {} bytes long, over the limit of {MAX_REQUEST_METHOD_LEN}", raw.len()),
                "none needed: no browser sends such a method".to_owned(),
            );
        }
        let m = trim_ows(raw);
        let shown = escape(m);
        if m.is_empty() || !m.iter().all(|&b| is_tchar(b)) {
            return (
                format!("Access-Control-Request-Method '{shown}' is not a method token"),
                "none needed: browsers only send valid method names".to_owned(),
            );
        }
        if is_forbidden_method(m) {
            return (
                format!("the method {shown} is forbidden by the Fetch standard"),
                "none: browsers refuse CONNECT, TRACE and TRACK before sending".to_owned(),
            );
        }
        if m == b"*" && self.any_method {
            return (
                "the method `*` is asked for on a credentialed request".to_owned(),
                "none: with credentials, browsers read `*` as a literal method name".to_owned(),
            );
        }
        let upper = m.to_ascii_uppercase();
        let case_hint = if self.methods.iter().any(|c| **c == *upper) && upper != m {
            format!(
                "; `methods` lists {}, but browsers send {shown} exactly as the script wrote it",
                escape(&upper)
            )
        } else {
            String::new()
        };
        (
            format!("the method {shown} is not in `methods` (GET, HEAD and POST are always allowed){case_hint}"),
            format!("add \"{shown}\" to `methods`"),
        )
    }

    fn explain_request_headers(&self, request: &Request<'_>) -> (String, String) {
        if request.request_headers_overflow {
            return (
                format!("Access-Control-Request-Headers is over the limits ({MAX_REQUEST_HEADERS_LEN} bytes over at most {MAX_REQUEST_HEADERS_LINES} lines)"),
                "none needed: browsers send a short list on one line".to_owned(),
            );
        }
        let mut names = 0;
        let mut empty = 0;
        let mut first_refused: Option<&[u8]> = None;
        for line in request.request_headers() {
            for item in line.split(|&b| b == b',') {
                let name = trim_ows(item);
                if name.is_empty() {
                    empty += 1;
                    if empty > MAX_REQUEST_HEADERS_EMPTY {
                        return (
                            format!("Access-Control-Request-Headers has more than {MAX_REQUEST_HEADERS_EMPTY} empty items"),
                            "none needed: browsers never send empty items".to_owned(),
                        );
                    }
                    continue;
                }
                names += 1;
                if names > MAX_REQUEST_HEADERS_NAMES {
                    return (
                        format!("Access-Control-Request-Headers names more than {MAX_REQUEST_HEADERS_NAMES} headers"),
                        "none needed at this size: send fewer custom headers".to_owned(),
                    );
                }
                if !name.iter().all(|&b| is_tchar(b)) {
                    return (
                        format!(
                            "Access-Control-Request-Headers has '{}', which is not a header name",
                            escape(name)
                        ),
                        "none needed: browsers only send valid header names".to_owned(),
                    );
                }
                if first_refused.is_none() && !self.request_header_allowed(name) {
                    first_refused = Some(name);
                }
            }
        }
        let Some(name) = first_refused else {
            return (String::new(), String::new());
        };
        let shown = escape(&name.to_ascii_lowercase());
        if is_forbidden_request_header(name) {
            return (
                format!("the request header '{shown}' is one that only the browser may set"),
                "none: scripts cannot set it, so the request was not made by a browser script"
                    .to_owned(),
            );
        }
        if self.any_request_header && shown == "authorization" {
            return (
                "`authorization` is not covered by `request_headers = [\"*\"]`".to_owned(),
                "add \"authorization\" beside \"*\" in `request_headers`".to_owned(),
            );
        }
        (
            format!("the request header '{shown}' is not in `request_headers`"),
            format!("add \"{shown}\" to `request_headers`"),
        )
    }
}
