//! Policy parsing from arbitrary JSON and TOML: never a panic, every refusal
//! explained, and every policy that builds safe to serve.
#![no_main]

use corsgate::PolicyBuilder;
use corsgate_fuzz::{decode_request, oracle};
use libfuzzer_sys::fuzz_target;

const REQUESTS: [&[u8]; 4] = [
    b"GET\xff\x00https://app.example.com\xff",
    b"OPTIONS\xff\x00https://a.example.com\xff\x01PUT\xff\x02content-type,x-a\xff\x03true\xff",
    b"OPTIONS\xff\x00null\xff\x01patch\xff\x02Authorization\xff",
    b"POST\xff\x00http://localhost:8080\xff",
];

fuzz_target!(|data: &[u8]| {
    let Some((&format, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let builder = if format % 2 == 0 {
        PolicyBuilder::from_json(&text)
    } else {
        PolicyBuilder::from_toml(&text)
    };
    match builder.build() {
        Err(err) => {
            assert!(!err.problems().is_empty());
            for p in err.problems() {
                assert!(!p.message.is_empty() && !p.fix.is_empty(), "{p:?}");
            }
        }
        Ok(policy) => {
            let _ = policy.lint();
            for request in REQUESTS {
                let (method, lines) = decode_request(request);
                if let Err(e) = oracle::verify(&policy, None, &method, &lines) {
                    panic!("{e}\npolicy {:?}\nlines {lines:?}", policy.config());
                }
            }
        }
    }
});
