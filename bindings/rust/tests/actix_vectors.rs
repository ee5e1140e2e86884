//! Every SPEC §8 vector through `corsgate::actix::Cors` in an actix-web
//! server on 127.0.0.1, over HTTP.

use std::net::TcpListener;

use actix_web::dev::Service;
use actix_web::{web, App, HttpResponse, HttpServer};
use corsgate::actix::Cors;
use corsgate_servers::{run_vectors, Recorder, INNER};
use serde_json::Value;

async fn handler() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((INNER, "called"))
        .body("ok")
}

fn serve(
    policy: Value,
    recorder: Recorder,
) -> (std::net::SocketAddr, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = HttpServer::new(move || {
        let recorder = recorder.clone();
        let policy = corsgate_testkit::build(&policy).expect("a valid vector policy");
        App::new()
            .wrap(Cors::from_policy(policy))
            .wrap_fn(move |req, srv| {
                recorder.record(
                    req.method().as_str(),
                    req.headers()
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_bytes())),
                );
                srv.call(req)
            })
            .default_service(web::to(handler))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (addr, handle)
}

struct Stop(actix_web::dev::ServerHandle);

impl Drop for Stop {
    fn drop(&mut self) {
        drop(self.0.stop(false));
    }
}

#[test]
fn every_vector_over_http() {
    actix_web::rt::System::new().block_on(async {
        // Each worker builds its own middleware, so the policy goes as written.
        let tally = run_vectors(|_, policy, recorder: Recorder| async move {
            let (addr, handle) = serve(policy, recorder);
            (addr, Stop(handle))
        })
        .await;
        tally.check("actix-web");
    });
}
