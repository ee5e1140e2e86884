//! The hot path (SPEC §5): classify, check origin, method and header list in
//! that order, and point the decision at precomputed header values.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::ascii::{eq_exact, eq_lowercase};
use crate::decision::{Decision, InlineNames, Kind, Reason, Reflected};
use crate::fetch::{
    is_forbidden_method, is_forbidden_request_header, is_safelisted_method, is_tchar, trim_ows,
};
use crate::limits::{
    MAX_ORIGIN_LEN, MAX_REQUEST_HEADERS_EMPTY, MAX_REQUEST_HEADERS_NAMES, MAX_REQUEST_METHOD_LEN,
};
use crate::origin;
use crate::policy::Policy;
use crate::request::{Field, Lines, Request};

/// The outcome before it becomes a [`Decision`]: small, so the functions
/// that compute it return it cheaply; the decision (which holds an inline
/// buffer) is then built once, in place.
struct Verdict<'a> {
    kind: Kind,
    allowed: bool,
    status: Option<u16>,
    reason: Option<Reason>,
    allow_origin: &'a [u8],
    method: &'a [u8],
    reflect: Reflect<'a>,
    private_network: bool,
}

/// How `Access-Control-Allow-Headers` echoes the request under a credentialed `*`.
enum Reflect<'a> {
    None,
    Borrowed(&'a [u8]),
    /// The list needs lowercasing or cleaning: rebuild it in the decision.
    Rebuild,
}

impl<'a> Verdict<'a> {
    fn allow(kind: Kind, allow_origin: &'a [u8]) -> Self {
        Verdict {
            kind,
            allowed: true,
            status: None,
            reason: None,
            allow_origin,
            method: b"",
            reflect: Reflect::None,
            private_network: false,
        }
    }

    fn refuse(kind: Kind, reason: Option<Reason>) -> Self {
        Verdict {
            kind,
            allowed: false,
            status: (kind == Kind::Preflight).then_some(403),
            reason,
            allow_origin: b"",
            method: b"",
            reflect: Reflect::None,
            private_network: false,
        }
    }
}

impl Policy {
    /// Decides the CORS response for `request`. Never allocates, never panics;
    /// the work is bounded by the limits in [`crate::limits`].
    #[inline]
    pub fn decide<'a>(&'a self, request: &Request<'a>) -> Decision<'a> {
        let v = self.verdict(request);
        let reflected = match v.reflect {
            Reflect::None => Reflected::None,
            Reflect::Borrowed(line) => Reflected::Borrowed(line),
            Reflect::Rebuild => return self.rebuilt(v, request),
        };
        self.decision(v, reflected)
    }

