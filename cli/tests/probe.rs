//! `corsgate probe` against tiny HTTP servers on 127.0.0.1: one answering
//! with corsgate's decisions for a policy, one with fixed headers.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::{Arc, Mutex};

use corsgate::{Kind, Policy, Request};
use serde_json::Value;
use support::{corsgate, stderr, stdout};

type Headers = Vec<(String, String)>;
type Answer = dyn Fn(&str, &[(String, String)]) -> (u16, Headers) + Send + Sync;
/// An answer that also sees the request's path.
type Routed = dyn Fn(&str, &str, &[(String, String)]) -> (u16, Headers) + Send + Sync;

/// Serves HTTP/1.1 on an ephemeral port, one request per connection.
fn serve(answer: Arc<Answer>) -> String {
    serve_routed(Arc::new(move |method, _, headers| answer(method, headers)))
}

/// As `serve`, for answers that depend on the path.
fn serve_routed(answer: Arc<Routed>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let answer = Arc::clone(&answer);
            std::thread::spawn(move || handle(stream, &*answer));
        }
    });
    format!("http://127.0.0.1:{port}/items")
}

fn handle(stream: TcpStream, answer: &Routed) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            headers.push((n.to_owned(), v.trim().to_owned()));
        }
    }
    let (status, out) = answer(&method, &path, &headers);
    let mut text = format!("HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: 2\r\n");
    for (n, v) in out {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str("\r\nok");
    let mut stream = reader.into_inner();
    let _ = stream.write_all(text.as_bytes());
}

/// A server that answers as a host using corsgate with `policy` would.
fn corsgate_server(policy: &str) -> String {
    let policy = Policy::from_json(policy).unwrap();
    serve(Arc::new(move |method, headers| {
        let mut request = Request::new(method.as_bytes());
        for (n, v) in headers {
            request.push_header(n.as_bytes(), v.as_bytes());
        }
        let decision = policy.decide(&request);
        let mut out: Vec<(String, String)> = decision
            .headers()
            .map(|h| {
                (
                    h.name.as_str().to_owned(),
                    String::from_utf8(h.value.to_vec()).unwrap(),
                )
            })
            .collect();
        if !decision.vary().is_empty() {
            out.push(("Vary".into(), decision.vary().join(", ")));
        }
        let status = match decision.kind() {
            Kind::Preflight => decision.status().unwrap(),
            _ => 200,
        };
        (status, out)
    }))
}

const POLICY: &str = r#"{
    "origins": ["https://app.example.com"],
    "methods": ["PUT", "PATCH"],
    "request_headers": ["content-type", "x-request-id"],
    "max_age": 600
}"#;
const APP: &str = "https://app.example.com";

fn probe(url: &str, args: &[&str]) -> Output {
    let mut all = vec!["probe", url];
    all.extend_from_slice(args);
    corsgate(&all, "")
}

fn probe_json(url: &str, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let output = probe(url, &all);
    let json = serde_json::from_str(&stdout(&output)).expect("one JSON object");
    (output.status.code(), json)
}

#[test]
fn an_allowed_simple_request_has_no_preflight() {
    let url = corsgate_server(POLICY);
    let output = probe(&url, &["--origin", APP]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("preflight: not needed"), "{text}");
    assert!(
        text.contains("  < access-control-allow-origin: https://app.example.com"),
        "{text}"
    );
    assert!(text.contains("verdict:   allowed"), "{text}");
}

#[test]
fn an_allowed_preflighted_put() {
    let url = corsgate_server(POLICY);
    let output = probe(
        &url,
        &[
            "--origin",
            APP,
            "--method",
            "PUT",
            "--header",
            "Content-Type: application/json",
        ],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("  > Access-Control-Request-Method: PUT\n  > Access-Control-Request-Headers: content-type\n  < 204\n"),
        "{text}"
    );
    assert!(text.contains("  = passed (cached for 600 s)"), "{text}");
    assert!(text.contains("request:\n  > PUT "), "{text}");

    let (code, json) = probe_json(&url, &["--origin", APP, "--method", "PUT"]);
    assert_eq!(code, Some(0));
    assert_eq!(json["allowed"], true);
    assert_eq!(json["preflight"]["status"], 204);
    assert_eq!(json["preflight_max_age"], 600);
    assert_eq!(json["actual"]["status"], 200);
    assert_eq!(json["failure"], Value::Null);
}

