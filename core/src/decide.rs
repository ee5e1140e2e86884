//! The hot path (SPEC §5): classify, check origin, method and header list in
//! that order, and point the decision at precomputed header values.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::decision::{Decision, InlineNames, Kind, Reason, Reflected};
use crate::fetch::{
    is_forbidden_method, is_forbidden_request_header, is_safelisted_method, is_tchar, trim_ows,
};
use crate::limits::{
    MAX_ORIGIN_LEN, MAX_REQUEST_HEADERS_EMPTY, MAX_REQUEST_HEADERS_NAMES, MAX_REQUEST_METHOD_LEN,
};
use crate::origin;
use crate::policy::Policy;
use crate::request::{Field, Request};

impl Policy {
    /// Decides the CORS response for `request`. Never allocates, never panics;
    /// the work is bounded by the limits in [`crate::limits`].
    #[inline]
    pub fn decide<'a>(&'a self, request: &Request<'a>) -> Decision<'a> {
        let Field::One(raw_origin) = request.origin else {
            if request.origin == Field::Absent {
                return self.not_cors();
            }
            // Several Origin lines: invalid, like any malformed origin.
            return self.refuse_or_any(request, Reason::InvalidOrigin);
        };
        let origin = match self.check_origin(raw_origin) {
            Ok(origin) => origin,
            Err(reason) => return self.refuse_or_any(request, reason),
        };
        if request.is_preflight() {
            self.preflight(request, origin)
        } else {
            self.allow(Kind::Actual, origin)
        }
    }

    fn decision<'a>(&'a self, kind: Kind) -> Decision<'a> {
        Decision {
            kind,
            status: None,
            reason: None,
            vary: if kind == Kind::Preflight {
                self.vary_preflight
            } else {
                self.vary_other
            },
            policy: None,
            allow_origin: b"",
            method: b"",
            reflected: Reflected::None,
            private_network: false,
        }
    }

    fn not_cors(&self) -> Decision<'_> {
        if self.any_origin {
            return self.allow(Kind::NotCors, b"*");
        }
        self.decision(Kind::NotCors)
    }

    fn allow<'a>(&'a self, kind: Kind, allow_origin: &'a [u8]) -> Decision<'a> {
        let mut d = self.decision(kind);
        d.policy = Some(self);
        d.allow_origin = allow_origin;
        d
    }

    fn refuse<'a>(&'a self, kind: Kind, reason: Reason) -> Decision<'a> {
        let mut d = self.decision(kind);
        d.reason = Some(reason);
        if kind == Kind::Preflight {
            d.status = Some(403);
        }
        d
    }

    /// An origin check failed: refuse, unless the policy is any-origin, which
    /// ignores Origin validity.
    fn refuse_or_any<'a>(&'a self, request: &Request<'a>, reason: Reason) -> Decision<'a> {
        match (self.any_origin, request.is_preflight()) {
            (true, true) => self.preflight(request, b"*"),
            (true, false) => self.allow(Kind::Actual, b"*"),
            (false, preflight) => self.refuse(
                if preflight {
                    Kind::Preflight
                } else {
                    Kind::Actual
                },
                reason,
            ),
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
        if self.origins.exact.contains(value) {
            return Ok(value);
        }
        if value == b"null" {
            return Err(Reason::OriginNotAllowed);
        }
        let parts = origin::parse(value, false).map_err(|_| Reason::InvalidOrigin)?;
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

    fn preflight<'a>(&'a self, request: &Request<'a>, allow_origin: &'a [u8]) -> Decision<'a> {
        let method = match self.check_method(request.request_method) {
            Ok(m) => m,
            Err(reason) => return self.refuse(Kind::Preflight, reason),
        };
        let reflected = match self.check_request_headers(request) {
            Ok(r) => r,
            Err(reason) => return self.refuse(Kind::Preflight, reason),
        };
        let mut d = self.allow(Kind::Preflight, allow_origin);
        d.status = Some(self.preflight_status);
        d.method = method;
        d.reflected = reflected;
        d.private_network = self.private_network.allow
            && matches!(request.private_network, Field::One(v) if trim_ows(v) == b"true");
        d
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
            || self.methods.iter().any(|c| **c == *m);
        if allowed && !is_forbidden_method(m) {
            Ok(m)
        } else {
            Err(Reason::MethodNotAllowed)
        }
    }

    /// Reads the whole ACRH list once: a malformed list beats a disallowed
    /// name, so the first disallowed name is only remembered.
    fn check_request_headers<'a>(&self, request: &Request<'a>) -> Result<Reflected<'a>, Reason> {
        if request.request_headers_overflow {
            return Err(Reason::InvalidRequestHeaders);
        }
        let lines = request.request_headers();
        let mut names = 0usize;
        let mut empty = 0usize;
        let mut disallowed = false;
        // Under a credentialed `*`, the names are echoed: borrow the line when
        // it is already lowercase, comma-joined and without blanks.
        let mut canonical = lines.len() <= 1;
        for line in lines {
            for item in line.split(|&b| b == b',') {
                let name = trim_ows(item);
                if name.is_empty() {
                    empty += 1;
                    canonical = false;
                    if empty > MAX_REQUEST_HEADERS_EMPTY {
                        return Err(Reason::InvalidRequestHeaders);
                    }
                    continue;
                }
                names += 1;
                if names > MAX_REQUEST_HEADERS_NAMES {
                    return Err(Reason::InvalidRequestHeaders);
                }
                if !name.iter().all(|&b| is_tchar(b)) {
                    return Err(Reason::InvalidRequestHeaders);
                }
                if self.reflect_request_headers {
                    canonical &=
                        name.len() == item.len() && !name.iter().any(u8::is_ascii_uppercase);
                }
                disallowed = disallowed || !self.request_header_allowed(name);
            }
        }
        if disallowed {
            return Err(Reason::HeaderNotAllowed);
        }
        if !self.reflect_request_headers || names == 0 {
            return Ok(Reflected::None);
        }
        if canonical {
            return Ok(Reflected::Borrowed(trim_ows(lines[0])));
        }
        Ok(Reflected::Inline(reflect(lines)))
    }

    #[inline]
    pub(crate) fn request_header_allowed(&self, name: &[u8]) -> bool {
        if self.any_request_header {
            if name.eq_ignore_ascii_case(b"authorization") {
                return self.authorization_listed;
            }
            return !(is_forbidden_request_header(name) || self.credentials && name == b"*");
        }
        self.request_headers
            .iter()
            .any(|c| c.len() == name.len() && c.eq_ignore_ascii_case(name))
    }
}

/// The requested names lowercased and joined by `,`, empty items dropped.
/// The list was checked against the limits, so it fits the buffer.
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
