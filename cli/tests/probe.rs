//! `corsgate probe` against tiny HTTP servers on 127.0.0.1: one answering
//! with corsgate's decisions for a policy, one with fixed headers.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::Arc;

use corsgate::{Kind, Policy, Request};
use serde_json::Value;
use support::{corsgate, stderr, stdout};

type Answer = dyn Fn(&str, &[(String, String)]) -> (u16, Vec<(String, String)>) + Send + Sync;

/// Serves HTTP/1.1 on an ephemeral port, one request per connection.
fn serve(answer: Arc<Answer>) -> String {
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

fn handle(stream: TcpStream, answer: &Answer) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let method = line.split(' ').next().unwrap_or_default().to_owned();
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
    let (status, out) = answer(&method, &headers);
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
