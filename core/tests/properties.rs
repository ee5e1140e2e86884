//! Property tests: the SPEC §6 invariants over arbitrary request bytes and
//! random valid policies, and agreement with the naive oracle (SPEC §5).

use corsgate_testkit::oracle;

use corsgate::{PolicyBuilder, PolicyConfig, Request};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

const ORIGINS: &[&str] = &[
    "https://app.example.com",
    "https://*.example.com",
    "http://localhost:*",
    "https://*.example.org:*",
    "http://[::1]:8080",
    "https://xn--bcher-kva.example",
    "http://127.0.0.1:3000",
    "http://plain.example",
    "null",
];

const REQUEST_ORIGINS: &[&str] = &[
    "https://app.example.com",
    "https://app.example.com",
    "https://app.example.com",
    "https://app.example.com",
    "https://a.example.com",
    "https://a.example.com",
    "http://localhost:5173",
    "https://a.example.com",
    "https://a.b.example.com",
    "https://example.com",
    "https://a.example.org:8443",
    "https://a.example.org",
    "http://localhost:5173",
    "http://localhost",
    "http://[::1]:8080",
    "https://x.tenant.example",
    "http://x.tenant.example",
    "https://xn--bcher-kva.example",
    "http://127.0.0.1:3000",
    "http://plain.example",
    "null",
    " https://app.example.com\t",
    "https://APP.example.com",
    "https://app.example.com:443",
    "https://app.example.com/",
    "https://evilexample.com",
    "https://example.com.evil",
    "https://app.example.com, https://a.example.com",
    "",
];

fn policy_config() -> impl Strategy<Value = (PolicyConfig, bool)> {
    let origins = prop_oneof![
        1 => Just(vec!["*".to_owned()]),
        4 => subsequence(ORIGINS, 0..5).prop_map(|v| v.into_iter().map(String::from).collect()),
    ];
    let methods = prop_oneof![
        1 => Just(vec!["*".to_owned()]),
        3 => subsequence(&["PUT", "patch", "DELETE", "put", "X-Custom", "GET"][..], 0..4)
            .prop_map(|v| v.into_iter().map(String::from).collect()),
    ];
    let request_headers = (
        any::<bool>(),
        // Enough names of equal and different lengths to exercise the
        // engine's sorted lookup.
        subsequence(
            &[
                "content-type",
                "X-Request-Id",
                "authorization",
                "x-other",
                "x-a",
                "X-B",
                "x-trace",
                "accept-language",
            ][..],
            0..8,
        ),
    )
        .prop_map(|(star, names)| {
            if star {
                let mut v = vec!["*".to_owned()];
                if names.contains(&"authorization") {
                    v.push("authorization".into());
                }
                v
            } else {
                names.into_iter().map(String::from).collect()
            }
        });
    let expose = prop_oneof![
        1 => Just(vec!["*".to_owned()]),
        3 => subsequence(&["x-request-id", "Retry-After"][..], 0..2)
            .prop_map(|v| v.into_iter().map(String::from).collect()),
    ];
    (
        origins,
        any::<bool>(),
        methods,
        request_headers,
        expose,
        prop::option::of(0i64..=86_400),
        select(&[200i64, 204, 299][..]),
        (
            any::<bool>(),
            prop::option::of(Just("01:23:45:67:89:0A".to_owned())),
            prop::option::of(Just("printer".to_owned())),
        ),
        (any::<bool>(), any::<bool>()),
        any::<bool>(),
    )
        .prop_map(
            |(
                mut origins,
                credentials,
                methods,
                request_headers,
                mut expose_headers,
                max_age,
                status,
                mut pn,
                dangerous,
                mut predicate,
            )| {
                // Steer towards policies that build, so requests get decided.
                if credentials && origins == ["*"] {
                    origins = vec![
                        "https://app.example.com".into(),
                        "https://*.example.com".into(),
                    ];
                }
                if credentials && expose_headers == ["*"] {
                    expose_headers.clear();
                }
                if origins == ["*"] {
                    pn.0 = false;
                    predicate = false;
                }
                predicate |= origins.is_empty();
                if origins != ["*"] && !origins.iter().any(|o| o == "https://app.example.com") {
                    origins.insert(0, "https://app.example.com".into());
                }
                let allow_null = origins.iter().any(|o| o == "null");
                let mut config = PolicyConfig::default();
                config.origins = origins;
                config.credentials = credentials;
                config.methods = methods;
                config.request_headers = request_headers;
                config.expose_headers = expose_headers;
                config.max_age = max_age;
                config.preflight_status = status;
                config.private_network.allow = pn.0;
                config.private_network.id = pn.1;
                config.private_network.name = pn.2;
                config.dangerous.allow_null_origin = allow_null;
                config.dangerous.allow_insecure_origins_with_credentials = dangerous.0;
                config
                    .dangerous
                    .allow_public_suffix_wildcards_with_credentials = dangerous.1;
                (config, predicate)
            },
        )
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn from_pool(
    pool: &'static [&'static str],
    max_arbitrary: usize,
) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        12 => select(pool).prop_map(|s| s.as_bytes().to_vec()),
        1 => bytes(max_arbitrary),
    ]
}

