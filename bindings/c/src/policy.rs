//! `corsgate_policy`: building from JSON or TOML (one policy or a route
//! file, with an optional origin callback), deciding, explaining and linting.

use std::ffi::{c_char, c_int, c_void};
use std::fmt::Write as _;
use std::ptr::{self, addr_of_mut};
use std::sync::Arc;

use corsgate::limits::MAX_ORIGIN_LEN;
use corsgate::{Check, Decision, Policy, PolicyBuilder, PolicySet, Refusal, Request, Source};

use crate::boundary::{corsgate_result, ffi_boundary, slice, write, Outcome, UserData};
use crate::findings::corsgate_findings;
use crate::types::{
    corsgate_bytes, corsgate_decision, corsgate_header, corsgate_header_line, corsgate_kind,
    corsgate_reason, corsgate_refusal, corsgate_source, corsgate_str, CORSGATE_MAX_HEADERS,
    CORSGATE_MAX_VARY, CORSGATE_REFLECTED_HEADERS_CAP,
};

/// A validated, compiled CORS policy file: one policy, or routes each with
/// its own. Immutable: share one pointer across threads freely; free it
/// once, after the last use.
#[allow(non_camel_case_types)]
pub struct corsgate_policy {
    inner: PolicySet,
}

impl corsgate_policy {
    /// The one policy of a file without routes.
    #[inline]
    fn single(&self) -> Result<&Policy, corsgate_result> {
        self.inner
            .as_single()
            .map(|p| &**p)
            .ok_or(corsgate_result::NeedsPath)
    }
}

// include/README.md promises one policy may be shared by every thread.
const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<corsgate_policy>();
    shareable::<corsgate_findings>();
};

/// A dynamic origin check (SPEC §3): return nonzero to allow `origin`.
///
/// `origin` is a valid serialized origin other than `null`, NUL-terminated,
/// `origin_len` bytes long (at most 512), valid only during the call. It is
/// called at most once per request, only when no configured origin matched,
/// possibly from several threads at once.
#[allow(non_camel_case_types)]
pub type corsgate_origin_callback = Option<
    unsafe extern "C" fn(userdata: *mut c_void, origin: *const c_char, origin_len: usize) -> c_int,
>;

/// The C callback and its user data, as the core's origin predicate.
struct OriginCallback {
    callback: unsafe extern "C" fn(*mut c_void, *const c_char, usize) -> c_int,
    userdata: UserData,
}

impl OriginCallback {
    fn allows(&self, origin: &str) -> bool {
        if origin.len() > MAX_ORIGIN_LEN {
            return false;
        }
        // NUL-terminated for the convenience of C string functions.
        let mut text = [0u8; MAX_ORIGIN_LEN + 1];
        text[..origin.len()].copy_from_slice(origin.as_bytes());
        // SAFETY: `text` holds `origin.len()` bytes and a NUL and outlives the
        // call; the caller vouched for the callback and its user data when
        // building the policy (include/README.md).
        unsafe { (self.callback)(self.userdata.0, text.as_ptr().cast(), origin.len()) != 0 }
    }
}

#[derive(Clone, Copy)]
enum Format {
    Json,
    Toml,
}