    /// The rare preflight whose echoed header names need rebuilding.
    #[cold]
    #[inline(never)]
    fn rebuilt<'a>(&'a self, v: Verdict<'a>, request: &Request<'a>) -> Decision<'a> {
        let mut d = self.decision(v, Reflected::None);
        d.reflected = Reflected::Inline(reflect(request.request_headers()));
        d
    }

    #[inline(always)]
    fn decision<'a>(&'a self, v: Verdict<'a>, reflected: Reflected<'a>) -> Decision<'a> {
        Decision {
            kind: v.kind,
            status: v.status,
            reason: v.reason,
            vary: if v.kind == Kind::Preflight {
                self.vary_preflight
            } else {
                self.vary_other
            },
            policy: v.allowed.then_some(self),
            allow_origin: v.allow_origin,
            method: v.method,
            reflected,
            private_network: v.private_network,
        }
    }

    fn verdict<'a>(&'a self, request: &Request<'a>) -> Verdict<'a> {
        let raw_origin = match request.origin {
            Field::One(v) => v,
            Field::Absent if self.any_origin => return Verdict::allow(Kind::NotCors, b"*"),
            Field::Absent => return Verdict::refuse(Kind::NotCors, None),
            // Several Origin lines: invalid, like any malformed origin.
            Field::Many => return self.refuse_or_any(request, Reason::InvalidOrigin),
        };
        match self.check_origin(raw_origin) {
            Ok(origin) if request.is_preflight() => self.preflight(request, origin),
            Ok(origin) => Verdict::allow(Kind::Actual, origin),
            Err(reason) => self.refuse_or_any(request, reason),
        }
    }

    /// An origin check failed: refuse, unless the policy is any-origin, which
    /// ignores Origin validity.
    fn refuse_or_any<'a>(&'a self, request: &Request<'a>, reason: Reason) -> Verdict<'a> {
        match (self.any_origin, request.is_preflight()) {
            (true, true) => self.preflight(request, b"*"),
            (true, false) => Verdict::allow(Kind::Actual, b"*"),
            (false, true) => Verdict::refuse(Kind::Preflight, Some(reason)),
            (false, false) => Verdict::refuse(Kind::Actual, Some(reason)),
        }
    }

    /// Returns the `Access-Control-Allow-Origin` value, or why not.
    #[inline]
    fn check_origin<'a>(&'a self, raw: &'a [u8]) -> Result<&'a [u8], Reason> {
        if self.any_origin {
            return Ok(b"*");
        }
        if raw.len() > MAX_ORIGIN_LEN {
            return Err(Reason::InvalidOrigin);
        }
        let value = trim_ows(raw);
        // Configured origins are canonical, so a hit needs no parsing.
        if self.origins.is_exact(value) {
            return Ok(value);
        }
        if value == b"null" {
            return Err(Reason::OriginNotAllowed);
        }
        let parts = origin::parse_request(value).ok_or(Reason::InvalidOrigin)?;
        if self.origins.matches_pattern(value, &parts) {
            return Ok(value);
        }
        if let Some(predicate) = &self.predicate {
            let insecure_refused = self.credentials
                && parts.is_insecure()
                && !self
                    .config
                    .dangerous
                    .allow_insecure_origins_with_credentials;
            // The grammar admits ASCII only, so this never fails.
            if let (false, Ok(text)) = (insecure_refused, std::str::from_utf8(value)) {
                if catch_unwind(AssertUnwindSafe(|| predicate(text))).unwrap_or(false) {
                    return Ok(value);
                }
            }
        }
        Err(Reason::OriginNotAllowed)
    }

    fn preflight<'a>(&'a self, request: &Request<'a>, allow_origin: &'a [u8]) -> Verdict<'a> {
        let method = match self.check_method(request.request_method) {
            Ok(m) => m,
            Err(reason) => return Verdict::refuse(Kind::Preflight, Some(reason)),
        };
        let reflect = match self.check_request_headers(request) {
            Ok(r) => r,
            Err(reason) => return Verdict::refuse(Kind::Preflight, Some(reason)),
        };
        Verdict {
            status: Some(self.preflight_status),
            method,
            reflect,
            private_network: self.private_network.allow
                && matches!(request.private_network, Field::One(v) if trim_ows(v) == b"true"),
            ..Verdict::allow(Kind::Preflight, allow_origin)
        }
    }

    #[inline]
    fn check_method<'a>(&self, field: Field<'a>) -> Result<&'a [u8], Reason> {
        let Field::One(raw) = field else {
            return Err(Reason::InvalidMethod);
        };
        if raw.len() > MAX_REQUEST_METHOD_LEN {
            return Err(Reason::InvalidMethod);
        }
        let m = trim_ows(raw);
        if m.is_empty() || !m.iter().all(|&b| is_tchar(b)) {
            return Err(Reason::InvalidMethod);
        }
        let allowed = is_safelisted_method(m)
            || (self.any_method && !(self.credentials && m == b"*"))
            || self.methods.iter().any(|c| eq_exact(c, m));
        if allowed && !is_forbidden_method(m) {
            Ok(m)
        } else {
            Err(Reason::MethodNotAllowed)
        }
    }

    /// Reads the whole ACRH list once, in one pass over its bytes: a
    /// malformed list beats a disallowed name, so the first disallowed name
    /// is only remembered.
    fn check_request_headers<'a>(&self, request: &Request<'a>) -> Result<Reflect<'a>, Reason> {
        if request.request_headers_overflow {
            return Err(Reason::InvalidRequestHeaders);
        }
        // A browser's own list of listed names: nothing to scan.
        if let (Some(lists), Lines::One(line)) =
            (&self.request_header_lists, &request.request_headers)
        {
            if lists.contains(line) {
                return Ok(Reflect::None);
            }
        }
        let lines = request.request_headers();
        let mut names = 0usize;
        let mut empty = 0usize;
        let mut disallowed = false;
        // Under a credentialed `*`, the names are echoed: borrow the line when
        // it is already lowercase, comma-joined and without blanks.
        let mut canonical = lines.len() <= 1;
        for line in lines {
            let mut i = 0;
            loop {
                let item_start = i;
                while i < line.len() && matches!(line[i], b' ' | b'\t') {
                    i += 1;
                }
                let start = i;
                while i < line.len() && is_tchar(line[i]) {
                    i += 1;
                }
                let end = i;
                while i < line.len() && matches!(line[i], b' ' | b'\t') {
                    i += 1;
                }
                if i < line.len() && line[i] != b',' {
                    return Err(Reason::InvalidRequestHeaders);
                }
                if start == end {
                    empty += 1;
                    canonical = false;
                    if empty > MAX_REQUEST_HEADERS_EMPTY {
                        return Err(Reason::InvalidRequestHeaders);
                    }
                } else {
                    names += 1;
                    if names > MAX_REQUEST_HEADERS_NAMES {
                        return Err(Reason::InvalidRequestHeaders);
                    }
                    let name = &line[start..end];
                    if self.reflect_request_headers {
                        canonical &= start == item_start
                            && end == i
                            && !name.iter().any(u8::is_ascii_uppercase);
                    }
                    disallowed = disallowed || !self.request_header_allowed(name);
                }
                if i == line.len() {
                    break;
                }
                i += 1; // the comma
            }
        }
        if disallowed {
            return Err(Reason::HeaderNotAllowed);
        }
        if !self.reflect_request_headers || names == 0 {
            return Ok(Reflect::None);
        }
        if canonical {
            return Ok(Reflect::Borrowed(trim_ows(lines[0])));
        }
        Ok(Reflect::Rebuild)
    }

    #[inline]
    pub(crate) fn request_header_allowed(&self, name: &[u8]) -> bool {
        if self.any_request_header {
            if name.eq_ignore_ascii_case(b"authorization") {
                return self.authorization_listed;
            }
            return !(is_forbidden_request_header(name) || self.credentials && name == b"*");
        }
        // Configured names are lowercase, as browsers send them.
        let Some(set) = &self.request_header_set else {
            return self.request_headers.iter().any(|c| eq_lowercase(name, c));
        };
        if !name.iter().any(u8::is_ascii_uppercase) {
            return set.contains(name);
        }
        let mut folded = [0u8; FOLD_BUFFER];
        match folded.get_mut(..name.len()) {
            Some(buf) => {
                for (d, s) in buf.iter_mut().zip(name) {
                    *d = s.to_ascii_lowercase();
                }
                set.contains(&*buf)
            }
            // Longer than any header name in practice: scan.
            None => self
                .request_headers
                .iter()
                .any(|c| c.eq_ignore_ascii_case(name)),
        }
    }
}

/// A stack buffer for a requested header name folded to lowercase.
const FOLD_BUFFER: usize = 64;

/// The requested names lowercased and joined by `,`, empty items dropped.
/// The list was checked against the limits, so it fits the buffer.
#[cold]
fn reflect(lines: &[&[u8]]) -> InlineNames {
    let mut out = InlineNames {
        len: 0,
        bytes: [0; crate::limits::REFLECTED_HEADERS_CAP],
    };
    for line in lines {
        for item in line.split(|&b| b == b',') {
            let name = trim_ows(item);
            if name.is_empty() {
                continue;
            }
            let sep = usize::from(out.len > 0);
            let end = out.len + sep + name.len();
            if end > out.bytes.len() {
                // Unreachable within the limits; stop rather than overflow.
                break;
            }
            if sep == 1 {
                out.bytes[out.len] = b',';
            }
            for (dst, src) in out.bytes[out.len + sep..end].iter_mut().zip(name) {
                *dst = src.to_ascii_lowercase();
            }
            out.len = end;
        }
    }
    out
}
