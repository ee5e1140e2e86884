//! An actix-web server behind corsgate's CORS middleware, with the policy
//! from a file.
//!
//! ```text
//! cargo run --manifest-path bindings/rust/Cargo.toml --example actix -- examples/policy.toml
//! curl -i -X OPTIONS http://127.0.0.1:3000/api/things \
//!   -H 'Origin: https://app.example.com' -H 'Access-Control-Request-Method: PUT'
//! ```
//!
//! An application on actix-cors changes one line instead:
//! `use actix_cors::Cors;` becomes `use corsgate::actix::Cors;`.

use std::sync::Arc;

use actix_web::{web, App, HttpResponse, HttpServer};
use corsgate::actix::Cors;
use corsgate::Policy;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "examples/policy.toml".to_owned());
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    // Every problem of an invalid policy at once, before serving anything;
    // the workers share the one compiled policy.
    let policy = Arc::new(Policy::from_toml(&text).map_err(|e| format!("{path}: {e}"))?);
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    println!("listening on http://{addr}");
    actix_web::rt::System::new().block_on(
        HttpServer::new(move || {
            App::new().wrap(Cors::from_policy(policy.clone())).route(
                "/api/things",
                web::get().to(|| async { HttpResponse::Ok().body("[]") }),
            )
        })
        .bind(&addr)?
        .run(),
    )?;
    Ok(())
}
