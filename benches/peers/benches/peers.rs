//! corsgate vs tower-http's `CorsLayer` vs bunner_cors_rs: one criterion group
//! per case, each contender given a clone of the same `http::Request<()>` made
//! outside the timed region (see the crate docs for what is timed). `baseline`
//! is the floor they all share: taking that clone and dropping it.

use std::hint::black_box;

use corsgate_peers::{
    actix_request, bunner_handle, cases, corsgate_handle, tower_handle, with_actix_apps,
    Contenders, Layers, ACTIX, LAYERS,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

fn compare(c: &mut Criterion) {
    for case in cases() {
        let Contenders {
            corsgate,
            mut tower,
            bunner,
        } = Contenders::new(case.config);
        let request = &case.request;
        let mut group = c.benchmark_group(format!("vs peers: {}", case.name));
        group.bench_function("corsgate", |b| {
            b.iter_batched(
                || request.clone(),
                |req| corsgate_handle(&corsgate, black_box(req)),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("tower-http", |b| {
            b.iter_batched(
                || request.clone(),
                |req| tower_handle(&mut tower, black_box(req)),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("bunner_cors_rs", |b| {
            b.iter_batched(
                || request.clone(),
                |req| bunner_handle(&bunner, black_box(req)),
                BatchSize::SmallInput,
            )
        });
        group.bench_function("baseline", |b| {
            b.iter_batched(
                || request.clone(),
                |req| drop(black_box(req)),
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

/// The layers: the same inner service bare, behind tower-http's
/// `CorsLayer` and behind `corsgate::tower::CorsLayer`, one group per case.
fn layers(c: &mut Criterion) {
    for case in cases() {
        let mut layers = Layers::new(case.config);
        let request = &case.request;
        let mut group = c.benchmark_group(format!("layer: {}", case.name));
        for (which, name) in LAYERS.iter().enumerate() {
            group.bench_function(*name, |b| {
                b.iter_batched(
                    || request.clone(),
                    |req| layers.handle(which, black_box(req)),
                    BatchSize::SmallInput,
                )
            });
        }
        group.finish();
    }
}

/// actix-web: the same application bare, behind actix-cors and behind
/// `corsgate::actix::Cors`, one group per case.
fn actix(c: &mut Criterion) {
    for case in cases() {
        let request = &case.request;
        let mut group = c.benchmark_group(format!("actix: {}", case.name));
        with_actix_apps(case.config, |which, run| {
            group.bench_function(ACTIX[which], |b| {
                b.iter_batched(
                    || actix_request(request),
                    |req| run(black_box(req)),
                    BatchSize::SmallInput,
                )
            });
        });
        group.finish();
    }
}

criterion_group!(benches, compare, layers, actix);
criterion_main!(benches);