/// Builds a policy, writing it or the problems found.
///
/// # Safety
///
/// `text` and `text_len` follow the (pointer, length) rule; `policy_out` is
/// valid for a write; `errors_out` is NULL or valid for a write.
unsafe fn build(
    format: Format,
    text: *const u8,
    text_len: usize,
    callback: Option<OriginCallback>,
    policy_out: *mut *mut corsgate_policy,
    errors_out: *mut *mut corsgate_findings,
) -> Outcome {
    // SAFETY: the boundary checked `policy_out`; the caller vouched for it.
    unsafe { write(policy_out, ptr::null_mut()) };
    if !errors_out.is_null() {
        // SAFETY: not NULL, so valid for a write by the contract.
        unsafe { write(errors_out, ptr::null_mut()) };
    }
    // SAFETY: the caller vouched for the (pointer, length) pair.
    let bytes = unsafe { slice(text, text_len) }?;
    let refused = |findings: corsgate_findings| {
        if !errors_out.is_null() {
            // SAFETY: not NULL, so valid for a write by the contract.
            unsafe { write(errors_out, findings.into_raw()) };
        }
        Err(corsgate_result::InvalidPolicy)
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => return refused(corsgate_findings::not_utf8(e.valid_up_to())),
    };
    let callback = callback.map(Arc::new);
    let configure = |_: &str, builder: PolicyBuilder| match &callback {
        Some(callback) => {
            let callback = callback.clone();
            builder.origin_predicate(move |origin| callback.allows(origin))
        }
        None => builder,
    };
    let built = match format {
        Format::Json => PolicySet::from_json_with(text, &configure),
        Format::Toml => PolicySet::from_toml_with(text, &configure),
    };
    match built {
        Ok(inner) => {
            let policy = Box::into_raw(Box::new(corsgate_policy { inner }));
            // SAFETY: checked by the boundary, vouched for by the caller.
            unsafe { write(policy_out, policy) };
            Ok(())
        }
        Err(err) => refused(corsgate_findings::from_findings(err.problems())),
    }
}

/// Builds a policy from JSON text (SPEC §2) of `text_len` bytes.
///
/// On success writes the policy to `*policy_out` (free it with
/// `corsgate_policy_free`) and NULL to `*errors_out`. When the policy is
/// refused, returns `CORSGATE_RESULT_INVALID_POLICY`, writes NULL to
/// `*policy_out` and every problem found to `*errors_out` (free it with
/// `corsgate_findings_free`). `errors_out` may be NULL when the details are
/// not wanted. Text that is not UTF-8 is refused as `invalid-syntax`.
#[no_mangle]
pub extern "C" fn corsgate_policy_from_json(
    text: *const u8,
    text_len: usize,
    policy_out: *mut *mut corsgate_policy,
    errors_out: *mut *mut corsgate_findings,
) -> corsgate_result {
    ffi_boundary! {
        require(policy_out);
        // SAFETY: the caller follows the documented pointer rules.
        unsafe { build(Format::Json, text, text_len, None, policy_out, errors_out) }
    }
}

/// As `corsgate_policy_from_json`, for TOML text.
#[no_mangle]
pub extern "C" fn corsgate_policy_from_toml(
    text: *const u8,
    text_len: usize,
    policy_out: *mut *mut corsgate_policy,
    errors_out: *mut *mut corsgate_findings,
) -> corsgate_result {
    ffi_boundary! {
        require(policy_out);
        // SAFETY: the caller follows the documented pointer rules.
        unsafe { build(Format::Toml, text, text_len, None, policy_out, errors_out) }
    }
}

/// As `corsgate_policy_from_json`, plus a dynamic origin check (SPEC §3):
/// origins `callback` accepts are allowed besides (or, with `origins = []`,
/// instead of) the listed ones. `callback` must not be NULL; `userdata` is
/// passed back untouched and must outlive the policy. Both must be safe to
/// call from several threads at once.
#[no_mangle]
pub extern "C" fn corsgate_policy_from_json_with_origin_callback(
    text: *const u8,
    text_len: usize,
    callback: corsgate_origin_callback,
    userdata: *mut c_void,
    policy_out: *mut *mut corsgate_policy,
    errors_out: *mut *mut corsgate_findings,
) -> corsgate_result {
    ffi_boundary! {
        require(callback, policy_out);
        let callback = callback.map(|callback| OriginCallback { callback, userdata: UserData(userdata) });
        // SAFETY: the caller follows the documented pointer rules.
        unsafe { build(Format::Json, text, text_len, callback, policy_out, errors_out) }
    }
}

/// As `corsgate_policy_from_json_with_origin_callback`, for TOML text.
#[no_mangle]
pub extern "C" fn corsgate_policy_from_toml_with_origin_callback(
    text: *const u8,
    text_len: usize,
    callback: corsgate_origin_callback,
    userdata: *mut c_void,
    policy_out: *mut *mut corsgate_policy,
    errors_out: *mut *mut corsgate_findings,
) -> corsgate_result {
    ffi_boundary! {
        require(callback, policy_out);
        let callback = callback.map(|callback| OriginCallback { callback, userdata: UserData(userdata) });
        // SAFETY: the caller follows the documented pointer rules.
        unsafe { build(Format::Toml, text, text_len, callback, policy_out, errors_out) }
    }
}