fn request_headers_line() -> impl Strategy<Value = Vec<u8>> {
    const NAMES: &[&str] = &[
        "content-type",
        "X-Request-Id",
        "authorization",
        "Authorization",
        "cookie",
        "sec-x",
        "*",
        "x-other",
        "X-A",
        "x-b",
        "X-TRACE",
        "x-c",
        "",
        "bad name",
        "x(y)",
    ];
    prop_oneof![
        4 => (prop::collection::vec(select(NAMES), 0..5), select(&[",", ", ", " ,", "\t,"][..]))
            .prop_map(|(n, sep)| n.join(sep).into_bytes()),
        1 => bytes(40),
    ]
}

/// A request as header lines: (name, value) with the CORS names in random case.
/// Header lines as (name, value) bytes.
type Lines = Vec<(Vec<u8>, Vec<u8>)>;

fn request() -> impl Strategy<Value = (Vec<u8>, Lines)> {
    let method = prop_oneof![
        6 => select(&["GET", "OPTIONS", "OPTIONS", "OPTIONS", "POST", "options", "PUT"][..]).prop_map(|s| s.as_bytes().to_vec()),
        1 => bytes(10),
    ];
    (
        method,
        lines_count(1, 8, 1)
            .prop_flat_map(|n| prop::collection::vec(from_pool(REQUEST_ORIGINS, 30), n)),
        lines_count(1, 6, 1).prop_flat_map(|n| {
            prop::collection::vec(
                from_pool(
                    &[
                        "PUT", "patch", "PATCH", "*", "TRACE", "GET", " DELETE ", "", "X-Custom",
                    ],
                    10,
                ),
                n,
            )
        }),
        prop::collection::vec(request_headers_line(), 0..3),
        prop::collection::vec(from_pool(&["true", "false", " true"], 6), 0..2),
        any::<bool>(),
    )
        .prop_map(|(method, origins, acrm, acrh, acrpn, upper)| {
            let name = |n: &str| {
                if upper {
                    n.to_ascii_uppercase().into_bytes()
                } else {
                    n.as_bytes().to_vec()
                }
            };
            let mut lines = vec![(b"Host".to_vec(), b"api.example.com".to_vec())];
            lines.extend(origins.into_iter().map(|v| (name("Origin"), v)));
            lines.extend(
                acrm.into_iter()
                    .map(|v| (name("Access-Control-Request-Method"), v)),
            );
            lines.extend(
                acrh.into_iter()
                    .map(|v| (name("Access-Control-Request-Headers"), v)),
            );
            lines.extend(
                acrpn
                    .into_iter()
                    .map(|v| (name("Access-Control-Request-Private-Network"), v)),
            );
            (method, lines)
        })
}

/// A line count of 0, 1 or 2 with the given weights.
fn lines_count(none: u32, one: u32, two: u32) -> impl Strategy<Value = usize> {
    prop_oneof![none => Just(0usize), one => Just(1usize), two => Just(2usize)]
}

fn tenant_predicate(origin: &str) -> bool {
    origin.contains(".tenant.example")
}

fn check(
    config: &PolicyConfig,
    with_predicate: bool,
    method: &[u8],
    lines: &[(Vec<u8>, Vec<u8>)],
) -> Result<(), TestCaseError> {
    let mut builder = PolicyBuilder::from_config(config.clone());
    if with_predicate {
        builder = builder.origin_predicate(tenant_predicate);
    }
    let Ok(policy) = builder.build() else {
        return Ok(()); // an invalid combination: nothing to decide
    };
    let predicate: Option<&dyn Fn(&str) -> bool> = if with_predicate {
        Some(&tenant_predicate)
    } else {
        None
    };
    oracle::verify(&policy, predicate, method, lines).map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_oracle_and_keeps_invariants((config, predicate) in policy_config(), (method, lines) in request()) {
        check(&config, predicate, &method, &lines)?;
    }

    #[test]
    fn arbitrary_bytes_everywhere(
        (config, predicate) in policy_config(),
        method in bytes(12),
        lines in prop::collection::vec(
            (select(&["Origin", "access-control-request-method", "Access-Control-Request-Headers", "access-control-request-private-network", "X-Other"][..]), bytes(80)),
            0..8,
        ),
    ) {
        let lines: Vec<(Vec<u8>, Vec<u8>)> = lines.into_iter().map(|(n, v)| (n.as_bytes().to_vec(), v)).collect();
        check(&config, predicate, &method, &lines)?;
    }
}

