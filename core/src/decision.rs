//! What the engine decided (SPEC §5): the outcome and the headers to send,
//! borrowed from the policy and the request.

use std::fmt;

use crate::limits::REFLECTED_HEADERS_CAP;
use crate::origin::Flaw;
use crate::request::RequestHeader;
use crate::response::{Entry, Header, HeaderName, Source, Value};

/// SPEC §1 classification of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// No `Origin` line: not a CORS request.
    NotCors,
    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
    Preflight,
    /// Any other request with an `Origin` line.
    Actual,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 3] = [Kind::NotCors, Kind::Preflight, Kind::Actual];

    /// `not-cors`, `preflight` or `actual`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::NotCors => "not-cors",
            Kind::Preflight => "preflight",
            Kind::Actual => "actual",
        }
    }
}

/// Why a CORS request was refused (SPEC §5); checks run in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// A valid origin the policy does not list.
    OriginNotAllowed,
    /// An empty, repeated, oversized or malformed `Origin`.
    InvalidOrigin,
    /// A well-formed method the policy does not allow.
    MethodNotAllowed,
    /// A repeated, oversized or malformed `Access-Control-Request-Method`.
    InvalidMethod,
    /// A requested header name the policy does not allow.
    HeaderNotAllowed,
    /// A malformed or oversized `Access-Control-Request-Headers`.
    InvalidRequestHeaders,
}

impl Reason {
    /// Every reason.
    pub const ALL: [Reason; 6] = [
        Reason::OriginNotAllowed,
        Reason::InvalidOrigin,
        Reason::MethodNotAllowed,
        Reason::InvalidMethod,
        Reason::HeaderNotAllowed,
        Reason::InvalidRequestHeaders,
    ];

    /// The stable kebab-case code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Reason::OriginNotAllowed => "origin-not-allowed",
            Reason::InvalidOrigin => "invalid-origin",
            Reason::MethodNotAllowed => "method-not-allowed",
            Reason::InvalidMethod => "invalid-method",
            Reason::HeaderNotAllowed => "header-not-allowed",
            Reason::InvalidRequestHeaders => "invalid-request-headers",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which check refused a request: finer than [`Reason`], so that a refusal
/// can be explained from the decision alone, without deciding again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// More than one `Origin` line.
    OriginRepeated,
    /// An `Origin` over [`MAX_ORIGIN_LEN`](crate::limits::MAX_ORIGIN_LEN).
    OriginTooLong,
    /// An `Origin` that is not a serialized origin.
    OriginMalformed(Flaw),
    /// `Origin: null`, not listed.
    OriginNull,
    /// A valid origin that no configured origin or pattern matches, and the
    /// predicate (if any) refused.
    OriginNotListed,
    /// As `OriginNotListed`, for an `http://` origin on a credentialed
    /// policy (the predicate is not asked about it).
    OriginInsecureWithCredentials,
    /// More than one `Access-Control-Request-Method` line.
    MethodRepeated,
    /// An `Access-Control-Request-Method` over
    /// [`MAX_REQUEST_METHOD_LEN`](crate::limits::MAX_REQUEST_METHOD_LEN).
    MethodTooLong,
    /// An `Access-Control-Request-Method` that is not a method token.
    MethodNotToken,
    /// `CONNECT`, `TRACE` or `TRACK`.
    MethodForbidden,
    /// The method `*` on a credentialed `methods = ["*"]`.
    MethodStarWithCredentials,
    /// A method `methods` does not list.
    MethodNotListed,
    /// A method `methods` lists only in another case (methods are
    /// case-sensitive).
    MethodCaseMismatch,
    /// `Access-Control-Request-Headers` over the byte or line limits.
    HeadersOverLimits,
    /// Over [`MAX_REQUEST_HEADERS_EMPTY`](crate::limits::MAX_REQUEST_HEADERS_EMPTY) empty items.
    HeadersTooManyEmpty,
    /// Over [`MAX_REQUEST_HEADERS_NAMES`](crate::limits::MAX_REQUEST_HEADERS_NAMES) names.
    HeadersTooManyNames,
    /// An item that is not a header name.
    HeadersNotToken,
    /// A requested name only the browser may set.
    HeaderForbidden,
    /// `authorization` requested under `request_headers = ["*"]`, which does
    /// not cover it.
    HeaderAuthorizationNotCovered,
    /// A requested name `request_headers` does not list.
    HeaderNotListed,
}