/// Frees a policy. NULL is accepted and ignored. No decision, finding or
/// thread may use the policy afterwards.
#[no_mangle]
pub extern "C" fn corsgate_policy_free(policy: *mut corsgate_policy) -> corsgate_result {
    ffi_boundary! {
        require();
        if !policy.is_null() {
            // SAFETY: a non-NULL policy came from `Box::into_raw` in `build`
            // and, by the contract, is freed once and no longer used.
            drop(unsafe { Box::from_raw(policy) });
        }
        Ok(())
    }
}

/// Reads the request header lines into `request`.
///
/// # Safety
///
/// `lines` and every line's byte pairs follow the (pointer, length) rule and
/// stay valid and unchanged for `'a`.
#[inline]
unsafe fn push_lines<'a>(request: &mut Request<'a>, lines: &'a [corsgate_header_line]) -> Outcome {
    for line in lines {
        // SAFETY: vouched for by the caller.
        let name = unsafe { slice(line.name.data, line.name.len) }?;
        // SAFETY: vouched for by the caller.
        let value = unsafe { slice(line.value.data, line.value.len) }?;
        request.push_header(name, value);
    }
    Ok(())
}

/// An optional single header value: NULL means the header is absent.
///
/// # Safety
///
/// `value` is NULL or points to a `corsgate_bytes` following the (pointer,
/// length) rule, valid and unchanged for `'a`.
#[inline]
unsafe fn optional<'a>(value: *const corsgate_bytes) -> Result<Option<&'a [u8]>, corsgate_result> {
    if value.is_null() {
        return Ok(None);
    }
    // SAFETY: not NULL, so valid for reads by the contract.
    let bytes = unsafe { *value };
    // SAFETY: vouched for by the caller.
    unsafe { slice(bytes.data, bytes.len) }.map(Some)
}

/// Copies `decision` into the caller's struct; a value the decision rebuilt
/// (held in the Rust decision itself) is copied to `out.reflected`.
///
/// # Safety
///
/// `out` is non-NULL, aligned and valid for writes of a `corsgate_decision`.
#[inline]
unsafe fn write_decision(decision: &Decision<'_>, out: *mut corsgate_decision) {
    // SAFETY: `out` is valid for writes (caller); the places are fields of
    // it, written without reading or referencing the uninitialized rest.
    unsafe {
        addr_of_mut!((*out).kind).write(corsgate_kind::from_core(decision.kind()));
        addr_of_mut!((*out).allowed).write(decision.allowed());
        addr_of_mut!((*out).status).write(decision.status().unwrap_or(0));
        addr_of_mut!((*out).reason).write(corsgate_reason::from_core(decision.reason()));
        addr_of_mut!((*out).refusal).write(refusal_to_c(decision));
    }
    // SAFETY: places inside the valid `out`; nothing is read.
    let (headers, reflected, vary) = unsafe {
        (
            addr_of_mut!((*out).headers).cast::<corsgate_header>(),
            addr_of_mut!((*out).reflected).cast::<u8>(),
            addr_of_mut!((*out).vary).cast::<corsgate_str>(),
        )
    };
    let mut n = 0;
    for header in decision.headers().take(CORSGATE_MAX_HEADERS) {
        let mut value = header.value;
        if header.source == Source::Rebuilt {
            let len = value.len().min(CORSGATE_REFLECTED_HEADERS_CAP);
            // SAFETY: `value` is live for this call and `reflected` has room
            // for `len` bytes in `out`; the two never overlap (one is in the
            // Rust decision, the other in the caller's struct). The copy is
            // then borrowed for as long as the caller keeps `out`.
            value = unsafe {
                ptr::copy_nonoverlapping(value.as_ptr(), reflected, len);
                std::slice::from_raw_parts(reflected, len)
            };
        }
        let header = corsgate_header {
            name: corsgate_str::new(header.name.as_str().as_bytes()),
            value: corsgate_str::new(value),
            source: corsgate_source::from_core(header.source),
        };
        // SAFETY: `n < CORSGATE_MAX_HEADERS`, inside `out.headers`.
        unsafe { headers.add(n).write(header) };
        n += 1;
    }
    let tokens = decision.vary();
    let vary_len = tokens.len().min(CORSGATE_MAX_VARY);
    for (i, token) in tokens[..vary_len].iter().enumerate() {
        // SAFETY: `i < CORSGATE_MAX_VARY`, inside `out.vary`.
        unsafe { vary.add(i).write(corsgate_str::new(token.as_bytes())) };
    }
    // SAFETY: fields of the valid `out`.
    unsafe {
        addr_of_mut!((*out).headers_len).write(n);
        addr_of_mut!((*out).vary_len).write(vary_len);
    }
}

