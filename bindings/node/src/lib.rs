//! The Node.js addon behind the `corsgate` npm package: a thin edge over the
//! core engine. It holds no CORS rule; `lib/engine.js` only moves strings.
//!
//! ## The crossing
//!
//! One N-API call costs ~30 ns, but napi-rs's `String` arguments cost ~150 ns
//! each (a length query, a heap copy) and building a result object ~1.5 µs.
//! So the hot path ([`decide`]) takes the method and the four
//! CORS request values as raw `napi_value`s, copies them into reused scratch
//! buffers with one `napi_get_value_string_utf16` call each, and returns one
//! `i32`: a *shape* id. A shape (kind, allowed, reason, which headers are
//! present, which values echo a request string) maps to one fixed set of
//! headers for a given policy, so `lib/engine.js` fetches it once through
//! [`full`] and caches it; echoed values are the caller's own
//! JS strings. Everything rare (values that had to be trimmed or rebuilt,
//! repeated header lines, a predicate's argument) goes through `full`.
//!
//! A refused decision's id also carries the refusal (the check, and where
//! the offending bytes sit in the header it read), so [`explain`] renders
//! core's explanation from it and decides nothing again.
//!
//! ## The dynamic-origin predicate
//!
//! Core decides *when* a predicate is asked (SPEC §3). The policy is built
//! with a host predicate, and each decision says how it is answered
//! ([`Answer`]): `lib/engine.js` passes its (never-throwing) JS function,
//! which core calls from inside the one decision, so a decision is one
//! crossing; the Express adapter, whose `cors`-style callback may answer
//! later, decides with "no", reads from the shape id that core asked, and
//! decides again with the answer "yes" when it came.
#![deny(unsafe_op_in_unsafe_fn)]

use std::cell::RefCell;
use std::ops::Range;
use std::sync::Arc;

use corsgate::{
    Answer, Check, Decision, Header, HeaderName, Kind, Naming, Policy, PolicyBuilder, PolicySet,
    Problem, Reason, Refusal, Request, RequestHeader, Source,
};
use napi::bindgen_prelude::External;
use napi::{sys, Env, JsFunction, JsObject, JsUnknown, NapiRaw, Result, ValueType};
use napi_derive::napi;
use serde_json::{Map, Value};

/// Where a policy comes from: `source` argument of [`compile`].
const SOURCE_OPTIONS: u32 = 0;
const SOURCE_JSON: u32 = 1;
const SOURCE_TOML: u32 = 2;

/// The origin predicate: none, a JS function (asked through `lib/engine.js`), or
/// "yes" for every origin core asks about (the `cors` package's `origin: true`).
const PREDICATE_NONE: u32 = 0;
const PREDICATE_JS: u32 = 1;
const PREDICATE_ALWAYS: u32 = 2;

/// `flags` of a decision: the JS predicate already answered yes.
const FLAG_PREDICATE_YES: u32 = 1;
/// `flags` of a decision: call the `predicate` argument (a JS function that
/// returns a boolean and never throws) when core asks.
const FLAG_PREDICATE_CALL: u32 = 2;
/// `flags` bits 4..8: the method as a code into [`METHODS`] (0: the string argument).
const METHOD_SHIFT: u32 = 4;
/// `flags` bits 8..12: the ACRM value as a code into [`METHODS`] (0: the string argument).
const REQUEST_METHOD_SHIFT: u32 = 8;
/// `flags` bits 12..16: which of Origin, ACRM, ACRH, ACRPN were given as
/// strings; the others are not read at all.
const GIVEN_SHIFT: u32 = 12;
/// Method strings `lib/engine.js` may send as a code (index + 1) instead of
/// a string: reading a JS string is most of the cost of a crossing. A code
/// stands for exactly these bytes; it is transport, not interpretation.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"];

// Bits of a shape id (the `i32` that `decide` returns).
const KIND_SHIFT: u32 = 0; // 2 bits: Kind index
const ALLOWED_BIT: i32 = 1 << 2;
const REASON_SHIFT: u32 = 3; // 3 bits: 0 = none, else Reason index + 1
const PRESENT_SHIFT: u32 = 6; // 9 bits: which HeaderName::ALL are set
const ECHO_ORIGIN: i32 = 1 << 15; // Allow-Origin is the Origin string as given
const ECHO_METHOD: i32 = 1 << 16; // Allow-Methods is the ACRM string as given
const ECHO_HEADERS: i32 = 1 << 17; // Allow-Headers is the ACRH string as given
/// Some value is neither a policy constant nor a whole request string.
const SLOW: i32 = 1 << 18;
/// The predicate was asked about the Origin string as given.
const ASKED: i32 = 1 << 19;
/// The predicate was asked about another string (the trimmed Origin).
const ASKED_OTHER: i32 = 1 << 20;
/// The predicate was asked and answered yes (the Express adapter's replay).
const ANSWERED_YES: i32 = 1 << 21;