#[test]
fn a_refused_origin() {
    let url = corsgate_server(POLICY);
    let output = probe(&url, &["--origin", "https://evil.example"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("verdict:   blocked at the actual"), "{text}");
    assert!(text.contains(&format!("chrome:    Access to fetch at '{url}' from origin 'https://evil.example' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.")), "{text}");
    assert!(
        text.contains("(Reason: CORS header \u{2018}Access-Control-Allow-Origin\u{2019} missing)."),
        "{text}"
    );
}

#[test]
fn patch_is_not_upper_cased() {
    let url = corsgate_server(POLICY);
    let (code, json) = probe_json(&url, &["--origin", APP, "--method", "PATCH"]);
    assert_eq!(code, Some(0), "{json}");
    let (code, json) = probe_json(&url, &["--origin", APP, "--method", "patch"]);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["failure"]["step"], "preflight");
    assert_eq!(json["preflight"]["status"], 403);
    assert_eq!(json["actual"], Value::Null);
    assert!(json["failure"]["chrome"]
        .as_str()
        .unwrap()
        .ends_with("Response to preflight request doesn't pass access control check: No 'Access-Control-Allow-Origin' header is present on the requested resource."));
    assert!(json["failure"]["firefox"]
        .as_str()
        .unwrap()
        .ends_with("(Reason: CORS preflight response did not succeed). Status code: 403."));

    // A server that lists PATCH itself: Chrome names the method.
    let url = serve(Arc::new(|_, _| {
        (
            200,
            vec![
                ("Access-Control-Allow-Origin".into(), "*".into()),
                ("Access-Control-Allow-Methods".into(), "GET, PATCH".into()),
            ],
        )
    }));
    let (code, json) = probe_json(&url, &["--origin", APP, "--method", "patch"]);
    assert_eq!(code, Some(1));
    assert!(json["failure"]["chrome"]
        .as_str()
        .unwrap()
        .ends_with("has been blocked by CORS policy: Method patch is not allowed by Access-Control-Allow-Methods in preflight response."));
    assert!(json["failure"]["fix"]
        .as_str()
        .unwrap()
        .contains("case-sensitive"));
}

