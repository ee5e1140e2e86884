//! The hot path (SPEC §5): classify, check origin, method and header list in
//! that order, and point the decision at precomputed header values.

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::decision::{Check, Decision, InlineNames, Kind, Reflected};
use crate::fetch::{is_tchar, trim_ows};
use crate::limits::{
    MAX_ORIGIN_LEN, MAX_REQUEST_HEADERS_EMPTY, MAX_REQUEST_HEADERS_NAMES, MAX_REQUEST_METHOD_LEN,
};
use crate::origin;
use crate::policy::Policy;
use crate::request::{Field, Lines, Request};

/// The origin predicate's answer for one decision (SPEC §3): asked of the
/// policy's own predicate, given by the host, or asked of a function the host
/// passes for this decision only. Either way core decides *whether* the
/// predicate is consulted, and at most once; [`Decision::asked`] says about
/// which origin.
///
/// ```
/// use corsgate::{Answer, Policy, Request};
///
/// let policy = Policy::builder().origins(Vec::<String>::new()).host_origin_predicate().build()?;
/// let request = Request::new(b"GET").header(b"Origin", b"https://tenant.example.net");
/// let mut asked = 0;
/// let d = policy.decide_with(&request, Answer::Ask(&mut |origin| {
///     asked += 1;
///     origin.ends_with(".example.net")
/// }));
/// assert!(d.allowed());
/// assert_eq!(d.asked(), Some("https://tenant.example.net"));
/// assert_eq!(asked, 1);
/// # Ok::<(), corsgate::PolicyError>(())
/// ```
#[non_exhaustive]
pub enum Answer<'f> {
    /// Ask the predicate the policy was built with; no predicate, or a host
    /// predicate ([`PolicyBuilder::host_origin_predicate`](crate::PolicyBuilder::host_origin_predicate)), is "no".
    Policy,
    /// The host already has the predicate's answer for this request's origin: yes.
    Yes,
    /// The host already has the predicate's answer for this request's origin: no.
    No,
    /// Ask this function, at most once, instead of the policy's predicate. A
    /// panic counts as "no".
    Ask(&'f mut dyn FnMut(&str) -> bool),
}

/// The outcome before it becomes a [`Decision`]: small, so the functions
/// that compute it return it cheaply; the decision (which holds an inline
/// buffer) is then built once, in place.
struct Verdict<'a> {
    kind: Kind,
    allowed: bool,
    refusal: Option<(Check, &'a [u8])>,
    method: &'a [u8],
    reflect: Reflect<'a>,
    private_network: bool,
}

/// What the origin check learnt on the way, beside the verdict.
#[derive(Default)]
struct Seen<'a> {
    /// The trimmed Origin, when the origin check trimmed it.
    origin: Option<&'a [u8]>,
    /// Whether the predicate was asked about `origin`.
    asked: bool,
}

/// How `Access-Control-Allow-Headers` echoes the request under a credentialed `*`.
enum Reflect<'a> {
    None,
    Borrowed(&'a [u8]),
    /// The list needs lowercasing or cleaning: rebuild it in the decision.
    Rebuild,
}

impl<'a> Verdict<'a> {
    #[inline]
    fn allow(kind: Kind) -> Self {
        Verdict {
            kind,
            allowed: true,
            refusal: None,
            method: b"",
            reflect: Reflect::None,
            private_network: false,
        }
    }

    #[inline]
    fn refuse(kind: Kind, refusal: Option<(Check, &'a [u8])>) -> Self {
        Verdict {
            kind,
            allowed: false,
            refusal,
            ..Verdict::allow(kind)
        }
    }
}

/// A failed check and the offending bytes.
type Failed<'a> = (Check, &'a [u8]);

impl Policy {
    /// Decides the CORS response for `request`. Never allocates, never panics;
    /// the work is bounded by the limits in [`crate::limits`]. The policy's
    /// origin predicate, if any, is asked when needed.
    #[inline]
    pub fn decide<'a>(&'a self, request: &Request<'a>) -> Decision<'a> {
        self.decide_with(request, Answer::Policy)
    }