// A refusal sets no header, so its id carries what `explain` needs instead:
// the REFUSED bit, the check's code, and where the offending bytes sit in
// the value of the header the check read (`Check::header`): a start in the
// bits a shape uses for headers (bits 6..19, meaningless in a refusal) and
// a length in the high word. The id is then a double, exact below 2^53.
const REFUSED: u32 = 1 << 31;
const CHECK_SHIFT: u32 = 22; // 9 bits: Check::code()
const SPAN_START_SHIFT: u32 = PRESENT_SHIFT; // 13 bits
const SPAN_START_MAX: usize = (1 << 13) - 1;
/// High word (id / 2^32), 21 bits: bit 0 says a span is given, bits 1..19
/// its length, bits 19..21 which request header the check read (its index
/// in `RequestHeader::ALL`).
const SPAN_LEN_MAX: usize = (1 << 18) - 1;
const HIGH_HEADER_SHIFT: u32 = 19;
const HIGH: f64 = 4_294_967_296.0;

/// Where a header value in a shape comes from (`sources` in a full result).
const SOURCE_CONSTANT: u32 = 0;
const SOURCE_ORIGIN: u32 = 1;
const SOURCE_METHOD: u32 = 2;
const SOURCE_HEADERS: u32 = 3;
/// Part of a request string (trimmed or rebuilt): only valid for this request.
const SOURCE_LITERAL: u32 = 4;

/// The four request header names core reads, lowercase (SPEC §1), for
/// `lib/engine.js` to pick them out of a header list. Core matches names itself
/// whenever lines are passed whole (`full`, `explain`).
const REQUEST_HEADER_NAMES: [RequestHeader; 4] = RequestHeader::ALL;

/// A compiled policy, or the problems that kept it from building; held by
/// JS as an `External` (a plain function call with an External costs a
/// fraction of a napi-rs class method call). A policy file with routes is a
/// router: [`route_index`] picks the route, and [`route_engine`] gives each
/// route's policy an engine of its own (with its own shape cache in JS).
pub struct Engine {
    policy: Option<Arc<Policy>>,
    routes: Option<Arc<PolicySet>>,
    problems: Vec<Problem>,
    js_predicate: bool,
    /// How the caller spelled the policy's keys.
    naming: Naming,
    scratch: RefCell<Scratch>,
}

impl Engine {
    fn policy(&self) -> Result<&Policy> {
        self.policy.as_deref().ok_or_else(|| {
            napi::Error::from_reason(match self.routes {
                Some(_) => "this policy has routes: decide with the request path",
                None => "the policy did not build",
            })
        })
    }

    fn built(&self) -> bool {
        self.policy.is_some() || self.routes.is_some()
    }
}

/// Builds a policy from JS options (camelCase keys), or a policy file (with
/// or without routes) from JSON or TOML text. Never throws for a bad
/// policy: see [`problems`].
#[napi]
pub fn compile(source: u32, input: JsUnknown, predicate: u32) -> Result<External<Engine>> {
    if ![PREDICATE_NONE, PREDICATE_JS, PREDICATE_ALWAYS].contains(&predicate) {
        return Err(napi::Error::from_reason("unknown predicate kind"));
    }
    let configure = |_: &str, builder: PolicyBuilder| match predicate {
        PREDICATE_JS => builder.host_origin_predicate(),
        PREDICATE_ALWAYS => builder.origin_predicate(|_| true),
        _ => builder,
    };
    let built = match source {
        SOURCE_OPTIONS => configure(
            "",
            PolicyBuilder::from_value(&options_to_value(input, &[])?),
        )
        .build()
        .map(PolicySet::from),
        SOURCE_JSON => PolicySet::from_json_with(&string_arg(input)?, &configure),
        SOURCE_TOML => PolicySet::from_toml_with(&string_arg(input)?, &configure),
        _ => return Err(napi::Error::from_reason("unknown policy source")),
    };
    // Options are written in camelCase: core names the keys that way.
    let naming = match source {
        SOURCE_OPTIONS => Naming::Camel,
        _ => Naming::Snake,
    };
    let (policy, routes, problems) = match built {
        Ok(set) => match set.as_single() {
            Some(single) => (Some(single.clone()), None, Vec::new()),
            None => (None, Some(Arc::new(set)), Vec::new()),
        },
        Err(e) => (
            None,
            None,
            e.problems()
                .iter()
                .map(|p| p.clone().named(naming))
                .collect(),
        ),
    };
    Ok(External::new(Engine {
        policy,
        routes,
        problems,
        js_predicate: predicate == PREDICATE_JS,
        naming,
        scratch: RefCell::new(Scratch::default()),
    }))
}

/// The number of routes of a policy file with routes; 0 for one policy.
#[napi]
pub fn route_count(engine: External<Engine>) -> u32 {
    engine
        .routes
        .as_ref()
        .map_or(0, |r| r.routes().len() as u32)
}

