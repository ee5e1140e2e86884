//! The layer allocates nothing of its own per request: a counting
//! allocator compares the layered service with a bare service whose
//! response already carries the same headers (what the response's
//! `HeaderMap` needs to grow is the same for both).

use std::alloc::{GlobalAlloc, Layout, System};
use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use corsgate::tower::CorsLayer;
use corsgate::Policy;
use http::{HeaderName, HeaderValue, Method, Request, Response};
use tower::{service_fn, Layer, Service};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn noop_waker() -> Waker {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(|_| RAW, |_| {}, |_| {}, |_| {});
    const RAW: RawWaker = RawWaker::new(std::ptr::null(), &VTABLE);
    // SAFETY: every function of the vtable does nothing.
    unsafe { Waker::from_raw(RAW) }
}

fn ready<F: Future>(f: F) -> F::Output {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    match pin!(f).poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the future is not ready"),
    }
}

const ROUNDS: usize = 200;

/// Allocations per request of `svc` over prepared requests.
fn per_request<S>(mut svc: S, make: &dyn Fn() -> Request<()>) -> usize
where
    S: Service<Request<()>, Response = Response<String>, Error = Infallible>,
{
    let requests: Vec<_> = (0..ROUNDS).map(|_| make()).collect();
    let mut responses = Vec::with_capacity(ROUNDS);
    // Warm up once (first clones of shared values, lazy statics).
    responses.push(ready(svc.call(make())));
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for r in requests {
        responses.push(ready(svc.call(r)));
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    drop(responses);
    (after - before).div_ceil(ROUNDS)
}

/// A bare inner service: a 200 with the headers given.
fn bare(
    headers: Vec<(HeaderName, HeaderValue)>,
) -> impl Service<Request<()>, Response = Response<String>, Error = Infallible> + Clone {
    service_fn(move |_req: Request<()>| {
        let mut res = Response::new(String::new());
        for (n, v) in &headers {
            res.headers_mut().append(n.clone(), v.clone());
        }
        std::future::ready(Ok::<_, Infallible>(res))
    })
}

fn request(method: Method, headers: &[(&'static str, &'static str)]) -> Request<()> {
    let mut r = Request::builder().method(method).uri("/");
    for (n, v) in headers {
        r = r.header(*n, HeaderValue::from_static(v));
    }
    r.body(()).unwrap()
}

const APP: &str = "https://app.example.com";

/// A case: its name, the policy, the method and the request headers.
type Case = (
    &'static str,
    Policy,
    Method,
    Vec<(&'static str, &'static str)>,
);

#[test]
fn the_layer_adds_no_allocation_of_its_own() {
    let policy = || {
        Policy::from_toml(&format!(
            "origins = [\"{APP}\"]\ncredentials = true\nmethods = [\"PUT\"]\n\
             request_headers = [\"content-type\"]\nexpose_headers = [\"x-request-id\"]\nmax_age = 600"
        ))
        .unwrap()
    };
    let any = || Policy::from_toml("origins = [\"*\"]\nrequest_headers = [\"*\"]").unwrap();
    let cases: [Case; 6] = [
        (
            "actual allowed",
            policy(),
            Method::GET,
            vec![("origin", APP)],
        ),
        (
            "actual refused",
            policy(),
            Method::GET,
            vec![("origin", "https://evil.example")],
        ),
        ("no Origin", policy(), Method::GET, vec![]),
        (
            "preflight allowed",
            policy(),
            Method::OPTIONS,
            vec![
                ("origin", APP),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "content-type"),
            ],
        ),
        (
            "preflight refused",
            policy(),
            Method::OPTIONS,
            vec![("origin", APP), ("access-control-request-method", "DELETE")],
        ),
        (
            "wildcard preflight",
            any(),
            Method::OPTIONS,
            vec![
                ("origin", APP),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "x-a, x-b"),
            ],
        ),
    ];
    let mut report = Vec::new();
    for (name, policy, method, headers) in cases {
        let layer = CorsLayer::from_policy(policy);
        let make = || request(method.clone(), &headers);
        // What the layered service answers, to give the bare one.
        let answer = ready(layer.layer(bare(vec![])).call(make())).unwrap();
        let same: Vec<_> = answer
            .headers()
            .iter()
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let layered = per_request(layer.layer(bare(vec![])), &make);
        let bare_same = per_request(bare(same.clone()), &make);
        report.push(format!(
            "{name}: layered {layered}, bare with the same {} headers {bare_same}",
            same.len()
        ));
        assert!(
            layered <= bare_same,
            "{name}: the layer allocates {layered} per request, the same response built bare {bare_same}"
        );
    }
    println!("{}", report.join("\n"));
}
