//! The test server of the browser harness (tests/browser): a page on one
//! origin and CORS APIs on another, answered with corsgate.
//!
//! Usage: `browser_server SCENARIOS.json` where the file maps scenario ids
//! to policies (JSON, SPEC §2; the origin `PAGE` stands for the page's
//! origin). Prints `{"page": URL, "api": URL}` on one line, then serves:
//!
//! - page port, `GET /`: an empty HTML page;
//! - API port, `/s/ID/...`: any method, decided by scenario ID's policy
//!   (preflights answered by corsgate, other requests `200 ok` plus the
//!   CORS headers); every decision is logged;
//! - API port, `GET /log/ID`: the logged decisions as a JSON array of
//!   `{kind, allowed, reason, chrome}` (`chrome`: explain()'s message).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use corsgate::{Kind, Policy, Request};
use serde_json::{json, Value};

struct State {
    policies: HashMap<String, Policy>,
    log: Mutex<HashMap<String, Vec<Value>>>,
}

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: browser_server SCENARIOS.json");
    let scenarios: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("scenarios file"))
            .expect("JSON");
    let page = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = TcpListener::bind("127.0.0.1:0").unwrap();
    let page_origin = format!("http://127.0.0.1:{}", page.local_addr().unwrap().port());
    let mut policies = HashMap::new();
    for (id, policy) in scenarios.as_object().expect("an object of policies") {
        let text = policy
            .to_string()
            .replace("\"PAGE\"", &format!("\"{page_origin}\""));
        let policy = Policy::from_json(&text)
            .unwrap_or_else(|e| panic!("scenario {id}: invalid policy: {e}"));
        policies.insert(id.clone(), policy);
    }
    let state = Arc::new(State {
        policies,
        log: Mutex::new(HashMap::new()),
    });
    println!(
        "{}",
        json!({"page": format!("{page_origin}/"), "api": format!("http://127.0.0.1:{}", api.local_addr().unwrap().port())})
    );
    std::thread::spawn(move || {
        for stream in page.incoming().flatten() {
            std::thread::spawn(move || {
                if read_head(&stream).is_some() {
                    respond(
                        stream,
                        200,
                        &[("Content-Type".into(), "text/html".into())],
                        "<!doctype html><title>page</title>",
                    );
                }
            });
        }
    });
    for stream in api.incoming().flatten() {
        let state = Arc::clone(&state);
        std::thread::spawn(move || serve_api(stream, &state));
    }
}

type Head = (String, String, Vec<(String, String)>);

fn read_head(stream: &TcpStream) -> Option<Head> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split(' ');
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
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
    Some((method, target, headers))
}

fn respond(mut stream: TcpStream, status: u16, headers: &[(String, String)], body: &str) {
    let mut text = format!(
        "HTTP/1.1 {status} X\r\nConnection: close\r\nCache-Control: no-store\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    let _ = stream.write_all(text.as_bytes());
}

fn serve_api(stream: TcpStream, state: &State) {
    let Some((method, target, headers)) = read_head(&stream) else {
        return;
    };
    if let Some(id) = target.strip_prefix("/log/") {
        let log = state
            .log
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .unwrap_or_default();
        let json = [("Content-Type".to_owned(), "application/json".to_owned())];
        return respond(stream, 200, &json, &Value::Array(log).to_string());
    }
    let id = target.strip_prefix("/s/").and_then(|r| r.split('/').next());
    let Some((id, policy)) = id.and_then(|id| state.policies.get_key_value(id)) else {
        return respond(stream, 404, &[], "no such scenario");
    };
    let host = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let url = format!("http://{host}{target}");
    let mut request = Request::new(method.as_bytes());
    for (n, v) in &headers {
        request.push_header(n.as_bytes(), v.as_bytes());
    }
    let decision = policy.decide(&request);
    let explanation = policy.explain(&request, &decision, &url);
    state
        .log
        .lock()
        .unwrap()
        .entry(id.clone())
        .or_default()
        .push(json!({
            "kind": match decision.kind() {
                Kind::Preflight => "preflight",
                Kind::Actual => "actual",
                Kind::NotCors => "not-cors",
            },
            "allowed": decision.allowed(),
            "reason": decision.reason().map(|r| format!("{r:?}")),
            "chrome": explanation.map(|x| x.chrome),
        }));
    let mut out: Vec<(String, String)> = decision
        .headers()
        .map(|h| {
            (
                h.name.as_str().to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    if !decision.vary().is_empty() {
        out.push(("Vary".into(), decision.vary().join(", ")));
    }
    let status = match decision.kind() {
        Kind::Preflight => decision.status().unwrap_or(204),
        _ => 200,
    };
    respond(stream, status, &out, if status == 200 { "ok" } else { "" });
}