/// The index of the route that answers `path` (the raw request path), or
/// -1 outside every route.
#[napi]
pub fn route_index(engine: External<Engine>, path: String) -> i32 {
    match &engine.routes {
        Some(set) => set.route_index(path.as_bytes()).map_or(-1, |i| i as i32),
        None => 0,
    }
}

/// An engine for route `index`'s policy, or `null` where the route is not
/// CORS (`policy = false`).
#[napi]
pub fn route_engine(engine: External<Engine>, index: u32) -> Result<Option<External<Engine>>> {
    let set = engine
        .routes
        .as_ref()
        .ok_or_else(|| napi::Error::from_reason("this policy has no routes"))?;
    let route = set
        .routes()
        .get(index as usize)
        .ok_or_else(|| napi::Error::from_reason("no such route"))?;
    Ok(route.policy().map(|policy| {
        External::new(Engine {
            policy: Some(policy.clone()),
            routes: None,
            problems: Vec::new(),
            js_predicate: engine.js_predicate,
            naming: engine.naming,
            scratch: RefCell::new(Scratch::default()),
        })
    }))
}

/// The routes' patterns, in matching order.
#[napi]
pub fn route_patterns(engine: External<Engine>) -> Vec<String> {
    engine.routes.as_ref().map_or_else(Vec::new, |set| {
        set.routes()
            .iter()
            .map(|r| r.pattern().to_owned())
            .collect()
    })
}

/// The whole decision (as [`full`] returns it) for a request to a path
/// outside every route: core's not-CORS answer.
#[napi]
pub fn outside(env: Env, method: JsUnknown, lines: JsObject) -> Result<JsObject> {
    let request = RequestLines::read(&env, &method, &lines)?;
    full_object(&env, &Decision::outside_routes(), &request, false)
}

/// Every problem found when building, or `null` when the policy built.
#[napi]
pub fn problems(env: Env, engine: External<Engine>) -> Result<Option<JsObject>> {
    if engine.built() {
        return Ok(None);
    }
    findings(
        &env,
        engine
            .problems
            .iter()
            .map(|p| (p.code.as_str(), &*p.key, &*p.value, &*p.message, &*p.fix)),
    )
    .map(Some)
}

/// Decides with the predicate answered as `flags` says: yes, by calling
/// `predicate` (a JS function), or no (the caller may ask and decide again).
fn decide_as<'a>(
    env: &Env,
    engine: &Engine,
    policy: &'a Policy,
    request: &Request<'a>,
    flags: u32,
    predicate: &JsUnknown,
) -> Result<(Decision<'a>, bool)> {
    if !engine.js_predicate {
        // No JS predicate: the policy's own (none, or `origin: true`'s).
        return Ok((policy.decide_with(request, Answer::Policy), false));
    }
    if flags & FLAG_PREDICATE_CALL == 0 {
        let yes = flags & FLAG_PREDICATE_YES != 0;
        let answer = if yes { Answer::Yes } else { Answer::No };
        return Ok((policy.decide_with(request, answer), yes));
    }
    // SAFETY: `predicate` is a live handle of this call; a value that is not
    // a function makes the call fail, which counts as an error below.
    let function: JsFunction = unsafe { predicate.cast() };
    let mut failed = None;
    let mut said_yes = false;
    let mut ask = |origin: &str| {
        let answer = env
            .create_string(origin)
            .and_then(|o| function.call(None, &[o]))
            .and_then(|r| match r.get_type()? {
                ValueType::Boolean => r.coerce_to_bool()?.get_value(),
                _ => Ok(false),
            });
        said_yes = answer.as_ref().is_ok_and(|&yes| yes);
        answer.unwrap_or_else(|e| {
            failed = Some(e);
            false
        })
    };
    let decision = policy.decide_with(request, Answer::Ask(&mut ask));
    match failed {
        Some(e) => Err(e),
        None => Ok((decision, said_yes)),
    }
}

