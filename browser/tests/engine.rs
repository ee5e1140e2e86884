//! The engine's answers run through the browser's checks (this crate):
//! whenever the engine allows a request the browser makes, the browser
//! accepts the headers; whenever it refuses, the browser fails, with the
//! console messages `explain` predicts.

use corsgate::{Decision, Policy, PolicyBuilder, PolicyConfig, Request};
use corsgate_browser::{check_actual, check_preflight, follow_redirect, Fetch, Location, Response};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};

const URL: &str = "https://api.example.com/v1/items";

fn policy_config() -> impl Strategy<Value = PolicyConfig> {
    let origins = prop_oneof![
        1 => Just(vec!["*".to_owned()]),
        3 => subsequence(
            &["https://app.example.com", "https://*.example.com", "http://localhost:*", "null"][..],
            1..4,
        )
        .prop_map(|v| v.into_iter().map(String::from).collect()),
    ];
    let methods = prop_oneof![
        1 => Just(vec!["*".to_owned()]),
        3 => subsequence(&["PUT", "patch", "DELETE", "X-Custom"][..], 0..4)
            .prop_map(|v| v.into_iter().map(String::from).collect()),
    ];
    let request_headers = (
        any::<bool>(),
        subsequence(&["content-type", "X-Request-Id", "authorization"][..], 0..3),
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
    (
        origins,
        any::<bool>(),
        methods,
        request_headers,
        prop::option::of(0i64..=86_400),
    )
        .prop_map(
            |(mut origins, credentials, methods, request_headers, max_age)| {
                if credentials && origins == ["*"] {
                    origins = vec!["https://app.example.com".into()];
                }
                let allow_null = origins.iter().any(|o| o == "null");
                let mut config = PolicyConfig::default();
                config.origins = origins;
                config.credentials = credentials;
                config.methods = methods;
                config.request_headers = request_headers;
                config.max_age = max_age;
                config.dangerous.allow_null_origin = allow_null;
                config.dangerous.allow_insecure_origins_with_credentials = true;
                config
            },
        )
}

fn fetch() -> impl Strategy<Value = Fetch> {
    (
        select(
            &[
                "https://app.example.com",
                "https://a.example.com",
                "http://localhost:5173",
                "https://evil.example",
                "null",
            ][..],
        ),
        select(
            &[
                "GET", "HEAD", "POST", "PUT", "patch", "PATCH", "DELETE", "X-Custom",
            ][..],
        ),
        subsequence(
            &[
                ("X-Request-Id", "{\"}"),
                ("Authorization", "Bearer t"),
                ("Content-Type", "application/json"),
                ("Content-Type", "text/plain"),
                ("X-Other", "1"),
                ("Accept", "{\"}"),
                ("Accept", "application/json"),
            ][..],
            0..4,
        ),
        any::<bool>(),
    )
        .prop_map(|(origin, method, headers, credentials)| {
            let mut f = Fetch::new(URL, origin, method).credentials(credentials);
            for (n, v) in headers {
                f = f.header(n, v);
            }
            f
        })
}

fn response(decision: &Decision<'_>, status: u16) -> Response {
    let mut r = Response::new(decision.status().unwrap_or(status));
    for h in decision.headers() {
        r = r.header(h.name.as_str(), h.value);
    }
    r
}

fn check(policy: &Policy, mut fetch: Fetch) -> Result<(), TestCaseError> {
    // Preflights carry no cookies, so the engine cannot know the credentials
    // mode: a policy without credentials is only judged on requests without.
    if !policy.credentials() {
        fetch.credentials = false;
    }

    if fetch.needs_preflight() {
        let lines = fetch.preflight_headers();
        let mut request = Request::new(b"OPTIONS");
        for (n, v) in &lines {
            request = request.header(n.as_bytes(), v.as_bytes());
        }
        let decision = policy.decide(&request);
        let browser = check_preflight(&fetch, &response(&decision, 200));
        prop_assert_eq!(
            decision.allowed(),
            browser.is_ok(),
            "preflight {:?}: engine {:?}, browser {:?}",
            lines,
            decision.reason(),
            browser
        );
        if let Err(e) = browser {
            let x = decision.explain(URL).unwrap();
            prop_assert_eq!(e.chrome(&fetch), x.chrome);
            prop_assert_eq!(e.firefox(&fetch), x.firefox);
        }

        // The lists the engine grants are the policy's: the answer to a bare
        // preflight (method GET, no headers) from an allowed origin admits
        // exactly the requests the engine allows. (With credentials, `*`
        // lists are answered with the requested names, so they are skipped.)
        let config = policy.config();
        let reflected = policy.credentials()
            && (config.methods.iter().any(|m| m == "*")
                || config.request_headers.iter().any(|h| h == "*"));
        let bare = Request::new(b"OPTIONS")
            .header(b"Origin", fetch.origin.as_bytes())
            .header(b"Access-Control-Request-Method", b"GET");
        let bare = policy.decide(&bare);
        if bare.allowed() && !reflected {
            let browser = check_preflight(&fetch, &response(&bare, 200));
            prop_assert_eq!(
                decision.allowed(),
                browser.is_ok(),
                "against the bare grant {:?}: engine {:?}, browser {:?}",
                lines,
                decision.reason(),
                browser
            );
        }
    }

    let request = Request::new(fetch.method.as_bytes()).header(b"Origin", fetch.origin.as_bytes());
    let decision = policy.decide(&request);
    let browser = check_actual(&fetch, &response(&decision, 200));
    prop_assert_eq!(decision.allowed(), browser.is_ok(), "{:?}", browser);
    if let Err(e) = browser {
        let x = decision.explain(URL).unwrap();
        prop_assert_eq!(e.chrome(&fetch), x.chrome);
        prop_assert_eq!(e.firefox(&fetch), x.firefox);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn browser_agrees_with_engine(config in policy_config(), fetch in fetch()) {
        if let Ok(policy) = PolicyBuilder::from_config(config).build() {
            check(&policy, fetch)?;
        }
    }
}

#[test]
fn table() {
    let cases = [
        (
            r#"{"origins":["https://app.example.com"],"methods":["PATCH"]}"#,
            Fetch::new(URL, "https://app.example.com", "patch"),
        ),
        (
            r#"{"origins":["*"],"request_headers":["*"]}"#,
            Fetch::new(URL, "https://app.example.com", "GET").header("Authorization", "x"),
        ),
        (
            r#"{"origins":["*"],"request_headers":["*","authorization"]}"#,
            Fetch::new(URL, "https://app.example.com", "GET").header("Authorization", "x"),
        ),
        (
            r#"{"origins":["https://app.example.com"],"credentials":true,"methods":["*"],"request_headers":["*"]}"#,
            Fetch::new(URL, "https://app.example.com", "DELETE")
                .header("X-Request-Id", "1")
                .credentials(true),
        ),
    ];
    for (json, fetch) in cases {
        check(&Policy::from_json(json).unwrap(), fetch).unwrap();
    }
}

/// After a redirect through another origin the engine sees `Origin: null`:
/// only a policy allowing any origin (or `null`) lets the request through,
/// and the browser agrees, with Chrome's message naming both URLs.
#[test]
fn a_tainted_request_is_judged_as_null() {
    let first_url = "https://a.example/x";
    let page = "https://app.example.com";
    let location = Location::Http {
        url: URL.to_owned(),
        origin: "https://api.example.com".to_owned(),
        credentials: false,
    };
    let first = Fetch::new(first_url, page, "GET");
    let fetch = follow_redirect(&first, 302, "https://a.example", &location, 0).unwrap();
    let cases = [
        (r#"{"origins":["https://app.example.com"]}"#, false),
        (r#"{"origins":["*"]}"#, true),
        (
            r#"{"origins":["null"],"dangerous":{"allow_null_origin":true}}"#,
            true,
        ),
    ];
    for (json, allowed) in cases {
        let policy = Policy::from_json(json).unwrap();
        let request = Request::new(b"GET").header(b"Origin", fetch.request_origin().as_bytes());
        let decision = policy.decide(&request);
        assert_eq!(decision.allowed(), allowed, "{json}");
        let browser = check_actual(&fetch, &response(&decision, 200));
        assert_eq!(browser.is_ok(), allowed, "{json}");
        if let Err(e) = browser {
            // explain() sees only the final URL and `null`.
            let x = decision.explain(URL).unwrap();
            let expected = x.chrome.replace(
                &format!("'{URL}' from origin 'null'"),
                &format!("'{URL}' (redirected from '{first_url}') from origin '{page}'"),
            );
            assert_eq!(e.chrome(&fetch), expected);
            assert_eq!(e.firefox(&fetch), x.firefox);
        }
    }
}