fn bytes(b: &[u8]) -> corsgate_bytes {
    corsgate_bytes {
        data: b.as_ptr(),
        len: b.len(),
    }
}

/// The refusal part of a `corsgate_decision` (zeros when not refused).
#[inline]
fn refusal_to_c(decision: &Decision<'_>) -> corsgate_refusal {
    match decision.refusal() {
        Some(r) => corsgate_refusal {
            check: r.check().code(),
            has_origin: r.origin().is_some(),
            origin: bytes(r.origin().unwrap_or_default()),
            value: bytes(r.value()),
        },
        None => corsgate_refusal {
            check: 0,
            has_origin: false,
            origin: bytes(b""),
            value: bytes(b""),
        },
    }
}

/// Decides the CORS response for a request given as its method and header
/// lines (any headers; only `Origin` and `Access-Control-Request-*` are
/// read; repeated lines are passed as repeated entries). Writes the decision
/// to `*out`. Never allocates. A policy file with routes needs the request
/// path: this returns `CORSGATE_RESULT_NEEDS_PATH` for one; call
/// `corsgate_policy_decide_path`.
///
/// The decision borrows from `policy`, from the bytes `method` and `lines`
/// point to, and from `*out` itself (see `corsgate_decision`).
#[no_mangle]
pub extern "C" fn corsgate_policy_decide(
    policy: *const corsgate_policy,
    method: *const u8,
    method_len: usize,
    lines: *const corsgate_header_line,
    lines_len: usize,
    out: *mut corsgate_decision,
) -> corsgate_result {
    ffi_boundary! {
        require(policy, out);
        // SAFETY: a non-NULL policy is a live `corsgate_policy` (contract).
        let policy = unsafe { &*policy }.single()?;
        // SAFETY: the caller follows the (pointer, length) rule.
        let mut request = Request::new(unsafe { slice(method, method_len) }?);
        // SAFETY: the caller follows the (pointer, length) rule, and the
        // lines outlive this call.
        unsafe { push_lines(&mut request, slice(lines, lines_len)?) }?;
        // SAFETY: the boundary checked `out`; the caller vouched for it.
        unsafe { write_decision(&policy.decide(&request), out) };
        Ok(())
    }
}

/// As `corsgate_policy_decide`, for a request made to `path` (`path_len`
/// bytes: the path the server routes on, with or without its query), which
/// picks the route of a policy file with routes; a file without routes
/// ignores it. A path outside every route, or on a `policy = false` route,
/// is decided `not-cors` with no headers and no `Vary`. Never allocates.
#[no_mangle]
pub extern "C" fn corsgate_policy_decide_path(
    policy: *const corsgate_policy,
    method: *const u8,
    method_len: usize,
    path: *const u8,
    path_len: usize,
    lines: *const corsgate_header_line,
    lines_len: usize,
    out: *mut corsgate_decision,
) -> corsgate_result {
    ffi_boundary! {
        require(policy, out);
        // SAFETY: a non-NULL policy is a live `corsgate_policy` (contract).
        let set = unsafe { &(*policy).inner };
        // SAFETY: the caller follows the (pointer, length) rule.
        let path = unsafe { slice(path, path_len) }?;
        // SAFETY: the caller follows the (pointer, length) rule.
        let mut request = Request::new(unsafe { slice(method, method_len) }?);
        // SAFETY: the caller follows the (pointer, length) rule, and the
        // lines outlive this call.
        unsafe { push_lines(&mut request, slice(lines, lines_len)?) }?;
        // SAFETY: the boundary checked `out`; the caller vouched for it.
        unsafe { write_decision(&set.decide(path, &request), out) };
        Ok(())
    }
}

