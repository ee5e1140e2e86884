//! The `format` table: the bytes of list-valued headers.

use corsgate::{ErrorCode, HeaderName, Policy, Request};

fn preflight_headers(policy: &Policy, acrh: &[u8]) -> Vec<(HeaderName, String)> {
    let request = Request::new(b"OPTIONS")
        .header(b"Origin", b"https://app.example")
        .header(b"Access-Control-Request-Method", b"PUT")
        .header(b"Access-Control-Request-Headers", acrh);
    let d = policy.decide(&request);
    assert!(d.allowed(), "{:?}", d.reason());
    d.headers()
        .map(|h| (h.name, String::from_utf8(h.value.to_vec()).unwrap()))
        .collect()
}

fn value(headers: &[(HeaderName, String)], name: HeaderName) -> &str {
    &headers.iter().find(|(n, _)| *n == name).unwrap().1
}

fn expose(policy: &Policy) -> String {
    let request = Request::new(b"GET").header(b"Origin", b"https://app.example");
    let d = policy.decide(&request);
    String::from_utf8(d.header(HeaderName::ExposeHeaders).unwrap().value.to_vec()).unwrap()
}

const LISTS: &str = r#""origins": ["https://app.example"], "methods": ["PUT", "DELETE"],
    "request_headers": ["Content-Type", "X-Request-Id"], "expose_headers": ["X-Total", "ETag"]"#;

#[test]
fn default_joins_with_comma_space_and_lowercases_request_headers() {
    let p = Policy::from_json(&format!("{{{LISTS}}}")).unwrap();
    let h = preflight_headers(&p, b"content-type");
    assert_eq!(value(&h, HeaderName::AllowMethods), "PUT, DELETE");
    assert_eq!(
        value(&h, HeaderName::AllowHeaders),
        "content-type, x-request-id"
    );
    assert_eq!(expose(&p), "X-Total, ETag");
}

#[test]
fn separator_sets_every_list_and_the_case_is_kept_as_configured() {
    let p = Policy::from_json(&format!(
        r#"{{{LISTS}, "format": {{"separator": ",", "request_headers_case": "as-configured"}}}}"#
    ))
    .unwrap();
    let h = preflight_headers(&p, b"content-type,x-request-id");
    assert_eq!(value(&h, HeaderName::AllowMethods), "PUT,DELETE");
    assert_eq!(
        value(&h, HeaderName::AllowHeaders),
        "Content-Type,X-Request-Id"
    );
    assert_eq!(expose(&p), "X-Total,ETag");
    // Matching stays case-insensitive.
    preflight_headers(&p, b"X-REQUEST-ID");
}

#[test]
fn each_list_may_have_its_own_separator() {
    let p = Policy::from_toml(
        r#"origins = ["https://app.example"]
methods = ["PUT", "DELETE"]
expose_headers = ["X-Total", "ETag"]
[format]
separator = ","
expose_headers_separator = ", "
"#,
    )
    .unwrap();
    let h = preflight_headers(&p, b"");
    assert_eq!(value(&h, HeaderName::AllowMethods), "PUT,DELETE");
    assert_eq!(expose(&p), "X-Total, ETag");
    // The resolved table round-trips.
    let again = Policy::from_json(&p.config().to_value().to_string()).unwrap();
    assert_eq!(again.config(), p.config());
}

#[test]
fn bad_values_are_all_reported_with_a_fix() {
    let err = Policy::from_json(
        r#"{"origins": ["https://app.example"], "format": {"methods_separator": ";",
            "expose_headers_separator": " , ", "request_headers_case": "upper", "sep": ","}}"#,
    )
    .unwrap_err();
    let problems = err.problems();
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert!(keys.contains(&"format.methods_separator"), "{err}");
    assert!(keys.contains(&"format.expose_headers_separator"), "{err}");
    assert!(keys.contains(&"format.request_headers_case"), "{err}");
    assert!(err.has(ErrorCode::UnknownField), "{err}");
    let bad = problems
        .iter()
        .find(|p| p.key == "format.methods_separator")
        .unwrap();
    assert_eq!(bad.code, ErrorCode::InvalidFormat);
    assert_eq!(bad.value, ";");
    assert!(bad.fix.contains("\",\""), "{}", bad.fix);
}