impl Check {
    /// The checks without a payload, then the malformed-origin ones, in
    /// code order.
    const PLAIN: [Check; 19] = [
        Check::OriginRepeated,
        Check::OriginTooLong,
        Check::OriginNull,
        Check::OriginNotListed,
        Check::OriginInsecureWithCredentials,
        Check::MethodRepeated,
        Check::MethodTooLong,
        Check::MethodNotToken,
        Check::MethodForbidden,
        Check::MethodStarWithCredentials,
        Check::MethodNotListed,
        Check::MethodCaseMismatch,
        Check::HeadersOverLimits,
        Check::HeadersTooManyEmpty,
        Check::HeadersTooManyNames,
        Check::HeadersNotToken,
        Check::HeaderForbidden,
        Check::HeaderAuthorizationNotCovered,
        Check::HeaderNotListed,
    ];
    /// Codes of `OriginMalformed(flaw)` start here.
    const FLAW_BASE: u32 = 0x100;

    /// The [`Reason`] this check reports.
    pub const fn reason(self) -> Reason {
        match self {
            Check::OriginRepeated | Check::OriginTooLong | Check::OriginMalformed(_) => {
                Reason::InvalidOrigin
            }
            Check::OriginNull | Check::OriginNotListed | Check::OriginInsecureWithCredentials => {
                Reason::OriginNotAllowed
            }
            Check::MethodRepeated | Check::MethodTooLong | Check::MethodNotToken => {
                Reason::InvalidMethod
            }
            Check::MethodForbidden
            | Check::MethodStarWithCredentials
            | Check::MethodNotListed
            | Check::MethodCaseMismatch => Reason::MethodNotAllowed,
            Check::HeadersOverLimits
            | Check::HeadersTooManyEmpty
            | Check::HeadersTooManyNames
            | Check::HeadersNotToken => Reason::InvalidRequestHeaders,
            Check::HeaderForbidden
            | Check::HeaderAuthorizationNotCovered
            | Check::HeaderNotListed => Reason::HeaderNotAllowed,
        }
    }

    /// The request header whose value this check read: the offending bytes
    /// of a [`Refusal`] are part of that header's value.
    pub const fn header(self) -> RequestHeader {
        match self.reason() {
            Reason::InvalidOrigin | Reason::OriginNotAllowed => RequestHeader::Origin,
            Reason::InvalidMethod | Reason::MethodNotAllowed => RequestHeader::RequestMethod,
            Reason::InvalidRequestHeaders | Reason::HeaderNotAllowed => {
                RequestHeader::RequestHeaders
            }
        }
    }

    /// A stable number for the check, for hosts that carry a refusal across
    /// a language boundary; [`Check::from_code`] reads it back.
    pub fn code(self) -> u32 {
        match self {
            Check::OriginMalformed(flaw) => Self::FLAW_BASE + flaw as u32,
            plain => Self::PLAIN.iter().position(|c| *c == plain).unwrap_or(0) as u32,
        }
    }

    /// The check whose [`code`](Check::code) is `code`.
    pub fn from_code(code: u32) -> Option<Check> {
        match code.checked_sub(Self::FLAW_BASE) {
            Some(i) => Flaw::ALL
                .get(i as usize)
                .map(|&f| Check::OriginMalformed(f)),
            None => Self::PLAIN.get(code as usize).copied(),
        }
    }
}

/// A refusal, as recorded by the decision that made it: enough to explain it
/// ([`Refusal::explain`]) without deciding again. Small and `Copy`; it
/// borrows the request's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal<'a> {
    kind: Kind,
    check: Check,
    origin: Option<&'a [u8]>,
    value: &'a [u8],
}

