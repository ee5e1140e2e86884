//! Instructions per `decide`, counted by callgrind (deterministic, so immune
//! to a shared machine's load): `benches/instructions.sh` runs this binary
//! once per case under `valgrind --tool=callgrind --toggle-collect=corsgate_bench_run`
//! and divides by the repetitions. The cases and policy are those of
//! `benches/benches/decide.rs`; every request is built from its header
//! lines, as a host does.
//!
//!   instructions --list          the case names
//!   instructions CASE [REPEATS]  decides CASE REPEATS times (default 1000)

use std::hint::black_box;

use corsgate::{Policy, Request};

fn policy() -> Policy {
    Policy::builder()
        .origins(["https://app.example.com", "https://*.preview.example.com"])
        .credentials(true)
        .methods(["PUT", "DELETE"])
        .request_headers(["content-type", "x-request-id", "authorization"])
        .expose_headers(["x-request-id"])
        .max_age(600)
        .build()
        .expect("valid policy")
}

const ORIGIN: &[u8] = b"origin";
const ACRM: &[u8] = b"access-control-request-method";
const ACRH: &[u8] = b"access-control-request-headers";

type Lines = Vec<(&'static [u8], &'static [u8])>;

fn cases() -> Vec<(&'static str, &'static [u8], Lines)> {
    vec![
        (
            "actual-allowed",
            b"GET",
            vec![(ORIGIN, b"https://app.example.com")],
        ),
        (
            "actual-refused",
            b"GET",
            vec![(ORIGIN, b"https://evil.example")],
        ),
        ("not-cors", b"GET", vec![]),
        (
            "preflight-allowed-3-headers",
            b"OPTIONS",
            vec![
                (ORIGIN, b"https://app.example.com"),
                (ACRM, b"PUT"),
                (ACRH, b"authorization,content-type,x-request-id"),
            ],
        ),
        (
            "preflight-allowed-3-headers-other-form",
            b"OPTIONS",
            vec![
                (ORIGIN, b"https://app.example.com"),
                (ACRM, b"PUT"),
                (ACRH, b"content-type, x-request-id, authorization"),
            ],
        ),
        (
            "preflight-refused",
            b"OPTIONS",
            vec![(ORIGIN, b"https://evil.example"), (ACRM, b"PUT")],
        ),
        (
            "preflight-header-refused",
            b"OPTIONS",
            vec![
                (ORIGIN, b"https://app.example.com"),
                (ACRM, b"PUT"),
                (ACRH, b"content-type, x-secret"),
            ],
        ),
        (
            "wildcard-subdomain",
            b"GET",
            vec![(ORIGIN, b"https://pr-42.preview.example.com")],
        ),
    ]
}

/// The measured region: callgrind counts only inside this function.
#[no_mangle]
#[inline(never)]
pub fn corsgate_bench_run(policy: &Policy, method: &[u8], lines: &Lines, repeats: usize) -> usize {
    let mut sum = 0;
    for _ in 0..repeats {
        let request = Request::from_headers(black_box(method), black_box(lines).iter().copied());
        let decision = black_box(policy).decide(&request);
        sum += decision.headers().map(|h| h.value.len()).sum::<usize>()
            + usize::from(decision.allowed());
    }
    sum
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cases = cases();
    match args.first().map(String::as_str) {
        Some("--list") => {
            for (name, _, _) in &cases {
                println!("{name}");
            }
        }
        Some(name) => {
            let Some((_, method, lines)) = cases.iter().find(|(n, _, _)| *n == name) else {
                eprintln!("instructions: unknown case {name:?}; see --list");
                std::process::exit(2);
            };
            let repeats = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(1000);
            let policy = policy();
            println!("{}", corsgate_bench_run(&policy, method, lines, repeats));
        }
        None => {
            eprintln!("usage: instructions --list | instructions CASE [REPEATS]");
            std::process::exit(2);
        }
    }
}
