//! Building a policy: validation that reports every problem at once (SPEC §4),
//! then compilation into the tables and joined header values `decide` reads.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::ascii::eq_exact;
use crate::config::{toml_to_json, DangerousConfig, PolicyConfig, PrivateNetworkConfig};
use crate::error::{ErrorCode, PolicyError, Problem};
use crate::fetch::{
    is_forbidden_method, is_forbidden_request_header, is_forbidden_response_header, is_token,
    NORMALIZED_METHODS,
};
use crate::hash::{ByteSet, FastMap, FastSet};
use crate::limits::MAX_MAX_AGE;
use crate::origin::{self, Flaw, Parts, Port};
use crate::response::{self, AllowMethods, ResponseHeaders};

/// A dynamic origin check (SPEC §3), e.g. a lookup of tenants in a database.
///
/// It receives a valid serialized origin other than `null`, at most once per
/// request and only when no configured origin matched. A panic counts as "no".
pub type OriginPredicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// Up to this many configured request header names, a linear scan beats
/// hashing the requested name.
const LINEAR_HEADER_LOOKUP: usize = 8;
/// Up to this many listed request headers, every list a browser can send for
/// them (2^n - 1 of them) is precomputed.
const BROWSER_LISTS_UP_TO: usize = 6;

/// A validated, compiled CORS policy. Immutable; share it across threads.
///
/// ```
/// use corsgate::{Policy, Request, Kind};
///
/// let policy = Policy::from_toml(r#"
///     origins = ["https://app.example.com", "https://*.preview.example.com"]
///     credentials = true
///     methods = ["PUT", "DELETE"]
///     request_headers = ["content-type", "x-request-id"]
///     max_age = 600
/// "#).unwrap();
///
/// let request = Request::new(b"OPTIONS")
///     .header(b"origin", b"https://pr-42.preview.example.com")
///     .header(b"access-control-request-method", b"PUT")
///     .header(b"access-control-request-headers", b"content-type");
/// let decision = policy.decide(&request);
/// assert_eq!(decision.kind(), Kind::Preflight);
/// assert!(decision.allowed());
/// assert_eq!(decision.status(), Some(204));
/// for header in decision.headers() {
///     println!("{}: {}", header.name, String::from_utf8_lossy(header.value));
/// }
/// ```
pub struct Policy {
    pub(crate) config: PolicyConfig,
    pub(crate) any_origin: bool,
    pub(crate) credentials: bool,
    pub(crate) origins: OriginTable,
    pub(crate) predicate: Option<OriginPredicate>,
    /// The host answers the predicate per decision ([`Policy::decide_with`]).
    pub(crate) host_predicate: bool,
    pub(crate) methods: Vec<Box<[u8]>>,
    pub(crate) any_method: bool,
    pub(crate) request_headers: Vec<Box<[u8]>>,
    /// `request_headers` as a set, when the list is longer than a linear scan
    /// is worth.
    pub(crate) request_header_set: Option<FastSet<Box<[u8]>>>,
    /// Every `Access-Control-Request-Headers` value a browser sends for
    /// listed names (Fetch: a sorted, lowercase, comma-joined set), for short
    /// lists: such a line is accepted with one lookup instead of a scan.
    pub(crate) request_header_lists: Option<ByteSet>,
    pub(crate) any_request_header: bool,
    pub(crate) authorization_listed: bool,
    pub(crate) reflect_request_headers: bool,
    pub(crate) preflight_status: u16,
    /// Private network preflights may be granted.
    pub(crate) private_network: bool,
    pub(crate) vary_preflight: &'static [&'static str],
    pub(crate) vary_other: &'static [&'static str],
    /// The headers of each kind of allowed response.
    pub(crate) response: ResponseHeaders,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("config", &self.config)
            .field("predicate", &self.predicate.is_some())
            .finish_non_exhaustive()
    }
}

