//! The C ABI called from Rust: exact outputs, borrowing, the explain buffer
//! protocol, findings, callbacks, NULL handling, and no allocation in decide.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void};
use std::mem::MaybeUninit;
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};

use corsgate_ffi::*;

/// Counts allocations made by the current thread while `COUNTING` is set.
struct CountingAlloc;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator unchanged; counting touches only
// const-initialized thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.with(|a| a.set(a.get() + 1));
        }
        // SAFETY: the caller's layout contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.with(Cell::get)
}

fn text(s: corsgate_str) -> &'static str {
    // SAFETY: corsgate hands out valid UTF-8 of `len` bytes that outlives
    // each test's use of it (static, policy- or findings-owned).
    unsafe { std::str::from_utf8(std::slice::from_raw_parts(s.data.cast(), s.len)).unwrap() }
}

fn bytes(b: &[u8]) -> corsgate_bytes {
    corsgate_bytes {
        data: b.as_ptr(),
        len: b.len(),
    }
}

fn line(name: &'static str, value: &[u8]) -> corsgate_header_line {
    corsgate_header_line {
        name: bytes(name.as_bytes()),
        value: bytes(value),
    }
}

struct Owned(*mut corsgate_policy);

impl Drop for Owned {
    fn drop(&mut self) {
        assert_eq!(corsgate_policy_free(self.0), corsgate_result::Ok);
    }
}

fn policy(json: &str) -> Owned {
    let mut p = null_mut();
    let mut errors = null_mut();
    let r = corsgate_policy_from_json(json.as_ptr(), json.len(), &mut p, &mut errors);
    assert_eq!(r, corsgate_result::Ok, "{}", json);
    assert!(errors.is_null());
    Owned(p)
}

fn decide(p: &Owned, method: &str, lines: &[corsgate_header_line]) -> Box<corsgate_decision> {
    let mut out = Box::new(MaybeUninit::<corsgate_decision>::uninit());
    let r = corsgate_policy_decide(
        p.0,
        method.as_ptr(),
        method.len(),
        lines.as_ptr(),
        lines.len(),
        out.as_mut_ptr(),
    );
    assert_eq!(r, corsgate_result::Ok);
    // SAFETY: `decide` returned OK, so every field the test reads is written
    // (the `reflected` buffer is plain bytes, read only through `headers`).
    unsafe { Box::from_raw(Box::into_raw(out).cast()) }
}

fn headers(d: &corsgate_decision) -> Vec<(&'static str, &'static str)> {
    d.headers[..d.headers_len]
        .iter()
        .map(|h| (text(h.name), text(h.value)))
        .collect()
}

fn vary(d: &corsgate_decision) -> Vec<&'static str> {
    d.vary[..d.vary_len].iter().map(|v| text(*v)).collect()
}

const CREDENTIALED_STAR: &str = r#"{"origins": ["https://app.example.com"], "credentials": true,
    "methods": ["*"], "request_headers": ["*"], "max_age": 600}"#;

#[test]
fn preflight_outputs_exactly() {
    let p = policy(CREDENTIALED_STAR);
    let d = decide(
        &p,
        "OPTIONS",
        &[
            line("Origin", b"https://app.example.com"),
            line("Access-Control-Request-Method", b"PATCH"),
            line("Access-Control-Request-Headers", b"x-a,x-b"),
        ],
    );
    assert_eq!(d.kind, corsgate_kind::Preflight);
    assert!(d.allowed);
    assert_eq!(d.status, 204);
    assert_eq!(d.reason, corsgate_reason::None);
    assert_eq!(
        headers(&d),
        [
            ("Access-Control-Allow-Origin", "https://app.example.com"),
            ("Access-Control-Allow-Credentials", "true"),
            ("Access-Control-Allow-Methods", "PATCH"),
            ("Access-Control-Allow-Headers", "x-a,x-b"),
            ("Access-Control-Max-Age", "600"),
        ]
    );
    assert_eq!(
        vary(&d),
        [
            "Origin",
            "Access-Control-Request-Method",
            "Access-Control-Request-Headers"
        ]
    );
}

