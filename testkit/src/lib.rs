//! What every Rust test of corsgate shares, written once: the SPEC §8
//! conformance vectors ([`vectors`]), the one normalise-and-compare of a
//! decision with a case's `expect` ([`compare`], the rules of
//! `tests/conformance/README.md`), and the slow, obviously-correct reading
//! of SPEC §5 that property and fuzz tests check the engine against
//! ([`oracle`]).

pub mod compare;
pub mod oracle;
pub mod vectors;

pub use compare::{compare, Observed};
pub use vectors::{build, build_set, load_route_vectors, load_vectors, request, Case, Vector};