#[test]
fn authorization_is_not_covered_by_star() {
    let url = corsgate_server(r#"{"origins": ["*"], "request_headers": ["*"]}"#);
    let args = ["--origin", APP, "--header", "Authorization: Bearer t"];
    let (code, json) = probe_json(&url, &args);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["failure"]["step"], "preflight");
    let (code, json) = probe_json(&url, &["--origin", APP, "--header", "X-Any: 1"]);
    assert_eq!(code, Some(0), "{json}");
    let url = corsgate_server(r#"{"origins": ["*"], "request_headers": ["*", "authorization"]}"#);
    let (code, json) = probe_json(&url, &args);
    assert_eq!(code, Some(0), "{json}");

    // A server that answers `*` itself: the browser still refuses.
    let url = serve(Arc::new(|_, _| {
        (
            204,
            vec![
                ("Access-Control-Allow-Origin".into(), "*".into()),
                ("Access-Control-Allow-Headers".into(), "*".into()),
            ],
        )
    }));
    let (code, json) = probe_json(&url, &args);
    assert_eq!(code, Some(1));
    assert!(json["failure"]["chrome"].as_str().unwrap().ends_with(
        "Request header field authorization is not allowed by Access-Control-Allow-Headers in preflight response."
    ));
    assert!(json["failure"]["fix"].as_str().unwrap().contains("by name"));
}

#[test]
fn credentials() {
    let url = corsgate_server(r#"{"origins": ["https://app.example.com"], "credentials": true}"#);
    let (code, json) = probe_json(&url, &["--origin", APP, "--credentials"]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["credentials"], true);

    let url = corsgate_server(r#"{"origins": ["*"]}"#);
    let (code, json) = probe_json(&url, &["--origin", APP]);
    assert_eq!(code, Some(0), "{json}");
    let (code, json) = probe_json(&url, &["--origin", APP, "--credentials"]);
    assert_eq!(code, Some(1), "{json}");
    assert!(json["failure"]["chrome"].as_str().unwrap().ends_with(
        "The value of the 'Access-Control-Allow-Origin' header in the response must not be the wildcard '*' when the request's credentials mode is 'include'."
    ));

    let url = corsgate_server(r#"{"origins": ["https://app.example.com"]}"#);
    let (code, json) = probe_json(&url, &["--origin", APP, "--credentials"]);
    assert_eq!(code, Some(1), "{json}");
    assert!(json["failure"]["firefox"]
        .as_str()
        .unwrap()
        .ends_with("(Reason: expected \u{2018}true\u{2019} in CORS header \u{2018}Access-Control-Allow-Credentials\u{2019})."));
}

#[test]
fn a_refused_connection_exits_2() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let output = probe(&url, &["--origin", APP]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("could not connect"),
        "{}",
        stderr(&output)
    );
    let (code, json) = probe_json(&url, &["--origin", APP]);
    assert_eq!(code, Some(2));
    assert_eq!(json["error"], "could not connect");
}

#[test]
fn a_non_http_answer_and_bad_arguments_exit_2() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\n");
        }
    });
    let output = probe(&format!("http://127.0.0.1:{port}/"), &["--origin", APP]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not an HTTP answer"),
        "{}",
        stderr(&output)
    );

    let url = corsgate_server(POLICY);
    for args in [
        &["--origin", "https://app.example.com/path"][..],
        &["--origin", APP, "--header", "no colon"],
        &["--origin", APP, "--header", "Cookie: a=b"],
        &["--origin", APP, "--method", "GE T"],
    ] {
        let output = probe(&url, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains("usage"), "{}", stderr(&output));
    }
    let output = probe("ftp://127.0.0.1/", &["--origin", APP]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_silent_server_times_out_with_exit_2() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream); // accepted, never answered
        }
    });
    let url = format!("http://127.0.0.1:{port}/");
    let output = probe(&url, &["--origin", APP, "--timeout", "1"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("timed out"), "{}", stderr(&output));
}

/// One request a test server saw: method, path, header lines.
type Seen = (String, String, Headers);