impl<'a> Refusal<'a> {
    /// A refusal from its parts, as a host that carried them across a
    /// language boundary has them ([`Refusal::kind`], [`Refusal::check`],
    /// [`Refusal::origin`], [`Refusal::value`]).
    pub fn new(kind: Kind, check: Check, origin: Option<&'a [u8]>, value: &'a [u8]) -> Self {
        Refusal {
            kind,
            check,
            origin,
            value,
        }
    }

    /// The request's kind (preflight or actual).
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The check that failed.
    pub fn check(&self) -> Check {
        self.check
    }

    /// The reason code.
    pub fn reason(&self) -> Reason {
        self.check.reason()
    }

    /// The request's `Origin` value, trimmed; `None` when it was sent on
    /// several lines.
    pub fn origin(&self) -> Option<&'a [u8]> {
        self.origin
    }

    /// The offending bytes of the request (the origin, the method, the
    /// header name or item, or the whole over-long value); empty when the
    /// fault is a count (repeated lines, too many items).
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    /// Where [`Refusal::value`] sits in `line`, the value of the request
    /// header the check read ([`Check::header`]) as the host passed it, so
    /// a host can carry the refusal as a range of a string it already holds
    /// instead of copying it. `None` when the value is not part of `line`
    /// (another line of a repeated header) or is empty.
    pub fn span_in(&self, line: &[u8]) -> Option<std::ops::Range<usize>> {
        let outer = line.as_ptr_range();
        let inner = self.value.as_ptr_range();
        if self.value.is_empty() || inner.start < outer.start || inner.end > outer.end {
            return None;
        }
        let start = inner.start as usize - outer.start as usize;
        Some(start..start + self.value.len())
    }
}

/// The requested header names echoed under a credentialed `"*"`.
// Inline on purpose: boxing the rare large variant would allocate on the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub(crate) enum Reflected<'a> {
    None,
    /// The request's single ACRH line was already in canonical form.
    Borrowed(&'a [u8]),
    /// Lowercased and joined into an inline buffer.
    Inline(InlineNames),
}

/// Bounded storage for requested names rebuilt in canonical form.
#[derive(Clone, Debug)]
pub(crate) struct InlineNames {
    pub len: usize,
    pub bytes: [u8; REFLECTED_HEADERS_CAP],
}

/// The outcome for one request: what kind it is, whether it is allowed, the
/// status for a preflight, the headers to set (each saying where its value
/// comes from), the `Vary` tokens to merge and, for a refusal, which check
/// failed.
///
/// It borrows the policy's header table and the request bytes; building it
/// never touches the heap.
#[derive(Clone, Debug)]
pub struct Decision<'a> {
    pub(crate) kind: Kind,
    pub(crate) status: Option<u16>,
    pub(crate) vary: &'static crate::policy::VaryTokens,
    /// The headers of this kind of response; empty exactly when refused.
    pub(crate) entries: &'a [Entry],
    /// The request's `Origin`, trimmed, when sent on one line.
    pub(crate) origin: Option<&'a [u8]>,
    /// The requested method, trimmed.
    pub(crate) method: &'a [u8],
    pub(crate) reflected: Reflected<'a>,
    pub(crate) refusal: Option<(Check, &'a [u8])>,
    /// Whether the predicate was asked about `origin` (or, when its answer
    /// was given, would have been).
    pub(crate) asked: bool,
}

impl Decision<'static> {
    /// The decision for a path outside every route: not CORS, nothing to
    /// set, nothing to vary on. [`PolicySet::decide`](crate::PolicySet::decide)
    /// answers it; a host that picks the route itself (to ask a per-route
    /// predicate, say) answers it too.
    pub fn outside_routes() -> Self {
        Decision {
            kind: Kind::NotCors,
            status: None,
            vary: crate::policy::VARY_NONE,
            entries: &[],
            origin: None,
            method: b"",
            reflected: Reflected::None,
            refusal: None,
            asked: false,
        }
    }
}