/// Decides for a request given as its method and the values of the four
/// headers corsgate reads, each one line; a NULL pointer means the header is
/// absent (an empty value is `{ NULL, 0 }` or any pointer with length 0).
/// To pass several lines of one header, use `corsgate_policy_decide`. A
/// policy file with routes returns `CORSGATE_RESULT_NEEDS_PATH`; call
/// `corsgate_policy_decide_values_path`.
#[no_mangle]
pub extern "C" fn corsgate_policy_decide_values(
    policy: *const corsgate_policy,
    method: *const u8,
    method_len: usize,
    origin: *const corsgate_bytes,
    request_method: *const corsgate_bytes,
    request_headers: *const corsgate_bytes,
    request_private_network: *const corsgate_bytes,
    out: *mut corsgate_decision,
) -> corsgate_result {
    ffi_boundary! {
        require(policy, out);
        // SAFETY: a non-NULL policy is a live `corsgate_policy` (contract).
        let policy = unsafe { &*policy }.single()?;
        // SAFETY: the caller follows the pointer rules for all five.
        let request = unsafe {
            Request::from_values(
                slice(method, method_len)?,
                optional(origin)?,
                optional(request_method)?,
                optional(request_headers)?,
                optional(request_private_network)?,
            )
        };
        // SAFETY: the boundary checked `out`; the caller vouched for it.
        unsafe { write_decision(&policy.decide(&request), out) };
        Ok(())
    }
}

/// As `corsgate_policy_decide_values`, for a request made to `path`
/// (see `corsgate_policy_decide_path`). Never allocates.
#[no_mangle]
pub extern "C" fn corsgate_policy_decide_values_path(
    policy: *const corsgate_policy,
    method: *const u8,
    method_len: usize,
    path: *const u8,
    path_len: usize,
    origin: *const corsgate_bytes,
    request_method: *const corsgate_bytes,
    request_headers: *const corsgate_bytes,
    request_private_network: *const corsgate_bytes,
    out: *mut corsgate_decision,
) -> corsgate_result {
    ffi_boundary! {
        require(policy, out);
        // SAFETY: a non-NULL policy is a live `corsgate_policy` (contract).
        let set = unsafe { &(*policy).inner };
        // SAFETY: the caller follows the (pointer, length) rule.
        let path = unsafe { slice(path, path_len) }?;
        // SAFETY: the caller follows the pointer rules for all five.
        let request = unsafe {
            Request::from_values(
                slice(method, method_len)?,
                optional(origin)?,
                optional(request_method)?,
                optional(request_headers)?,
                optional(request_private_network)?,
            )
        };
        // SAFETY: the boundary checked `out`; the caller vouched for it.
        unsafe { write_decision(&set.decide(path, &request), out) };
        Ok(())
    }
}