/// The hot path: decides for the method and the four CORS request values
/// (each a string, or `undefined` when absent; `lib/engine.js` guarantees it)
/// and returns a shape id (see the module docs). `flags` carries how the
/// predicate is answered (`predicate` is the JS function to call) and
/// transport bits: which values are given, and the method and ACRM as
/// [`METHODS`] codes.
// Positional on purpose: an object argument would cost a property read each.
#[allow(clippy::too_many_arguments)]
#[napi]
pub fn decide(
    env: Env,
    engine: External<Engine>,
    method: JsUnknown,
    origin: JsUnknown,
    request_method: JsUnknown,
    request_headers: JsUnknown,
    private_network: JsUnknown,
    flags: u32,
    predicate: JsUnknown,
) -> Result<f64> {
    let policy = engine.policy()?;
    let mut guard = engine.scratch.try_borrow_mut();
    let mut fresh = Scratch::default();
    let s = match guard.as_deref_mut() {
        Ok(s) => s,
        Err(_) => &mut fresh,
    };
    s.bytes.clear();
    let method_code = (flags >> METHOD_SHIFT) & 0xF;
    let request_method_code = (flags >> REQUEST_METHOD_SHIFT) & 0xF;
    let given = |i: u32| flags & (1 << (GIVEN_SHIFT + i)) != 0;
    let m = match method_code {
        0 => s.read(&env, &method)?,
        _ => None,
    };
    let o = if given(0) {
        s.read(&env, &origin)?
    } else {
        None
    };
    let rm = match request_method_code {
        0 if given(1) => s.read(&env, &request_method)?,
        _ => None,
    };
    let rh = if given(2) {
        s.read(&env, &request_headers)?
    } else {
        None
    };
    let pn = if given(3) {
        s.read(&env, &private_network)?
    } else {
        None
    };
    let bytes = &s.bytes[..];
    let slice = |r: Option<Range<usize>>| r.map(|r| &bytes[r]);
    let method = coded(method_code).or(slice(m)).unwrap_or_default();
    let fields = [
        slice(o),
        coded(request_method_code).or(slice(rm)),
        slice(rh),
        slice(pn),
    ];
    let request = Request::from_values(method, fields[0], fields[1], fields[2], fields[3]);
    let (decision, yes) = decide_as(&env, &engine, policy, &request, flags, &predicate)?;
    // A value echoes a request string as given when its source says so and
    // nothing was trimmed off; any other request-borrowed value is SLOW.
    let whole =
        |field: Option<&[u8]>, h: &Header<'_>| field.is_some_and(|f| f.len() == h.value.len());
    let mut id = shape(&decision, |h| match (h.source, h.name) {
        (Source::Policy, _) => 0,
        (Source::Origin, HeaderName::AllowOrigin) if whole(fields[0], h) => ECHO_ORIGIN,
        (Source::RequestMethod, HeaderName::AllowMethods) if whole(fields[1], h) => ECHO_METHOD,
        (Source::RequestHeaders, HeaderName::AllowHeaders) if whole(fields[2], h) => ECHO_HEADERS,
        _ => SLOW,
    });
    if let Some(asked) = decision.asked() {
        id |= if fields[0] == Some(asked.as_bytes()) {
            ASKED
        } else {
            ASKED_OTHER
        };
        if yes {
            id |= ANSWERED_YES;
        }
    }
    let Some(refusal) = decision.refusal() else {
        return Ok(id.into());
    };
    let check = refusal.check();
    let mut low = id as u32 | REFUSED | (check.code() << CHECK_SHIFT);
    let header = check.header().index();
    let span = fields[header].and_then(|l| refusal.span_in(l));
    let mut high = (header as u32) << HIGH_HEADER_SHIFT;
    match span {
        Some(r) if r.start <= SPAN_START_MAX && r.len() <= SPAN_LEN_MAX => {
            low |= (r.start as u32) << SPAN_START_SHIFT;
            high |= 1 | (r.len() as u32) << 1;
        }
        // Empty, or too long to carry: `explain` is given the whole value.
        _ => {}
    }
    Ok(f64::from(low) + HIGH * f64::from(high))
}

/// The whole decision as an object, from header lines given as a flat
/// `[name, value, name, value, ...]` array (repeats allowed): `id`, `kind`,
/// `allowed`, `status`, `reason`, `vary`, `names`, `values`, `sources` (per
/// value: 0 constant, 1 Origin, 2 ACRM, 3 ACRH as given, 4 a fragment of
/// one), `contentLength` and `asked` (what the predicate was asked about, or
/// `null`), `answeredYes`. `flags` and `predicate` are as for [`decide`].
#[napi]
pub fn full(
    env: Env,
    engine: External<Engine>,
    method: JsUnknown,
    lines: JsObject,
    flags: u32,
    predicate: JsUnknown,
) -> Result<JsObject> {
    let policy = engine.policy()?;
    let request = RequestLines::read(&env, &method, &lines)?;
    let req = request.request();
    let (decision, yes) = decide_as(&env, &engine, policy, &req, flags, &predicate)?;
    full_object(&env, &decision, &request, yes)
}