/// Origin matching whose cost does not depend on how many origins are listed:
/// hash lookups of the whole origin, of `scheme://host` for `:*` ports, and of
/// each host suffix for `*.` patterns.
#[derive(Debug, Default)]
pub(crate) struct OriginTable {
    pub exact: FastSet<Box<[u8]>>,
    /// `exact` as a list when it is short enough that comparing beats hashing.
    pub exact_few: Option<Box<[Box<[u8]>]>>,
    pub any_port: FastSet<Box<[u8]>>,
    pub subdomains: FastMap<Box<[u8]>, Vec<SubdomainRule>>,
    /// The lengths of the keys of `subdomains`: a host suffix of another
    /// length is not looked up.
    pub subdomain_lengths: LengthSet,
}

/// A set of lengths below 256 as a bit set (hosts are at most 253 bytes;
/// longer lengths are never members).
#[derive(Debug, Default)]
pub(crate) struct LengthSet([u64; 4]);

impl LengthSet {
    fn insert(&mut self, n: usize) {
        if let Some(word) = self.0.get_mut(n / 64) {
            *word |= 1 << (n % 64);
        }
    }

    #[inline]
    pub(crate) fn contains(&self, n: usize) -> bool {
        self.0.get(n / 64).is_some_and(|w| w >> (n % 64) & 1 == 1)
    }
}

#[derive(Debug)]
pub(crate) struct SubdomainRule {
    pub scheme: Box<[u8]>,
    pub port: Port,
}

/// Up to this many exact origins, a request's origin is compared with each
/// (lengths first) instead of hashed.
const FEW_EXACT_ORIGINS: usize = 4;

impl OriginTable {
    /// Whether `origin` (trimmed, unparsed) is one of the exact origins.
    #[inline]
    pub(crate) fn is_exact(&self, origin: &[u8]) -> bool {
        match &self.exact_few {
            Some(few) => few.iter().any(|o| eq_exact(o, origin)),
            None => self.exact.contains(origin),
        }
    }

    /// Whether a parsed, canonical request origin matches a pattern.
    pub(crate) fn matches_pattern(&self, origin: &[u8], parts: &Parts<'_>) -> bool {
        if !self.any_port.is_empty() && self.any_port.contains(&origin[..parts.without_port]) {
            return true;
        }
        if self.subdomains.is_empty() || parts.host_kind != origin::HostKind::Dns {
            return false;
        }
        let host = parts.host;
        // Each proper suffix that starts after a dot: a.b.example.com -> b.example.com, example.com, com.
        for (i, _) in host.iter().enumerate().filter(|(_, &b)| b == b'.') {
            let suffix = &host[i + 1..];
            if !self.subdomain_lengths.contains(suffix.len()) {
                continue;
            }
            if let Some(rules) = self.subdomains.get(suffix) {
                let hit = rules.iter().any(|r| {
                    *r.scheme == *parts.scheme
                        && match r.port {
                            Port::Any => true,
                            p => p == parts.port,
                        }
                });
                if hit {
                    return true;
                }
            }
        }
        false
    }
}

/// Builds a [`Policy`] from Rust, or from JSON/TOML plus Rust-only parts
/// such as an [`OriginPredicate`].
///
/// ```
/// use corsgate::Policy;
///
/// let policy = Policy::builder()
///     .origins(["https://app.example.com"])
///     .credentials(true)
///     .methods(["PUT"])
///     .origin_predicate(|origin| origin.ends_with(".tenants.example.net"))
///     .build()
///     .unwrap();
/// assert!(policy.credentials());
///
/// let err = Policy::builder().origins(["*"]).credentials(true).build().unwrap_err();
/// assert_eq!(err.problems()[0].code.as_str(), "any-origin-with-credentials");
/// ```
#[derive(Default)]
pub struct PolicyBuilder {
    config: PolicyConfig,
    predicate: Option<OriginPredicate>,
    host_predicate: bool,
    problems: Vec<Problem>,
}

impl PolicyBuilder {
    /// An empty builder (no origins yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder holding `config`.
    pub fn from_config(config: PolicyConfig) -> Self {
        PolicyBuilder {
            config,
            ..Self::default()
        }
    }

    /// A builder from a JSON value tree; type problems are kept for [`build`](Self::build).
    pub fn from_value(value: &Value) -> Self {
        let mut problems = Vec::new();
        let config = PolicyConfig::from_value(value, &mut problems);
        PolicyBuilder {
            config,
            problems,
            ..Self::default()
        }
    }