/// Explains a refusal (SPEC §7) from what `decision` (written by
/// `corsgate_policy_decide*`) recorded: nothing is decided again, so the
/// request bytes it borrows must still be live. `url` is the resource URL the
/// browser fetched, quoted in the console messages (bytes that are not UTF-8
/// show as U+FFFD).
///
/// The text has five lines, `reason:`, `why:`, `fix:`, `chrome:` and
/// `firefox:`, is UTF-8 with every request byte escaped, and is written to
/// `buf` NUL-terminated. `*len_out` always receives its length without the
/// NUL; when `buf_len <= *len_out` the result is
/// `CORSGATE_RESULT_BUFFER_TOO_SMALL` and only `buf[0] = '\0'` is written
/// (`buf` may be NULL when `buf_len` is 0, to ask for the length).
/// For an allowed or `not-cors` decision the result is
/// `CORSGATE_RESULT_NOTHING_TO_EXPLAIN` with `*len_out = 0`; a decision
/// whose `kind` or `refusal.check` corsgate never wrote is
/// `CORSGATE_RESULT_INVALID_ARGUMENT`. Allocates: keep it off the hot path.
#[no_mangle]
pub extern "C" fn corsgate_decision_explain(
    decision: *const corsgate_decision,
    url: *const u8,
    url_len: usize,
    buf: *mut c_char,
    buf_len: usize,
    len_out: *mut usize,
) -> corsgate_result {
    ffi_boundary! {
        require(decision, len_out);
        // SAFETY: the boundary checked `len_out`; the caller vouched for it.
        unsafe { write(len_out, 0) };
        if buf.is_null() && buf_len > 0 {
            return Err(corsgate_result::NullParameter);
        }
        // SAFETY: the caller follows the (pointer, length) rule.
        let url = String::from_utf8_lossy(unsafe { slice(url, url_len) }?);
        // SAFETY: a non-NULL decision is readable (contract); the enum
        // fields are read as plain integers, as C may have written anything.
        let (kind, reason, refusal) = unsafe {
            (
                ptr::addr_of!((*decision).kind).cast::<u32>().read(),
                ptr::addr_of!((*decision).reason).cast::<u32>().read(),
                ptr::addr_of!((*decision).refusal).read(),
            )
        };
        if corsgate_reason::from_u32(reason).ok_or(corsgate_result::InvalidArgument)?.is_none() {
            return Err(corsgate_result::NothingToExplain);
        }
        let kind = corsgate_kind::from_u32(kind).ok_or(corsgate_result::InvalidArgument)?;
        let check = Check::from_code(refusal.check).ok_or(corsgate_result::InvalidArgument)?;
        // SAFETY: the decision borrows request bytes the caller keeps live.
        let origin = unsafe { slice(refusal.origin.data, refusal.origin.len) }?;
        // SAFETY: as above.
        let value = unsafe { slice(refusal.value.data, refusal.value.len) }?;
        let refusal = Refusal::new(kind, check, refusal.has_origin.then_some(origin), value);
        let e = refusal.explain(&url);
        let mut text = String::new();
        let _ = write!(
            text,
            "reason: {}\nwhy: {}\nfix: {}\nchrome: {}\nfirefox: {}",
            e.reason, e.summary, e.fix, e.chrome, e.firefox
        );
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(len_out, text.len()) };
        if buf_len <= text.len() {
            if buf_len > 0 {
                // SAFETY: `buf` is not NULL (checked above) and holds `buf_len > 0` bytes.
                unsafe { write(buf, 0) };
            }
            return Err(corsgate_result::BufferTooSmall);
        }
        // SAFETY: `buf` holds `buf_len > text.len()` bytes, so the text and
        // its NUL fit; a caller buffer never overlaps our fresh `String`.
        unsafe {
            ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
            write(buf.add(text.len()), 0);
        }
        Ok(())
    }
}

/// Writes to `*warnings_out` the policy's lint warnings (SPEC §7: legal but
/// risky choices; for a route file, each route's policy's, and routes that
/// can never match), possibly none. Free them with `corsgate_findings_free`.
#[no_mangle]
pub extern "C" fn corsgate_policy_lint(
    policy: *const corsgate_policy,
    warnings_out: *mut *mut corsgate_findings,
) -> corsgate_result {
    ffi_boundary! {
        require(policy, warnings_out);
        // SAFETY: the boundary checked `warnings_out`; the caller vouched for it.
        unsafe { write(warnings_out, ptr::null_mut()) };
        // SAFETY: a non-NULL policy is a live `corsgate_policy` (contract).
        let policy = unsafe { &(*policy).inner };
        let warnings = corsgate_findings::from_findings(&policy.lint());
        // SAFETY: checked by the boundary, vouched for by the caller.
        unsafe { write(warnings_out, warnings.into_raw()) };
        Ok(())
    }
}
