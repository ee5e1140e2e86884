//! The request as the engine sees it: a method and four header values,
//! borrowed from the host's buffers (SPEC §1).

use crate::ascii::eq_lowercase;
use crate::limits::{MAX_REQUEST_HEADERS_LEN, MAX_REQUEST_HEADERS_LINES};

/// A request header the engine reads (SPEC §1). Hosts that pick lines out
/// themselves (e.g. to pass [`Request::from_values`] or
/// [`Request::push`]) find them with [`RequestHeader::from_name`].
///
/// ```
/// use corsgate::RequestHeader;
///
/// assert_eq!(RequestHeader::from_name(b"ORIGIN"), Some(RequestHeader::Origin));
/// assert_eq!(RequestHeader::from_name(b"Host"), None);
/// assert_eq!(RequestHeader::RequestMethod.lowercase(), "access-control-request-method");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestHeader {
    /// `Origin`
    Origin,
    /// `Access-Control-Request-Method`
    RequestMethod,
    /// `Access-Control-Request-Headers`
    RequestHeaders,
    /// `Access-Control-Request-Private-Network`
    RequestPrivateNetwork,
}

impl RequestHeader {
    /// Every request header the engine reads, in this order.
    pub const ALL: [RequestHeader; 4] = [
        RequestHeader::Origin,
        RequestHeader::RequestMethod,
        RequestHeader::RequestHeaders,
        RequestHeader::RequestPrivateNetwork,
    ];

    /// The name in lowercase, as browsers send it over HTTP/2.
    pub const fn lowercase(self) -> &'static str {
        match self {
            RequestHeader::Origin => "origin",
            RequestHeader::RequestMethod => "access-control-request-method",
            RequestHeader::RequestHeaders => "access-control-request-headers",
            RequestHeader::RequestPrivateNetwork => "access-control-request-private-network",
        }
    }

    /// The name in its usual spelling, e.g. `Access-Control-Request-Method`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestHeader::Origin => "Origin",
            RequestHeader::RequestMethod => "Access-Control-Request-Method",
            RequestHeader::RequestHeaders => "Access-Control-Request-Headers",
            RequestHeader::RequestPrivateNetwork => "Access-Control-Request-Private-Network",
        }
    }

    /// The position of this header in [`RequestHeader::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The header a line named `name` (any ASCII case) is, if the engine
    /// reads it. Most names are told apart by their length alone.
    #[inline]
    pub fn from_name(name: &[u8]) -> Option<RequestHeader> {
        const O: usize = RequestHeader::Origin.lowercase().len();
        const M: usize = RequestHeader::RequestMethod.lowercase().len();
        const H: usize = RequestHeader::RequestHeaders.lowercase().len();
        const P: usize = RequestHeader::RequestPrivateNetwork.lowercase().len();
        // Each arm compares with a constant, which the compiler specializes.
        let is = |h: RequestHeader| eq_lowercase(name, h.lowercase().as_bytes());
        match name.len() {
            O if is(RequestHeader::Origin) => Some(RequestHeader::Origin),
            M if is(RequestHeader::RequestMethod) => Some(RequestHeader::RequestMethod),
            H if is(RequestHeader::RequestHeaders) => Some(RequestHeader::RequestHeaders),
            P if is(RequestHeader::RequestPrivateNetwork) => {
                Some(RequestHeader::RequestPrivateNetwork)
            }
            _ => None,
        }
    }
}

/// The request headers the engine reads (SPEC §1), lowercase, in the order
/// of [`RequestHeader::ALL`].
pub const CORS_REQUEST_HEADERS: [&str; 4] = [
    RequestHeader::Origin.lowercase(),
    RequestHeader::RequestMethod.lowercase(),
    RequestHeader::RequestHeaders.lowercase(),
    RequestHeader::RequestPrivateNetwork.lowercase(),
];

/// How many times a single-valued header was sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Field<'a> {
    #[default]
    Absent,
    One(&'a [u8]),
    /// Sent on more than one line: never valid.
    Many,
}

impl<'a> Field<'a> {
    fn push(&mut self, value: &'a [u8]) {
        *self = match self {
            Field::Absent => Field::One(value),
            _ => Field::Many,
        };
    }
}

/// A request's CORS-relevant parts, borrowed from the host.
///
/// Only the method, `Origin`, `Access-Control-Request-Method`,
/// `Access-Control-Request-Headers` and `Access-Control-Request-Private-Network`
/// are kept; every other header line is skipped. Building one never allocates.
///
/// ```
/// use corsgate::Request;
///
/// let lines: [(&[u8], &[u8]); 3] = [
///     (b"Host", b"api.example.com"),
///     (b"Origin", b"https://app.example.com"),
///     (b"Access-Control-Request-Method", b"PUT"),
/// ];
/// let request = Request::from_headers(b"OPTIONS", lines);
/// assert!(request.is_preflight());
/// ```
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub(crate) method: &'a [u8],
    pub(crate) origin: Field<'a>,
    pub(crate) request_method: Field<'a>,
    pub(crate) private_network: Field<'a>,
    pub(crate) request_headers: Lines<'a>,
    /// Raw bytes over all ACRH lines, saturating once a limit is crossed.
    pub(crate) request_headers_len: usize,
    /// More lines or bytes than the limits allow: the list is refused unread.
    pub(crate) request_headers_overflow: bool,
}