/// A server that logs every request and answers with `answer`.
fn logging_server(answer: Arc<Routed>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    let url = serve_routed(Arc::new(move |method, path, headers| {
        let entry = (method.to_owned(), path.to_owned(), headers.to_vec());
        seen.lock().unwrap().push(entry);
        answer(method, path, headers)
    }));
    (url, log)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn pair(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

/// `status` with `Location: location` and `Access-Control-Allow-Origin: allow`.
fn redirect(status: u16, location: &str, allow: &str) -> (u16, Headers) {
    let headers = vec![
        pair("Location", location),
        pair("Access-Control-Allow-Origin", allow),
    ];
    (status, headers)
}

/// `200` allowing `allow` (and any method and header, for preflights).
fn allowing(allow: &str) -> (u16, Headers) {
    let headers = vec![
        pair("Access-Control-Allow-Origin", allow),
        pair("Access-Control-Allow-Methods", "PUT"),
        pair("Access-Control-Allow-Headers", "x-id"),
    ];
    (200, headers)
}

#[test]
fn a_same_origin_redirect_is_followed() {
    let (url, log) = logging_server(Arc::new(|_, path, _| match path {
        "/items" => redirect(301, "/items/", APP),
        _ => allowing(APP),
    }));
    let output = probe(&url, &["--origin", APP]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("  < location: /items/\n"), "{text}");
    assert!(
        text.contains(&format!(
            "  = passed: redirected, the browser sends GET {url}/\n"
        )),
        "{text}"
    );
    assert!(!text.contains("tainted"), "{text}");
    assert!(
        text.contains("verdict:   allowed after 1 redirect"),
        "{text}"
    );
    let seen = log.lock().unwrap();
    let paths: Vec<&str> = seen.iter().map(|(_, p, _)| p.as_str()).collect();
    assert_eq!(paths, ["/items", "/items/"]);
    // Same origin: the page's origin goes along to the end.
    assert!(seen
        .iter()
        .all(|(_, _, h)| header(h, "origin") == Some(APP)));
}

#[test]
fn a_cross_origin_redirect_taints_the_origin() {
    let (target, target_log) = logging_server(Arc::new(|_, _, _| allowing("*")));
    let to = target.clone();
    let (url, _) = logging_server(Arc::new(move |method, _, _| match method {
        "OPTIONS" => allowing(APP),
        _ => redirect(307, &to, APP),
    }));
    let (code, json) = probe_json(&url, &["--origin", APP]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["redirects"], 1);
    assert_eq!(json["final_url"], target.as_str());
    assert_eq!(json["origin_tainted"], true);
    assert_eq!(json["hops"][0]["redirect"]["taints_origin"], true);
    assert_eq!(
        json["actual"]["request_headers"][0],
        serde_json::json!(["Origin", "null"])
    );
    let seen = target_log.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(header(&seen[0].2, "origin"), Some("null"));
    drop(seen);

    // A PUT is preflighted again at the new URL, from `null`.
    let args = ["--origin", APP, "--method", "PUT", "--header", "X-Id: 1"];
    let output = probe(&url, &args);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("origin tainted"), "{text}");
    let seen = target_log.lock().unwrap();
    let (method, _, headers) = &seen[1];
    assert_eq!(method, "OPTIONS");
    assert_eq!(header(headers, "origin"), Some("null"));
    assert_eq!(
        header(headers, "access-control-request-method"),
        Some("PUT")
    );
    assert_eq!(
        header(headers, "access-control-request-headers"),
        Some("x-id")
    );
    assert_eq!(seen[2].0, "PUT");
    assert_eq!(header(&seen[2].2, "x-id"), Some("1"));
}

#[test]
fn a_tainted_origin_is_refused_where_only_the_page_is_allowed() {
    let target = corsgate_server(POLICY);
    let to = target.clone();
    let url = serve(Arc::new(move |_, _| redirect(302, &to, APP)));
    let output = probe(&url, &["--origin", APP]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("verdict:   blocked at the actual after 1 redirect"),
        "{text}"
    );
    let chrome = format!("chrome:    Access to fetch at '{target}' (redirected from '{url}') from origin '{APP}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource.\n");
    assert!(text.contains(&chrome), "{text}");
    assert!(text.contains(&format!("firefox:   Cross-Origin Request Blocked: The Same Origin Policy disallows reading the remote resource at {target}.")), "{text}");
    let (code, json) = probe_json(&url, &["--origin", APP]);
    assert_eq!(code, Some(1));
    assert_eq!(json["failure"]["url"], target.as_str());
    assert_eq!(json["failure"]["redirected_from"], url.as_str());
}

#[test]
fn a_redirect_without_cors_headers_is_refused() {
    let (target, target_log) = logging_server(Arc::new(|_, _, _| allowing("*")));
    let to = target.clone();
    let url = serve(Arc::new(move |_, _| (302, vec![pair("Location", &to)])));
    let (code, json) = probe_json(&url, &["--origin", APP]);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["redirects"], 0);
    assert_eq!(json["actual"]["status"], 302);
    // The redirect itself failed the CORS check: Chrome names only its URL.
    assert_eq!(json["failure"]["chrome"], format!("Access to fetch at '{url}' from origin '{APP}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."));
    assert!(target_log.lock().unwrap().is_empty());
}

