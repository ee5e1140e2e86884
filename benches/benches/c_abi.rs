//! Deciding through the C ABI (`corsgate_policy_decide` into a reused
//! `corsgate_decision`) against the Rust API (`Request::from_headers` +
//! `Policy::decide` + reading every header and `Vary` token), on the same
//! policy and header lines. Target: the C ABI within 1.3x of the Rust API.

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::ptr::null_mut;
use std::time::Duration;

use corsgate::{Policy, Request};
use corsgate_ffi::*;
use criterion::{criterion_group, criterion_main, Criterion};

const POLICY: &str = r#"{
    "origins": ["https://app.example.com", "https://admin.example.com", "https://*.preview.example.com"],
    "credentials": true,
    "methods": ["PUT", "DELETE"],
    "request_headers": ["content-type", "x-request-id", "x-trace"],
    "expose_headers": ["x-request-id"],
    "max_age": 600
}"#;

type Lines = &'static [(&'static str, &'static str)];

const CASES: [(&str, &str, Lines); 5] = [
    (
        "actual allowed",
        "GET",
        &[
            ("Host", "api.example.com"),
            ("Origin", "https://app.example.com"),
            ("Accept", "application/json"),
        ],
    ),
    (
        "actual refused",
        "GET",
        &[
            ("Host", "api.example.com"),
            ("Origin", "https://evil.example"),
            ("Accept", "application/json"),
        ],
    ),
    (
        "not-cors",
        "GET",
        &[("Host", "api.example.com"), ("Accept", "application/json")],
    ),
    (
        "preflight allowed, 3 request headers",
        "OPTIONS",
        &[
            ("Host", "api.example.com"),
            ("Origin", "https://app.example.com"),
            ("Access-Control-Request-Method", "PUT"),
            (
                "Access-Control-Request-Headers",
                "content-type,x-request-id,x-trace",
            ),
        ],
    ),
    (
        "preflight refused",
        "OPTIONS",
        &[
            ("Host", "api.example.com"),
            ("Origin", "https://app.example.com"),
            ("Access-Control-Request-Method", "PATCH"),
        ],
    ),
];

fn bench(c: &mut Criterion) {
    let rust_policy = Policy::from_json(POLICY).unwrap();
    let mut c_policy = null_mut();
    let r = corsgate_policy_from_json(POLICY.as_ptr(), POLICY.len(), &mut c_policy, null_mut());
    assert_eq!(r, corsgate_result::Ok);

    for (name, method, lines) in CASES {
        let c_lines: Vec<corsgate_header_line> = lines
            .iter()
            .map(|(n, v)| corsgate_header_line {
                name: corsgate_bytes {
                    data: n.as_ptr(),
                    len: n.len(),
                },
                value: corsgate_bytes {
                    data: v.as_ptr(),
                    len: v.len(),
                },
            })
            .collect();
        let mut out = Box::new(MaybeUninit::<corsgate_decision>::uninit());

        let mut group = c.benchmark_group(name);
        group.bench_function("rust", |b| {
            b.iter(|| {
                let lines = black_box(lines)
                    .iter()
                    .map(|(n, v)| (n.as_bytes(), v.as_bytes()));
                let request = Request::from_headers(black_box(method).as_bytes(), lines);
                let decision = rust_policy.decide(&request);
                for header in decision.headers() {
                    black_box(header);
                }
                black_box(decision.vary());
            })
        });
        group.bench_function("c_abi", |b| {
            b.iter(|| {
                let method = black_box(method);
                let lines = black_box(&c_lines);
                let r = corsgate_policy_decide(
                    c_policy,
                    method.as_ptr(),
                    method.len(),
                    lines.as_ptr(),
                    lines.len(),
                    out.as_mut_ptr(),
                );
                black_box((r, &mut out));
            })
        });
        group.finish();
    }
    assert_eq!(corsgate_policy_free(c_policy), corsgate_result::Ok);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
