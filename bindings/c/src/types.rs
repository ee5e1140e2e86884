//! The plain C structs and enums of the ABI, and the capacity constants.

use std::ffi::c_char;

use corsgate::{HeaderName, Kind, Reason, Source};

/// Most response headers one decision sets.
pub const CORSGATE_MAX_HEADERS: usize = 9;
/// Most `Vary` tokens one decision asks for.
pub const CORSGATE_MAX_VARY: usize = 4;
/// Size of a decision's own buffer for the one value it may have to copy:
/// the request header names echoed under a credentialed `request_headers =
/// ["*"]` when they had to be rebuilt (lowercased, joined).
pub const CORSGATE_REFLECTED_HEADERS_CAP: usize = 4112;

// cbindgen needs literals above; these keep them equal to core's facts.
const _: () = assert!(CORSGATE_MAX_HEADERS == HeaderName::ALL.len());
const _: () = assert!(CORSGATE_MAX_VARY == corsgate::limits::MAX_VARY_TOKENS);
const _: () = assert!(CORSGATE_REFLECTED_HEADERS_CAP == corsgate::limits::REFLECTED_HEADERS_CAP);
// Core's enums are `#[non_exhaustive]`: a variant added there stops the
// build here until the C enums below name it.
const _: () = assert!(Kind::ALL.len() == 3);
const _: () = assert!(Reason::ALL.len() == 6);
const _: () = assert!(Source::ALL.len() == 5);

/// Text corsgate hands out: UTF-8 (header names, values and `Vary` tokens
/// are visible ASCII), **not** NUL-terminated; print with
/// `printf("%.*s", (int)s.len, s.data)`. `data` is never NULL.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct corsgate_str {
    /// The first byte.
    pub data: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

impl corsgate_str {
    #[inline]
    pub(crate) fn new(bytes: &[u8]) -> Self {
        corsgate_str {
            data: bytes.as_ptr().cast(),
            len: bytes.len(),
        }
    }
}

/// Bytes the caller hands in. `data` may be NULL only when `len` is 0.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct corsgate_bytes {
    /// The first byte.
    pub data: *const u8,
    /// The length in bytes.
    pub len: usize,
}

/// One request header line as received: a name (any case) and its value.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct corsgate_header_line {
    /// The header name, e.g. `Origin`.
    pub name: corsgate_bytes,
    /// The raw value.
    pub value: corsgate_bytes,
}

/// One response header to set.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct corsgate_header {
    /// The name in its usual spelling, e.g. `Access-Control-Allow-Origin`
    /// (static storage).
    pub name: corsgate_str,
    /// The value: borrowed from the policy, the request, or the decision's
    /// own `reflected` buffer, as `source` says.
    pub value: corsgate_str,
    /// Where `value` comes from, and so how long it lives.
    pub source: corsgate_source,
}

/// Where a header value comes from.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum corsgate_source {
    /// A constant of the policy: lives as long as the policy.
    Policy = 0,
    /// The request's `Origin` value (trimmed): lives as long as the request bytes.
    Origin = 1,
    /// The request's `Access-Control-Request-Method` value (trimmed).
    RequestMethod = 2,
    /// The request's `Access-Control-Request-Headers` line (trimmed).
    RequestHeaders = 3,
    /// Built for this decision, in its `reflected` buffer: lives as long as
    /// the `corsgate_decision` (copy it to keep it longer).
    Rebuilt = 4,
}

impl corsgate_source {
    pub(crate) fn from_core(source: Source) -> Self {
        match source {
            Source::Policy => corsgate_source::Policy,
            Source::Origin => corsgate_source::Origin,
            Source::RequestMethod => corsgate_source::RequestMethod,
            Source::RequestHeaders => corsgate_source::RequestHeaders,
            // Guarded by the `Source::ALL` assertion above.
            _ => corsgate_source::Rebuilt,
        }
    }
}

/// What a refusal recorded: enough for `corsgate_decision_explain` to
/// explain it without deciding again. Meaningful only when the decision's
/// `reason` is not `CORSGATE_REASON_NONE`; borrows the request bytes.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct corsgate_refusal {
    /// Which check failed: a stable code (core's `Check::code`).
    pub check: u32,
    /// Whether the request had exactly one `Origin` line.
    pub has_origin: bool,
    /// That `Origin` value, trimmed (empty when `has_origin` is false).
    pub origin: corsgate_bytes,
    /// The offending bytes of the request (may be empty).
    pub value: corsgate_bytes,
}

/// SPEC §1 classification of a request.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum corsgate_kind {
    /// No `Origin` line: not a CORS request.
    NotCors = 0,
    /// `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
    Preflight = 1,
    /// Any other request with an `Origin` line.
    Actual = 2,
}