    /// A builder from JSON text; syntax and type problems are kept for [`build`](Self::build).
    pub fn from_json(text: &str) -> Self {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => Self::from_value(&v),
            Err(e) => Self::syntax_error("JSON", e.to_string()),
        }
    }

    /// A builder from TOML text; syntax and type problems are kept for [`build`](Self::build).
    pub fn from_toml(text: &str) -> Self {
        match toml::from_str::<toml::Table>(text) {
            Ok(t) => Self::from_value(&toml_to_json(toml::Value::Table(t))),
            Err(e) => {
                Self::syntax_error("TOML", e.message().to_owned() + &span_hint(text, e.span()))
            }
        }
    }

    fn syntax_error(format: &str, detail: String) -> Self {
        PolicyBuilder {
            problems: vec![Problem::new(
                ErrorCode::InvalidSyntax,
                "",
                "",
                format!("the policy is not valid {format}: {detail}"),
                format!("correct the {format} syntax at the place named"),
            )],
            ..Self::default()
        }
    }

    /// The configuration so far, to adjust in place.
    pub fn config_mut(&mut self) -> &mut PolicyConfig {
        &mut self.config
    }

    /// Replaces the allowed origins (exact origins, patterns, or `["*"]`).
    pub fn origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Sends `Access-Control-Allow-Credentials: true`.
    pub fn credentials(mut self, credentials: bool) -> Self {
        self.config.credentials = credentials;
        self
    }

    /// Replaces the methods a preflight may ask for.
    pub fn methods<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.methods = methods.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the header names a preflight may ask for.
    pub fn request_headers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.request_headers = names.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the response header names scripts may read.
    pub fn expose_headers<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.expose_headers = names.into_iter().map(Into::into).collect();
        self
    }

    /// Seconds a browser may cache a preflight (0..=86400).
    pub fn max_age(mut self, seconds: u32) -> Self {
        self.config.max_age = Some(i64::from(seconds));
        self
    }

    /// Status of an accepted preflight (200..=299, default 204).
    pub fn preflight_status(mut self, status: u16) -> Self {
        self.config.preflight_status = i64::from(status);
        self
    }

    /// Legacy Private Network Access settings.
    pub fn private_network(mut self, private_network: PrivateNetworkConfig) -> Self {
        self.config.private_network = private_network;
        self
    }

    /// Options that lift safety checks.
    pub fn dangerous(mut self, dangerous: DangerousConfig) -> Self {
        self.config.dangerous = dangerous;
        self
    }

    /// Allows origins that `predicate` accepts, besides or instead of `origins`.
    pub fn origin_predicate<F>(mut self, predicate: F) -> Self
    where
        F: Fn(&str) -> bool + Send + Sync + 'static,
    {
        self.predicate = Some(Arc::new(predicate));
        self
    }

    /// Allows origins that a shared predicate accepts.
    pub fn origin_predicate_arc(mut self, predicate: OriginPredicate) -> Self {
        self.predicate = Some(predicate);
        self
    }

    /// Allows origins that a predicate of the host's accepts, answered per
    /// decision through [`Policy::decide_with`] (e.g. a function of another
    /// language, which cannot live in the policy); [`Policy::decide`]
    /// counts it as "no". Validated as an origin predicate.
    pub fn host_origin_predicate(mut self) -> Self {
        self.host_predicate = true;
        self
    }

    /// Validates and compiles the policy, or returns every problem found.
    pub fn build(self) -> Result<Policy, PolicyError> {
        let mut problems = self.problems;
        // A document that did not parse has no keys to check further.
        if problems.iter().any(|p| p.code == ErrorCode::InvalidSyntax) {
            return Err(PolicyError::new(problems));
        }
        let policy = compile(
            self.config,
            self.predicate,
            self.host_predicate,
            &mut problems,
        );
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(PolicyError::new(problems))
        }
    }
}

fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let Some(span) = span else {
        return String::new();
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, str::len) + 1;
    format!(" (line {line}, column {column})")
}