impl<'a> Decision<'a> {
    /// The request's kind.
    #[inline]
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// True exactly when the response carries `Access-Control-Allow-Origin`.
    #[inline]
    pub fn allowed(&self) -> bool {
        !self.entries.is_empty()
    }

    /// For a preflight, the status to answer with; `None` otherwise (the
    /// application answers).
    #[inline]
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Why the request was refused; `None` when allowed and for `not-cors`.
    #[inline]
    pub fn reason(&self) -> Option<Reason> {
        self.refusal.map(|(check, _)| check.reason())
    }

    /// The refusal, with the check that failed; `None` when allowed and for
    /// `not-cors`.
    #[inline]
    pub fn refusal(&self) -> Option<Refusal<'a>> {
        self.refusal.map(|(check, value)| Refusal {
            kind: self.kind,
            check,
            origin: self.origin,
            value,
        })
    }

    /// The origin the policy's origin predicate was asked about, if the
    /// decision reached it: with [`Answer::Yes`](crate::Answer::Yes) or
    /// [`Answer::No`](crate::Answer::No), the origin whose answer was used.
    #[inline]
    pub fn asked(&self) -> Option<&'a str> {
        // An origin the predicate sees passed the origin grammar: ASCII.
        self.origin
            .filter(|_| self.asked)
            .and_then(|o| std::str::from_utf8(o).ok())
    }

    /// Tokens to merge into `Vary` (append those missing; never overwrite;
    /// leave `Vary: *` alone).
    #[inline]
    pub fn vary(&self) -> &'static [&'static str] {
        self.vary.tokens
    }

    /// The [`vary`](Self::vary) tokens joined by `, `, as one `Vary` value
    /// (empty when there are none): a host whose response has no `Vary`
    /// yet sets this constant instead of joining the tokens itself.
    #[inline]
    pub fn vary_line(&self) -> &'static str {
        self.vary.line
    }

    /// The headers to set, replacing any same-named header the application set.
    #[inline]
    pub fn headers(&self) -> Headers<'_> {
        Headers {
            decision: self,
            entries: self.entries.iter(),
        }
    }

    /// The header this decision sets for `name`, if any.
    pub fn header(&self, name: HeaderName) -> Option<Header<'_>> {
        self.headers().find(|h| h.name == name)
    }

    #[inline]
    fn value<'s>(&'s self, entry: &'s Entry) -> Option<Header<'s>> {
        let (value, source) = match &entry.value {
            Value::Fixed(v) => (&**v, Source::Policy),
            Value::Origin => (self.origin.unwrap_or_default(), Source::Origin),
            Value::RequestMethod => (self.method, Source::RequestMethod),
            Value::RequestHeaders => match &self.reflected {
                // No names requested: nothing to echo.
                Reflected::None => return None,
                Reflected::Borrowed(v) => (*v, Source::RequestHeaders),
                Reflected::Inline(buf) => (&buf.bytes[..buf.len], Source::Rebuilt),
            },
        };
        Some(Header {
            name: entry.name,
            value,
            source,
        })
    }
}

/// The headers of a [`Decision`], in a fixed order, produced on demand.
#[derive(Clone, Debug)]
pub struct Headers<'d> {
    decision: &'d Decision<'d>,
    entries: std::slice::Iter<'d, Entry>,
}

impl<'d> Iterator for Headers<'d> {
    type Item = Header<'d>;

    #[inline]
    fn next(&mut self) -> Option<Header<'d>> {
        for entry in self.entries.by_ref() {
            if let Some(header) = self.decision.value(entry) {
                return Some(header);
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.clone().count();
        (n, Some(n))
    }

    fn count(self) -> usize {
        let decision = self.decision;
        self.entries.filter(|e| decision.value(e).is_some()).count()
    }
}

impl ExactSizeIterator for Headers<'_> {}
