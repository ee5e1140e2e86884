//! `decide` on arbitrary method and header bytes against every conformance
//! policy: SPEC §6 invariants, and agreement with the naive oracle.
#![no_main]

use corsgate_fuzz::{conformance_policies, decode_request, oracle};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let policies = conformance_policies();
    let policy = &policies[usize::from(which) % policies.len()];
    let (method, lines) = decode_request(rest);
    if let Err(e) = oracle::verify(policy, None, &method, &lines) {
        panic!("{e}\nmethod {method:?}\nlines {lines:?}");
    }
});