/// The `Access-Control-Request-Headers` lines kept. One line is the usual
/// case, so the array for several is only written when a second line comes.
// Inline on purpose: boxing the rare large variant would allocate.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub(crate) enum Lines<'a> {
    None,
    One(&'a [u8]),
    Many {
        lines: [&'a [u8]; MAX_REQUEST_HEADERS_LINES],
        count: usize,
    },
}

impl<'a> Request<'a> {
    /// A request with `method` and no headers yet.
    #[inline]
    pub fn new(method: &'a [u8]) -> Self {
        Request {
            method,
            origin: Field::Absent,
            request_method: Field::Absent,
            private_network: Field::Absent,
            request_headers: Lines::None,
            request_headers_len: 0,
            request_headers_overflow: false,
        }
    }

    /// A request from its method and header lines (name, value), repeats
    /// included, in the order received.
    // Always inlined: the request is then built where it is used, not built
    // and copied out (it holds room for several ACRH lines).
    #[inline(always)]
    pub fn from_headers<I, N>(method: &'a [u8], lines: I) -> Self
    where
        I: IntoIterator<Item = (N, &'a [u8])>,
        N: AsRef<[u8]>,
    {
        let mut request = Request::new(method);
        for (name, value) in lines {
            request.push_header(name.as_ref(), value);
        }
        request
    }

    /// A request from the four values a host has already looked up, one line
    /// each (`None` when the header is absent).
    #[inline]
    pub fn from_values(
        method: &'a [u8],
        origin: Option<&'a [u8]>,
        request_method: Option<&'a [u8]>,
        request_headers: Option<&'a [u8]>,
        request_private_network: Option<&'a [u8]>,
    ) -> Self {
        let mut request = Request::new(method);
        if let Some(v) = origin {
            request.origin.push(v);
        }
        if let Some(v) = request_method {
            request.request_method.push(v);
        }
        if let Some(v) = request_headers {
            request.push_request_headers(v);
        }
        if let Some(v) = request_private_network {
            request.private_network.push(v);
        }
        request
    }

    /// Adds one header line; names compare ASCII-case-insensitively and lines
    /// other than the four CORS request headers are ignored.
    #[inline]
    pub fn push_header(&mut self, name: &[u8], value: &'a [u8]) {
        if let Some(header) = RequestHeader::from_name(name) {
            self.push(header, value);
        }
    }

    /// Adds one line of a header the host has already identified.
    #[inline]
    pub fn push(&mut self, header: RequestHeader, value: &'a [u8]) {
        match header {
            RequestHeader::Origin => self.origin.push(value),
            RequestHeader::RequestMethod => self.request_method.push(value),
            RequestHeader::RequestHeaders => self.push_request_headers(value),
            RequestHeader::RequestPrivateNetwork => self.private_network.push(value),
        }
    }

    /// Builder form of [`push_header`](Self::push_header).
    #[inline]
    #[must_use]
    pub fn header(mut self, name: &[u8], value: &'a [u8]) -> Self {
        self.push_header(name, value);
        self
    }

    fn push_request_headers(&mut self, value: &'a [u8]) {
        if self.request_headers_overflow {
            return;
        }
        self.request_headers_len = self.request_headers_len.saturating_add(value.len());
        if self.request_headers_len > MAX_REQUEST_HEADERS_LEN {
            self.request_headers_overflow = true;
            return;
        }
        match &mut self.request_headers {
            Lines::None => self.request_headers = Lines::One(value),
            Lines::One(first) => {
                let mut lines = [&[][..]; MAX_REQUEST_HEADERS_LINES];
                lines[0] = *first;
                lines[1] = value;
                self.request_headers = Lines::Many { lines, count: 2 };
            }
            Lines::Many { count, .. } if *count == MAX_REQUEST_HEADERS_LINES => {
                self.request_headers_overflow = true;
            }
            Lines::Many { lines, count } => {
                lines[*count] = value;
                *count += 1;
            }
        }
    }

    /// The request method, as sent.
    pub fn method(&self) -> &'a [u8] {
        self.method
    }

    /// The `Origin` value when exactly one line was sent.
    pub fn origin(&self) -> Option<&'a [u8]> {
        match self.origin {
            Field::One(v) => Some(v),
            _ => None,
        }
    }

    /// Whether any `Origin` line was sent.
    pub fn has_origin(&self) -> bool {
        self.origin != Field::Absent
    }

    /// The `Access-Control-Request-Method` value when exactly one line was sent.
    pub fn request_method(&self) -> Option<&'a [u8]> {
        match self.request_method {
            Field::One(v) => Some(v),
            _ => None,
        }
    }

    /// The `Access-Control-Request-Headers` lines kept (none past a limit).
    pub fn request_headers(&self) -> &[&'a [u8]] {
        match &self.request_headers {
            Lines::None => &[],
            Lines::One(line) => std::slice::from_ref(line),
            Lines::Many { lines, count } => &lines[..*count],
        }
    }

    /// The `Access-Control-Request-Private-Network` value when exactly one line was sent.
    pub fn request_private_network(&self) -> Option<&'a [u8]> {
        match self.private_network {
            Field::One(v) => Some(v),
            _ => None,
        }
    }

    /// SPEC §1: `OPTIONS`, an `Origin` line, and an ACRM line (even empty).
    #[inline]
    pub fn is_preflight(&self) -> bool {
        self.method == b"OPTIONS"
            && self.origin != Field::Absent
            && self.request_method != Field::Absent
    }
}