impl Policy {
    /// A builder for a policy written in Rust.
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::new()
    }

    /// Parses and validates a JSON policy.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        PolicyBuilder::from_json(text).build()
    }

    /// Parses and validates a TOML policy.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        PolicyBuilder::from_toml(text).build()
    }

    /// The policy as configured (methods and names as written).
    pub fn config(&self) -> &PolicyConfig {
        &self.config
    }

    /// Whether `Access-Control-Allow-Credentials: true` is sent.
    pub fn credentials(&self) -> bool {
        self.credentials
    }

    /// Whether the policy is `origins = ["*"]`.
    pub fn is_any_origin(&self) -> bool {
        self.any_origin
    }

    /// Whether an origin predicate was given.
    pub fn has_origin_predicate(&self) -> bool {
        self.predicate.is_some() || self.host_predicate
    }
}

const VARY_NONE: &[&str] = &[];
const VARY_ORIGIN: &[&str] = &["Origin"];
const VARY_PREFLIGHT: &[&str] = &[
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
];
const VARY_PREFLIGHT_PNA: &[&str] = &[
    "Origin",
    "Access-Control-Request-Method",
    "Access-Control-Request-Headers",
    "Access-Control-Request-Private-Network",
];

/// Validates `config`, pushing every problem, and compiles it. The result is
/// only meaningful when no problem was pushed.
fn compile(
    config: PolicyConfig,
    predicate: Option<OriginPredicate>,
    host_predicate: bool,
    problems: &mut Vec<Problem>,
) -> Policy {
    let credentials = config.credentials;
    let has_predicate = predicate.is_some() || host_predicate;
    let (origins, any_origin) = compile_origins(&config, has_predicate, problems);

    // Methods.
    let any_method = config.methods.iter().any(|m| m == "*");
    let mut methods: Vec<Box<[u8]>> = Vec::new();
    for m in &config.methods {
        if m == "*" {
            if config.methods.len() > 1 {
                problems.push(Problem::new(
                    ErrorCode::WildcardNotAlone,
                    "methods",
                    "*",
                    "`methods` lists `*` beside other methods",
                    "use `[\"*\"]` alone for any method, or list the methods without `*`",
                ));
            }
            continue;
        }
        if !is_token(m.as_bytes()) {
            problems.push(Problem::new(
                ErrorCode::InvalidMethod,
                "methods",
                m,
                format!("`methods` entry {m:?} is not an HTTP method token"),
                "write a method name like `PUT` (letters, digits and !#$%&'*+-.^_`|~ only)",
            ));
            continue;
        }
        if is_forbidden_method(m.as_bytes()) {
            problems.push(Problem::new(
                ErrorCode::ForbiddenMethod,
                "methods",
                m,
                format!("`methods` lists {m:?}, which browsers never send from scripts"),
                format!("remove {m:?} from `methods`"),
            ));
            continue;
        }
        let normalized = NORMALIZED_METHODS
            .iter()
            .find(|n| n.eq_ignore_ascii_case(m))
            .map_or_else(|| m.clone(), |n| (*n).to_owned());
        let normalized = normalized.into_bytes().into_boxed_slice();
        if !methods.contains(&normalized) {
            methods.push(normalized);
        }
    }
    let allow_methods = if any_method {
        Some(if credentials {
            AllowMethods::Reflect
        } else {
            AllowMethods::Fixed(b"*".to_vec().into())
        })
    } else {
        (!methods.is_empty()).then(|| AllowMethods::Fixed(join(&methods)))
    };

    // Request headers.
    let any_request_header = config.request_headers.iter().any(|h| h == "*");
    let mut request_headers: Vec<Box<[u8]>> = Vec::new();
    for h in &config.request_headers {
        if h == "*" {
            continue;
        }
        if !is_token(h.as_bytes()) {
            problems.push(invalid_header_name("request_headers", h));
            continue;
        }
        if is_forbidden_request_header(h.as_bytes()) {
            problems.push(Problem::new(
                ErrorCode::ForbiddenRequestHeader,
                "request_headers",
                h,
                format!("`request_headers` lists {h:?}, a name only the browser may set"),
                format!("remove {h:?} from `request_headers`"),
            ));
            continue;
        }
        let lower = h.to_ascii_lowercase();
        if any_request_header && lower != "authorization" {
            problems.push(Problem::new(
                ErrorCode::WildcardNotAlone,
                "request_headers",
                h,
                format!("`request_headers` lists {h:?} beside `*`, which already allows it"),
                format!("remove {h:?}; only `authorization` needs listing beside `*`"),
            ));
            continue;
        }
        let lower = lower.into_bytes().into_boxed_slice();
        if !request_headers.contains(&lower) {
            request_headers.push(lower);
        }
    }
    let authorization_listed = request_headers.iter().any(|h| &**h == b"authorization");
    let reflect_request_headers = any_request_header && credentials;
    let allow_headers = if any_request_header {
        (!credentials).then(|| {
            if authorization_listed {
                b"*, authorization".to_vec().into_boxed_slice()
            } else {
                b"*".to_vec().into_boxed_slice()
            }
        })
    } else {
        (!request_headers.is_empty()).then(|| join(&request_headers))
    };
    // Long lists are also hashed (`Policy::request_header_allowed`).
    let request_header_set = (request_headers.len() > LINEAR_HEADER_LOOKUP)
        .then(|| request_headers.iter().cloned().collect());
    let request_header_lists = (!any_request_header
        && (1..=BROWSER_LISTS_UP_TO).contains(&request_headers.len()))
    .then(|| browser_lists(&request_headers));

    // Expose headers.
    let any_expose = config.expose_headers.iter().any(|h| h == "*");
    let mut expose: Vec<Box<[u8]>> = Vec::new();
    if any_expose && config.expose_headers.len() > 1 {
        problems.push(Problem::new(
            ErrorCode::WildcardNotAlone,
            "expose_headers",
            "*",
            "`expose_headers` lists `*` beside other names",
            "use `[\"*\"]` alone to expose every header, or list the names without `*`",
        ));
    }
    if any_expose && credentials {
        problems.push(Problem::new(
            ErrorCode::ExposeAnyWithCredentials,
"expose_headers",
            "*",
            "`expose_headers = [\"*\"]` is treated as the literal name `*` by browsers on credentialed requests",
            "list the response header names scripts need to read",
        ));
    }
    for h in &config.expose_headers {
        if h == "*" {
            continue;
        }
        if !is_token(h.as_bytes()) {
            problems.push(invalid_header_name("expose_headers", h));
            continue;
        }
        if is_forbidden_response_header(h.as_bytes()) {
            problems.push(Problem::new(
                ErrorCode::ForbiddenResponseHeader,
                "expose_headers",
                h,
                format!("`expose_headers` lists {h:?}, which scripts can never read"),
                format!("remove {h:?} from `expose_headers`"),
            ));
            continue;
        }
        if !expose.iter().any(|e| e.eq_ignore_ascii_case(h.as_bytes())) {
            expose.push(h.as_bytes().into());
        }
    }
    let expose_headers = if any_expose {
        Some(b"*".to_vec().into_boxed_slice())
    } else {
        (!expose.is_empty()).then(|| join(&expose))
    };

    // Numbers.
    let max_age = match config.max_age {
        None => None,
        Some(s) if (0..=i64::from(MAX_MAX_AGE)).contains(&s) => {
            Some(s.to_string().into_bytes().into_boxed_slice())
        }
        Some(s) => {
            problems.push(Problem::new(
                ErrorCode::MaxAgeOutOfRange,
                "max_age",
                s.to_string(),
                format!("`max_age` is {s}, outside 0..=86400 seconds"),
                "use a value from 0 to 86400 (Chrome caps it at 7200), or remove it",
            ));
            None
        }
    };
    let preflight_status = match u16::try_from(config.preflight_status) {
        Ok(s) if (200..=299).contains(&s) => s,
        _ => {
            let s = config.preflight_status;
            problems.push(Problem::new(
                ErrorCode::InvalidPreflightStatus,
                "preflight_status",
                s.to_string(),
                format!(
                    "`preflight_status` is {s}; browsers accept a preflight only with a 2xx status"
                ),
                "use 204 (the default) or 200",
            ));
            204
        }
    };

    // Private network.
    let pn = &config.private_network;
    if let Some(id) = &pn.id {
        if !is_private_network_id(id) {
            problems.push(Problem::new(
                ErrorCode::InvalidPrivateNetworkId,
                "private_network.id",
                id,
                format!("`private_network.id` {id:?} is not six colon-separated hex bytes"),
                "write it like `01:23:45:67:89:0A`",
            ));
        }
    }
    if let Some(name) = &pn.name {
        if !is_private_network_name(name) {
            problems.push(Problem::new(
                ErrorCode::InvalidPrivateNetworkName,
                "private_network.name",
                name,
                format!("`private_network.name` {name:?} must be 1 to 248 of a-z, 0-9, _, . and -"),
                format!("use a lowercase name like {:?}", suggest_device_name(name)),
            ));
        }
    }
    if pn.allow && any_origin {
        problems.push(Problem::new(
            ErrorCode::AnyOriginWithPrivateNetwork,
"private_network.allow",
            "*",
            "`private_network.allow` with `origins = [\"*\"]` would let every site on the internet reach this device",
            "list the origins that may reach the private network",
        ));
    }

    let vary_preflight = if pn.allow {
        VARY_PREFLIGHT_PNA
    } else {
        VARY_PREFLIGHT
    };
    let vary_other = if any_origin { VARY_NONE } else { VARY_ORIGIN };
    let response = ResponseHeaders::new(response::Parts {
        any_origin,
        credentials,
        allow_methods,
        allow_headers,
        reflect_request_headers,
        max_age,
        expose_headers,
        private_network_id: pn.id.as_deref().map(|v| v.as_bytes().into()),
        private_network_name: pn.name.as_deref().map(|v| v.as_bytes().into()),
    });
    Policy {
        response,
        private_network: pn.allow,
        any_origin,
        credentials,
        origins,
        predicate,
        host_predicate,
        methods,
        any_method,
        request_headers,
        request_header_set,
        request_header_lists,
        any_request_header,
        authorization_listed,
        reflect_request_headers,
        preflight_status,
        vary_preflight,
        vary_other,
        config,
    }
}