/// Explains a refusal (SPEC §7) from what the decision carried out (its id
/// or `full`'s `refusal`): the kind (index into `Kind::ALL`), the check's
/// code, the request's `Origin` string (`undefined` when absent or sent on
/// several lines) and the offending bytes, or with `whole` the value of the
/// header the check read (a refusal whose span did not fit the id: the
/// over-long value, trimmed as core reads it). Nothing is decided again.
#[napi]
pub fn explain(
    env: Env,
    kind: u32,
    check: u32,
    origin: JsUnknown,
    value: JsUnknown,
    whole: bool,
    url: String,
) -> Result<JsObject> {
    let kind = Kind::ALL.get(kind as usize).copied();
    let (Some(kind), Some(check)) = (kind, Check::from_code(check)) else {
        return Err(napi::Error::from_reason("unknown kind or check"));
    };
    let mut s = Scratch::default();
    let origin = s.read(&env, &origin)?;
    let value = s.read(&env, &value)?.unwrap_or(0..0);
    let origin = origin.map(|r| corsgate::fetch::trim_ows(&s.bytes[r]));
    let value = match whole {
        true => corsgate::fetch::trim_ows(&s.bytes[value]),
        false => &s.bytes[value],
    };
    let e = Refusal::new(kind, check, origin, value).explain(&url);
    let mut o = env.create_object()?;
    o.set_named_property("reason", env.create_string(e.reason.as_str())?)?;
    o.set_named_property("summary", env.create_string(&e.summary)?)?;
    o.set_named_property("chrome", env.create_string(&e.chrome)?)?;
    o.set_named_property("firefox", env.create_string(&e.firefox)?)?;
    o.set_named_property("fix", env.create_string(&e.fix)?)?;
    Ok(o)
}

/// Legal but risky choices (SPEC §7), and routes that can never match:
/// `[{code, value, message, fix}]`.
#[napi]
pub fn lint(env: Env, engine: External<Engine>) -> Result<JsObject> {
    let warnings = match &engine.routes {
        Some(set) => set.lint(),
        None => engine.policy()?.lint(),
    };
    let warnings: Vec<_> = warnings
        .into_iter()
        .map(|w| w.named(engine.naming))
        .collect();
    findings(
        &env,
        warnings
            .iter()
            .map(|w| (w.code.as_str(), &*w.key, &*w.value, &*w.message, &*w.fix)),
    )
}

/// The policy as SPEC §2 JSON text (defaults included); a policy file with
/// routes as its `routes` and `policies`.
#[napi]
pub fn to_json(engine: External<Engine>) -> Result<String> {
    Ok(match &engine.routes {
        Some(set) => set.to_value().to_string(),
        None => engine.policy()?.config().to_value().to_string(),
    })
}

/// Constants `lib/engine.js` needs to read shape ids.
#[napi]
pub fn constants(env: Env) -> Result<JsObject> {
    let mut o = env.create_object()?;
    let ints: [(&str, i64); 28] = [
        ("SOURCE_OPTIONS", SOURCE_OPTIONS.into()),
        ("SOURCE_JSON", SOURCE_JSON.into()),
        ("SOURCE_TOML", SOURCE_TOML.into()),
        ("PREDICATE_NONE", PREDICATE_NONE.into()),
        ("PREDICATE_JS", PREDICATE_JS.into()),
        ("PREDICATE_ALWAYS", PREDICATE_ALWAYS.into()),
        ("FLAG_PREDICATE_YES", FLAG_PREDICATE_YES.into()),
        ("FLAG_PREDICATE_CALL", FLAG_PREDICATE_CALL.into()),
        ("METHOD_SHIFT", METHOD_SHIFT.into()),
        ("GIVEN_SHIFT", GIVEN_SHIFT.into()),
        ("REQUEST_METHOD_SHIFT", REQUEST_METHOD_SHIFT.into()),
        ("SLOW", SLOW.into()),
        ("ASKED", ASKED.into()),
        ("ASKED_OTHER", ASKED_OTHER.into()),
        ("ANSWERED_YES", ANSWERED_YES.into()),
        ("SHAPE_MASK", (ASKED - 1).into()),
        ("SOURCE_CONSTANT", SOURCE_CONSTANT.into()),
        ("SOURCE_ORIGIN", SOURCE_ORIGIN.into()),
        ("SOURCE_METHOD", SOURCE_METHOD.into()),
        ("SOURCE_HEADERS", SOURCE_HEADERS.into()),
        ("SOURCE_LITERAL", SOURCE_LITERAL.into()),
        ("ECHO_ORIGIN", ECHO_ORIGIN.into()),
        ("ECHO_METHOD", ECHO_METHOD.into()),
        ("ECHO_HEADERS", ECHO_HEADERS.into()),
        ("REFUSED", REFUSED.into()),
        ("CHECK_SHIFT", CHECK_SHIFT.into()),
        ("HIGH_HEADER_SHIFT", HIGH_HEADER_SHIFT.into()),
        ("SPAN_START_SHIFT", SPAN_START_SHIFT.into()),
    ];
    for (name, value) in ints {
        o.set_named_property(name, env.create_int64(value)?)?;
    }
    let mut names = env.create_array_with_length(REQUEST_HEADER_NAMES.len())?;
    for (i, n) in REQUEST_HEADER_NAMES.iter().enumerate() {
        names.set_element(i as u32, env.create_string(n.lowercase())?)?;
    }
    o.set_named_property("REQUEST_HEADER_NAMES", names)?;
    let mut methods = env.create_array_with_length(METHODS.len())?;
    for (i, m) in METHODS.iter().enumerate() {
        methods.set_element(i as u32, env.create_string(m)?)?;
    }
    o.set_named_property("METHODS", methods)?;
    o.set_named_property("VERSION", env.create_string(corsgate::VERSION)?)?;
    Ok(o)
}

