//! Patterns that share a prefix or suffix with other origins match only the
//! origins they mean (the class of jub0bs/cors GHSA-vhxv-fg4m-p2w8).

use corsgate::{Policy, Request};

/// (configured patterns, request origin, allowed?)
const TABLE: &[(&[&str], &str, bool)] = &[
    (&["https://foo.com"], "https://foo.com", true),
    (&["https://foo.com"], "https://barfoo.com", false),
    (&["https://foo.com"], "https://foo.com.evil", false),
    (&["https://foo.com"], "https://foo.co", false),
    (&["https://foo.com"], "https://foo.comm", false),
    (&["https://foo.com"], "http://foo.com", false),
    (&["https://foo.com"], "https://foo.com:443", false),
    (&["https://foo.com"], "https://foo.com:8443", false),
    (&["https://foo.com"], "https://foo.com.", false),
    (&["https://foo.com"], "https://FOO.com", false),
    (&["https://foo.com"], "https://sub.foo.com", false),
    (&["https://*.example.com"], "https://a.example.com", true),
    (&["https://*.example.com"], "https://a.b.example.com", true),
    (&["https://*.example.com"], "https://example.com", false),
    (&["https://*.example.com"], "https://fooexample.com", false),
    (
        &["https://*.example.com"],
        "https://a.example.com.evil",
        false,
    ),
    (
        &["https://*.example.com"],
        "https://example.com.evil",
        false,
    ),
    (&["https://*.example.com"], "https://a.example.co", false),
    (&["https://*.example.com"], "https://.example.com", false),
    (&["https://*.example.com"], "https://a..example.com", false),
    (&["https://*.example.com"], "http://a.example.com", false),
    (
        &["https://*.example.com"],
        "https://a.example.com:8443",
        false,
    ),
    (&["https://*.example.com"], "https://a.example.com.", false),
    (&["https://*.example.com"], "https://-a.example.com", false),
    (
        &["https://*.example.com:*"],
        "https://a.example.com:8443",
        true,
    ),
    (&["https://*.example.com:*"], "https://a.example.com", true),
    (
        &["https://*.example.com:*"],
        "https://example.com:8443",
        false,
    ),
    (
        &["https://*.example.com:8443"],
        "https://a.example.com:8443",
        true,
    ),
    (
        &["https://*.example.com:8443"],
        "https://a.example.com:8444",
        false,
    ),
    (
        &["https://*.example.com:8443"],
        "https://a.example.com",
        false,
    ),
    (&["http://localhost:*"], "http://localhost", true),
    (&["http://localhost:*"], "http://localhost:3000", true),
    (&["http://localhost:*"], "http://localhost.evil:3000", false),
    (&["http://localhost:*"], "http://evil-localhost:3000", false),
    (&["http://localhost:*"], "https://localhost:3000", false),
    (&["http://localhost:*"], "http://localhost:0", false),
    (&["http://localhost:*"], "http://localhost:65536", false),
    (&["http://localhost:*"], "http://localhost:03000", false),
    (&["http://localhost:*"], "http://a.localhost:3000", false),
    (&["http://[::1]:8080"], "http://[::1]:8080", true),
    (
        &["http://[::1]:8080"],
        "http://[0:0:0:0:0:0:0:1]:8080",
        false,
    ),
    (&["http://[::1]:8080"], "http://[::1%25eth0]:8080", false),
    (&["http://[::1]:8080"], "http://[::1]:80800", false),
    (&["http://[::1]:*"], "http://[::1]:9", true),
    (&["http://[::1]:*"], "http://[::2]:9", false),
    (&["http://127.0.0.1:*"], "http://127.0.0.1:5000", true),
    (&["http://127.0.0.1:*"], "http://127.0.0.10:5000", false),
    (
        &["http://127.0.0.1:*"],
        "http://127.000.000.001:5000",
        false,
    ),
    (
        &["https://*.xn--bcher-kva.example"],
        "https://a.xn--bcher-kva.example",
        true,
    ),
    (
        &["https://*.xn--bcher-kva.example"],
        "https://a.bücher.example",
        false,
    ),
    (
        &["https://*.xn--bcher-kva.example"],
        "https://xn--bcher-kva.example",
        false,
    ),
    (
        &["https://a.example", "https://b.example"],
        "https://a.example, https://b.example",
        false,
    ),
    (&["https://a.example"], "https://a.example\u{0}", false),
    (&["https://a.example"], "https://a.example/", false),
    (&["https://a.example"], "https://user@a.example", false),
];

/// Unrelated exact origins that push a policy past the few exact origins the
/// engine compares one by one, so that its hash lookup answers instead.
const PADDING: [&str; 5] = [
    "https://pad1.example.org",
    "https://pad2.example.org",
    "https://pad3.example.org",
    "https://pad4.example.org",
    "https://pad5.example.org",
];

#[test]
fn patterns_match_only_the_origins_they_mean() {
    let mut wrong = Vec::new();
    for padding in [&[][..], &PADDING[..]] {
        for (patterns, origin, want) in TABLE {
            let policy = Policy::builder()
                .origins(patterns.iter().chain(padding).copied())
                .build()
                .unwrap_or_else(|e| panic!("{patterns:?}: {e}"));
            let request = Request::new(b"GET").header(b"Origin", origin.as_bytes());
            let got = policy.decide(&request).allowed();
            if got != *want {
                wrong.push(format!(
                    "{patterns:?} (+{} padding) vs {origin:?}: got {got}, want {want}",
                    padding.len()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_cost_does_not_depend_on_the_number_of_origins() {
    // Not a timing test: the lookup structure is a hash set, so a policy with
    // 100,000 origins still decides correctly for the first, last and a miss.
    let origins: Vec<String> = (0..100_000)
        .map(|i| format!("https://t{i}.example.net"))
        .collect();
    let policy = Policy::builder().origins(origins).build().unwrap();
    for (origin, want) in [
        ("https://t0.example.net", true),
        ("https://t99999.example.net", true),
        ("https://t100000.example.net", false),
    ] {
        let request = Request::new(b"GET").header(b"Origin", origin.as_bytes());
        assert_eq!(policy.decide(&request).allowed(), want, "{origin}");
    }
}