#[test]
fn a_redirected_preflight_is_refused() {
    let url = serve(Arc::new(|method, _| match method {
        "OPTIONS" => redirect(308, "/elsewhere", "*"),
        _ => allowing("*"),
    }));
    let (code, json) = probe_json(&url, &["--origin", APP, "--method", "PUT"]);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(json["failure"]["step"], "preflight");
    assert!(json["failure"]["chrome"].as_str().unwrap().ends_with(
        "Response to preflight request doesn't pass access control check: Redirect is not allowed for a preflight request."
    ));
    assert_eq!(json["actual"], Value::Null);
}

#[test]
fn see_other_after_post_becomes_get() {
    let (target, target_log) = logging_server(Arc::new(|_, _, _| allowing("*")));
    let args = [
        "--origin",
        APP,
        "--method",
        "POST",
        "--header",
        "Content-Type: text/plain",
        "--header",
        "Accept: text/plain",
    ];
    for (status, method) in [(303, "GET"), (302, "GET"), (307, "POST")] {
        let to = target.clone();
        let url = serve(Arc::new(move |_, _| redirect(status, &to, "*")));
        let (code, json) = probe_json(&url, &args);
        assert_eq!(code, Some(0), "{json}");
        assert_eq!(json["hops"][0]["redirect"]["method"], method);
        let seen = target_log.lock().unwrap();
        let (seen_method, _, headers) = seen.last().unwrap();
        assert_eq!(seen_method, method, "{status}");
        // The body's headers go with the body; the others stay.
        let content_type = header(headers, "content-type");
        assert_eq!(content_type.is_some(), method == "POST", "{status}");
        assert_eq!(header(headers, "accept"), Some("text/plain"));
    }
}

#[test]
fn a_redirect_loop_fails_after_20() {
    let (url, log) = logging_server(Arc::new(|_, _, _| redirect(302, "/items", "*")));
    let output = probe(&url, &["--origin", APP]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("verdict:   blocked at the actual after 20 redirects"),
        "{text}"
    );
    assert!(
        text.contains("chrome:    Failed to load resource: net::ERR_TOO_MANY_REDIRECTS"),
        "{text}"
    );
    // 20 redirects followed, the 21st refused.
    assert_eq!(log.lock().unwrap().len(), 21);
}

#[test]
fn bad_locations_are_browser_failures() {
    for (location, chrome) in [
        (
            "http://[::1",
            "Failed to load resource: net::ERR_INVALID_REDIRECT",
        ),
        (
            "ftp://127.0.0.1/x",
            "Failed to load resource: net::ERR_UNSAFE_REDIRECT",
        ),
        (
            "http://user:pw@127.0.0.1/x",
            "contains a username and password",
        ),
    ] {
        let url = serve(Arc::new(move |_, _| redirect(302, location, "*")));
        let (code, json) = probe_json(&url, &["--origin", APP]);
        assert_eq!(code, Some(1), "{location}: {json}");
        let text = json["failure"]["chrome"].as_str().unwrap();
        assert!(text.contains(chrome), "{location}: {text}");
    }
    // Two different Locations: no URL at all.
    let url = serve(Arc::new(|_, _| {
        let (status, mut headers) = redirect(302, "/a", "*");
        headers.push(pair("Location", "/b"));
        (status, headers)
    }));
    let (code, json) = probe_json(&url, &["--origin", APP]);
    assert_eq!(code, Some(1), "{json}");
    assert_eq!(
        json["failure"]["chrome"],
        "Failed to load resource: net::ERR_INVALID_REDIRECT"
    );
}

#[test]
fn a_redirect_to_a_closed_port_exits_2() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let to = format!("http://127.0.0.1:{port}/gone");
    let url = serve(Arc::new(move |_, _| redirect(307, &to, "*")));
    let output = probe(&url, &["--origin", APP]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("could not connect"),
        "{}",
        stderr(&output)
    );
}