/// The bytes a method code stands for.
fn coded(code: u32) -> Option<&'static [u8]> {
    let i = usize::try_from(code).ok()?.checked_sub(1)?;
    METHODS.get(i).map(|m| m.as_bytes())
}

/// The shape id of `decision`; `bits` gives each header's echo bit (the
/// value is a whole request string), 0 (a policy constant) or [`SLOW`].
fn shape(decision: &Decision<'_>, bits: impl Fn(&Header<'_>) -> i32) -> i32 {
    let kind = Kind::ALL
        .iter()
        .position(|&k| k == decision.kind())
        .unwrap_or(0) as i32;
    let reason = decision
        .reason()
        .and_then(|r| Reason::ALL.iter().position(|&x| x == r))
        .map_or(0, |i| i as i32 + 1);
    let mut id = (kind << KIND_SHIFT) | (reason << REASON_SHIFT);
    if decision.allowed() {
        id |= ALLOWED_BIT;
    }
    // A refusal sets no header (SPEC §5).
    for h in decision.headers() {
        id |= 1 << (PRESENT_SHIFT + h.name.index() as u32);
        id |= bits(&h);
    }
    id
}

/// Reused buffers for the hot path: the strings read as UTF-16, then as bytes.
#[derive(Default)]
struct Scratch {
    wide: Vec<u16>,
    bytes: Vec<u8>,
}

impl Scratch {
    /// Appends a JS string to `bytes` and returns its range, or `None` for
    /// `undefined`/`null`. Code units up to U+00FF become that byte, as Node
    /// decodes header bytes (latin1); any other unit becomes 0xFF, which is
    /// no more valid in a CORS header than the character it replaces.
    fn read(&mut self, env: &Env, value: &JsUnknown) -> Result<Option<Range<usize>>> {
        if self.wide.capacity() < 1024 {
            self.wide.reserve(1024);
        }
        let mut len = read_utf16(env, value, &mut self.wide)?;
        if len.is_none() {
            // Not a string: `undefined` for an absent header (lib/engine.js passes nothing else).
            return Ok(None);
        }
        // A full buffer may mean the string was cut: ask its length and read again.
        if len == Some(self.wide.capacity() - 1) {
            let mut total = 0usize;
            // SAFETY: a null buffer asks only for the length, written to `total`.
            let status = unsafe {
                sys::napi_get_value_string_utf16(
                    env.raw(),
                    value.raw(),
                    std::ptr::null_mut(),
                    0,
                    &mut total,
                )
            };
            check(status)?;
            if total + 1 > self.wide.capacity() {
                self.wide.reserve(total + 1);
                len = read_utf16(env, value, &mut self.wide)?;
            }
        }
        let units = &self.wide[..len.unwrap_or(0)];
        let start = self.bytes.len();
        self.bytes.resize(start + units.len(), 0);
        for (byte, &unit) in self.bytes[start..].iter_mut().zip(units) {
            *byte = unit.min(0xFF) as u8;
        }
        Ok(Some(start..self.bytes.len()))
    }
}

/// Reads a JS string into `buf`'s spare capacity (cut to fit); `None` when
/// the value is not a string.
fn read_utf16(env: &Env, value: &JsUnknown, buf: &mut Vec<u16>) -> Result<Option<usize>> {
    buf.clear();
    let mut len = 0usize;
    // SAFETY: `buf` has `capacity()` writable u16 slots; N-API writes at most
    // `capacity() - 1` units plus a NUL and stores the count (without the
    // NUL) in `len`. `value` is a live handle of this call's scope.
    let status = unsafe {
        sys::napi_get_value_string_utf16(
            env.raw(),
            value.raw(),
            buf.as_mut_ptr(),
            buf.capacity(),
            &mut len,
        )
    };
    if status == sys::Status::napi_string_expected {
        return Ok(None);
    }
    check(status)?;
    // SAFETY: N-API initialized the first `len` units (len < capacity).
    unsafe { buf.set_len(len) };
    Ok(Some(len))
}

fn check(status: sys::napi_status) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            napi::Status::from(status),
            "reading a string failed",
        ))
    }
}

/// A request read from a method and a flat `[name, value, ...]` array.
struct RequestLines {
    bytes: Vec<u8>,
    method: Range<usize>,
    lines: Vec<(Range<usize>, Range<usize>)>,
}

