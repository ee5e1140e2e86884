//! SPEC §7: explanations of refusals and lint warnings, asserted exactly.

use corsgate::{Initiator, Policy, Reason, Request, WarningCode};

fn policy() -> Policy {
    Policy::from_toml(
        r#"
        origins = ["https://app.example.com", "http://localhost:*"]
        credentials = true
        methods = ["PATCH"]
        request_headers = ["content-type"]
        "#,
    )
    .unwrap()
}

const URL: &str = "https://api.example.com/items";

#[test]
fn refused_origin_on_an_actual_request() {
    let policy = policy();
    let request = Request::new(b"GET").header(b"Origin", b"https://evil.example");
    let decision = policy.decide(&request);
    let e = decision.explain(URL).unwrap();
    assert_eq!(e.reason, Reason::OriginNotAllowed);
    assert_eq!(
        e.summary,
        "the origin 'https://evil.example' is not allowed by `origins`"
    );
    assert_eq!(e.fix, "add \"https://evil.example\" to `origins`");
    assert_eq!(
        e.chrome,
        "Access to fetch at 'https://api.example.com/items' from origin 'https://evil.example' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."
    );
    assert_eq!(
        e.firefox,
        "Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at https://api.example.com/items. (Reason: CORS header \u{2018}Access-Control-Allow-Origin\u{2019} missing)."
    );
    assert_eq!(e.chrome_for(Initiator::Fetch), e.chrome);
    assert_eq!(
        e.chrome_for(Initiator::XmlHttpRequest),
        "Access to XMLHttpRequest at 'https://api.example.com/items' from origin 'https://evil.example' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."
    );
}

#[test]
fn lowercase_method_on_a_preflight() {
    let policy = policy();
    let request = Request::new(b"OPTIONS")
        .header(b"Origin", b"https://app.example.com")
        .header(b"Access-Control-Request-Method", b"patch");
    let decision = policy.decide(&request);
    let e = decision.explain(URL).unwrap();
    assert_eq!(e.reason, Reason::MethodNotAllowed);
    assert_eq!(
        e.summary,
        "the method patch is not in `methods` (GET, HEAD and POST are always allowed); `methods` lists PATCH, but browsers send patch exactly as the script wrote it"
    );
    assert_eq!(e.fix, "add \"patch\" to `methods`");
    assert_eq!(
        e.chrome,
        "Access to fetch at 'https://api.example.com/items' from origin 'https://app.example.com' has been blocked by CORS policy: Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."
    );
    assert!(e
        .firefox
        .ends_with("(Reason: CORS preflight response did not succeed). Status code: 403."));
}

#[test]
fn header_not_allowed_names_the_first_refused_header() {
    let policy = policy();
    let request = Request::new(b"OPTIONS")
        .header(b"Origin", b"http://localhost:5173")
        .header(b"Access-Control-Request-Method", b"POST")
        .header(b"Access-Control-Request-Headers", b"content-type,X-Trace");
    let decision = policy.decide(&request);
    let e = decision.explain(URL).unwrap();
    assert_eq!(e.reason, Reason::HeaderNotAllowed);
    assert_eq!(
        e.summary,
        "the request header 'x-trace' is not in `request_headers`"
    );
    assert_eq!(e.fix, "add \"x-trace\" to `request_headers`");
}

#[test]
fn control_bytes_never_reach_the_explanation() {
    let policy = policy();
    let request =
        Request::new(b"GET").header(b"Origin", b"https://a.example\r\nSet-Cookie: x=1\x00");
    let decision = policy.decide(&request);
    let e = decision.explain("https://api.example.com/\n").unwrap();
    assert_eq!(e.reason, Reason::InvalidOrigin);
    for text in [&e.summary, &e.chrome, &e.firefox, &e.fix] {
        assert!(!text.bytes().any(|b| b < 0x20 || b == 0x7f), "{text:?}");
    }
    assert!(
        e.summary
            .contains("https://a.example\\x0d\\x0aSet-Cookie: x=1\\x00"),
        "{}",
        e.summary
    );
}

#[test]
fn allowed_and_not_cors_requests_have_no_explanation() {
    let policy = policy();
    let allowed = Request::new(b"GET").header(b"Origin", b"https://app.example.com");
    assert!(policy.decide(&allowed).explain(URL).is_none());
    let not_cors = Request::new(b"GET");
    assert!(policy.decide(&not_cors).explain(URL).is_none());
}

#[test]
fn lint_reports_each_risky_choice() {
    let policy = Policy::from_json(
        r#"{
            "origins": ["http://intranet.example", "https://*.github.io", "null"],
            "methods": ["patch"],
            "max_age": 86400,
            "private_network": {"allow": true},
            "dangerous": {"allow_null_origin": true}
        }"#,
    )
    .unwrap();
    let codes: Vec<WarningCode> = policy.lint().iter().map(|w| w.code).collect();
    assert_eq!(
        codes,
        [
            WarningCode::MaxAgeAboveChromeCap,
            WarningCode::LowercaseMethod,
            WarningCode::InsecureOrigin,
            WarningCode::PublicSuffixWildcard,
            WarningCode::NullOriginAllowed,
            WarningCode::LegacyPrivateNetwork,
            WarningCode::PrivateNetworkWithoutCredentials,
            WarningCode::DangerousOption,
        ]
    );
    let unused = Policy::from_json(
        r#"{"origins": ["https://a.example"], "methods": ["PUT", "delete"], "private_network": {"id": "01:23:45:67:89:0A"}}"#,
    )
    .unwrap();
    let codes: Vec<WarningCode> = unused.lint().iter().map(|w| w.code).collect();
    assert_eq!(codes, [WarningCode::PrivateNetworkFieldsUnused]);
}

#[test]
fn a_refusal_points_into_the_header_it_read() {
    use corsgate::{Check, Refusal, RequestHeader};
    let policy = policy();
    let line: &[u8] = b"content-type, X-Bad ";
    let request = Request::new(b"OPTIONS")
        .header(b"Origin", b"https://app.example.com")
        .header(b"Access-Control-Request-Method", b"PATCH")
        .header(b"Access-Control-Request-Headers", line);
    let decision = policy.decide(&request);
    let r = decision.refusal().unwrap();
    assert_eq!(r.check(), Check::HeaderNotListed);
    assert_eq!(r.check().header(), RequestHeader::RequestHeaders);
    assert_eq!(r.span_in(line), Some(14..19));
    assert_eq!(r.span_in(b"X-Bad"), None);
    // Carried as (check, span) and rebuilt, it explains the same.
    let span = r.span_in(line).unwrap();
    let carried = Refusal::new(
        r.kind(),
        Check::from_code(r.check().code()).unwrap(),
        r.origin(),
        &line[span],
    );
    assert_eq!(carried.explain(URL), decision.explain(URL).unwrap());
    assert_eq!(Check::OriginNotListed.header(), RequestHeader::Origin);
    assert_eq!(
        Check::MethodCaseMismatch.header(),
        RequestHeader::RequestMethod
    );
}
