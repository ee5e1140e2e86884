//! SPEC §6.6: deciding allocates nothing, for every conformance case.
//!
//! A counting global allocator wraps the system one; this binary has a single
//! test so no other thread allocates while a decision is measured.

use corsgate_testkit as support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers to the system allocator and only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn deciding_never_allocates() {
    let mut measured = 0;
    let mut offenders = Vec::new();
    for vector in support::load_vectors() {
        let Ok(policy) = support::build(&vector.policy) else {
            continue;
        };
        for case in &vector.cases {
            let before = ALLOCATIONS.load(Ordering::SeqCst);
            let request = support::request(case);
            let decision = policy.decide(&request);
            let mut bytes = 0;
            for h in decision.headers() {
                bytes += h.name.as_str().len() + h.value.len();
            }
            bytes += decision.vary().len();
            std::hint::black_box((bytes, decision.status(), decision.reason()));
            let after = ALLOCATIONS.load(Ordering::SeqCst);
            measured += 1;
            if after != before {
                offenders.push(format!(
                    "{} / {}: {} allocations",
                    vector.file,
                    case.name,
                    after - before
                ));
            }
        }
    }
    assert!(measured >= 200, "only {measured} cases measured");

    // Route lookup too: every route case, and paths that need rewriting.
    let mut routed = 0;
    for vector in support::load_route_vectors() {
        let Ok(set) = support::build_set(&vector.policy) else {
            continue;
        };
        let long = format!("/api/{}/../x", "%61".repeat(3000));
        let hostile = "/".repeat(1 << 16);
        let extra = ["/a/./b/../%2e%2E/c", long.as_str(), hostile.as_str()];
        for case in &vector.cases {
            for path in std::iter::once(case.path.as_str()).chain(extra) {
                let before = ALLOCATIONS.load(Ordering::SeqCst);
                let request = support::request(case);
                let decision = set.decide(path.as_bytes(), &request);
                std::hint::black_box((decision.headers().count(), decision.vary()));
                let after = ALLOCATIONS.load(Ordering::SeqCst);
                routed += 1;
                if after != before {
                    offenders.push(format!(
                        "{} / {} at {path:.40}: {} allocations",
                        vector.file,
                        case.name,
                        after - before
                    ));
                }
            }
        }
    }
    assert!(routed >= 100, "only {routed} routed cases measured");

    // Hostile input: 1 MiB in every field is refused, still without allocating.
    let policy = corsgate::Policy::builder()
        .origins(["https://app.example.com"])
        .credentials(true)
        .methods(["*"])
        .request_headers(["*"])
        .build()
        .unwrap();
    let mib = vec![b','; 1 << 20];
    let fields: [&[u8]; 4] = [
        b"origin",
        b"access-control-request-method",
        b"access-control-request-headers",
        b"access-control-request-private-network",
    ];
    for field in fields {
        let before = ALLOCATIONS.load(Ordering::SeqCst);
        let mut request = corsgate::Request::new(&mib);
        for name in fields {
            let value: &[u8] = if name == field {
                &mib
            } else if name == b"origin" {
                b"https://app.example.com"
            } else if name == b"access-control-request-method" {
                b"PUT"
            } else {
                b"x-a"
            };
            request.push_header(name, value);
        }
        let decision = policy.decide(&request);
        std::hint::black_box(decision.headers().count());
        let after = ALLOCATIONS.load(Ordering::SeqCst);
        if after != before {
            offenders.push(format!(
                "1 MiB {}: {} allocations",
                String::from_utf8_lossy(field),
                after - before
            ));
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}