#[test]
fn builder_methods() {
    let p = Policy::builder()
        .origins(["https://app.example"])
        .methods(["PUT", "DELETE"])
        .request_headers(["Content-Type"])
        .list_separator(",")
        .keep_request_header_case(true)
        .build()
        .unwrap();
    let h = preflight_headers(&p, b"content-type");
    assert_eq!(value(&h, HeaderName::AllowMethods), "PUT,DELETE");
    assert_eq!(value(&h, HeaderName::AllowHeaders), "Content-Type");
}

#[test]
fn a_wildcard_can_echo_the_requested_names_without_credentials() {
    let p = Policy::from_json(
        r#"{"origins": ["*"], "methods": ["PUT"], "request_headers": ["*", "authorization"],
            "format": {"request_headers_wildcard": "echo", "separator": ","}}"#,
    )
    .unwrap();
    let h = preflight_headers(&p, b"authorization,x-a");
    assert_eq!(value(&h, HeaderName::AllowHeaders), "authorization,x-a");
    let h = preflight_headers(&p, b"X-B, x-c");
    assert_eq!(value(&h, HeaderName::AllowHeaders), "x-b,x-c");
    // Nothing requested: nothing to echo.
    let request = Request::new(b"OPTIONS")
        .header(b"Origin", b"https://app.example")
        .header(b"Access-Control-Request-Method", b"PUT");
    assert!(p
        .decide(&request)
        .header(HeaderName::AllowHeaders)
        .is_none());
    // The default sends `*`.
    let star =
        Policy::from_json(r#"{"origins": ["*"], "methods": ["PUT"], "request_headers": ["*"]}"#)
            .unwrap();
    assert_eq!(
        value(&preflight_headers(&star, b"x-a"), HeaderName::AllowHeaders),
        "*"
    );
}

#[test]
fn full_vary_names_every_header_an_answer_depends_on() {
    let p = Policy::from_json(r#"{"origins": ["*"], "format": {"full_vary": true}}"#).unwrap();
    let get = Request::new(b"GET").header(b"Origin", b"https://app.example");
    assert_eq!(p.decide(&get).vary(), ["Origin"]);
    assert_eq!(p.decide(&Request::new(b"GET")).vary(), ["Origin"]);
    let pre = Request::new(b"OPTIONS")
        .header(b"Origin", b"https://app.example")
        .header(b"Access-Control-Request-Method", b"GET");
    assert_eq!(p.decide(&pre).vary().len(), 4);
    let minimal = Policy::from_json(r#"{"origins": ["*"]}"#).unwrap();
    assert!(minimal.decide(&get).vary().is_empty());
}

#[test]
fn vary_tokens_may_be_lowercase() {
    let p = Policy::from_json(
        r#"{"origins": ["https://app.example"], "methods": ["PUT"], "format": {"vary_case": "lowercase"}}"#,
    )
    .unwrap();
    let get = Request::new(b"GET").header(b"Origin", b"https://app.example");
    assert_eq!(p.decide(&get).vary(), ["origin"]);
    assert_eq!(p.decide(&get).vary_line(), "origin");
    let pre = Request::new(b"OPTIONS")
        .header(b"Origin", b"https://app.example")
        .header(b"Access-Control-Request-Method", b"PUT");
    assert_eq!(
        p.decide(&pre).vary_line(),
        "origin, access-control-request-method, access-control-request-headers"
    );
    assert!(
        Policy::from_json(r#"{"origins": ["*"], "format": {"vary_case": "Upper"}}"#)
            .unwrap_err()
            .has(ErrorCode::InvalidFormat)
    );
}