/// Names of several lengths, some equal in length and one longer than 64
/// bytes, for the request header list property below.
const HEADER_NAMES: &[&str] = &[
    "x-a",
    "x-b",
    "x-c",
    "x-ab",
    "x-trace",
    "x-other",
    "content-type",
    "x-request-id",
    "accept-language",
    "x-correlation-id",
    "x-a-header-name-longer-than-the-engine-folds-on-the-stack-0123456789",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Every preflight here passes the origin and method checks, so the
    /// verdict rests on the requested names alone: allowed exactly when each
    /// one, compared without case, is configured.
    #[test]
    fn requested_names_match_configured_names_without_case(
        configured in subsequence(HEADER_NAMES, 0..=HEADER_NAMES.len()),
        upper_configured in any::<bool>(),
        requested in prop::collection::vec((select(HEADER_NAMES), any::<u8>()), 0..12),
        browser_form in any::<bool>(),
    ) {
        let configured_names: Vec<String> = configured
            .iter()
            .map(|n| if upper_configured { n.to_ascii_uppercase() } else { (*n).to_owned() })
            .collect();
        let policy = PolicyBuilder::new()
            .origins(["https://app.example.com"])
            .request_headers(configured_names)
            .build()
            .unwrap();
        // Each requested name in a case pattern of its own.
        let names: Vec<String> = requested
            .iter()
            .map(|(n, bits)| {
                n.chars()
                    .enumerate()
                    .map(|(i, c)| if bits >> (i % 8) & 1 == 1 { c.to_ascii_uppercase() } else { c })
                    .collect()
            })
            .collect();
        // A browser's own form (lowercase, sorted, distinct, joined by `,`)
        // takes the engine's precomputed-list path; the other forms its scanner.
        let acrh = if browser_form {
            let mut lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
            lower.sort();
            lower.dedup();
            lower.join(",")
        } else {
            names.join(", ")
        };
        let lines = vec![
            (b"Origin".to_vec(), b"https://app.example.com".to_vec()),
            (b"Access-Control-Request-Method".to_vec(), b"GET".to_vec()),
            (b"Access-Control-Request-Headers".to_vec(), acrh.clone().into_bytes()),
        ];
        let request = Request::from_headers(
            b"OPTIONS",
            lines.iter().map(|(n, v)| (n.as_slice(), v.as_slice())),
        );
        let expected = requested.iter().all(|(n, _)| configured.contains(n));
        prop_assert_eq!(policy.decide(&request).allowed(), expected, "requested {:?}", acrh);
        oracle::verify(&policy, None, b"OPTIONS", &lines).map_err(TestCaseError::fail)?;
    }
}

#[test]
fn hostile_megabyte_inputs_are_refused_without_allocating() {
    let policy = PolicyBuilder::new()
        .origins(["https://app.example.com"])
        .credentials(true)
        .methods(["*"])
        .request_headers(["*"])
        .build()
        .unwrap();
    let commas = vec![b','; 1 << 20];
    let big = vec![b'a'; 1 << 20];
    for (name, value, reason) in [
        (
            "access-control-request-headers",
            &commas,
            "invalid-request-headers",
        ),
        ("access-control-request-method", &big, "invalid-method"),
        ("origin", &big, "invalid-origin"),
    ] {
        let mut request = Request::new(b"OPTIONS")
            .header(b"origin", b"https://app.example.com")
            .header(b"access-control-request-method", b"PUT");
        if name == "origin" {
            request = Request::new(b"OPTIONS")
                .header(b"origin", value)
                .header(b"access-control-request-method", b"PUT");
        } else if name == "access-control-request-method" {
            request = Request::new(b"OPTIONS")
                .header(b"origin", b"https://app.example.com")
                .header(b"access-control-request-method", value);
        } else {
            request.push_header(name.as_bytes(), value);
        }
        let decision = policy.decide(&request);
        assert_eq!(
            decision.reason().map(|r| r.as_str()),
            Some(reason),
            "{name}"
        );
        assert_eq!(decision.headers().count(), 0);
    }
}

/// The generators must reach every outcome, or the properties above prove little.
#[test]
fn generators_reach_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut counts = std::collections::BTreeMap::new();
    for _ in 0..4000 {
        let (config, _) = policy_config().new_tree(&mut runner).unwrap().current();
        let (method, lines) = request().new_tree(&mut runner).unwrap().current();
        let Ok(policy) = PolicyBuilder::from_config(config).build() else {
            continue;
        };
        let request = Request::from_headers(
            &method,
            lines.iter().map(|(n, v)| (n.as_slice(), v.as_slice())),
        );
        let d = policy.decide(&request);
        let key = format!(
            "{} {}",
            d.kind().as_str(),
            d.reason().map_or("allowed", |r| r.as_str())
        );
        *counts.entry(key).or_insert(0) += 1;
    }
    let mut expected = vec![
        "not-cors allowed".to_owned(),
        "actual allowed".into(),
        "preflight allowed".into(),
    ];
    for reason in corsgate::Reason::ALL {
        expected.push(format!("preflight {}", reason.as_str()));
    }
    for key in expected {
        let n = counts.get(&key).copied().unwrap_or(0);
        assert!(n >= 20, "{key}: only {n} samples in {counts:#?}");
    }
}
