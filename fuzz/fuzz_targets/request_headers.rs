//! The `Access-Control-Request-Headers` list parser, over many lines, under a
//! credentialed `*` (names echoed) and under a fixed list.
#![no_main]

use std::sync::OnceLock;

use corsgate::Policy;
use corsgate_fuzz::oracle;
use libfuzzer_sys::fuzz_target;

fn policies() -> &'static [Policy; 2] {
    static P: OnceLock<[Policy; 2]> = OnceLock::new();
    P.get_or_init(|| {
        [
            Policy::builder()
                .origins(["https://app.example.com"])
                .credentials(true)
                .methods(["PUT"])
                .request_headers(["*", "authorization"])
                .build()
                .unwrap(),
            Policy::builder()
                .origins(["https://app.example.com"])
                .request_headers(["content-type", "x-request-id", "Authorization"])
                .build()
                .unwrap(),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let policy = &policies()[usize::from(which) % 2];
    let mut lines = vec![
        (b"origin".to_vec(), b"https://app.example.com".to_vec()),
        (b"access-control-request-method".to_vec(), b"PUT".to_vec()),
    ];
    for line in rest.split(|&b| b == b'\n') {
        lines.push((b"access-control-request-headers".to_vec(), line.to_vec()));
    }
    if let Err(e) = oracle::verify(policy, None, b"OPTIONS", &lines) {
        panic!("{e}\nlines {lines:?}");
    }
});