/// The values of `Access-Control-Request-Headers` a browser sends when it
/// asks for some of `names` (lowercase, distinct): each non-empty subset,
/// sorted bytewise and joined by `,` (Fetch, "CORS-unsafe request-header
/// names").
fn browser_lists(names: &[Box<[u8]>]) -> ByteSet {
    let mut sorted: Vec<&[u8]> = names.iter().map(|n| &**n).collect();
    sorted.sort_unstable();
    (1u32..1 << sorted.len())
        .map(|subset| {
            let chosen = sorted
                .iter()
                .enumerate()
                .filter(|(i, _)| subset & (1 << i) != 0)
                .map(|(_, n)| *n);
            chosen
                .collect::<Vec<_>>()
                .join(&b","[..])
                .into_boxed_slice()
        })
        .collect()
}

fn invalid_header_name(key: &str, h: &str) -> Problem {
    Problem::new(
        ErrorCode::InvalidHeaderName,
        key,
        h,
        format!("`{key}` entry {h:?} is not a valid header name"),
        "write a header name like `x-request-id` (letters, digits and !#$%&'*+-.^_`|~ only)",
    )
}

fn compile_origins(
    config: &PolicyConfig,
    has_predicate: bool,
    problems: &mut Vec<Problem>,
) -> (OriginTable, bool) {
    let mut table = OriginTable::default();
    let origins = &config.origins;
    let credentials = config.credentials;
    let dangerous = &config.dangerous;
    let any_origin = origins.iter().any(|o| o == "*");
    if origins.is_empty() && !has_predicate {
        problems.push(Problem::new(
            ErrorCode::NoOrigins,
            "origins",
            "[]",
            "`origins` is empty and no origin predicate is set, so no origin could ever be allowed",
            "list the origins allowed, like `origins = [\"https://app.example.com\"]`",
        ));
    }
    if any_origin && origins.len() > 1 {
        problems.push(Problem::new(
            ErrorCode::InvalidOrigin,
            "origins",
            "*",
            "`origins` lists `*` beside other origins",
            "use `[\"*\"]` alone for any origin, or list the origins without `*`",
        ));
    }
    if any_origin && has_predicate {
        problems.push(Problem::new(
            ErrorCode::InvalidOrigin,
            "origins",
            "*",
            "`origins = [\"*\"]` together with an origin predicate: the predicate would never run",
            "remove `*` to let the predicate decide, or remove the predicate",
        ));
    }
    if any_origin && credentials {
        problems.push(Problem::new(
            ErrorCode::AnyOriginWithCredentials,
"origins",
            "*",
            "`origins = [\"*\"]` with `credentials = true`: browsers reject `*` on credentialed requests, and echoing any origin would let every site read your users' data",
            "list the origins allowed, or set `credentials = false`",
        ));
    }
    for o in origins {
        if o == "*" {
            continue;
        }
        if o == "null" {
            if dangerous.allow_null_origin {
                table.exact.insert(b"null".to_vec().into());
            } else {
                problems.push(Problem::new(
                    ErrorCode::NullOrigin,
"origins",
                    o,
                    "`origins` lists `null`, which any sandboxed iframe, data: URL or file page can send",
                    "remove `null`, or set `dangerous.allow_null_origin = true` if you really mean it",
                ));
            }
            continue;
        }
        let parts = match origin::parse(o.as_bytes(), true) {
            Ok(parts) => parts,
            Err(flaw) => {
                problems.push(origin_problem(o, flaw));
                continue;
            }
        };
        if credentials && parts.is_insecure() && !dangerous.allow_insecure_origins_with_credentials
        {
            problems.push(Problem::new(
                ErrorCode::InsecureOriginWithCredentials,
"origins",
                o,
                format!("`origins` lists {o:?} with credentials: anyone on the network path can impersonate an http:// origin"),
                format!(
                    "use {:?}, or set `dangerous.allow_insecure_origins_with_credentials = true`",
                    o.replacen("http://", "https://", 1)
                ),
            ));
        }
        if credentials
            && parts.wildcard
            && is_public_suffix(parts.host)
            && !dangerous.allow_public_suffix_wildcards_with_credentials
        {
            problems.push(Problem::new(
                ErrorCode::PublicSuffixWildcardWithCredentials,
"origins",
                o,
                format!("`origins` lists {o:?} with credentials: anyone can register a site under a public suffix"),
                "list your own subdomains instead, or set `dangerous.allow_public_suffix_wildcards_with_credentials = true`",
            ));
        }
        let bytes = o.as_bytes();
        if parts.wildcard {
            table.subdomain_lengths.insert(parts.host.len());
            let rules = table.subdomains.entry(parts.host.into()).or_default();
            if !rules
                .iter()
                .any(|r| *r.scheme == *parts.scheme && r.port == parts.port)
            {
                rules.push(SubdomainRule {
                    scheme: parts.scheme.into(),
                    port: parts.port,
                });
            }
        } else if parts.port == Port::Any {
            table.any_port.insert(bytes[..parts.without_port].into());
        } else {
            table.exact.insert(bytes.into());
        }
    }
    if table.exact.len() <= FEW_EXACT_ORIGINS {
        table.exact_few = Some(table.exact.iter().cloned().collect());
    }
    (table, any_origin)
}

