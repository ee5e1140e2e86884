//! Building a policy: validation that reports every problem at once (SPEC §4),
//! then compilation into the tables and joined header values `decide` reads,
//! one module per key (as tower-http lays out its cors module): each
//! validates its key, compiles it and answers the lookups `decide` makes.

mod expose_headers;
mod format;
mod methods;
mod origins;
mod preflight;
mod private_network;
mod request_headers;

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::config::{toml_to_json, DangerousConfig, PolicyConfig, PrivateNetworkConfig};
use crate::error::{ErrorCode, PolicyError, Problem};
use crate::response::{self, ResponseHeaders};

use methods::Methods;
pub(crate) use origins::is_public_suffix;
use origins::Origins;
use request_headers::RequestHeaders;

/// A dynamic origin check (SPEC §3), e.g. a lookup of tenants in a database.
///
/// It receives a valid serialized origin other than `null`, at most once per
/// request and only when no configured origin matched. A panic counts as "no".
pub type OriginPredicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

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
    pub(crate) credentials: bool,
    pub(crate) origins: Origins,
    pub(crate) methods: Methods,
    pub(crate) request_headers: RequestHeaders,
    pub(crate) preflight_status: u16,
    pub(crate) refused_preflight_status: u16,
    /// Private network preflights may be granted.
    pub(crate) private_network: bool,
    pub(crate) vary_preflight: &'static VaryTokens,
    pub(crate) vary_other: &'static VaryTokens,
    /// The headers of each kind of allowed response.
    pub(crate) response: ResponseHeaders,
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("config", &self.config)
            .field("predicate", &self.origins.has_own_predicate())
            .finish_non_exhaustive()
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

    /// Status of a refused preflight (default 403; 400..=499).
    pub fn refused_preflight_status(mut self, status: u16) -> Self {
        self.config.refused_preflight_status = i64::from(status);
        self
    }

    /// Joins the configured lists (methods, request and expose headers)
    /// with `separator`, `", "` (the default) or `","`.
    pub fn list_separator(mut self, separator: &str) -> Self {
        let f = &mut self.config.format;
        f.methods_separator = separator.into();
        f.request_headers_separator = separator.into();
        f.expose_headers_separator = separator.into();
        self
    }

    /// Writes configured request header names in `Access-Control-Allow-Headers`
    /// as configured (`true`) or lowercase (`false`, the default).
    pub fn keep_request_header_case(mut self, keep: bool) -> Self {
        self.config.format.request_headers_case =
            if keep { "as-configured" } else { "lowercase" }.into();
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
        self.origins.is_any()
    }

    /// Whether an origin predicate was given.
    pub fn has_origin_predicate(&self) -> bool {
        self.origins.has_predicate()
    }

    /// The policy's own origin predicate, to rebuild it with another config.
    #[cfg_attr(not(feature = "tower"), allow(dead_code))]
    pub(crate) fn own_predicate(&self) -> Option<OriginPredicate> {
        self.origins.own_predicate()
    }

    /// The response headers whose value is a constant of this policy
    /// ([`Source::Policy`](crate::Source::Policy)), each name once: every
    /// decision that sets one of these names with that source sets exactly
    /// this value, so a host may convert each value once (to its own header
    /// type) and reuse it for every response.
    pub fn fixed_headers(&self) -> impl Iterator<Item = (crate::HeaderName, &[u8])> + '_ {
        self.response.fixed()
    }
}

/// The `Vary` tokens of a kind of response, and the same joined by `, `.
#[derive(Debug)]
pub(crate) struct VaryTokens {
    pub tokens: &'static [&'static str],
    pub line: &'static str,
}

pub(crate) const VARY_NONE: &VaryTokens = &VaryTokens {
    tokens: &[],
    line: "",
};
const VARY_ORIGIN: &VaryTokens = &VaryTokens {
    tokens: &["Origin"],
    line: "Origin",
};
const VARY_PREFLIGHT: &VaryTokens = &VaryTokens {
    tokens: &[
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
    ],
    line: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
};
const VARY_PREFLIGHT_PNA: &VaryTokens = &VaryTokens {
    tokens: &[
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
        "Access-Control-Request-Private-Network",
    ],
    line: "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, \
           Access-Control-Request-Private-Network",
};

/// The same tokens lowercase, for `format.vary_case = "lowercase"`.
const VARY_ORIGIN_LOWER: &VaryTokens = &VaryTokens {
    tokens: &["origin"],
    line: "origin",
};
const VARY_PREFLIGHT_LOWER: &VaryTokens = &VaryTokens {
    tokens: &[
        "origin",
        "access-control-request-method",
        "access-control-request-headers",
    ],
    line: "origin, access-control-request-method, access-control-request-headers",
};
const VARY_PREFLIGHT_PNA_LOWER: &VaryTokens = &VaryTokens {
    tokens: &[
        "origin",
        "access-control-request-method",
        "access-control-request-headers",
        "access-control-request-private-network",
    ],
    line: "origin, access-control-request-method, access-control-request-headers, \
           access-control-request-private-network",
};

/// Validates `config`, pushing every problem, and compiles it key by key.
/// The result is only meaningful when no problem was pushed.
fn compile(
    config: PolicyConfig,
    predicate: Option<OriginPredicate>,
    host_predicate: bool,
    problems: &mut Vec<Problem>,
) -> Policy {
    let origins = Origins::compile(&config, predicate, host_predicate, problems);
    let (methods, allow_methods) = Methods::compile(&config, problems);
    let (request_headers, allow_headers) = RequestHeaders::compile(&config, problems);
    let expose_headers = expose_headers::compile(&config, problems);
    let max_age = preflight::max_age(&config, problems);
    let preflight_status = preflight::status(&config, problems);
    let refused_preflight_status = preflight::refused_status(&config, problems);
    format::validate(&config, problems);
    let lower = format::lowercase_vary(&config);
    let pn = &config.private_network;
    let private_network = private_network::compile(pn, origins.is_any(), problems);
    let response = ResponseHeaders::new(response::Parts {
        any_origin: origins.is_any(),
        credentials: config.credentials,
        allow_methods,
        allow_headers,
        reflect_request_headers: request_headers.reflects(),
        max_age,
        expose_headers,
        private_network_id: pn.id.as_deref().map(|v| v.as_bytes().into()),
        private_network_name: pn.name.as_deref().map(|v| v.as_bytes().into()),
    });
    Policy {
        credentials: config.credentials,
        vary_preflight: match (private_network || config.format.full_vary, lower) {
            (true, false) => VARY_PREFLIGHT_PNA,
            (true, true) => VARY_PREFLIGHT_PNA_LOWER,
            (false, false) => VARY_PREFLIGHT,
            (false, true) => VARY_PREFLIGHT_LOWER,
        },
        vary_other: match (origins.is_any() && !config.format.full_vary, lower) {
            (true, _) => VARY_NONE,
            (false, false) => VARY_ORIGIN,
            (false, true) => VARY_ORIGIN_LOWER,
        },
        origins,
        methods,
        request_headers,
        preflight_status,
        refused_preflight_status,
        private_network,
        response,
        config,
    }
}

pub(super) fn invalid_header_name(key: &str, h: &str) -> Problem {
    Problem::new(
        ErrorCode::InvalidHeaderName,
        key,
        h,
        format!("`{key}` entry {h:?} is not a valid header name"),
        "write a header name like `x-request-id` (letters, digits and !#$%&'*+-.^_`|~ only)",
    )
}

pub(super) fn join(items: &[Box<[u8]>], separator: &str) -> Box<[u8]> {
    items.join(format::separator(separator)).into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

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