    /// As [`decide`](Self::decide), with the origin predicate's answer given
    /// by the host (see [`Answer`]).
    #[inline]
    pub fn decide_with<'a>(
        &'a self,
        request: &Request<'a>,
        mut answer: Answer<'_>,
    ) -> Decision<'a> {
        let mut seen = Seen::default();
        let v = self.verdict(request, &mut answer, &mut seen);
        let reflected = match v.reflect {
            Reflect::None => Reflected::None,
            Reflect::Borrowed(line) => Reflected::Borrowed(line),
            Reflect::Rebuild => return self.rebuilt(v, seen, request),
        };
        self.decision(v, seen, request, reflected)
    }

    /// The rare preflight whose echoed header names need rebuilding.
    #[cold]
    #[inline(never)]
    fn rebuilt<'a>(
        &'a self,
        v: Verdict<'a>,
        seen: Seen<'a>,
        request: &Request<'a>,
    ) -> Decision<'a> {
        let mut d = self.decision(v, seen, request, Reflected::None);
        d.reflected = Reflected::Inline(reflect(request.request_headers()));
        d
    }

    #[inline(always)]
    fn decision<'a>(
        &'a self,
        v: Verdict<'a>,
        seen: Seen<'a>,
        request: &Request<'a>,
        reflected: Reflected<'a>,
    ) -> Decision<'a> {
        let (vary, entries) = match v.kind {
            Kind::Preflight => (
                self.vary_preflight,
                self.response.preflight(v.private_network),
            ),
            _ => (self.vary_other, self.response.actual()),
        };
        Decision {
            kind: v.kind,
            // A preflight is answered with the policy's status for it.
            status: match (v.kind, v.allowed) {
                (Kind::Preflight, true) => Some(self.preflight_status),
                (Kind::Preflight, false) => Some(self.refused_preflight_status),
                _ => None,
            },
            vary,
            entries: if v.allowed { entries } else { &[] },
            origin: match (seen.origin, request.origin) {
                (Some(o), _) => Some(o),
                // Not trimmed by the checks (any origin): only a refusal quotes it.
                (None, Field::One(o)) if !v.allowed => Some(trim_ows(o)),
                _ => None,
            },
            method: v.method,
            reflected,
            refusal: v.refusal,
            asked: seen.asked,
        }
    }

    fn verdict<'a>(
        &'a self,
        request: &Request<'a>,
        answer: &mut Answer<'_>,
        seen: &mut Seen<'a>,
    ) -> Verdict<'a> {
        let raw_origin = match request.origin {
            Field::One(v) => v,
            Field::Absent if self.origins.is_any() => return Verdict::allow(Kind::NotCors),
            Field::Absent => return Verdict::refuse(Kind::NotCors, None),
            // Several Origin lines: invalid, like any malformed origin.
            Field::Many => return self.refuse_or_any(request, (Check::OriginRepeated, b"")),
        };
        match self.check_origin(raw_origin, answer, seen) {
            Ok(()) if request.is_preflight() => self.preflight(request),
            Ok(()) => Verdict::allow(Kind::Actual),
            Err(failed) => self.refuse_or_any(request, failed),
        }
    }

    /// An origin check failed: refuse, unless the policy is any-origin, which
    /// ignores Origin validity.
    fn refuse_or_any<'a>(&'a self, request: &Request<'a>, failed: Failed<'a>) -> Verdict<'a> {
        match (self.origins.is_any(), request.is_preflight()) {
            (true, true) => self.preflight(request),
            (true, false) => Verdict::allow(Kind::Actual),
            (false, true) => Verdict::refuse(Kind::Preflight, Some(failed)),
            (false, false) => Verdict::refuse(Kind::Actual, Some(failed)),
        }
    }

    /// Whether the origin is allowed, or the check that failed.
    #[inline]
    fn check_origin<'a>(
        &'a self,
        raw: &'a [u8],
        answer: &mut Answer<'_>,
        seen: &mut Seen<'a>,
    ) -> Result<(), Failed<'a>> {
        if self.origins.is_any() {
            return Ok(());
        }
        if raw.len() > MAX_ORIGIN_LEN {
            return Err((Check::OriginTooLong, raw));
        }
        let value = trim_ows(raw);
        seen.origin = Some(value);
        // Configured origins are canonical, so a hit needs no parsing.
        if self.origins.is_exact(value) {
            return Ok(());
        }
        if value == b"null" {
            return Err((Check::OriginNull, value));
        }
        let Some(parts) = origin::parse_request(value) else {
            return Err(malformed(value));
        };
        if self.origins.matches_pattern(value, &parts) {
            return Ok(());
        }
        if self.origins.refuses_insecure(&parts) {
            return Err((Check::OriginInsecureWithCredentials, value));
        }
        if !self.origins.has_predicate() {
            return Err((Check::OriginNotListed, value));
        }
        // The grammar admits ASCII only, so this never fails.
        if let Ok(text) = std::str::from_utf8(value) {
            seen.asked = true;
            let yes = match answer {
                Answer::Policy => self.origins.ask(text),
                Answer::Yes => true,
                Answer::No => false,
                Answer::Ask(f) => catch_unwind(AssertUnwindSafe(|| f(text))).unwrap_or(false),
            };
            if yes {
                return Ok(());
            }
        }
        Err((Check::OriginNotListed, value))
    }

    fn preflight<'a>(&'a self, request: &Request<'a>) -> Verdict<'a> {
        let method = match self.check_method(request.request_method) {
            Ok(m) => m,
            Err(failed) => return Verdict::refuse(Kind::Preflight, Some(failed)),
        };
        let reflect = match self.check_request_headers(request) {
            Ok(r) => r,
            Err(failed) => return Verdict::refuse(Kind::Preflight, Some(failed)),
        };
        Verdict {
            method,
            reflect,
            private_network: self.private_network
                && matches!(request.private_network, Field::One(v) if trim_ows(v) == b"true"),
            ..Verdict::allow(Kind::Preflight)
        }
    }

    #[inline]
    fn check_method<'a>(&self, field: Field<'a>) -> Result<&'a [u8], Failed<'a>> {
        let Field::One(raw) = field else {
            return Err((Check::MethodRepeated, b""));
        };
        if raw.len() > MAX_REQUEST_METHOD_LEN {
            return Err((Check::MethodTooLong, raw));
        }
        let m = trim_ows(raw);
        if m.is_empty() || !m.iter().all(|&b| is_tchar(b)) {
            return Err((Check::MethodNotToken, m));
        }
        if self.methods.allows(m) {
            Ok(m)
        } else {
            Err((self.methods.refusal(m), m))
        }
    }

    /// Reads the whole ACRH list once, in one pass over its bytes: a
    /// malformed list beats a disallowed name, so the first disallowed name
    /// is only remembered.
    fn check_request_headers<'a>(&self, request: &Request<'a>) -> Result<Reflect<'a>, Failed<'a>> {
        if request.request_headers_overflow {
            return Err((Check::HeadersOverLimits, b""));
        }
        // A browser's own list of listed names: nothing to scan.
        if let Lines::One(line) = &request.request_headers {
            if self.request_headers.is_browser_list(line) {
                return Ok(Reflect::None);
            }
        }
        let lines = request.request_headers();
        let mut names = 0usize;
        let mut empty = 0usize;
        let mut disallowed: Option<&'a [u8]> = None;
        // Under a credentialed `*`, the names are echoed: borrow the line when
        // it is already lowercase, comma-joined and without blanks.
        let mut canonical = lines.len() <= 1;
        for &line in lines {
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
                    return Err((Check::HeadersNotToken, bad_item(line, item_start)));
                }
                if start == end {
                    empty += 1;
                    canonical = false;
                    if empty > MAX_REQUEST_HEADERS_EMPTY {
                        return Err((Check::HeadersTooManyEmpty, b""));
                    }
                } else {
                    names += 1;
                    if names > MAX_REQUEST_HEADERS_NAMES {
                        return Err((Check::HeadersTooManyNames, b""));
                    }
                    let name = &line[start..end];
                    if self.request_headers.reflects() {
                        canonical &= start == item_start
                            && end == i
                            && !name.iter().any(u8::is_ascii_uppercase);
                    }
                    if disallowed.is_none() && !self.request_headers.allows(name) {
                        disallowed = Some(name);
                    }
                }
                if i == line.len() {
                    break;
                }
                i += 1; // the comma
            }
        }
        if let Some(name) = disallowed {
            return Err((self.request_headers.refusal(name), name));
        }
        if !self.request_headers.reflects() || names == 0 {
            return Ok(Reflect::None);
        }
        if canonical {
            return Ok(Reflect::Borrowed(trim_ows(lines[0])));
        }
        Ok(Reflect::Rebuild)
    }
}

/// The malformed item of an ACRH line that starts at `start`, trimmed.
#[cold]
fn bad_item(line: &[u8], start: usize) -> &[u8] {
    let rest = &line[start..];
    let end = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
    trim_ows(&rest[..end])
}

/// The check that failed for an origin `parse_request` refused.
#[cold]
fn malformed(value: &[u8]) -> Failed<'_> {
    let flaw = origin::parse(value, false)
        .err()
        .unwrap_or(origin::Flaw::Empty);
    (Check::OriginMalformed(flaw), value)
}

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
