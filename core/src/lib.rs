//! # corsgate
//!
//! One CORS engine for every server. Give it a request's method and its
//! `Origin` and `Access-Control-Request-*` headers; it returns the exact
//! response headers, the status of a preflight, the `Vary` tokens to merge
//! and, for a refusal, the reason — without touching the heap.
//!
//! ```
//! use corsgate::{Policy, Request};
//!
//! let policy = Policy::from_json(r#"{
//!     "origins": ["https://app.example.com"],
//!     "credentials": true,
//!     "methods": ["PUT"],
//!     "expose_headers": ["x-request-id"]
//! }"#)?;
//!
//! let request = Request::new(b"GET").header(b"Origin", b"https://app.example.com");
//! let decision = policy.decide(&request);
//! assert!(decision.allowed());
//! let headers: Vec<_> = decision
//!     .headers()
//!     .map(|h| (h.name.as_str(), std::str::from_utf8(h.value).unwrap()))
//!     .collect();
//! assert_eq!(headers, [
//!     ("Access-Control-Allow-Origin", "https://app.example.com"),
//!     ("Access-Control-Allow-Credentials", "true"),
//!     ("Access-Control-Expose-Headers", "x-request-id"),
//! ]);
//! assert_eq!(decision.vary(), ["Origin"]);
//! # Ok::<(), corsgate::PolicyError>(())
//! ```
//!
//! ## Why
//!
//! Every framework ships its own CORS code, and the same bugs recur: `*` sent
//! with credentials, `Vary` overwritten, a refused preflight answered 200, an
//! `Origin` reflected unchecked, a panic or a quadratic scan on hostile
//! headers. corsgate makes those states unrepresentable:
//!
//! - **Policies are validated when built**, with every problem reported at
//!   once ([`PolicyError`]), each with a stable code, the offending value and
//!   a fix. A policy that builds cannot emit a forbidden combination.
//! - **Decisions borrow**: [`Policy::decide`] returns a [`Decision`] pointing
//!   at header values joined once at build time and at the request's own
//!   bytes. No allocation, no copying.
//! - **Work is bounded**: the limits in [`limits`] cap what is read, so a
//!   megabyte of commas costs a length check.
//! - **Origin matching does not slow down with more origins**: exact origins,
//!   `:*` ports and `*.` subdomains are hash lookups.
//!
//! ## The pieces
//!
//! - [`Policy`] from JSON, TOML or [`Policy::builder`]; [`PolicyConfig`] is the
//!   same policy as plain data.
//! - [`Request`] borrows the method and header lines.
//! - [`Decision`]: [`Kind`], `allowed`, `status`, [`Reason`], the headers and the
//!   `Vary` tokens.
//! - [`Decision::explain`] says why a request was refused, with the console
//!   messages Chrome and Firefox print; [`Policy::lint`] flags risky choices.
//!
//! - [`export`] writes a policy as an S3, API Gateway or CloudFront CORS
//!   configuration, listing what the target cannot express.
//!
//! ## Cargo features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `regex` | yes | `regex = "..."` routes in policy files, compiled once to a DFA (`regex-automata`); without it such a route is refused when the policy is built |
//! | `tower` | no | `corsgate::tower`: `CorsLayer` for axum, hyper, tonic and other tower stacks, with tower-http's builder (`http` 1, `tower-layer`, `tower-service`) |
//! | `actix` | no | `corsgate::actix`: `Cors` middleware for actix-web 4, with actix-cors's builder |
//!
//! The behaviour contract is the project's SPEC; where it is silent, the
//! [Fetch standard](https://fetch.spec.whatwg.org/#http-cors-protocol) decides.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "actix")]
pub mod actix;
mod ascii;
mod config;
pub mod console;
mod decide;
mod decision;
mod error;
mod explain;
pub mod export;
pub mod fetch;
mod hash;
pub mod host;
pub mod limits;
mod lint;
mod origin;
mod policy;
mod request;
mod response;
mod routes;
#[cfg(feature = "tower")]
pub mod tower;

pub use config::{DangerousConfig, FormatConfig, PolicyConfig, PrivateNetworkConfig, POLICY_KEYS};
pub use decide::Answer;
pub use decision::{Check, Decision, Headers, Kind, Reason, Refusal};
pub use error::{ErrorCode, Finding, Naming, PolicyError, Problem, Warning, WarningCode};
pub use explain::{escape, Explanation, Initiator};
pub use origin::Flaw as OriginFlaw;
pub use policy::{OriginPredicate, Policy, PolicyBuilder};
pub use request::{Request, RequestHeader, CORS_REQUEST_HEADERS};
pub use response::{Header, HeaderName, Source};
pub use routes::{Configure, PolicySet, PolicySetBuilder, Route, ROUTE_FILE_KEYS, ROUTE_KEYS};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

/// The crate's README (what crates.io shows), compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Whether `origin` is a canonical serialized origin as browsers send it
/// (SPEC §3); `null` is not.
pub fn is_valid_origin(origin: &[u8]) -> bool {
    origin::parse(origin, false).is_ok()
}
