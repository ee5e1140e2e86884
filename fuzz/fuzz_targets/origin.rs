//! The origin grammar and matcher: a valid origin, listed alone, is allowed
//! exactly; as a `*.` or `:*` pattern it admits only what the oracle admits.
#![no_main]

use corsgate::{is_valid_origin, Policy};
use corsgate_fuzz::oracle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First line: configured entry; second: request Origin.
    let mut parts = data.splitn(2, |&b| b == b'\n');
    let configured = parts.next().unwrap_or_default();
    let requested = parts.next().unwrap_or(configured);
    let _ = is_valid_origin(requested);
    let Ok(text) = std::str::from_utf8(configured) else {
        return;
    };
    let Ok(policy) = Policy::builder().origins([text]).build() else {
        assert!(
            !is_valid_origin(configured) || text == "null",
            "{text:?} is valid but refused"
        );
        return;
    };
    let lines = vec![(b"origin".to_vec(), requested.to_vec())];
    if let Err(e) = oracle::verify(&policy, None, b"GET", &lines) {
        panic!("{e}\nconfigured {text:?}\nrequested {requested:?}");
    }
    if is_valid_origin(configured) {
        let own = vec![(b"origin".to_vec(), configured.to_vec())];
        assert!(policy
            .decide(&corsgate::Request::from_headers(
                b"GET",
                own.iter().map(|(n, v)| (n.as_slice(), v.as_slice()))
            ))
            .allowed());
    }
});