impl RequestLines {
    fn read(env: &Env, method: &JsUnknown, lines: &JsObject) -> Result<Self> {
        let mut s = Scratch::default();
        let method = s.read(env, method)?.unwrap_or(0..0);
        let n = lines.get_array_length()?;
        let mut out = Vec::with_capacity(n as usize / 2);
        let mut i = 0;
        while i + 1 < n {
            let name: JsUnknown = lines.get_element(i)?;
            let value: JsUnknown = lines.get_element(i + 1)?;
            if let (Some(name), Some(value)) = (s.read(env, &name)?, s.read(env, &value)?) {
                out.push((name, value));
            }
            i += 2;
        }
        Ok(RequestLines {
            bytes: s.bytes,
            method,
            lines: out,
        })
    }

    fn request(&self) -> Request<'_> {
        let b = &self.bytes[..];
        let mut request = Request::new(&b[self.method.clone()]);
        for (name, value) in &self.lines {
            request.push_header(&b[name.clone()], &b[value.clone()]);
        }
        request
    }

    /// Where header `h`'s value comes from, for `lib/engine.js`: a policy
    /// constant, or one whole request value of the kind its source names.
    fn source(&self, h: &Header<'_>) -> u32 {
        let (header, code) = match h.source {
            Source::Policy => return SOURCE_CONSTANT,
            Source::Origin => (RequestHeader::Origin, SOURCE_ORIGIN),
            Source::RequestMethod => (RequestHeader::RequestMethod, SOURCE_METHOD),
            Source::RequestHeaders => (RequestHeader::RequestHeaders, SOURCE_HEADERS),
            _ => return SOURCE_LITERAL,
        };
        let b = &self.bytes[..];
        let mut matching = self
            .lines
            .iter()
            .filter(|(n, _)| RequestHeader::from_name(&b[n.clone()]) == Some(header));
        match (matching.next(), matching.next()) {
            (Some((_, v)), None) if v.len() == h.value.len() => code,
            _ => SOURCE_LITERAL,
        }
    }
}

fn full_object(
    env: &Env,
    decision: &Decision<'_>,
    request: &RequestLines,
    yes: bool,
) -> Result<JsObject> {
    let bits = |h: &Header<'_>| match (request.source(h), h.name) {
        (SOURCE_CONSTANT, _) => 0,
        (SOURCE_ORIGIN, HeaderName::AllowOrigin) => ECHO_ORIGIN,
        (SOURCE_METHOD, HeaderName::AllowMethods) => ECHO_METHOD,
        (SOURCE_HEADERS, HeaderName::AllowHeaders) => ECHO_HEADERS,
        _ => SLOW,
    };
    let mut o = env.create_object()?;
    o.set_named_property("id", env.create_int32(shape(decision, bits))?)?;
    o.set_named_property("kind", env.create_string(decision.kind().as_str())?)?;
    o.set_named_property("allowed", env.get_boolean(decision.allowed())?)?;
    match decision.status() {
        Some(s) => o.set_named_property("status", env.create_uint32(s.into())?)?,
        None => o.set_named_property("status", env.get_null()?)?,
    }
    match decision.reason() {
        Some(r) => o.set_named_property("reason", env.create_string(r.as_str())?)?,
        None => o.set_named_property("reason", env.get_null()?)?,
    }
    let vary = decision.vary();
    let mut v = env.create_array_with_length(vary.len())?;
    for (i, token) in vary.iter().enumerate() {
        v.set_element(i as u32, env.create_string(token)?)?;
    }
    o.set_named_property("vary", v)?;
    let n = decision.headers().len();
    let mut names = env.create_array_with_length(n)?;
    let mut values = env.create_array_with_length(n)?;
    let mut sources = env.create_array_with_length(n)?;
    for (i, h) in decision.headers().enumerate() {
        let i = i as u32;
        names.set_element(i, env.create_string(h.name.as_str())?)?;
        values.set_element(i, env.create_string_latin1(h.value)?)?;
        sources.set_element(i, env.create_uint32(request.source(&h))?)?;
    }
    o.set_named_property("names", names)?;
    o.set_named_property("values", values)?;
    o.set_named_property("sources", sources)?;
    match decision.asked() {
        Some(a) => o.set_named_property("asked", env.create_string(a)?)?,
        None => o.set_named_property("asked", env.get_null()?)?,
    }
    o.set_named_property(
        "answeredYes",
        env.get_boolean(yes && decision.asked().is_some())?,
    )?;
    match decision.refusal() {
        Some(r) => {
            let mut a = env.create_array_with_length(3)?;
            a.set_element(0, env.create_uint32(r.check().code())?)?;
            a.set_element(1, env.create_string_latin1(r.value())?)?;
            match r.origin() {
                Some(origin) => a.set_element(2, env.create_string_latin1(origin)?)?,
                None => a.set_element(2, env.get_undefined()?)?,
            }
            o.set_named_property("refusal", a)?;
        }
        None => o.set_named_property("refusal", env.get_null()?)?,
    }
    let length = decision
        .status()
        .and_then(corsgate::host::preflight_content_length);
    match length {
        Some(n) => o.set_named_property("contentLength", env.create_string(n)?)?,
        None => o.set_named_property("contentLength", env.get_null()?)?,
    }
    Ok(o)
}

