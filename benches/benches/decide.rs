//! `decide` on the cases the core issue names, and how it scales with the
//! number of configured origins and of requested header names; run with
//! `cargo bench -p corsgate-benches` (or `benches/run` for the full report).

use std::hint::black_box;

use corsgate::{Policy, Request};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};

fn policy_with(extra_origins: usize) -> Policy {
    let mut origins: Vec<String> = (0..extra_origins)
        .map(|i| format!("https://tenant{i}.example.net"))
        .collect();
    origins.push("https://app.example.com".into());
    origins.push("https://*.preview.example.com".into());
    Policy::builder()
        .origins(origins)
        .credentials(true)
        .methods(["PUT", "DELETE"])
        .request_headers(["content-type", "x-request-id", "authorization"])
        .expose_headers(["x-request-id"])
        .max_age(600)
        .build()
        .expect("valid policy")
}

/// Builds the request from header lines and decides, as a host does per request.
fn decide(policy: &Policy, method: &[u8], lines: &[(&[u8], &[u8])]) -> usize {
    let request = Request::from_headers(method, lines.iter().copied());
    let decision = policy.decide(&request);
    decision.headers().len() + usize::from(decision.allowed())
}

const ORIGIN: &[u8] = b"origin";
const ACRM: &[u8] = b"access-control-request-method";
const ACRH: &[u8] = b"access-control-request-headers";

/// A bench case: name, method, header lines.
type Case<'a> = (&'a str, &'a [u8], Vec<(&'a [u8], &'a [u8])>);

fn cases(c: &mut Criterion) {
    let policy = policy_with(0);
    let hostile = vec![b','; 1 << 20];
    let cases: Vec<Case> = vec![
        (
            "actual allowed",
            b"GET",
            vec![(ORIGIN, b"https://app.example.com")],
        ),
        (
            "actual refused",
            b"GET",
            vec![(ORIGIN, b"https://evil.example")],
        ),
        ("not-cors", b"GET", vec![]),
        (
            "preflight allowed, 3 headers",
            b"OPTIONS",
            vec![
                (ORIGIN, b"https://app.example.com"),
                (ACRM, b"PUT"),
                (ACRH, b"authorization,content-type,x-request-id"),
            ],
        ),
        (
            // Not the form a browser sends (sorted, lowercase, no spaces):
            // the list is scanned name by name.
            "preflight allowed, 3 headers, other form",
            b"OPTIONS",
            vec![
                (ORIGIN, b"https://app.example.com"),
                (ACRM, b"PUT"),
                (ACRH, b"content-type, x-request-id, authorization"),
            ],
        ),
        (
            "preflight refused",
            b"OPTIONS",
            vec![(ORIGIN, b"https://evil.example"), (ACRM, b"PUT")],
        ),
        (
            "wildcard subdomain",
            b"GET",
            vec![(ORIGIN, b"https://pr-42.preview.example.com")],
        ),
        (
            "hostile 1 MiB ACRH",
            b"OPTIONS",
            vec![
                (ORIGIN, b"https://app.example.com"),
                (ACRM, b"PUT"),
                (ACRH, &hostile),
            ],
        ),
    ];
    let mut group = c.benchmark_group("decide");
    for (name, method, lines) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| decide(black_box(&policy), black_box(method), black_box(lines)))
        });
    }
    group.finish();
    // The engine's share alone: the same requests, built once beforehand.
    let mut group = c.benchmark_group("decide, request already built");
    for (name, method, lines) in &cases {
        let request = Request::from_headers(method, lines.iter().copied());
        group.bench_function(*name, |b| {
            b.iter(|| {
                let decision = black_box(&policy).decide(black_box(&request));
                decision.headers().len() + usize::from(decision.allowed())
            })
        });
    }
    group.finish();
}

