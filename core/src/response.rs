//! The response side of a policy (SPEC §5): the headers corsgate sets, where
//! each value comes from, and the table of headers per kind of response,
//! built once per policy. A [`Decision`](crate::Decision) borrows this table;
//! the table is the rule for which header goes on which response.

use std::fmt;

/// A response header corsgate sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

    /// The position of this name in [`HeaderName::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a header value comes from, so that a host knows how long it lives
/// and whether it may cache it, without comparing addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// A constant of the policy: lives as long as the policy, the same for
    /// every request.
    Policy,
    /// The request's `Origin` value, without its surrounding whitespace.
    Origin,
    /// The request's `Access-Control-Request-Method` value, without its
    /// surrounding whitespace.
    RequestMethod,
    /// The request's one `Access-Control-Request-Headers` line, without its
    /// surrounding whitespace.
    RequestHeaders,
    /// Built for this decision, in the decision itself (requested header
    /// names lowercased and joined): lives as long as the decision.
    Rebuilt,
}

impl Source {
    /// Every source, in the order of their codes.
    pub const ALL: [Source; 5] = [
        Source::Policy,
        Source::Origin,
        Source::RequestMethod,
        Source::RequestHeaders,
        Source::Rebuilt,
    ];

    /// `policy`, `origin`, `request-method`, `request-headers` or `rebuilt`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Policy => "policy",
            Source::Origin => "origin",
            Source::RequestMethod => "request-method",
            Source::RequestHeaders => "request-headers",
            Source::Rebuilt => "rebuilt",
        }
    }
}

/// One response header to set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header<'d> {
    /// The header name.
    pub name: HeaderName,
    /// A valid field value: visible ASCII and spaces only.
    pub value: &'d [u8],
    /// Where `value` comes from.
    pub source: Source,
}

/// The `Access-Control-Allow-Methods` value, chosen at build time.
#[derive(Debug)]
pub(crate) enum AllowMethods {
    /// The methods joined, or `*`.
    Fixed(Box<[u8]>),
    /// Credentialed `["*"]`: echo the requested method.
    Reflect,
}

/// How one header of the table gets its value.
#[derive(Debug)]
pub(crate) enum Value {
    Fixed(Box<[u8]>),
    /// The request's origin (trimmed).
    Origin,
    /// The requested method (trimmed).
    RequestMethod,
    /// The requested header names, echoed; absent when none were requested.
    RequestHeaders,
}

/// One header of a kind of response, and its value.
#[derive(Debug)]
pub(crate) struct Entry {
    pub name: HeaderName,
    pub value: Value,
}

/// The headers of each kind of allowed response, in emission order, with
/// their values joined: built once per policy.
#[derive(Debug, Default)]
pub(crate) struct ResponseHeaders {
    /// An allowed actual (or, for `*`, not-cors) response.
    actual: Box<[Entry]>,
    /// An accepted preflight, then what a granted private-network preflight adds.
    preflight: Box<[Entry]>,
    /// How many of `preflight` precede the private network ones.
    plain: usize,
}

/// The parts of a compiled policy the table is built from.
pub(crate) struct Parts {
    pub any_origin: bool,
    pub credentials: bool,
    pub allow_methods: Option<AllowMethods>,
    /// A fixed `Access-Control-Allow-Headers` value.
    pub allow_headers: Option<Box<[u8]>>,
    /// Echo the requested names instead (credentialed `*`).
    pub reflect_request_headers: bool,
    pub max_age: Option<Box<[u8]>>,
    pub expose_headers: Option<Box<[u8]>>,
    pub private_network_id: Option<Box<[u8]>>,
    pub private_network_name: Option<Box<[u8]>>,
}

fn fixed(name: HeaderName, value: &[u8]) -> Entry {
    Entry {
        name,
        value: Value::Fixed(value.into()),
    }
}

impl ResponseHeaders {
    pub(crate) fn new(p: Parts) -> Self {
        let origin = || match p.any_origin {
            true => fixed(HeaderName::AllowOrigin, b"*"),
            false => Entry {
                name: HeaderName::AllowOrigin,
                value: Value::Origin,
            },
        };
        let credentials = || {
            p.credentials
                .then(|| fixed(HeaderName::AllowCredentials, b"true"))
        };
        let actual = [
            Some(origin()),
            credentials(),
            p.expose_headers
                .as_deref()
                .map(|v| fixed(HeaderName::ExposeHeaders, v)),
        ];
        let methods = p.allow_methods.as_ref().map(|m| Entry {
            name: HeaderName::AllowMethods,
            value: match m {
                AllowMethods::Fixed(v) => Value::Fixed(v.clone()),
                AllowMethods::Reflect => Value::RequestMethod,
            },
        });
        let headers = match (&p.allow_headers, p.reflect_request_headers) {
            (_, true) => Some(Entry {
                name: HeaderName::AllowHeaders,
                value: Value::RequestHeaders,
            }),
            (Some(v), false) => Some(fixed(HeaderName::AllowHeaders, v)),
            (None, false) => None,
        };
        let plain: Vec<Entry> = [
            Some(origin()),
            credentials(),
            methods,
            headers,
            p.max_age.as_deref().map(|v| fixed(HeaderName::MaxAge, v)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let private_network = [
            Some(fixed(HeaderName::AllowPrivateNetwork, b"true")),
            p.private_network_id
                .as_deref()
                .map(|v| fixed(HeaderName::PrivateNetworkAccessId, v)),
            p.private_network_name
                .as_deref()
                .map(|v| fixed(HeaderName::PrivateNetworkAccessName, v)),
        ];
        let n = plain.len();
        ResponseHeaders {
            actual: actual.into_iter().flatten().collect(),
            preflight: plain
                .into_iter()
                .chain(private_network.into_iter().flatten())
                .collect(),
            plain: n,
        }
    }

    /// Every fixed value of the table, each name once (a name has one
    /// fixed value per policy, whichever kind of response carries it).
    pub(crate) fn fixed(&self) -> impl Iterator<Item = (HeaderName, &[u8])> + '_ {
        let mut seen = [false; crate::limits::MAX_RESPONSE_HEADERS];
        self.actual
            .iter()
            .chain(self.preflight.iter())
            .filter_map(move |e| match &e.value {
                Value::Fixed(v) if !std::mem::replace(&mut seen[e.name.index()], true) => {
                    Some((e.name, &**v))
                }
                _ => None,
            })
    }

    /// The headers of an allowed actual or not-cors response.
    #[inline]
    pub(crate) fn actual(&self) -> &[Entry] {
        &self.actual
    }

    /// The headers of an accepted preflight, with or without the private
    /// network grant.
    #[inline]
    pub(crate) fn preflight(&self, private_network: bool) -> &[Entry] {
        match private_network {
            true => &self.preflight,
            false => &self.preflight[..self.plain],
        }
    }
}