fn findings<'a>(
    env: &Env,
    items: impl ExactSizeIterator<Item = (&'a str, &'a str, &'a str, &'a str, &'a str)>,
) -> Result<JsObject> {
    let mut out = env.create_array_with_length(items.len())?;
    for (i, (code, key, value, message, fix)) in items.enumerate() {
        let mut o = env.create_object()?;
        o.set_named_property("code", env.create_string(code)?)?;
        o.set_named_property("key", env.create_string(key)?)?;
        o.set_named_property("value", env.create_string(value)?)?;
        o.set_named_property("message", env.create_string(message)?)?;
        o.set_named_property("fix", env.create_string(fix)?)?;
        out.set_element(i as u32, o)?;
    }
    Ok(out)
}

fn string_arg(value: JsUnknown) -> Result<String> {
    match value.get_type()? {
        ValueType::String => {
            let s: napi::JsString = value.try_into()?;
            Ok(s.into_utf8()?.into_owned()?)
        }
        _ => Err(napi::Error::new(
            napi::Status::StringExpected,
            "the policy text must be a string",
        )),
    }
}

/// The SPEC key at `path` (e.g. `["private_network"]`) spelled `key` in JS:
/// core maps camelCase to snake_case; anything else is kept as written, so
/// core reports an unknown key under the name the caller used.
fn spec_key(path: &[String], key: &str) -> String {
    Naming::Camel
        .spec_key(&path.join("."), key)
        .map_or_else(|| key.to_owned(), str::to_owned)
}

/// Converts JS options into the JSON value tree core validates. `undefined`
/// properties are left out; functions and symbols become a descriptive
/// string, which the validator then refuses with the key's expected type.
fn options_to_value(value: JsUnknown, path: &[String]) -> Result<Value> {
    Ok(match value.get_type()? {
        ValueType::Undefined | ValueType::Null => Value::Null,
        ValueType::Boolean => Value::Bool(value.coerce_to_bool()?.get_value()?),
        ValueType::Number => {
            let n = value.coerce_to_number()?.get_double()?;
            if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
                Value::from(n as i64)
            } else {
                serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
            }
        }
        ValueType::String => Value::String(string_arg(value)?),
        ValueType::Object if value.is_array()? => {
            // SAFETY: get_type said Object and is_array said array.
            let array: JsObject = unsafe { value.cast() };
            let n = array.get_array_length()?;
            let mut out = Vec::with_capacity(n as usize);
            for i in 0..n {
                out.push(options_to_value(array.get_element(i)?, path)?);
            }
            Value::Array(out)
        }
        ValueType::Object => {
            // SAFETY: get_type said Object.
            let object: JsObject = unsafe { value.cast() };
            let keys = object.get_property_names()?;
            let mut out = Map::new();
            for i in 0..keys.get_array_length()? {
                let key: napi::JsString = keys.get_element(i)?;
                let key = key.into_utf8()?.into_owned()?;
                let item: JsUnknown = object.get_named_property(&key)?;
                if item.get_type()? == ValueType::Undefined {
                    continue;
                }
                let spec = spec_key(path, &key);
                let mut inner = path.to_vec();
                inner.push(spec.clone());
                out.insert(spec, options_to_value(item, &inner)?);
            }
            Value::Object(out)
        }
        ValueType::BigInt => {
            let text = value.coerce_to_string()?.into_utf8()?.into_owned()?;
            text.parse::<i64>().map_or(Value::String(text), Value::from)
        }
        other => Value::String(format!("<{other:?}>")),
    })
}

/// Whether corsgate owns a response header the application set (SPEC §5:
/// it replaces or removes them), per core's [`corsgate::host`] rule.
#[napi]
pub fn is_cors_response_header(name: String) -> bool {
    corsgate::host::is_cors_response_header(name.as_bytes())
}

/// Merges `tokens` (a decision's `vary`) into a response's `Vary` lines per
/// core's [`corsgate::host::VaryMerge`]: the new value of the last line (or
/// the whole value when there was none), or `null` when nothing is added.
#[napi]
pub fn merge_vary(lines: Vec<String>, tokens: Vec<String>) -> Option<String> {
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let mut merge = corsgate::host::VaryMerge::new(&tokens);
    for line in &lines {
        merge.read(line.as_bytes());
    }
    let last = lines.last().map_or(&[][..], |l| l.as_bytes());
    let merged: Vec<u8> = merge.merged(last)?.flatten().copied().collect();
    Some(String::from_utf8_lossy(&merged).into_owned())
}
