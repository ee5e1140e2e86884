//! Heap allocations per request for each contender and case, counted by a
//! global allocator around exactly the work the criterion bench times (the
//! request clone is made before counting starts; dropping it is counted as
//! frees, not allocations). Each contender first handles the request a few
//! times, so thread-local pools and caches are warm, as in a server.
//!
//! Prints one JSON object per line: case, contender, allocations and bytes
//! per request, and the response headers the contender set (abbreviated).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use corsgate_peers::{
    actix_request, cases, with_actix_apps, Contenders, Layers, ACTIX, LAYERS, NAMES,
};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: defers every call to `System`, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size as u64, Relaxed);
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const WARM_UP: usize = 16;
const ROUNDS: usize = 256;

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() {
    for case in cases() {
        let mut contenders = Contenders::new(case.config);
        let answers = contenders.answers(&case.request);
        for (which, name) in NAMES.iter().enumerate() {
            for _ in 0..WARM_UP {
                contenders.handle(which, case.request.clone());
            }
            let requests: Vec<_> = (0..ROUNDS).map(|_| case.request.clone()).collect();
            let (allocs, bytes) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
            for req in requests {
                contenders.handle(which, req);
            }
            let allocs = ALLOCS.load(Relaxed) - allocs;
            let bytes = BYTES.load(Relaxed) - bytes;
            println!(
                "{{\"case\": {}, \"contender\": {}, \"allocs\": {}, \"bytes\": {}, \"headers\": {}}}",
                json_str(case.name),
                json_str(name),
                allocs as f64 / ROUNDS as f64,
                bytes as f64 / ROUNDS as f64,
                json_str(&answers[which]),
            );
        }
        with_actix_apps(case.config, |which, run| {
            for _ in 0..WARM_UP {
                run(actix_request(&case.request));
            }
            let requests: Vec<_> = (0..ROUNDS).map(|_| actix_request(&case.request)).collect();
            let (allocs, bytes) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
            for req in requests {
                run(req);
            }
            let allocs = ALLOCS.load(Relaxed) - allocs;
            let bytes = BYTES.load(Relaxed) - bytes;
            println!(
                "{{\"case\": {}, \"contender\": {}, \"allocs\": {}, \"bytes\": {}}}",
                json_str(case.name),
                json_str(ACTIX[which]),
                allocs as f64 / ROUNDS as f64,
                bytes as f64 / ROUNDS as f64,
            );
        });
        let mut layers = Layers::new(case.config);
        for (which, name) in LAYERS.iter().enumerate() {
            for _ in 0..WARM_UP {
                layers.handle(which, case.request.clone());
            }
            let requests: Vec<_> = (0..ROUNDS).map(|_| case.request.clone()).collect();
            let (allocs, bytes) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed));
            for req in requests {
                layers.handle(which, req);
            }
            let allocs = ALLOCS.load(Relaxed) - allocs;
            let bytes = BYTES.load(Relaxed) - bytes;
            println!(
                "{{\"case\": {}, \"contender\": {}, \"allocs\": {}, \"bytes\": {}}}",
                json_str(case.name),
                json_str(name),
                allocs as f64 / ROUNDS as f64,
                bytes as f64 / ROUNDS as f64,
            );
        }
    }
}
