//! An axum server behind corsgate's CORS layer, with the policy from a file.
//!
//! ```text
//! cargo run --manifest-path bindings/rust/Cargo.toml --example axum -- examples/policy.toml
//! curl -i -X OPTIONS http://127.0.0.1:3000/api/things \
//!   -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: PUT'
//! ```
//!
//! An application on tower-http changes one line instead:
//! `use tower_http::cors::{AllowOrigin, CorsLayer};` becomes
//! `use corsgate::tower::{AllowOrigin, CorsLayer};`.

use axum::routing::get;
use axum::Router;
use corsgate::tower::CorsLayer;
use corsgate::Policy;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/policy.toml".to_owned());
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    // Every problem of an invalid policy at once, before serving anything.
    let policy = Policy::from_toml(&text).map_err(|e| format!("{path}: {e}"))?;

    let app = Router::new()
        .route(
            "/api/things",
            get(|| async { "[]" }).put(|| async { "saved" }),
        )
        .layer(CorsLayer::from_policy(policy));

    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{addr}");
    axum::serve(listener, app).await?;
    Ok(())
}