/// `n` exact origins in all, the request's one (`app.example.com`) last.
fn policy_with_origins(n: usize, request_headers: &[String]) -> Policy {
    let mut origins: Vec<String> = (1..n)
        .map(|i| format!("https://tenant{i}.example.net"))
        .collect();
    origins.push("https://app.example.com".into());
    Policy::builder()
        .origins(origins)
        .credentials(true)
        .methods(["PUT", "DELETE"])
        .request_headers(request_headers)
        .expose_headers(["x-request-id"])
        .max_age(600)
        .build()
        .expect("valid policy")
}

/// How `decide` scales: with the number of configured origins (an allowed
/// actual request), and with the number of names in an allowed preflight's
/// `Access-Control-Request-Headers` (64 names configured, the limit).
fn scaling(c: &mut Criterion) {
    let basic: Vec<String> = ["content-type", "x-request-id", "authorization"]
        .map(String::from)
        .into();
    let mut group = c.benchmark_group("scaling: configured origins");
    for n in [1usize, 10, 100, 1_000, 10_000, 100_000] {
        let policy = policy_with_origins(n, &basic);
        let lines: [(&[u8], &[u8]); 1] = [(ORIGIN, b"https://app.example.com")];
        group.bench_with_input(BenchmarkId::from_parameter(n), &policy, |b, policy| {
            b.iter(|| decide(black_box(policy), black_box(b"GET"), black_box(&lines)))
        });
    }
    group.finish();

    let names: Vec<String> = (0..corsgate::limits::MAX_REQUEST_HEADERS_NAMES)
        .map(|i| format!("x-custom-header-{i}"))
        .collect();
    let policy = policy_with_origins(1, &names);
    let mut group = c.benchmark_group("scaling: request header names");
    for n in [1usize, 2, 4, 8, 16, 32, 64] {
        let acrh = names[..n].join(",");
        let lines: [(&[u8], &[u8]); 3] = [
            (ORIGIN, b"https://app.example.com"),
            (ACRM, b"PUT"),
            (ACRH, acrh.as_bytes()),
        ];
        let decision_allowed = decide(&policy, b"OPTIONS", &lines) > 1;
        assert!(decision_allowed, "{n} names: preflight refused");
        group.bench_with_input(BenchmarkId::from_parameter(n), &lines, |b, lines| {
            b.iter(|| decide(black_box(&policy), black_box(b"OPTIONS"), black_box(lines)))
        });
    }
    group.finish();
}

/// Route lookup (`PolicySet::route_index`) with 1, 10 and 100 routes: a
/// path matching the last route, a path outside every route, and a path
/// that needs normalizing (dot segments, an escape) first.
fn routes(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling: routes");
    for n in [1usize, 10, 100] {
        let policy = corsgate::Policy::builder()
            .origins(["https://app.example.com"])
            .build()
            .unwrap();
        let policy = std::sync::Arc::new(policy);
        let mut builder = corsgate::PolicySet::builder();
        for i in 0..n {
            let pattern = match i % 3 {
                0 => format!("/svc{i}/**"),
                1 => format!("/svc{i}/*/items"),
                _ => format!("/svc{i}/health"),
            };
            builder = builder.route_shared(&pattern, policy.clone());
        }
        let set = builder.build().unwrap();
        let last = n - 1;
        let hit = match last % 3 {
            0 => format!("/svc{last}/users/42"),
            1 => format!("/svc{last}/v1/items"),
            _ => format!("/svc{last}/health"),
        };
        let dotted = format!(
            "/svc{last}/x/../%2e/{}",
            &hit[format!("/svc{last}/").len()..]
        );
        for (label, path) in [
            ("hit", hit),
            ("miss", "/nowhere/at/all".to_owned()),
            ("normalized", dotted),
        ] {
            let expect_hit = label != "miss";
            assert_eq!(
                set.route_index(path.as_bytes()) == Some(last),
                expect_hit,
                "{label} {path}"
            );
            group.bench_with_input(BenchmarkId::new(label, n), &path, |b, path| {
                b.iter(|| black_box(&set).route_index(black_box(path.as_bytes())))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, cases, scaling, routes);
criterion_main!(benches);