#[test]
fn values_borrow_the_request_and_rebuilt_names_live_in_the_decision() {
    let p = policy(CREDENTIALED_STAR);
    let origin = b"https://app.example.com".to_vec();
    let acrh = b"X-A".to_vec();
    let acrh2 = b" X-B ".to_vec();
    let d = decide(
        &p,
        "OPTIONS",
        &[
            line("origin", &origin),
            line("access-control-request-method", b"PUT"),
            line("ACCESS-CONTROL-REQUEST-HEADERS", &acrh),
            line("access-control-request-headers", &acrh2),
        ],
    );
    assert_eq!(
        d.headers[0].value.data,
        origin.as_ptr().cast(),
        "origin borrowed, not copied"
    );
    let names = d.headers[3];
    assert_eq!(
        (text(names.name), text(names.value)),
        ("Access-Control-Allow-Headers", "x-a,x-b")
    );
    let buf = d.reflected.as_ptr_range();
    assert!(
        buf.contains(&names.value.data.cast()),
        "rebuilt names point into the decision"
    );

    // A canonical single line is borrowed from the request instead.
    let acrh = b"x-a,x-b".to_vec();
    let d = decide(
        &p,
        "OPTIONS",
        &[
            line("origin", &origin),
            line("access-control-request-method", b"PUT"),
            line("access-control-request-headers", &acrh),
        ],
    );
    assert_eq!(d.headers[3].value.data, acrh.as_ptr().cast());
}

#[test]
fn decide_allocates_nothing() {
    let p = policy(CREDENTIALED_STAR);
    let requests: [(&str, Vec<corsgate_header_line>); 4] = [
        ("GET", vec![line("Origin", b"https://app.example.com")]),
        (
            "GET",
            vec![line("Host", b"x"), line("Origin", b"https://evil.example")],
        ),
        (
            "OPTIONS",
            vec![
                line("Origin", b"https://app.example.com"),
                line("Access-Control-Request-Method", b"PUT"),
                line("Access-Control-Request-Headers", b"X-Upper, x-lower"),
                line("Access-Control-Request-Headers", b"x-second-line"),
            ],
        ),
        ("POST", vec![]),
    ];
    let mut out = Box::new(MaybeUninit::<corsgate_decision>::uninit());
    let n = allocations_in(|| {
        for (method, lines) in &requests {
            let r = corsgate_policy_decide(
                p.0,
                method.as_ptr(),
                method.len(),
                lines.as_ptr(),
                lines.len(),
                out.as_mut_ptr(),
            );
            assert_eq!(r, corsgate_result::Ok);
        }
        let origin = bytes(b"https://app.example.com");
        let r = corsgate_policy_decide_values(
            p.0,
            b"GET".as_ptr(),
            3,
            &origin,
            null(),
            null(),
            null(),
            out.as_mut_ptr(),
        );
        assert_eq!(r, corsgate_result::Ok);
    });
    assert_eq!(n, 0, "decide allocated");
}

