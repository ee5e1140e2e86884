//! Every SPEC §8 vector through `corsgate::tower::CorsLayer` in an axum
//! server on 127.0.0.1, over HTTP.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::routing::any;
use axum::Router;
use corsgate::tower::CorsLayer;
use corsgate_servers::{run_vectors, Recorder, INNER};
use tower::ServiceBuilder;

async fn handler() -> ([(&'static str, HeaderValue); 1], &'static str) {
    ([(INNER, HeaderValue::from_static("called"))], "ok")
}

#[tokio::test]
async fn every_vector_over_http() {
    let tally = run_vectors(|policy, _, recorder: Recorder| async move {
        let record = move |req: Request| {
            recorder.record(
                req.method().as_str(),
                req.headers()
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_bytes())),
            );
            req
        };
        let app = Router::new().route("/", any(handler)).layer(
            ServiceBuilder::new()
                .map_request(record)
                .layer(CorsLayer::from_policy(policy)),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        (addr, AbortOnDrop(server))
    })
    .await;
    tally.check("axum");
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}