fn origin_problem(o: &str, flaw: Flaw) -> Problem {
    let suggestion = origin::suggest(o, true);
    let code = if flaw.is_non_canonical() {
        ErrorCode::NonCanonicalOrigin
    } else {
        ErrorCode::InvalidOrigin
    };
    let fix = match (&suggestion, flaw) {
        (Some(s), _) => format!("did you mean {s:?}?"),
        (None, Flaw::NoScheme) => format!("add the scheme: \"https://{o}\""),
        (None, Flaw::NonAscii) => {
            "write the host in punycode (xn--...), as browsers send it".to_owned()
        }
        (None, Flaw::MisplacedWildcard) => {
            "use `*.` as the leftmost label (`https://*.example.com`) or `:*` as the port"
                .to_owned()
        }
        (None, _) => {
            "write it as scheme://host[:port], like \"https://app.example.com\"".to_owned()
        }
    };
    Problem::new(
        code,
        "origins",
        o,
        format!("`origins` entry {o:?} {}", flaw.describe()),
        fix,
    )
}

/// Whether `host` is itself on the public suffix list (ICANN or private).
pub(crate) fn is_public_suffix(host: &[u8]) -> bool {
    psl::suffix(host).is_some_and(|s| s.is_known() && s.as_bytes() == host)
}