impl corsgate_kind {
    pub(crate) fn from_core(kind: Kind) -> Self {
        match kind {
            Kind::NotCors => corsgate_kind::NotCors,
            Kind::Preflight => corsgate_kind::Preflight,
            Kind::Actual => corsgate_kind::Actual,
            // Guarded by the `Kind::ALL` assertion above.
            _ => corsgate_kind::Actual,
        }
    }

    pub(crate) fn from_u32(value: u32) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| corsgate_kind::from_core(*k) as u32 == value)
    }
}

/// Why a CORS request was refused (SPEC §5); `NONE` when it was not.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum corsgate_reason {
    /// Not refused: allowed, or not a CORS request.
    None = 0,
    /// `origin-not-allowed`
    OriginNotAllowed = 1,
    /// `invalid-origin`
    InvalidOrigin = 2,
    /// `method-not-allowed`
    MethodNotAllowed = 3,
    /// `invalid-method`
    InvalidMethod = 4,
    /// `header-not-allowed`
    HeaderNotAllowed = 5,
    /// `invalid-request-headers`
    InvalidRequestHeaders = 6,
}

impl corsgate_reason {
    pub(crate) fn from_core(reason: Option<Reason>) -> Self {
        match reason {
            None => corsgate_reason::None,
            Some(Reason::OriginNotAllowed) => corsgate_reason::OriginNotAllowed,
            Some(Reason::InvalidOrigin) => corsgate_reason::InvalidOrigin,
            Some(Reason::MethodNotAllowed) => corsgate_reason::MethodNotAllowed,
            Some(Reason::InvalidMethod) => corsgate_reason::InvalidMethod,
            Some(Reason::HeaderNotAllowed) => corsgate_reason::HeaderNotAllowed,
            Some(Reason::InvalidRequestHeaders) => corsgate_reason::InvalidRequestHeaders,
            // Guarded by the `Reason::ALL` assertion above.
            Some(_) => corsgate_reason::InvalidRequestHeaders,
        }
    }

    /// `Some(None)` for `NONE`, `None` for an unknown value.
    pub(crate) fn from_u32(value: u32) -> Option<Option<Reason>> {
        if value == corsgate_reason::None as u32 {
            return Some(None);
        }
        Reason::ALL
            .into_iter()
            .find(|r| corsgate_reason::from_core(Some(*r)) as u32 == value)
            .map(Some)
    }
}

/// A decision, written by `corsgate_policy_decide*` into storage the caller
/// owns (on the stack is fine; no field needs initializing).
///
/// Its `corsgate_str`s borrow from the policy, from the request bytes passed
/// to the call, and from this struct's own `reflected` buffer (each header's
/// `source` says which): they stay valid while all three live and are
/// unchanged. A copy of the struct still points into the original's buffer.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct corsgate_decision {
    /// The request's kind.
    pub kind: corsgate_kind,
    /// True exactly when the response carries `Access-Control-Allow-Origin`.
    pub allowed: bool,
    /// For a preflight, the status to answer with; 0 for the other kinds
    /// (the application answers).
    pub status: u16,
    /// Why the request was refused; `CORSGATE_REASON_NONE` when it was not.
    pub reason: corsgate_reason,
    /// For a refusal, the check that failed (see `corsgate_decision_explain`).
    pub refusal: corsgate_refusal,
    /// How many of `headers` are set.
    pub headers_len: usize,
    /// The headers to set, replacing any same-named header the application
    /// set; remove any other `Access-Control-*` response header.
    pub headers: [corsgate_header; CORSGATE_MAX_HEADERS],
    /// How many of `vary` are set.
    pub vary_len: usize,
    /// Tokens to merge into `Vary` (append those missing, never overwrite,
    /// leave `Vary: *` alone); static storage.
    pub vary: [corsgate_str; CORSGATE_MAX_VARY],
    /// Private: storage for a header value the decision had to build.
    pub reflected: [u8; CORSGATE_REFLECTED_HEADERS_CAP],
}

/// One finding about a policy: an error from building it, or a lint
/// warning. Every field borrows from the `corsgate_findings` it came from.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct corsgate_finding {
    /// The stable kebab-case code, e.g. `invalid-origin` (SPEC §4, §7).
    pub code: corsgate_str,
    /// The policy key it is about, e.g. `max_age` or `private_network.id`
    /// (empty for the document as a whole).
    pub key: corsgate_str,
    /// The offending value as written in the policy (may be empty).
    pub value: corsgate_str,
    /// What is wrong, naming the policy key.
    pub message: corsgate_str,
    /// One line saying how to fix it.
    pub fix: corsgate_str,
}
