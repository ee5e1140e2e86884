//! What the engine decided (SPEC §5): the outcome and the headers to send,
//! borrowed from the policy and the request.

use std::fmt;

use crate::limits::REFLECTED_HEADERS_CAP;
use crate::policy::Policy;

/// SPEC §1 classification of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// No `Origin` line: not a CORS request.
    NotCors,
    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
    Preflight,
    /// Any other request with an `Origin` line.
    Actual,
}

impl Kind {
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

/// A response header corsgate sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HeaderName {
    /// `Access-Control-Allow-Origin`
    AllowOrigin,
    /// `Access-Control-Allow-Credentials`
    AllowCredentials,
    /// `Access-Control-Allow-Methods`
    AllowMethods,
    /// `Access-Control-Allow-Headers`
    AllowHeaders,
    /// `Access-Control-Max-Age`
    MaxAge,
    /// `Access-Control-Allow-Private-Network`
    AllowPrivateNetwork,
    /// `Private-Network-Access-ID`
    PrivateNetworkAccessId,
    /// `Private-Network-Access-Name`
    PrivateNetworkAccessName,
    /// `Access-Control-Expose-Headers`
    ExposeHeaders,
}

impl HeaderName {
    /// Every header corsgate may set, in the order it emits them.
    pub const ALL: [HeaderName; crate::limits::MAX_RESPONSE_HEADERS] = [
        HeaderName::AllowOrigin,
        HeaderName::AllowCredentials,
        HeaderName::AllowMethods,
        HeaderName::AllowHeaders,
        HeaderName::MaxAge,
        HeaderName::AllowPrivateNetwork,
        HeaderName::PrivateNetworkAccessId,
        HeaderName::PrivateNetworkAccessName,
        HeaderName::ExposeHeaders,
    ];

    /// The name in its usual spelling, e.g. `Access-Control-Allow-Origin`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HeaderName::AllowOrigin => "Access-Control-Allow-Origin",
            HeaderName::AllowCredentials => "Access-Control-Allow-Credentials",
            HeaderName::AllowMethods => "Access-Control-Allow-Methods",
            HeaderName::AllowHeaders => "Access-Control-Allow-Headers",
            HeaderName::MaxAge => "Access-Control-Max-Age",
            HeaderName::AllowPrivateNetwork => "Access-Control-Allow-Private-Network",
            HeaderName::PrivateNetworkAccessId => "Private-Network-Access-ID",
            HeaderName::PrivateNetworkAccessName => "Private-Network-Access-Name",
            HeaderName::ExposeHeaders => "Access-Control-Expose-Headers",
        }
    }

    /// The name in lowercase, as HTTP/2 and HTTP/3 send it.
    pub const fn lowercase(self) -> &'static str {
        match self {
            HeaderName::AllowOrigin => "access-control-allow-origin",
            HeaderName::AllowCredentials => "access-control-allow-credentials",
            HeaderName::AllowMethods => "access-control-allow-methods",
            HeaderName::AllowHeaders => "access-control-allow-headers",
            HeaderName::MaxAge => "access-control-max-age",
            HeaderName::AllowPrivateNetwork => "access-control-allow-private-network",
            HeaderName::PrivateNetworkAccessId => "private-network-access-id",
            HeaderName::PrivateNetworkAccessName => "private-network-access-name",
            HeaderName::ExposeHeaders => "access-control-expose-headers",
        }
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One response header to set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header<'d> {
    /// The header name.
    pub name: HeaderName,
    /// A valid field value: visible ASCII and spaces only.
    pub value: &'d [u8],
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
/// status for a preflight, the headers to set and the `Vary` tokens to merge.
///
/// It borrows from the [`Policy`] and the request bytes; building it never
/// touches the heap.
#[derive(Clone, Debug)]
pub struct Decision<'a> {
    pub(crate) kind: Kind,
    pub(crate) status: Option<u16>,
    pub(crate) reason: Option<Reason>,
    pub(crate) vary: &'static [&'static str],
    /// Set exactly when headers are sent.
    pub(crate) policy: Option<&'a Policy>,
    /// The `Access-Control-Allow-Origin` value.
    pub(crate) allow_origin: &'a [u8],
    /// The requested method, echoed for a credentialed `["*"]`.
    pub(crate) method: &'a [u8],
    pub(crate) reflected: Reflected<'a>,
    pub(crate) private_network: bool,
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
        self.policy.is_some()
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
        self.reason
    }

    /// Tokens to merge into `Vary` (append those missing; never overwrite;
    /// leave `Vary: *` alone).
    #[inline]
    pub fn vary(&self) -> &'static [&'static str] {
        self.vary
    }

    /// The headers to set, replacing any same-named header the application set.
    #[inline]
    pub fn headers(&self) -> Headers<'_> {
        let names: &[HeaderName] = match self.policy {
            None => &[],
            Some(p) if self.kind != Kind::Preflight => &p.actual_headers,
            Some(p) if self.private_network => &p.preflight_headers,
            Some(p) => &p.preflight_headers[..p.preflight_headers_plain],
        };
        Headers {
            decision: self,
            names: names.iter(),
        }
    }

    /// The value this decision sets for `name`, if any.
    pub fn header(&self, name: HeaderName) -> Option<&[u8]> {
        self.value(name)
    }

    #[inline]
    fn value(&self, name: HeaderName) -> Option<&[u8]> {
        let policy = self.policy?;
        let preflight = self.kind == Kind::Preflight;
        match name {
            HeaderName::AllowOrigin => Some(self.allow_origin),
            HeaderName::AllowCredentials => policy.credentials.then_some(b"true"),
            HeaderName::AllowMethods if preflight => {
                policy.allow_methods.as_ref().map(|m| m.value(self.method))
            }
            HeaderName::AllowHeaders if preflight => match &self.reflected {
                Reflected::None => policy.allow_headers.as_deref(),
                Reflected::Borrowed(v) => Some(v),
                Reflected::Inline(buf) => Some(&buf.bytes[..buf.len]),
            },
            HeaderName::MaxAge if preflight => policy.max_age.as_deref(),
            HeaderName::AllowPrivateNetwork => self.private_network.then_some(b"true"),
            HeaderName::PrivateNetworkAccessId if self.private_network => {
                policy.private_network.id.as_deref().map(str::as_bytes)
            }
            HeaderName::PrivateNetworkAccessName if self.private_network => {
                policy.private_network.name.as_deref().map(str::as_bytes)
            }
            HeaderName::ExposeHeaders if !preflight => policy.expose_headers.as_deref(),
            _ => None,
        }
    }
}

/// The headers of a [`Decision`], in a fixed order, produced on demand.
#[derive(Clone, Debug)]
pub struct Headers<'d> {
    decision: &'d Decision<'d>,
    /// The policy's precomputed list of headers for this kind of response.
    names: std::slice::Iter<'d, HeaderName>,
}

impl<'d> Iterator for Headers<'d> {
    type Item = Header<'d>;

    #[inline]
    fn next(&mut self) -> Option<Header<'d>> {
        for &name in self.names.by_ref() {
            // Only an echoed header list can be empty (no names requested).
            if let Some(value) = self.decision.value(name) {
                return Some(Header { name, value });
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.clone().count();
        (n, Some(n))
    }

    fn count(self) -> usize {
        let names = self.names.clone();
        let skipped = names
            .filter(|&&n| n == HeaderName::AllowHeaders && self.decision.value(n).is_none())
            .count();
        self.names.count() - skipped
    }
}

impl ExactSizeIterator for Headers<'_> {}
