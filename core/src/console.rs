//! The console messages Chrome and Firefox print when a CORS exchange
//! fails, written once: [`Decision::explain`](crate::Decision::explain)
//! predicts them for a refusal, and the browser simulator prints them for
//! what it found wrong with a server's answer.
//!
//! Off the hot path: messages are built as `String`s.
//!
//! ```
//! use corsgate::console::{chrome, firefox, Exchange, Failure, Step};
//!
//! let exchange = Exchange::new("https://api.example.com/x", b"https://app.example.com", Step::Actual, 200);
//! assert!(chrome(&exchange, &Failure::MissingAllowOrigin)
//!     .ends_with("No 'Access-Control-Allow-Origin' header is present on the requested resource."));
//! assert!(firefox(&exchange, &Failure::MissingAllowOrigin)
//!     .ends_with("(Reason: CORS header \u{2018}Access-Control-Allow-Origin\u{2019} missing)."));
//! ```

use crate::explain::escape;

/// How Chrome starts a message about a request `fetch()` made; an
/// `XMLHttpRequest` one names that API instead.
pub(crate) const CHROME_FETCH_PREFIX: &str = "Access to fetch at ";

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
    /// The preflight was answered with a redirect (never followed).
    PreflightRedirect,
    /// A redirect's `Location` is not a URL, even relative to the current
    /// one (its value).
    RedirectLocationInvalid(String),
    /// A redirect to a URL that is not http(s) (the URL).
    RedirectNotHttp(String),
    /// A redirect to a URL with a username or password (the URL).
    RedirectWithCredentials(String),
    /// One redirect more than Fetch follows (20).
    TooManyRedirects,
}

/// The exchange a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exchange<'a> {
    /// The URL that failed.
    pub url: &'a str,
    /// The URL the script asked for, when redirects moved the request on.
    pub first_url: Option<&'a str>,
    /// The page's serialized origin, as bytes because a refused request's
    /// `Origin` may be anything (Chrome names the page's origin even when a
    /// redirect tainted the request's `Origin` to `null`).
    pub origin: &'a [u8],
    /// Which request of the exchange failed.
    pub step: Step,
    /// That response's status.
    pub status: u16,
}

impl<'a> Exchange<'a> {
    /// A request from the page at `origin` to `url`, not redirected, whose
    /// `step` was answered with `status`.
    pub fn new(url: &'a str, origin: &'a [u8], step: Step, status: u16) -> Self {
        Exchange {
            url,
            first_url: None,
            origin,
            step,
            status,
        }
    }
}

/// The message Chrome prints in the console when `fetch()` fails with `failure` (current Chrome:
/// the "set the request's mode to 'no-cors'" hints of older versions
/// are gone from the console, checked by tests/browser).
///
/// After a redirect Chrome names the URL that failed and the first one,
/// and the page's origin even when the request carried `Origin: null`.
/// Redirects the network layer refuses are not CORS errors: Chrome logs
/// only the network error.
pub fn chrome(exchange: &Exchange<'_>, failure: &Failure) -> String {
    let net_error = |code: &str| format!("Failed to load resource: net::{code}");
    let preflight = exchange.step == Step::Preflight;
    let detail = match failure {
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
        Failure::PreflightRedirect => "Redirect is not allowed for a preflight request.".to_owned(),
        // Current Chrome leaves the location out of the quotes.
        Failure::RedirectWithCredentials(_) => "Redirect location '' contains a username and password, which is disallowed for cross-origin requests.".to_owned(),
        Failure::RedirectLocationInvalid(_) => return net_error("ERR_INVALID_REDIRECT"),
        Failure::RedirectNotHttp(_) => return net_error("ERR_UNSAFE_REDIRECT"),
        Failure::TooManyRedirects => return net_error("ERR_TOO_MANY_REDIRECTS"),
    };
    let access_check = preflight
        && !matches!(
            failure,
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
    format!("{}{prefix}{detail}", chrome_blocked(exchange))
}

/// The message Firefox prints in the console when `fetch()` fails with `failure`. Firefox checks
/// a preflight's status first, so a non-2xx preflight always reads
/// "did not succeed", whatever else is wrong.
///
/// Firefox refuses a preflight's redirect before it looks at the status.
/// A redirect it will not follow cancels the request, which it reports
/// as a CORS request that did not succeed, without a status.
pub fn firefox(exchange: &Exchange<'_>, failure: &Failure) -> String {
    let url = escape(exchange.url.as_bytes());
    let blocked =
        format!("Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {url}.");
    let redirected = *failure == Failure::PreflightRedirect;
    if exchange.step == Step::Preflight && !(200..=299).contains(&exchange.status) && !redirected {
        return format!(
            "{blocked} (Reason: CORS preflight response did not succeed). Status code: {}.",
            exchange.status
        );
    }
    let reason = match failure {
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
        Failure::PreflightRedirect => "CORS request external redirect not allowed".to_owned(),
        Failure::RedirectLocationInvalid(_)
        | Failure::RedirectNotHttp(_)
        | Failure::RedirectWithCredentials(_)
        | Failure::TooManyRedirects => {
            return format!(
                "{blocked} (Reason: CORS request did not succeed). Status code: (null)."
            );
        }
    };
    format!("{blocked} (Reason: {reason}).")
}

/// The head of Chrome's CORS messages: the URL that failed, the first URL
/// after a redirect, and the page's origin (never the tainted `null`).
fn chrome_blocked(exchange: &Exchange<'_>) -> String {
    let url = escape(exchange.url.as_bytes());
    let origin = escape(exchange.origin);
    let from = match exchange.first_url {
        Some(first) => format!(" (redirected from '{}')", escape(first.as_bytes())),
        None => String::new(),
    };
    format!(
        "{CHROME_FETCH_PREFIX}'{url}'{from} from origin '{origin}' has been blocked by CORS policy: "
    )
}