#[test]
fn decide_values_treats_null_as_absent() {
    let p = policy(r#"{"origins": ["https://app.example.com"], "methods": ["PUT"]}"#);
    let mut out = MaybeUninit::<corsgate_decision>::uninit();
    let origin = bytes(b"https://app.example.com");
    let empty = corsgate_bytes {
        data: null(),
        len: 0,
    };
    // An empty ACRM line still makes a preflight (SPEC §1), refused as invalid-method.
    let r = corsgate_policy_decide_values(
        p.0,
        b"OPTIONS".as_ptr(),
        7,
        &origin,
        &empty,
        null(),
        null(),
        out.as_mut_ptr(),
    );
    assert_eq!(r, corsgate_result::Ok);
    // SAFETY: written by the OK call.
    let d = unsafe { out.assume_init_ref() };
    assert_eq!(
        (d.kind, d.allowed, d.status, d.reason),
        (
            corsgate_kind::Preflight,
            false,
            403,
            corsgate_reason::InvalidMethod
        )
    );
    let r = corsgate_policy_decide_values(
        p.0,
        b"OPTIONS".as_ptr(),
        7,
        &origin,
        null(),
        null(),
        null(),
        out.as_mut_ptr(),
    );
    assert_eq!(r, corsgate_result::Ok);
    // SAFETY: written by the OK call.
    let d = unsafe { out.assume_init_ref() };
    assert_eq!(
        (d.kind, d.allowed, d.status),
        (corsgate_kind::Actual, true, 0)
    );
}

fn findings(f: *mut corsgate_findings) -> Vec<[&'static str; 4]> {
    let mut len = 0;
    assert_eq!(corsgate_findings_len(f, &mut len), corsgate_result::Ok);
    let mut out = Vec::new();
    for i in 0..len {
        let mut item = MaybeUninit::uninit();
        assert_eq!(
            corsgate_findings_get(f, i, item.as_mut_ptr()),
            corsgate_result::Ok
        );
        // SAFETY: written by the OK call.
        let item = unsafe { item.assume_init() };
        out.push([
            text(item.code),
            text(item.value),
            text(item.message),
            text(item.fix),
        ]);
    }
    let mut item = MaybeUninit::uninit();
    assert_eq!(
        corsgate_findings_get(f, len, item.as_mut_ptr()),
        corsgate_result::OutOfRange
    );
    out
}

#[test]
fn refused_policies_list_every_problem() {
    let toml = "origins = [\"*\"]\ncredentials = true\nmethods = [\"TRACE\"]\n";
    let mut p = null_mut();
    let mut errors = null_mut();
    let r = corsgate_policy_from_toml(toml.as_ptr(), toml.len(), &mut p, &mut errors);
    assert_eq!(r, corsgate_result::InvalidPolicy);
    assert!(p.is_null());
    let codes: Vec<&str> = findings(errors).iter().map(|f| f[0]).collect();
    assert_eq!(codes, ["any-origin-with-credentials", "forbidden-method"]);
    assert!(findings(errors)
        .iter()
        .all(|f| !f[2].is_empty() && !f[3].is_empty()));
    assert_eq!(corsgate_findings_free(errors), corsgate_result::Ok);

    let bad = b"{\"origins\": [\"https://\xff.example\"]}";
    let r = corsgate_policy_from_json(bad.as_ptr(), bad.len(), &mut p, &mut errors);
    assert_eq!(r, corsgate_result::InvalidPolicy);
    let f = findings(errors);
    assert_eq!((f.len(), f[0][0]), (1, "invalid-syntax"));
    assert!(f[0][2].contains("offset 22"), "{}", f[0][2]);
    assert_eq!(corsgate_findings_free(errors), corsgate_result::Ok);

    // The details are optional.
    let r = corsgate_policy_from_json(b"{}".as_ptr(), 2, &mut p, null_mut());
    assert_eq!(r, corsgate_result::InvalidPolicy);
}

#[test]
fn lint_warnings_are_walkable() {
    let p = policy(
        r#"{"origins": ["http://app.example.com"], "methods": ["patch"], "max_age": 86400}"#,
    );
    let mut w = null_mut();
    assert_eq!(corsgate_policy_lint(p.0, &mut w), corsgate_result::Ok);
    let codes: Vec<&str> = findings(w).iter().map(|f| f[0]).collect();
    assert_eq!(
        codes,
        [
            "max-age-above-chrome-cap",
            "lowercase-method",
            "insecure-origin"
        ]
    );
    assert_eq!(corsgate_findings_free(w), corsgate_result::Ok);
}

#[test]
fn explain_reports_the_needed_length() {
    let p = policy(r#"{"origins": ["https://app.example.com"]}"#);
    let lines = [line("Origin", b"https://evil.example")];
    let url = "https://api.example.com/x";
    let mut d = MaybeUninit::<corsgate_decision>::uninit();
    let r = corsgate_policy_decide(p.0, b"GET".as_ptr(), 3, lines.as_ptr(), 1, d.as_mut_ptr());
    assert_eq!(r, corsgate_result::Ok);
    // SAFETY: written by a successful decide.
    let d = unsafe { d.assume_init_ref() };
    let explain = |buf: *mut c_char, buf_len: usize, len: &mut usize| {
        corsgate_decision_explain(d, url.as_ptr(), url.len(), buf, buf_len, len)
    };
    let mut len = 0;
    assert_eq!(
        explain(null_mut(), 0, &mut len),
        corsgate_result::BufferTooSmall
    );
    assert!(len > 100);
    let mut buf = vec![b'x' as c_char; len];
    assert_eq!(
        explain(buf.as_mut_ptr(), len, &mut len),
        corsgate_result::BufferTooSmall
    );
    assert_eq!(buf[0], 0);
    let mut buf = vec![b'x' as c_char; len + 1];
    assert_eq!(
        explain(buf.as_mut_ptr(), len + 1, &mut len),
        corsgate_result::Ok
    );
    assert_eq!(buf[len], 0);
    let got: Vec<u8> = buf[..len].iter().map(|&c| c as u8).collect();
    let got = String::from_utf8(got).unwrap();
    let keys: Vec<&str> = got.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(keys, ["reason", "why", "fix", "chrome", "firefox"]);
    assert!(got.starts_with("reason: origin-not-allowed\nwhy: the origin 'https://evil.example' is not allowed by `origins`\nfix: add \"https://evil.example\" to `origins`\n"), "{got}");
    assert!(got.contains(
        "Access to fetch at 'https://api.example.com/x' from origin 'https://evil.example'"
    ));

    let ok = [line("Origin", b"https://app.example.com")];
    let mut allowed = MaybeUninit::<corsgate_decision>::uninit();
    let r = corsgate_policy_decide(
        p.0,
        b"GET".as_ptr(),
        3,
        ok.as_ptr(),
        1,
        allowed.as_mut_ptr(),
    );
    assert_eq!(r, corsgate_result::Ok);
    let r = corsgate_decision_explain(
        allowed.as_ptr(),
        null(),
        0,
        buf.as_mut_ptr(),
        buf.len(),
        &mut len,
    );
    assert_eq!((r, len), (corsgate_result::NothingToExplain, 0));
}

static CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe extern "C" fn tenants(userdata: *mut c_void, origin: *const c_char, len: usize) -> c_int {
    CALLS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: corsgate passes `len` bytes plus a NUL; userdata is our suffix.
    let (origin, suffix) = unsafe {
        assert_eq!(*origin.add(len), 0, "NUL-terminated");
        (
            std::slice::from_raw_parts(origin.cast::<u8>(), len),
            *userdata.cast::<&str>(),
        )
    };
    c_int::from(origin.ends_with(suffix.as_bytes()))
}

#[test]
fn origin_callback_decides_unlisted_origins() {
    let mut suffix: &str = ".tenants.example.net";
    let json = r#"{"origins": ["https://app.example.com"]}"#;
    let mut p = null_mut();
    let r = corsgate_policy_from_json_with_origin_callback(
        json.as_ptr(),
        json.len(),
        Some(tenants),
        (&mut suffix as *mut &str).cast(),
        &mut p,
        null_mut(),
    );
    assert_eq!(r, corsgate_result::Ok);
    let p = Owned(p);
    let before = CALLS.load(Ordering::SeqCst);
    assert!(decide(&p, "GET", &[line("Origin", b"https://app.example.com")]).allowed);
    assert!(
        decide(
            &p,
            "GET",
            &[line("Origin", b"https://a.tenants.example.net")]
        )
        .allowed
    );
    let d = decide(&p, "GET", &[line("Origin", b"https://evil.example")]);
    assert_eq!(
        (d.allowed, d.reason),
        (false, corsgate_reason::OriginNotAllowed)
    );
    assert!(!decide(&p, "GET", &[line("Origin", b"null")]).allowed);
    assert_eq!(
        CALLS.load(Ordering::SeqCst) - before,
        2,
        "called only for valid, unlisted origins"
    );

    let r = corsgate_policy_from_toml_with_origin_callback(
        b"origins = []".as_ptr(),
        12,
        None,
        null_mut(),
        &mut null_mut(),
        null_mut(),
    );
    assert_eq!(r, corsgate_result::NullParameter);
}

#[test]
fn null_pointers_are_refused() {
    let p = policy(r#"{"origins": ["https://app.example.com"]}"#);
    let mut out = MaybeUninit::<corsgate_decision>::uninit();
    let null_result = corsgate_result::NullParameter;
    assert_eq!(
        corsgate_policy_decide(null(), null(), 0, null(), 0, out.as_mut_ptr()),
        null_result
    );
    assert_eq!(
        corsgate_policy_decide(p.0, null(), 0, null(), 0, null_mut()),
        null_result
    );
    assert_eq!(
        corsgate_policy_decide(p.0, null(), 3, null(), 0, out.as_mut_ptr()),
        null_result
    );
    assert_eq!(
        corsgate_policy_decide(p.0, null(), 0, null(), 2, out.as_mut_ptr()),
        null_result
    );
    let dangling = [corsgate_header_line {
        name: bytes(b"Origin"),
        value: corsgate_bytes {
            data: null(),
            len: 4,
        },
    }];
    assert_eq!(
        corsgate_policy_decide(p.0, null(), 0, dangling.as_ptr(), 1, out.as_mut_ptr()),
        null_result
    );
    assert_eq!(
        corsgate_policy_decide(p.0, null(), 0, null(), 0, out.as_mut_ptr()),
        corsgate_result::Ok
    );
    assert_eq!(
        corsgate_policy_from_json(null(), 0, null_mut(), null_mut()),
        null_result
    );
    assert_eq!(corsgate_policy_lint(p.0, null_mut()), null_result);
    assert_eq!(corsgate_findings_len(null(), &mut 0), null_result);
    assert_eq!(corsgate_version(null_mut()), null_result);
    assert_eq!(corsgate_policy_free(null_mut()), corsgate_result::Ok);
    assert_eq!(corsgate_findings_free(null_mut()), corsgate_result::Ok);
}

#[test]
fn names_of_codes_kinds_and_reasons() {
    let mut s = MaybeUninit::uninit();
    let name = |r: corsgate_result, s: &mut MaybeUninit<corsgate_str>| {
        assert_eq!(r, corsgate_result::Ok);
        // SAFETY: written by the OK call.
        text(unsafe { s.assume_init() })
    };
    assert_eq!(
        name(corsgate_version(s.as_mut_ptr()), &mut s),
        corsgate::VERSION
    );
    assert_eq!(
        name(corsgate_result_name(3, s.as_mut_ptr()), &mut s),
        "CORSGATE_RESULT_INVALID_POLICY"
    );
    assert_eq!(
        name(corsgate_kind_name(0, s.as_mut_ptr()), &mut s),
        "not-cors"
    );
    assert_eq!(
        name(corsgate_kind_name(1, s.as_mut_ptr()), &mut s),
        "preflight"
    );
    assert_eq!(
        name(corsgate_kind_name(2, s.as_mut_ptr()), &mut s),
        "actual"
    );
    assert_eq!(name(corsgate_reason_name(0, s.as_mut_ptr()), &mut s), "");
    assert_eq!(
        name(corsgate_reason_name(6, s.as_mut_ptr()), &mut s),
        "invalid-request-headers"
    );
    assert_eq!(
        name(corsgate_result_name(9, s.as_mut_ptr()), &mut s),
        "CORSGATE_RESULT_NEEDS_PATH"
    );
    assert_eq!(
        corsgate_result_name(10, s.as_mut_ptr()),
        corsgate_result::InvalidArgument
    );
    assert_eq!(
        corsgate_kind_name(3, s.as_mut_ptr()),
        corsgate_result::InvalidArgument
    );
    assert_eq!(
        corsgate_reason_name(7, s.as_mut_ptr()),
        corsgate_result::InvalidArgument
    );
}

#[test]
fn owned_response_headers_come_from_core() {
    let mut out = false;
    for (name, want) in [
        (&b"ACCESS-CONTROL-ALLOW-ORIGIN"[..], true),
        (b"private-network-access-id", true),
        (b"vary", false),
        (b"", false),
    ] {
        let r = corsgate_ffi::corsgate_response_header_is_cors(name.as_ptr(), name.len(), &mut out);
        assert_eq!(r, corsgate_ffi::corsgate_result::Ok);
        assert_eq!(out, want, "{}", String::from_utf8_lossy(name));
    }
    let r = corsgate_ffi::corsgate_response_header_is_cors(std::ptr::null(), 3, &mut out);
    assert_eq!(r, corsgate_ffi::corsgate_result::NullParameter);
}

#[test]
fn preflight_content_length_comes_from_core() {
    let mut out = MaybeUninit::uninit();
    for (status, want) in [(204, ""), (200, "0"), (403, "0")] {
        assert_eq!(
            corsgate_preflight_content_length(status, out.as_mut_ptr()),
            corsgate_result::Ok
        );
        // SAFETY: written by the OK call.
        assert_eq!(text(unsafe { out.assume_init() }), want, "{status}");
    }
    assert_eq!(
        corsgate_preflight_content_length(204, null_mut()),
        corsgate_result::NullParameter
    );
}