fn is_private_network_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 17
        && b.chunks(3).all(|c| {
            c[0].is_ascii_hexdigit() && c[1].is_ascii_hexdigit() && (c.len() == 2 || c[2] == b':')
        })
}

fn is_private_network_name(name: &str) -> bool {
    (1..=248).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        })
}

fn suggest_device_name(name: &str) -> String {
    let s: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '_' | '.' | '-' => c,
            _ => '-',
        })
        .take(248)
        .collect();
    if s.is_empty() {
        "my-device".to_owned()
    } else {
        s
    }
}

fn join(items: &[Box<[u8]>]) -> Box<[u8]> {
    items.join(&b", "[..]).into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_suffixes() {
        assert!(is_public_suffix(b"com"));
        assert!(is_public_suffix(b"co.uk"));
        assert!(is_public_suffix(b"github.io"));
        assert!(!is_public_suffix(b"example.com"));
        assert!(!is_public_suffix(b"localhost"));
    }

    #[test]
    fn browser_lists_are_the_sorted_subsets() {
        let policy = Policy::builder()
            .origins(["https://app.example.com"])
            .request_headers(["X-Request-Id", "content-type", "authorization"])
            .build()
            .unwrap();
        let lists = policy.request_header_lists.as_ref().unwrap();
        let mut got: Vec<&str> = lists
            .iter()
            .map(|l| std::str::from_utf8(l).unwrap())
            .collect();
        assert_eq!(lists.len(), got.len());
        got.sort_unstable();
        assert_eq!(
            got,
            [
                "authorization",
                "authorization,content-type",
                "authorization,content-type,x-request-id",
                "authorization,x-request-id",
                "content-type",
                "content-type,x-request-id",
                "x-request-id",
            ]
        );
        // Not precomputed: `*`, and lists too long to enumerate.
        let any = Policy::builder()
            .origins(["https://app.example.com"])
            .request_headers(["*"])
            .build()
            .unwrap();
        assert!(any.request_header_lists.is_none());
        let names: Vec<String> = (0..=BROWSER_LISTS_UP_TO)
            .map(|i| format!("x-{i}"))
            .collect();
        let long = Policy::builder()
            .origins(["https://app.example.com"])
            .request_headers(names)
            .build()
            .unwrap();
        assert!(long.request_header_lists.is_none());
    }

    #[test]
    fn private_network_fields() {
        assert!(is_private_network_id("01:23:45:67:89:0A"));
        assert!(!is_private_network_id("01:23:45:67:89"));
        assert!(!is_private_network_id("01-23-45-67-89-0A"));
        assert!(is_private_network_name("printer_2.local-net"));
        assert!(!is_private_network_name("Printer"));
        assert!(!is_private_network_name(""));
    }

    #[test]
    fn reports_every_problem_at_once() {
        let err = Policy::from_json(
            r#"{"origins": ["*", "https://a.example/"], "credentials": true,
                "methods": ["TRACE", "PUT", "*"], "max_age": 99999, "colour": 1}"#,
        )
        .unwrap_err();
        for code in [
            ErrorCode::UnknownField,
            ErrorCode::InvalidOrigin,
            ErrorCode::AnyOriginWithCredentials,
            ErrorCode::WildcardNotAlone,
            ErrorCode::ForbiddenMethod,
            ErrorCode::MaxAgeOutOfRange,
        ] {
            assert!(err.has(code), "{code} missing from {err}");
        }
    }

    #[test]
    fn suggests_the_canonical_origin() {
        let err = Policy::from_json(r#"{"origins": ["https://app.example.com:443"]}"#).unwrap_err();
        let p = &err.problems()[0];
        assert_eq!(p.code, ErrorCode::NonCanonicalOrigin);
        assert_eq!(p.value, "https://app.example.com:443");
        assert_eq!(p.fix, "did you mean \"https://app.example.com\"?");
    }

    #[test]
    fn syntax_errors_name_the_place() {
        let err =
            Policy::from_toml("origins = [\"https://a.example\"\ncredentials = true").unwrap_err();
        assert_eq!(err.problems()[0].code, ErrorCode::InvalidSyntax);
        assert!(err.problems()[0].message.contains("line"), "{err}");
        let err = Policy::from_json("{\"origins\": [}").unwrap_err();
        assert_eq!(err.problems().len(), 1, "{err}");
        assert_eq!(err.problems()[0].code, ErrorCode::InvalidSyntax);
    }
}
